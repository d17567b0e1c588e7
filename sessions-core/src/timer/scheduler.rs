//! The timer queues: a min-heap of deadlines per clock, and the rules for running a timer's
//! closure in its session. The system clock's queue is served by the one timer thread
//! (`sessions-timer`), which waits on a condition variable; a manual clock's queue is run by
//! `ManualClock::advance`, on the advancing thread.
//!
//! Locks: the heap's lock and each timer's job lock are held only to move things in and out,
//! never while a closure runs or is dropped, so a closure may create, cancel or drop any
//! timer handle, its own included.

use std::cmp::Ordering;
use std::collections::binary_heap::PeekMut;
use std::collections::BinaryHeap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering as AtomicOrdering};
use std::sync::{Arc, Condvar, Mutex, OnceLock, PoisonError, Weak};
use std::time::{Duration, Instant};

use crate::clock::{self, Clock, ManualClock};
use crate::engine::carrier::Carrier;
use crate::lock::lock;
use crate::panic::panic_message;
use crate::{SessionId, WeakSession};

/// The longest delay honoured: longer ones are clamped, so a deadline never overflows.
const MAX_DELAY: Duration = Duration::from_secs(30 * 365 * 24 * 60 * 60);
/// Cancelled timers left in the heap before it is compacted (if they are half of it).
const COMPACT_AFTER: usize = 64;

/// What a timer runs.
pub(super) enum Job {
    Once(Box<dyn FnOnce() + Send>),
    Every {
        f: Box<dyn FnMut() + Send>,
        interval: Duration,
    },
}

/// One timer, shared by its handle and the heap.
pub(super) struct Timer {
    pub(super) id: u64,
    /// Its session, held weakly: entered for each run, while it is open.
    pub(super) carrier: Carrier,
    /// The id of its session, for its handle and its log events.
    pub(super) session: SessionId,
    /// `false` once cancelled, finished, or found with its session closed.
    active: AtomicBool,
    /// `None` while the closure runs, and once the timer is over.
    job: Mutex<Option<Job>>,
    /// The queue it is in: its clock's. Weak, since the queue holds the timer: a manual
    /// clock dropped with timers still queued frees them.
    queue: Weak<Queue>,
}

impl Timer {
    /// Whether the timer may still run its closure (its session is not checked).
    pub(super) fn is_scheduled(&self) -> bool {
        self.active.load(AtomicOrdering::Acquire)
    }

    /// Stops the timer and drops its closure here, unless the closure is running: then the
    /// timer thread drops it when it returns.
    pub(super) fn cancel(&self) {
        let was_active = self.active.swap(false, AtomicOrdering::AcqRel);
        // Taken under the lock, dropped after it: the closure's destructor may use timers.
        let job = lock(&self.job).take();
        drop(job);
        if let (true, Some(queue)) = (was_active, self.queue.upgrade()) {
            queue.note_cancelled();
        }
    }

    /// Stops the timer from the thread that runs it, dropping its closure there.
    fn finish(&self) {
        self.active.store(false, AtomicOrdering::Release);
        let job = lock(&self.job).take();
        drop_quietly(self, job);
    }
}

/// A heap entry: `timer` is due at `at`; `seq` keeps timers due at the same instant in the
/// order they were scheduled.
struct Due {
    at: Instant,
    seq: u64,
    timer: Arc<Timer>,
}

impl PartialEq for Due {
    fn eq(&self, other: &Due) -> bool {
        (self.at, self.seq) == (other.at, other.seq)
    }
}

impl Eq for Due {}

impl PartialOrd for Due {
    fn partial_cmp(&self, other: &Due) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Due {
    /// Reversed, so that the max-heap `BinaryHeap` yields the earliest deadline first.
    fn cmp(&self, other: &Due) -> Ordering {
        (other.at, other.seq).cmp(&(self.at, self.seq))
    }
}

/// The timers of one clock, earliest first.
pub(super) struct Queue {
    state: Mutex<State>,
    /// Signalled when a timer is added, so the timer thread can wake up earlier than it
    /// planned (the system clock's queue only).
    wake: Condvar,
}

struct State {
    heap: BinaryHeap<Due>,
    next_seq: u64,
    /// Timers cancelled since the last compaction (most still sit in the heap).
    cancelled: usize,
    thread_running: bool,
}

impl State {
    fn push(&mut self, at: Instant, timer: Arc<Timer>) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.heap.push(Due { at, seq, timer });
    }
}

impl Queue {
    fn new() -> Queue {
        Queue {
            state: Mutex::new(State {
                heap: BinaryHeap::new(),
                next_seq: 0,
                cancelled: 0,
                thread_running: false,
            }),
            wake: Condvar::new(),
        }
    }

    /// Counts a cancellation; drops the cancelled entries from the heap once they are many.
    fn note_cancelled(&self) {
        let removed = {
            let mut state = lock(&self.state);
            state.cancelled += 1;
            if state.cancelled > COMPACT_AFTER && state.cancelled * 2 > state.heap.len() {
                state.cancelled = 0;
                let (keep, removed): (Vec<Due>, Vec<Due>) =
                    state.heap.drain().partition(|due| due.timer.is_scheduled());
                state.heap = BinaryHeap::from(keep);
                removed
            } else {
                Vec::new()
            }
        };
        drop(removed);
    }

    /// Takes the earliest timer off the heap if it is due by `by`.
    fn pop_due(&self, by: Instant) -> Option<Due> {
        let mut state = lock(&self.state);
        let due = match state.heap.peek_mut() {
            Some(due) if due.at <= by => Some(PeekMut::pop(due)),
            _ => None,
        };
        due
    }
}

/// The system clock's queue, served by the timer thread.
fn system_queue() -> &'static Arc<Queue> {
    static QUEUE: OnceLock<Arc<Queue>> = OnceLock::new();
    QUEUE.get_or_init(|| Arc::new(Queue::new()))
}

impl clock::Timers for Queue {
    fn run_until(&self, clock: &ManualClock, target: u64) {
        let target = clock.clock().instant(target);
        while let Some(due) = self.pop_due(target) {
            // The closure runs with the clock standing at its due time.
            clock.set(clock.nanos_at(due.at));
            if let Some(next) = fire(&due.timer, due.at, || due.at) {
                lock(&self.state).push(next, due.timer);
            }
        }
    }

    fn into_any(self: Arc<Self>) -> Arc<dyn std::any::Any + Send + Sync> {
        self
    }
}

/// Adds a timer that first runs `delay` from now on `clock`: in the system queue, starting
/// the timer thread if needed, or in the manual clock's queue.
///
/// Panics when the operating system cannot start the timer thread.
pub(super) fn schedule(
    session: WeakSession,
    clock: &Clock,
    delay: Duration,
    job: Job,
) -> Arc<Timer> {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let manual = clock.manual_timers(Queue::new);
    let queue = manual.clone().unwrap_or_else(|| Arc::clone(system_queue()));
    let timer = Arc::new(Timer {
        id: NEXT_ID.fetch_add(1, AtomicOrdering::Relaxed),
        session: session.id(),
        carrier: Carrier::Weak(session),
        active: AtomicBool::new(true),
        job: Mutex::new(Some(job)),
        queue: Arc::downgrade(&queue),
    });
    let mut state = lock(&queue.state);
    if manual.is_none() && !state.thread_running {
        std::thread::Builder::new()
            .name("sessions-timer".into())
            .spawn(|| serve(system_queue()))
            .unwrap_or_else(|error| panic!("failed to spawn the sessions-timer thread: {error}"));
        state.thread_running = true;
    }
    state.push(deadline(clock.now(), delay), Arc::clone(&timer));
    drop(state);
    queue.wake.notify_one();
    timer
}

fn deadline(from: Instant, delay: Duration) -> Instant {
    from.checked_add(delay.min(MAX_DELAY)).unwrap_or(from)
}

/// The timer thread's loop. If it ever ends (it does not, unless this module has a bug),
/// the next timer scheduled starts a new thread.
fn serve(scheduler: &'static Queue) {
    struct Stopped(&'static Queue);
    impl Drop for Stopped {
        fn drop(&mut self) {
            lock(&self.0.state).thread_running = false;
        }
    }
    let _stopped = Stopped(scheduler);
    loop {
        let due = next_due(scheduler);
        if let Some(next) = fire(&due.timer, due.at, Instant::now) {
            lock(&scheduler.state).push(next, due.timer);
        }
    }
}

/// Waits until the earliest timer is due, and takes it off the heap.
fn next_due(scheduler: &Queue) -> Due {
    let mut state = lock(&scheduler.state);
    loop {
        let now = Instant::now();
        let timeout = match state.heap.peek_mut() {
            Some(due) if due.at <= now => return PeekMut::pop(due),
            Some(due) => Some(due.at - now),
            None => None,
        };
        state = match timeout {
            Some(timeout) => {
                scheduler
                    .wake
                    .wait_timeout(state, timeout)
                    .unwrap_or_else(PoisonError::into_inner)
                    .0
            }
            None => scheduler
                .wake
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner),
        };
    }
}

/// Runs a due timer in its session; returns when it is due again, if it is. `now` reads the
/// clock once the closure ran (on a manual clock: the due time, which stands still).
fn fire(timer: &Timer, at: Instant, now: impl FnOnce() -> Instant) -> Option<Instant> {
    if !timer.is_scheduled() {
        return None;
    }
    // The carrier holds the timer's `Session` only while the closure runs.
    let ran = timer.carrier.run(|| {
        // `None`: cancelled since the check above.
        let job = lock(&timer.job).take()?;
        run(timer, job)
    });
    let Ok(kept) = ran else {
        // Its session is closed.
        timer.finish();
        return None;
    };
    let kept = kept?;
    let Job::Every { interval, .. } = &kept else {
        return None;
    };
    // Ticks missed while the thread was busy are skipped, not made up in a burst.
    let now = now();
    let next = Some(deadline(at, *interval))
        .filter(|next| *next > now)
        .unwrap_or_else(|| deadline(now, *interval));
    let mut slot = lock(&timer.job);
    if timer.is_scheduled() {
        *slot = Some(kept);
        Some(next)
    } else {
        // Cancelled while it ran (by its own closure, perhaps).
        drop(slot);
        drop_quietly(timer, Some(kept));
        None
    }
}

/// Calls the closure, catching and logging a panic; gives back an `every` closure.
fn run(timer: &Timer, job: Job) -> Option<Job> {
    match job {
        Job::Once(f) => {
            timer.active.store(false, AtomicOrdering::Release);
            if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
                log_panic(timer, "closure", payload.as_ref());
            }
            None
        }
        Job::Every { mut f, interval } => {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(&mut f)) {
                log_panic(timer, "closure", payload.as_ref());
            }
            Some(Job::Every { f, interval })
        }
    }
}

/// Drops a closure on the timer thread, where a panicking destructor must not end the loop.
fn drop_quietly(timer: &Timer, job: Option<Job>) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(move || drop(job))) {
        log_panic(timer, "closure's destructor", payload.as_ref());
    }
}

fn log_panic(timer: &Timer, what: &str, payload: &(dyn std::any::Any + Send)) {
    let session = timer.session;
    tracing::error!(
        session = %session,
        timer = timer.id,
        "a timer's {what} panicked in session {session}: {}",
        panic_message(payload)
    );
}
