//! The time an engine reads: [`Clock::system`] (the default, real time) or a
//! [`ManualClock`] that a test or a simulation advances by hand.
//!
//! An engine's clock dates its sessions (`created`, `last_active`), decides which are idle
//! ([`Engine::expire_idle`](crate::Engine::expire_idle)), and runs its sessions' timers
//! ([`timer`](crate::timer)). Under a manual clock nothing happens by itself:
//! [`ManualClock::advance`] moves time and runs, on the calling thread, every timer that
//! falls due, so a test asserts on what happened, and on what did not, with no sleep and no
//! window.

use std::any::Any;
use std::cell::RefCell;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crate::lock::lock;

/// A source of time: the system's, or a [`ManualClock`]'s. Cheap to clone (one pointer).
///
/// Give one to an engine with [`EngineBuilder::clock`](crate::EngineBuilder::clock); the
/// default is [`Clock::system`].
#[derive(Clone, Default)]
pub struct Clock {
    /// `None`: the system's clock.
    manual: Option<Arc<ManualState>>,
}

impl Clock {
    /// Real time: `Instant::now()`.
    pub fn system() -> Clock {
        Clock { manual: None }
    }

    /// Whether this is a [`ManualClock`]'s clock.
    pub fn is_manual(&self) -> bool {
        self.manual.is_some()
    }

    /// The time now, on this clock.
    pub fn now(&self) -> Instant {
        self.instant(self.nanos())
    }

    /// The time now, in nanoseconds from this clock's epoch: what sessions store, in eight
    /// bytes instead of an `Instant`'s sixteen.
    pub(crate) fn nanos(&self) -> u64 {
        match &self.manual {
            Some(manual) => manual.now.load(Ordering::Acquire),
            None => nanos_between(system_epoch(), Instant::now()),
        }
    }

    /// The instant `nanos` from this clock's epoch.
    pub(crate) fn instant(&self, nanos: u64) -> Instant {
        self.epoch() + Duration::from_nanos(nanos)
    }

    fn epoch(&self) -> Instant {
        match &self.manual {
            Some(manual) => manual.epoch,
            None => system_epoch(),
        }
    }

    /// The timers kept by this clock when it is manual: made by `make` on first use.
    pub(crate) fn manual_timers<T: Timers>(&self, make: impl FnOnce() -> T) -> Option<Arc<T>> {
        let manual = self.manual.as_ref()?;
        let timers = manual.timers.get_or_init(|| Arc::new(make()));
        Arc::clone(timers).into_any().downcast::<T>().ok()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.manual {
            Some(manual) => f
                .debug_struct("Clock::Manual")
                .field(
                    "elapsed",
                    &Duration::from_nanos(manual.now.load(Ordering::Acquire)),
                )
                .finish(),
            None => f.write_str("Clock::System"),
        }
    }
}

/// A clock that moves only when told to: for tests and simulations.
///
/// It starts at the instant it was made and stands still until [`advance`](Self::advance).
/// Every engine built with its [`clock`](Self::clock) reads it; the timers of their
/// sessions run in `advance`, on the calling thread.
///
/// ```
/// use std::time::Duration;
/// use sessions_core::{Engine, ManualClock};
///
/// let clock = ManualClock::new();
/// let engine = Engine::builder()
///     .idle_timeout(Duration::from_secs(30 * 60))
///     .clock(clock.clock())
///     .build()?;
/// let session = engine.open()?;
///
/// clock.advance(Duration::from_secs(30 * 60));
/// assert_eq!(engine.expire_idle(), 0); // idle for exactly the timeout: not past it
/// clock.advance(Duration::from_nanos(1));
/// assert_eq!(engine.expire_idle(), 1);
/// assert!(!session.is_open());
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
#[derive(Clone)]
pub struct ManualClock {
    state: Arc<ManualState>,
}

struct ManualState {
    epoch: Instant,
    /// Nanoseconds from `epoch`; only `advance` moves it, forward.
    now: AtomicU64,
    /// Held by `advance`, so two advances do not interleave their timers.
    advancing: Mutex<()>,
    /// The timers of sessions under this clock, once one was started.
    timers: OnceLock<Arc<dyn Timers>>,
}

/// What keeps the timers of a manual clock (the timer module): run in
/// [`ManualClock::advance`].
pub(crate) trait Timers: Any + Send + Sync {
    /// Runs every timer due at or before `target`, earliest first, moving `clock` to each
    /// one's due time before it runs.
    fn run_until(&self, clock: &ManualClock, target: u64);

    /// `self` as `Any`, to get the concrete type back.
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}

impl ManualClock {
    /// The farthest a manual clock moves from where it started, about a century: an
    /// [`advance`](Self::advance) past it stops there, so every time the clock reads is an
    /// `Instant` the platform can hold.
    pub const MAX_ELAPSED: Duration = Duration::from_secs(100 * 365 * 24 * 60 * 60);

    /// A clock standing at the instant it is made.
    pub fn new() -> ManualClock {
        ManualClock {
            state: Arc::new(ManualState {
                epoch: Instant::now(),
                now: AtomicU64::new(0),
                advancing: Mutex::new(()),
                timers: OnceLock::new(),
            }),
        }
    }

    /// The [`Clock`] to give an engine
    /// ([`EngineBuilder::clock`](crate::EngineBuilder::clock)).
    pub fn clock(&self) -> Clock {
        Clock {
            manual: Some(Arc::clone(&self.state)),
        }
    }

    /// The time now, on this clock.
    pub fn now(&self) -> Instant {
        self.clock().now()
    }

    /// How far this clock has been advanced since it was made.
    pub fn elapsed(&self) -> Duration {
        Duration::from_nanos(self.state.now.load(Ordering::Acquire))
    }

    /// Moves the clock `by` forward (at most to [`MAX_ELAPSED`](Self::MAX_ELAPSED) from
    /// its start). Before it returns, every timer of a session under this
    /// clock that falls due by then has run, earliest first, on this thread, with the clock
    /// standing at its due time; a periodic timer runs once for each of its intervals that
    /// ends by then.
    ///
    /// Advances from several threads take turns. A timer's closure may advance its own
    /// clock: that advance runs, before it returns, the timers that fall due by its end,
    /// all but the one that called it, which is still running. (A closure that waits for
    /// another thread's advance of its clock waits for itself.)
    pub fn advance(&self, by: Duration) {
        // Within an advance of this clock on this thread (from a timer's closure), the turn
        // is ours already.
        let _turn = (!Advancing::here(&self.state)).then(|| lock(&self.state.advancing));
        let _advancing = Advancing::enter(&self.state);
        let by = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        let max = u64::try_from(Self::MAX_ELAPSED.as_nanos()).unwrap_or(u64::MAX);
        let target = self
            .state
            .now
            .load(Ordering::Acquire)
            .saturating_add(by)
            .min(max);
        if let Some(timers) = self.state.timers.get() {
            timers.run_until(self, target);
        }
        self.set(target);
    }

    /// Moves the clock to `nanos` from its epoch, if that is later than now.
    pub(crate) fn set(&self, nanos: u64) {
        self.state.now.fetch_max(nanos, Ordering::AcqRel);
    }

    /// `instant` in nanoseconds from this clock's epoch (0 before it).
    pub(crate) fn nanos_at(&self, instant: Instant) -> u64 {
        nanos_between(self.state.epoch, instant)
    }
}

impl Default for ManualClock {
    fn default() -> ManualClock {
        ManualClock::new()
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManualClock")
            .field("elapsed", &self.elapsed())
            .finish()
    }
}

thread_local! {
    /// The manual clocks this thread is advancing, innermost last.
    static ADVANCING: RefCell<Vec<*const ManualState>> = const { RefCell::new(Vec::new()) };
}

/// Marks a manual clock as advanced by this thread while it lives (unwinding too).
struct Advancing;

impl Advancing {
    /// Whether this thread is advancing `state`'s clock already.
    fn here(state: &Arc<ManualState>) -> bool {
        ADVANCING.with(|advancing| advancing.borrow().contains(&Arc::as_ptr(state)))
    }

    fn enter(state: &Arc<ManualState>) -> Advancing {
        ADVANCING.with(|advancing| advancing.borrow_mut().push(Arc::as_ptr(state)));
        Advancing
    }
}

impl Drop for Advancing {
    fn drop(&mut self) {
        ADVANCING.with(|advancing| advancing.borrow_mut().pop());
    }
}

/// The instant the system clock's nanoseconds count from: the first time it is read.
fn system_epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Nanoseconds from `from` to `to`, 0 when `to` is earlier, saturating after 584 years.
fn nanos_between(from: Instant, to: Instant) -> u64 {
    u64::try_from(to.saturating_duration_since(from).as_nanos()).unwrap_or(u64::MAX)
}
