//! A background thread that dispatches an engine's messages and expires its idle sessions.

use std::fmt;
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use super::messages::DispatchReport;
use super::{Engine, EngineShared};
use crate::lock::lock;

/// The shortest interval between two rounds of a background loop, a dispatcher's or a
/// timer's: shorter intervals (zero included) are raised to it, so that no loop spins.
pub const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// A running background dispatcher, from [`Engine::spawn_dispatcher`]. Dropping it (or
/// [`stop`](Dispatcher::stop)) stops the thread after the round it is in.
#[must_use = "the dispatcher stops when this handle is dropped"]
pub struct Dispatcher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

#[derive(Default)]
struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    stop: bool,
    totals: DispatchReport,
    expired: usize,
    rounds: u64,
}

impl Engine {
    /// Starts a thread that calls [`dispatch`](Engine::dispatch) every `interval` (at least
    /// 1 ms), and [`expire_idle`](Engine::expire_idle) too when the engine has an
    /// `idle_timeout`. This is the `Timer` on Xojo's `App` that drains the push queue.
    ///
    /// The thread does not keep the engine alive: it ends by itself once every other handle
    /// to the engine is dropped.
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions_core::Engine;
    ///
    /// let engine = Engine::new();
    /// let dispatcher = engine.spawn_dispatcher(Duration::from_millis(10));
    /// // … post messages; they are delivered within about 10 ms …
    /// let totals = dispatcher.stop();
    /// assert_eq!(totals.total(), 0);
    /// ```
    ///
    /// # Panics
    /// Panics if the operating system cannot start a thread, as `std::thread::spawn` does.
    pub fn spawn_dispatcher(&self, interval: Duration) -> Dispatcher {
        let shared = Arc::new(Shared::default());
        let engine = self.downgrade();
        let interval = interval.max(MIN_INTERVAL);
        let thread_shared = shared.clone();
        let thread = thread::Builder::new()
            .name("sessions-dispatcher".into())
            .spawn(move || run(&engine, interval, &thread_shared))
            .unwrap_or_else(|err| panic!("cannot start the dispatcher thread: {err}"));
        Dispatcher {
            shared,
            thread: Some(thread),
        }
    }
}

fn run(engine: &Weak<EngineShared>, interval: Duration, shared: &Shared) {
    loop {
        {
            let state = lock(&shared.state);
            let (state, _) = shared
                .wake
                .wait_timeout_while(state, interval, |state| !state.stop)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if state.stop {
                return;
            }
        }
        // Hold the engine only for the round, never while waiting.
        let Some(engine) = engine.upgrade().map(Engine::from_shared) else {
            return;
        };
        let report = engine.dispatch();
        let expired = match engine.idle_timeout() {
            Some(_) => engine.expire_idle(),
            None => 0,
        };
        drop(engine);
        let mut state = lock(&shared.state);
        state.totals.add(report);
        state.expired += expired;
        state.rounds += 1;
    }
}

impl Dispatcher {
    /// What every round so far delivered, failed and could not deliver, added up.
    pub fn totals(&self) -> DispatchReport {
        lock(&self.shared.state).totals
    }

    /// How many idle sessions the dispatcher has closed.
    pub fn expired(&self) -> usize {
        lock(&self.shared.state).expired
    }

    /// How many rounds the dispatcher has finished.
    pub fn rounds(&self) -> u64 {
        lock(&self.shared.state).rounds
    }

    /// Whether the thread has ended: stopped, or ended by itself because every other handle
    /// to its engine was dropped. No round runs after this is `true`.
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// Stops the thread, waits for the round it is in to finish, and returns the totals.
    pub fn stop(mut self) -> DispatchReport {
        self.shut_down();
        self.totals()
    }

    fn shut_down(&mut self) {
        lock(&self.shared.state).stop = true;
        self.shared.wake.notify_all();
        if let Some(thread) = self.thread.take() {
            // A dispatched method that drops its own dispatcher must not wait for itself.
            if thread.thread().id() != thread::current().id() {
                // The thread catches nothing itself, but every method call it makes is
                // caught by the method table: a join error would be a bug in this crate.
                let _ = thread.join();
            }
        }
    }
}

impl Drop for Dispatcher {
    fn drop(&mut self) {
        self.shut_down();
    }
}

impl fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = lock(&self.shared.state);
        f.debug_struct("Dispatcher")
            .field("running", &!state.stop)
            .field("rounds", &state.rounds)
            .field("totals", &state.totals)
            .field("expired", &state.expired)
            .finish()
    }
}
