//! Timers that run in a session's context: Xojo's `WebTimer`.
//!
//! [`every`] and [`after`] run a closure in the current session's context, later or
//! repeatedly. Like a `WebTimer`, a timer belongs to a session: made where no session is
//! current, it is refused with [`SessionError::NoContext`] (use [`every_in`] / [`after_in`]
//! to name the session). A timer holds only a [`WeakSession`](crate::WeakSession): it does
//! not keep its session alive, never runs its closure once the session is closed, and drops
//! its closure at its first tick after the close.
//!
//! All timers share one background thread, named `sessions-timer`, started on first use,
//! which sleeps until the earliest deadline. So a closure that takes long delays every other
//! timer: for heavy work, start a thread from the closure with
//! [`thread::spawn`](crate::thread::spawn), which carries the session on.
//!
//! A timer follows the clock of its session's engine
//! ([`EngineBuilder::clock`](crate::EngineBuilder::clock)). Under a
//! [`ManualClock`](crate::ManualClock), for tests and simulations, no thread runs it:
//! [`ManualClock::advance`](crate::ManualClock::advance) does, on the calling thread, in
//! its session's context, once for each due time passed, earliest first, so when `advance`
//! returns everything due has run and nothing else has.
//!
//! A closure that panics is caught: the panic is logged with `tracing::error!` (with the
//! session id and the panic message) and the thread goes on serving the other timers; an
//! [`every`] timer keeps firing after a panic.
//!
//! ```
//! use std::sync::mpsc;
//! use std::time::Duration;
//! use sessions_core::{current_id, timer, Engine};
//!
//! let engine = Engine::new();
//! let session = engine.open()?;
//! let _guard = session.enter()?;
//!
//! let (tx, rx) = mpsc::channel();
//! let ticks = timer::every(Duration::from_millis(10), move || {
//!     let _ = tx.send(current_id());
//! })?;
//! assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(Some(session.id())));
//! drop(ticks); // cancels it
//! # Ok::<(), sessions_core::SessionError>(())
//! ```

mod scheduler;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use scheduler::{Job, Timer};

use crate::{current, Session, SessionError, SessionId};

/// The shortest interval of an [`every`] timer: shorter ones (zero included) are raised to
/// it, so that a timer cannot keep the timer thread spinning. The engine's dispatcher uses
/// the same floor.
pub use crate::engine::MIN_INTERVAL;

/// Runs `f` every `interval` in the current session's context, until the handle is
/// dropped or the session closes.
///
/// The first run is `interval` from now. If `f` (or another timer's closure) runs late, the
/// ticks missed are skipped, not made up. An `interval` below [`MIN_INTERVAL`] is raised to
/// it.
///
/// # Errors
/// [`SessionError::NoContext`] when no session is current; [`SessionError::NotFound`] when
/// the current session is closed already.
///
/// # Panics
/// When the operating system cannot start the timer thread (on first use).
pub fn every<F>(interval: Duration, f: F) -> Result<TimerHandle, SessionError>
where
    F: FnMut() + Send + 'static,
{
    every_in(&current().ok_or(SessionError::NoContext)?, interval, f)
}

/// Runs `f` every `interval` in `session`'s context; see [`every`].
///
/// # Errors
/// [`SessionError::NotFound`] when `session` is closed already.
///
/// # Panics
/// When the operating system cannot start the timer thread (on first use).
pub fn every_in<F>(session: &Session, interval: Duration, f: F) -> Result<TimerHandle, SessionError>
where
    F: FnMut() + Send + 'static,
{
    let interval = interval.max(MIN_INTERVAL);
    let job = Job::Every {
        f: Box::new(f),
        interval,
    };
    start(session, interval, job)
}

/// Runs `f` once, `delay` from now, in the current session's context, unless the handle
/// is dropped or the session is closed first.
///
/// ```
/// use std::sync::mpsc;
/// use std::time::Duration;
/// use sessions_core::{current_id, timer, Engine};
///
/// let engine = Engine::new();
/// let session = engine.open()?;
/// let _guard = session.enter()?;
///
/// let (tx, rx) = mpsc::channel();
/// let once = timer::after(Duration::from_millis(5), move || {
///     let _ = tx.send(current_id());
/// })?;
/// assert_eq!(rx.recv_timeout(Duration::from_secs(5)), Ok(Some(session.id())));
/// assert!(!once.is_active());
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
///
/// # Errors
/// [`SessionError::NoContext`] when no session is current; [`SessionError::NotFound`] when
/// the current session is closed already.
///
/// # Panics
/// When the operating system cannot start the timer thread (on first use).
pub fn after<F>(delay: Duration, f: F) -> Result<TimerHandle, SessionError>
where
    F: FnOnce() + Send + 'static,
{
    after_in(&current().ok_or(SessionError::NoContext)?, delay, f)
}

/// Runs `f` once, `delay` from now, in `session`'s context; see [`after`].
///
/// # Errors
/// [`SessionError::NotFound`] when `session` is closed already.
///
/// # Panics
/// When the operating system cannot start the timer thread (on first use).
pub fn after_in<F>(session: &Session, delay: Duration, f: F) -> Result<TimerHandle, SessionError>
where
    F: FnOnce() + Send + 'static,
{
    start(session, delay, Job::Once(Box::new(f)))
}

fn start(session: &Session, delay: Duration, job: Job) -> Result<TimerHandle, SessionError> {
    if !session.is_open() {
        return Err(SessionError::NotFound(session.id()));
    }
    let timer = scheduler::schedule(session.downgrade(), session.clock(), delay, job);
    Ok(TimerHandle {
        timer,
        detached: false,
    })
}

/// A running timer: dropping it cancels the timer.
///
/// Cancelling (by [`cancel`](TimerHandle::cancel) or by dropping the handle) drops the
/// closure at once, unless it is running: then it finishes this run, and is dropped right
/// after. A closure may cancel or drop its own timer's handle.
#[must_use = "dropping a TimerHandle cancels the timer: keep it, or call `detach`"]
pub struct TimerHandle {
    timer: Arc<Timer>,
    /// Set by `detach`: dropping the handle then leaves the timer running.
    detached: bool,
}

impl TimerHandle {
    /// Stops the timer; the same as dropping the handle.
    pub fn cancel(self) {
        drop(self);
    }

    /// Lets the timer run without a handle, until its session closes (or, for [`after`],
    /// until it has run).
    pub fn detach(mut self) {
        self.detached = true;
    }

    /// Whether the timer may still run its closure: not cancelled, not an [`after`] timer
    /// that has started its run, and its session still open.
    pub fn is_active(&self) -> bool {
        self.timer.is_scheduled() && self.timer.carrier.is_open()
    }

    /// The id of the session the timer runs in.
    pub fn session_id(&self) -> SessionId {
        self.timer.session
    }
}

impl Drop for TimerHandle {
    fn drop(&mut self) {
        if !self.detached {
            self.timer.cancel();
        }
    }
}

impl fmt::Debug for TimerHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TimerHandle")
            .field("timer", &self.timer.id)
            .field("session", &self.session_id())
            .field("active", &self.is_active())
            .finish()
    }
}
