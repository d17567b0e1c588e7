//! Throttling of failed log-ins, per user name and per peer: any account store, and any
//! host (the web's `session.login`, OPC UA's username tokens), can use one.
//!
//! The rule: after [`max_failures`](ThrottleBuilder::max_failures) (5) failures within
//! [`window`](ThrottleBuilder::window) (a minute) for one name or from one peer, attempts
//! for that name or from that peer are refused for a back-off
//! ([`backoff`](ThrottleBuilder::backoff), 5 s first), and each further failure after a
//! back-off doubles it, up to 15 minutes. A quiet window after the last back-off and the
//! last failure forgives all. A successful log-in forgives its name at once, but not its peer
//! (else an attacker with one account of their own could clear their peer's count between
//! guesses at others).
//!
//! Attempts being checked at once for one name or from one peer are capped
//! ([`max_in_flight`](ThrottleBuilder::max_in_flight), 32; one at a time after a back-off),
//! so that a burst of attempts sent at once gets at most that many guesses past the limit.
//! The cap is well above what people log in with at once, even many behind one address.
//!
//! Memory is bounded: the table holds at most [`capacity`](ThrottleBuilder::capacity)
//! entries of a fixed size (names and peers are kept as 64-bit keyed hashes, never as
//! text); when it is full, forgiven entries go first, then those that ended longest ago.
//!
//! Per-name throttling lets anyone who knows a name keep that name locked out by failing on
//! purpose; that is its known price, bounded by the back-off's cap.

use std::collections::HashMap;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::auth::AuthError;
use crate::lock::lock;
use crate::Clock;

/// The table of failed log-in attempts, by user name and by peer. Cheap to clone: clones
/// share one table.
///
/// ```
/// use std::time::Duration;
/// use sessions_core::auth::{AuthError, Throttle};
/// use sessions_core::ManualClock;
///
/// let clock = ManualClock::new();
/// let throttle = Throttle::builder().clock(clock.clock()).build();
/// for _ in 0..5 {
///     throttle.begin("alice", Some("10.0.0.9"))?.failed();
/// }
/// let Err(AuthError::Throttled { retry_after }) = throttle.begin("alice", None) else {
///     panic!("the sixth attempt is refused");
/// };
/// assert_eq!(retry_after, Duration::from_secs(5));
/// clock.advance(retry_after);
/// throttle.begin("alice", None)?.succeeded();
/// # Ok::<(), AuthError>(())
/// ```
#[derive(Clone, Debug)]
pub struct Throttle {
    shared: Arc<Shared>,
}

/// Settings of a [`Throttle`]; from [`Throttle::builder`].
#[derive(Clone, Debug)]
pub struct ThrottleBuilder {
    clock: Clock,
    max_failures: u32,
    max_in_flight: u32,
    window: Duration,
    backoff: Duration,
    max_backoff: Duration,
    capacity: usize,
}

#[derive(Debug)]
struct Shared {
    clock: Clock,
    max_failures: u32,
    max_in_flight: u32,
    window: u64,
    backoff: u64,
    max_backoff: u64,
    capacity: usize,
    keys: RandomState,
    table: Mutex<HashMap<u64, Entry>>,
}

/// What the table knows of one name or peer. Times in nanoseconds of the throttle's clock.
#[derive(Clone, Copy, Debug, Default)]
struct Entry {
    /// When the current window of failures started.
    window_start: u64,
    /// Failures in the current window.
    failures: u32,
    /// Attempts begun and not yet ended.
    in_flight: u32,
    /// Back-offs so far: the next one lasts `backoff · 2^strikes`.
    strikes: u32,
    /// The end of the current back-off (0: none yet).
    locked_until: u64,
    /// The last failure.
    last_failure: u64,
}

/// An attempt let through by [`Throttle::begin`]: end it with [`failed`](Self::failed) or
/// [`succeeded`](Self::succeeded). Dropped without either (the store could not answer), it
/// counts as neither.
#[must_use = "an attempt counts as a failure only when `failed` is called"]
#[derive(Debug)]
pub struct Attempt<'a> {
    throttle: &'a Throttle,
    name: u64,
    peer: Option<u64>,
    ended: bool,
}

impl Throttle {
    /// The settings, with the defaults: the system clock, 5 failures within 60 s, a first
    /// back-off of 5 s doubling to at most 15 minutes, 32 attempts at once, 10 000 entries.
    pub fn builder() -> ThrottleBuilder {
        ThrottleBuilder {
            clock: Clock::system(),
            max_failures: 5,
            max_in_flight: 32,
            window: Duration::from_secs(60),
            backoff: Duration::from_secs(5),
            max_backoff: Duration::from_secs(15 * 60),
            capacity: 10_000,
        }
    }

    /// Lets an attempt to log in as `name`, from `peer` (the client's address, or whatever a
    /// host knows a client by), through, or refuses it with [`AuthError::Throttled`] while
    /// the name or the peer is backing off. Check the password only when it is let through.
    pub fn begin(&self, name: &str, peer: Option<&str>) -> Result<Attempt<'_>, AuthError> {
        let shared = &*self.shared;
        let name = shared.key(0, name);
        let peer = peer.map(|peer| shared.key(1, peer));
        let now = shared.clock.nanos();
        let mut table = lock(&shared.table);
        let wait = [Some(name), peer]
            .into_iter()
            .flatten()
            .filter_map(|key| shared.refused(table.get_mut(&key)?, now))
            .max();
        if let Some(wait) = wait {
            return Err(AuthError::Throttled {
                retry_after: Duration::from_nanos(wait),
            });
        }
        for key in [Some(name), peer].into_iter().flatten() {
            shared.entry(&mut table, key, now).in_flight += 1;
        }
        Ok(Attempt {
            throttle: self,
            name,
            peer,
            ended: false,
        })
    }

    /// How many names and peers the table holds (at most the capacity).
    pub fn len(&self) -> usize {
        lock(&self.shared.table).len()
    }

    /// Whether the table holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn end(&self, name: u64, peer: Option<u64>, outcome: Option<bool>) {
        let shared = &*self.shared;
        let now = shared.clock.nanos();
        let mut table = lock(&shared.table);
        for (key, is_name) in [(Some(name), true), (peer, false)] {
            let Some(key) = key else { continue };
            let Some(entry) = table.get_mut(&key) else {
                continue;
            };
            entry.in_flight = entry.in_flight.saturating_sub(1);
            match outcome {
                Some(false) => shared.fail(entry, now),
                Some(true) if is_name => {
                    *entry = Entry {
                        in_flight: entry.in_flight,
                        ..Entry::default()
                    }
                }
                _ => {}
            }
            if shared.forgiven(entry, now) {
                table.remove(&key);
            }
        }
    }
}

impl Default for Throttle {
    fn default() -> Throttle {
        Throttle::builder().build()
    }
}

impl ThrottleBuilder {
    /// The clock that times windows and back-offs (default: the system's). Tests give a
    /// [`ManualClock`](crate::ManualClock)'s.
    pub fn clock(mut self, clock: Clock) -> ThrottleBuilder {
        self.clock = clock;
        self
    }

    /// How many failures within a window start a back-off (default 5; at least 1).
    pub fn max_failures(mut self, failures: u32) -> ThrottleBuilder {
        self.max_failures = failures.max(1);
        self
    }

    /// How many attempts for one name or from one peer may be checked at once (default 32;
    /// at least 1). After a back-off, one at a time.
    pub fn max_in_flight(mut self, attempts: u32) -> ThrottleBuilder {
        self.max_in_flight = attempts.max(1);
        self
    }

    /// The window in which failures count together (default 60 s), and the quiet time after
    /// which a name or peer is forgiven.
    pub fn window(mut self, window: Duration) -> ThrottleBuilder {
        self.window = window;
        self
    }

    /// The first back-off (default 5 s) and its cap (default 15 minutes): each failure after
    /// a back-off doubles it.
    pub fn backoff(mut self, first: Duration, max: Duration) -> ThrottleBuilder {
        self.backoff = first;
        self.max_backoff = max.max(first);
        self
    }

    /// The most names and peers the table holds (default 10 000; at least 2).
    pub fn capacity(mut self, capacity: usize) -> ThrottleBuilder {
        self.capacity = capacity.max(2);
        self
    }

    /// The throttle, with an empty table.
    pub fn build(self) -> Throttle {
        Throttle {
            shared: Arc::new(Shared {
                clock: self.clock,
                max_failures: self.max_failures,
                max_in_flight: self.max_in_flight,
                window: nanos(self.window),
                backoff: nanos(self.backoff),
                max_backoff: nanos(self.max_backoff),
                capacity: self.capacity,
                keys: RandomState::new(),
                table: Mutex::new(HashMap::new()),
            }),
        }
    }
}

impl Shared {
    /// The table's key of a name (`kind` 0) or a peer (1).
    fn key(&self, kind: u8, text: &str) -> u64 {
        self.keys.hash_one((kind, text))
    }

    /// How long `entry` refuses attempts from `now`, if it does.
    fn refused(&self, entry: &mut Entry, now: u64) -> Option<u64> {
        self.refresh(entry, now);
        if entry.locked_until > now {
            return Some(entry.locked_until - now);
        }
        // Too many under way (after a back-off, the next failure starts another: one at a
        // time): refused for about as long as a check takes.
        let cap = if entry.strikes > 0 {
            1
        } else {
            self.max_in_flight
        };
        (entry.in_flight >= cap).then_some(IN_FLIGHT_WAIT)
    }

    /// Starts a new window when the last one is over, and forgets all after a quiet window.
    fn refresh(&self, entry: &mut Entry, now: u64) {
        if self.forgiven(entry, now) {
            *entry = Entry {
                window_start: now,
                ..Entry::default()
            };
        } else if entry.strikes == 0 && now.saturating_sub(entry.window_start) > self.window {
            entry.window_start = now;
            entry.failures = 0;
        }
    }

    /// Whether `entry` is over: nothing under way, and a quiet window since its last failure
    /// and the end of its last back-off.
    fn forgiven(&self, entry: &Entry, now: u64) -> bool {
        let quiet_since = entry.last_failure.max(entry.locked_until);
        entry.in_flight == 0
            && (entry.failures == 0 && entry.strikes == 0
                || now >= quiet_since.saturating_add(self.window))
    }

    /// Counts a failure at `now`, and starts a back-off at the limit, or at once after one.
    fn fail(&self, entry: &mut Entry, now: u64) {
        self.refresh(entry, now);
        entry.failures += 1;
        entry.last_failure = now;
        if entry.strikes > 0 || entry.failures >= self.max_failures {
            let backoff = self
                .backoff
                .saturating_mul(1u64.checked_shl(entry.strikes).unwrap_or(u64::MAX))
                .min(self.max_backoff);
            entry.locked_until = now.saturating_add(backoff);
            entry.strikes = entry.strikes.saturating_add(1);
        }
    }

    /// `key`'s entry, made if it is new, in a table kept within its capacity.
    fn entry<'t>(&self, table: &'t mut HashMap<u64, Entry>, key: u64, now: u64) -> &'t mut Entry {
        if !table.contains_key(&key) && table.len() >= self.capacity {
            table.retain(|_, entry| !self.forgiven(entry, now));
            if table.len() >= self.capacity {
                // Full of live entries: the one whose last event is oldest goes.
                let oldest = table
                    .iter()
                    .filter(|(_, entry)| entry.in_flight == 0)
                    .min_by_key(|(_, entry)| entry.last_failure.max(entry.locked_until))
                    .map(|(key, _)| *key);
                if let Some(oldest) = oldest {
                    table.remove(&oldest);
                }
            }
        }
        table.entry(key).or_insert(Entry {
            window_start: now,
            ..Entry::default()
        })
    }
}

impl Attempt<'_> {
    /// The password was wrong (or the name unknown): counts a failure for the name and the
    /// peer.
    pub fn failed(mut self) {
        self.ended = true;
        self.throttle.end(self.name, self.peer, Some(false));
    }

    /// The password was right: forgives the name (not the peer).
    pub fn succeeded(mut self) {
        self.ended = true;
        self.throttle.end(self.name, self.peer, Some(true));
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.throttle.end(self.name, self.peer, None);
        }
    }
}

/// How long an attempt refused because of others under way waits: about one check's time.
const IN_FLIGHT_WAIT: u64 = 1_000_000_000;

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ManualClock;

    fn throttle(clock: &ManualClock) -> Throttle {
        Throttle::builder().clock(clock.clock()).build()
    }

    fn retry_after(result: Result<Attempt<'_>, AuthError>) -> Duration {
        match result {
            Err(AuthError::Throttled { retry_after }) => retry_after,
            other => panic!("expected Throttled, got {other:?}"),
        }
    }

    fn fail(throttle: &Throttle, name: &str, peer: Option<&str>) {
        throttle.begin(name, peer).expect("let through").failed();
    }

    #[test]
    fn five_failures_in_a_minute_start_a_backoff_that_doubles_up_to_its_cap() {
        let clock = ManualClock::new();
        let throttle = Throttle::builder()
            .clock(clock.clock())
            .backoff(Duration::from_secs(5), Duration::from_secs(60))
            .build();
        for _ in 0..4 {
            fail(&throttle, "alice", None);
            clock.advance(Duration::from_secs(10));
        }
        fail(&throttle, "alice", None);
        assert_eq!(
            retry_after(throttle.begin("alice", None)),
            Duration::from_secs(5)
        );
        clock.advance(Duration::from_secs(2));
        assert_eq!(
            retry_after(throttle.begin("alice", None)),
            Duration::from_secs(3)
        );
        let mut expected = Vec::new();
        let mut seen = Vec::new();
        for backoff in [10, 20, 40, 60, 60] {
            clock.advance(retry_after(throttle.begin("alice", None)));
            fail(&throttle, "alice", None);
            expected.push(Duration::from_secs(backoff));
            seen.push(retry_after(throttle.begin("alice", None)));
        }
        assert_eq!(seen, expected);
        // Other names are not concerned.
        throttle
            .begin("bob", None)
            .expect("bob is let through")
            .succeeded();
    }

    #[test]
    fn failures_spread_over_more_than_a_minute_are_not_throttled() {
        let clock = ManualClock::new();
        let throttle = throttle(&clock);
        for _ in 0..20 {
            fail(&throttle, "alice", None);
            clock.advance(Duration::from_secs(16));
        }
        throttle
            .begin("alice", None)
            .expect("let through")
            .succeeded();
    }

    #[test]
    fn a_quiet_window_after_the_backoff_forgives_all() {
        let clock = ManualClock::new();
        let throttle = throttle(&clock);
        for _ in 0..5 {
            fail(&throttle, "alice", None);
        }
        clock.advance(Duration::from_secs(5 + 60));
        for _ in 0..4 {
            fail(&throttle, "alice", None);
        }
        throttle
            .begin("alice", None)
            .expect("the fifth is let through")
            .failed();
        assert_eq!(
            retry_after(throttle.begin("alice", None)),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn a_success_forgives_the_name_but_not_the_peer() {
        let clock = ManualClock::new();
        let throttle = throttle(&clock);
        for _ in 0..4 {
            fail(&throttle, "alice", Some("p"));
        }
        throttle
            .begin("alice", Some("q"))
            .expect("through")
            .succeeded();
        for _ in 0..4 {
            fail(&throttle, "alice", Some("q"));
        }
        throttle
            .begin("alice", Some("p"))
            .expect("through")
            .succeeded();
        // The peer "p" has failed 4 times, then succeeded: one more failure locks it.
        fail(&throttle, "mallory", Some("p"));
        assert_eq!(
            retry_after(throttle.begin("carol", Some("p"))),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn one_peer_is_throttled_across_names() {
        let clock = ManualClock::new();
        let throttle = throttle(&clock);
        for name in ["a", "b", "c", "d", "e"] {
            fail(&throttle, name, Some("10.0.0.9"));
        }
        assert_eq!(
            retry_after(throttle.begin("f", Some("10.0.0.9"))),
            Duration::from_secs(5)
        );
        throttle
            .begin("f", Some("10.0.0.10"))
            .expect("another peer")
            .succeeded();
        throttle
            .begin("a", None)
            .expect("a name failed once")
            .succeeded();
    }

    #[test]
    fn attempts_under_way_are_capped() {
        let clock = ManualClock::new();
        let throttle = Throttle::builder()
            .clock(clock.clock())
            .max_in_flight(5)
            .build();
        let attempts: Vec<_> = (0..5)
            .map(|_| throttle.begin("alice", None).expect("within the limit"))
            .collect();
        assert!(matches!(
            throttle.begin("alice", None),
            Err(AuthError::Throttled { .. })
        ));
        drop(attempts); // ended without an answer: not failures
        throttle
            .begin("alice", None)
            .expect("nothing counted")
            .failed();
        // After a back-off, one at a time.
        for _ in 0..4 {
            fail(&throttle, "alice", None);
        }
        clock.advance(Duration::from_secs(5));
        let first = throttle.begin("alice", None).expect("the back-off is over");
        assert!(matches!(
            throttle.begin("alice", None),
            Err(AuthError::Throttled { .. })
        ));
        first.succeeded();
        throttle.begin("alice", None).expect("forgiven").succeeded();
    }

    #[test]
    fn the_table_stays_within_its_capacity() {
        let clock = ManualClock::new();
        let throttle = Throttle::builder()
            .clock(clock.clock())
            .capacity(100)
            .build();
        for i in 0..1000 {
            fail(&throttle, &format!("user{i}"), Some(&format!("peer{i}")));
            assert!(throttle.len() <= 100, "{} entries", throttle.len());
        }
        // Successes leave nothing behind for their name.
        let empty = Throttle::builder().clock(clock.clock()).build();
        empty.begin("alice", None).expect("through").succeeded();
        assert!(empty.is_empty());
        clock.advance(Duration::from_secs(61));
        fail(&throttle, "late", None);
        assert!(throttle.len() <= 100);
    }
}
