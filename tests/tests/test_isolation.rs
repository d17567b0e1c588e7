//! Isolation under load: 8 threads share 64 sessions of one engine and call an exported
//! method that writes the id of the session it runs in into that session's state and reads
//! it back — through `Session::call`, through `methods().call` and by a direct Rust call
//! inside an entered session, through posted messages — while sessions are closed and
//! replaced and threads impersonate the root. Not one call may see another session's
//! context or state.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Mutex, PoisonError};
use std::thread;
use std::time::Instant;

use sessions_core::{
    current_id, export_method, methods, CallError, Engine, Session, SessionError, SessionId, Value,
};

const THREADS: usize = 8;
const SLOTS_PER_THREAD: usize = 8;
/// Each thread does exactly this many operations: the test is bounded by count, not by
/// the machine's speed.
const OPS_PER_THREAD: usize = 10_000;

/// Wrong reads seen inside the method: another session's context or state.
static CROSS_READS: AtomicUsize = AtomicUsize::new(0);

/// Per-session state, inserted by the `on_open` hook inside the new session's context.
struct Stamp {
    /// The session the hook saw as current when it inserted this.
    owner: SessionId,
    /// The id of the session the last call ran in, and that call's nonce.
    last: Mutex<(SessionId, u64)>,
}

/// Writes the current session's id into this session's state, yields, and reads it back;
/// returns the id it read (a wrong one is also counted in `CROSS_READS`).
#[export_method(name = "IsoStamp")]
fn iso_stamp(session: &Session, nonce: u64) -> Result<String, SessionError> {
    let current = current_id().ok_or(SessionError::NoContext)?;
    let Some(stamp) = session.get::<Stamp>() else {
        CROSS_READS.fetch_add(1, Ordering::SeqCst);
        return Ok("no stamp".into());
    };
    *stamp.last.lock().unwrap_or_else(PoisonError::into_inner) = (current, nonce);
    thread::yield_now();
    let (read, _) = *stamp.last.lock().unwrap_or_else(PoisonError::into_inner);
    // Concurrent calls in the same session may overwrite the nonce, never the id.
    if current != session.id() || stamp.owner != session.id() || read != session.id() {
        CROSS_READS.fetch_add(1, Ordering::SeqCst);
    }
    Ok(read.to_string())
}

/// The id of the session the call runs in.
#[export_method(name = "IsoWhoAmI", session = impersonate)]
fn iso_who_am_i() -> String {
    current_id().map(|id| id.to_string()).unwrap_or_default()
}

/// What the threads saw, added up.
#[derive(Default)]
struct Counts {
    ran: AtomicUsize,
    wrong: AtomicUsize,
    not_found: AtomicUsize,
    mismatch: AtomicUsize,
    replaced: AtomicUsize,
    delivered: AtomicUsize,
}

impl Counts {
    fn add(counter: &AtomicUsize) {
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// A small deterministic generator, one per thread.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn stamping_engine() -> Engine {
    Engine::builder()
        .on_open(|session| {
            session.insert(Stamp {
                owner: current_id().unwrap_or(SessionId::random()),
                last: Mutex::new((session.id(), 0)),
            });
        })
        .build()
        .expect("an unnamed engine is never refused")
}

/// The outcome of calling `IsoStamp` on `target`: its id, or `NotFound` when it was closed.
fn judge(
    counts: &Counts,
    target: &Session,
    result: Result<Result<String, String>, CallError>,
) -> Result<(), String> {
    match result {
        Ok(Ok(read)) => {
            Counts::add(&counts.ran);
            if read != target.id().to_string() {
                Counts::add(&counts.wrong);
                return Err(format!("called {} and read {read}", target.id()));
            }
        }
        Ok(Err(error)) => return Err(format!("IsoStamp failed: {error}")),
        Err(CallError::Session(SessionError::NotFound(id))) if id == target.id() => {
            Counts::add(&counts.not_found);
        }
        Err(CallError::Session(SessionError::Mismatch { .. })) => Counts::add(&counts.mismatch),
        Err(other) => return Err(format!("unexpected call error: {other}")),
    }
    Ok(())
}

/// An outcome as `Ok(value text)` or `Err(error)`.
fn text(outcome: sessions_core::CallOutcome) -> Result<String, String> {
    match outcome.error {
        None => Ok(outcome.value.as_str().unwrap_or_default().to_owned()),
        Some(error) => Err(error),
    }
}

fn worker(
    index: usize,
    engine: &Engine,
    slots: &[Mutex<Session>],
    counts: &Counts,
) -> Result<(), String> {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15 ^ ((index as u64 + 1) * 0x1234_5678_9abc_def1));
    let root = engine.root().id().to_string();
    // Handles of sessions this thread closed: calls on them must find them closed.
    let mut retired: Vec<Session> = Vec::new();
    for nonce in 0..OPS_PER_THREAD as u64 {
        let slot = &slots[rng.below(slots.len())];
        let target = slot.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let args = vec![Value::from(nonce)];
        match rng.below(10) {
            // Through `Session::call`, which enters the session first.
            0..=2 => {
                let result = target.call("IsoStamp", args).map(text);
                judge(counts, &target, result)?;
            }
            // Inside an entered session: the method table, then a direct Rust call.
            3 | 4 => match target.enter() {
                Ok(guard) => {
                    let by_table = methods().call("IsoStamp", args).map(text);
                    judge(counts, &target, by_table)?;
                    let direct = iso_stamp(&target, nonce).map_err(|e| e.to_string());
                    judge(counts, &target, Ok(direct))?;
                    drop(guard);
                }
                Err(SessionError::NotFound(_)) => Counts::add(&counts.not_found),
                Err(other) => return Err(format!("enter: {other}")),
            },
            // Impersonating the root: a user session cannot be called from there, and
            // what runs as root sees the root.
            5 => {
                let _root = engine.impersonate_root();
                let result = target.call("IsoStamp", args).map(text);
                match result {
                    Err(CallError::Session(SessionError::Mismatch { .. })) => {
                        Counts::add(&counts.mismatch);
                    }
                    Err(CallError::Session(SessionError::NotFound(_))) => {
                        Counts::add(&counts.not_found);
                    }
                    other => return Err(format!("a call from the root went through: {other:?}")),
                }
                let who = engine.call_as_root("IsoWhoAmI", vec![]).map(text);
                if who != Ok(Ok(root.clone())) {
                    Counts::add(&counts.wrong);
                    return Err(format!("call_as_root ran in {who:?}"));
                }
            }
            // A posted message runs in its target's context when dispatched.
            6 => {
                match engine.post(target.id(), "IsoStamp", args) {
                    Ok(()) | Err(SessionError::NotFound(_)) => {}
                    Err(other) => return Err(format!("post: {other}")),
                }
                let report = engine.dispatch();
                counts
                    .delivered
                    .fetch_add(report.delivered, Ordering::Relaxed);
                if report.failed > 0 {
                    return Err(format!("dispatch failed: {report:?}"));
                }
            }
            // Close the session and put a new one in its slot.
            7 => {
                let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
                match engine.close(slot.id()) {
                    Ok(()) | Err(SessionError::NotFound(_)) => {}
                    Err(other) => return Err(format!("close: {other}")),
                }
                let new = engine.open().map_err(|e| e.to_string())?;
                retired.push(std::mem::replace(&mut *slot, new));
                Counts::add(&counts.replaced);
            }
            // A call on a handle of a closed session: it must not run.
            _ => {
                let Some(closed) = retired.get(rng.below(retired.len().max(1))) else {
                    continue;
                };
                let result = closed.call("IsoStamp", args);
                if result != Err(CallError::Session(SessionError::NotFound(closed.id()))) {
                    return Err(format!("a closed session was called: {result:?}"));
                }
                Counts::add(&counts.not_found);
            }
        }
        if current_id().is_some() {
            return Err("an operation left a context behind".into());
        }
    }
    Ok(())
}

#[test]
fn eight_threads_never_see_another_sessions_context_or_state() {
    let engine = stamping_engine();
    let slots: Arc<Vec<Mutex<Session>>> = Arc::new(
        (0..THREADS * SLOTS_PER_THREAD)
            .map(|_| Mutex::new(engine.open().expect("open")))
            .collect(),
    );
    let counts = Arc::new(Counts::default());
    let start = Arc::new(Barrier::new(THREADS));
    let started = Instant::now();
    let handles: Vec<_> = (0..THREADS)
        .map(|index| {
            let (engine, slots, counts, start) = (
                engine.clone(),
                Arc::clone(&slots),
                Arc::clone(&counts),
                Arc::clone(&start),
            );
            thread::spawn(move || {
                start.wait();
                worker(index, &engine, &slots, &counts)
            })
        })
        .collect();
    for handle in handles {
        let result = handle.join().expect("a worker panicked");
        assert_eq!(result, Ok(()));
    }

    assert_eq!(CROSS_READS.load(Ordering::SeqCst), 0, "cross-session reads");
    assert_eq!(counts.wrong.load(Ordering::SeqCst), 0, "wrong ids returned");
    let ran = counts.ran.load(Ordering::SeqCst);
    let not_found = counts.not_found.load(Ordering::SeqCst);
    let mismatch = counts.mismatch.load(Ordering::SeqCst);
    let replaced = counts.replaced.load(Ordering::SeqCst);
    let delivered = counts.delivered.load(Ordering::SeqCst);
    eprintln!(
        "{ran} calls ran, {not_found} found their session closed, {mismatch} refused as a \
         mismatch, {replaced} sessions replaced, {delivered} messages delivered, in {:?}",
        started.elapsed()
    );
    // The load really mixed all of it.
    assert!(ran >= 10_000, "only {ran} calls ran");
    assert!(not_found > 0 && mismatch > 0 && replaced > 0 && delivered > 0);
    assert_eq!(engine.len(), THREADS * SLOTS_PER_THREAD);
    assert_eq!(current_id(), None);
}
