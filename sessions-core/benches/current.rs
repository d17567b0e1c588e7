//! Group 1: looking up the current session, against the peers a user would pick instead.
//!
//! With one session current, at 1, 10,000 and 1,000,000 open sessions in the engine (and as
//! many entries in the naive map), measures:
//! - ours: `current_id()`, `current()`, `with_current(|s| s.map(|s| s.id()))`;
//! - the limit: a `const` `thread_local!` `Cell` read;
//! - `tokio::task_local!` `try_with`, inside `sync_scope`;
//! - `scoped-tls` `with`, inside `set`;
//! - the naive port: a global `Mutex<HashMap<ThreadId, SessionId>>` looked up by
//!   `thread::current().id()`.
//!
//! Each population is built once and shared by every measurement at that size.
//!
//! Run: `cargo bench -p sessions-core --bench current`.

use std::cell::Cell;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, LazyLock, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use sessions_core::{current, current_id, with_current, Engine, Session, SessionId};

/// Open sessions (and naive-map entries) at which every lookup is measured.
const POPULATIONS: [usize; 3] = [1, 10_000, 1_000_000];

thread_local! {
    /// The limit: what a lookup costs when it is one thread-local read.
    static CELL: Cell<Option<SessionId>> = const { Cell::new(None) };
}

tokio::task_local! {
    /// tokio's context-carrying local, set with `sync_scope`.
    static TASK_LOCAL: SessionId;
}

scoped_tls::scoped_thread_local!(
    /// scoped-tls: a thread-local pointer to a value borrowed for a scope.
    static SCOPED: SessionId
);

/// The naive port of "the session of this thread": one global map behind one mutex.
static NAIVE: LazyLock<Mutex<HashMap<ThreadId, SessionId>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

/// `count` distinct `ThreadId`s, of short-lived threads (a `ThreadId` cannot be made any
/// other way), so the naive map holds real keys hashed as the port would hash them.
fn thread_ids(count: usize) -> Vec<ThreadId> {
    let spawners = 2;
    let handles: Vec<_> = (0..spawners)
        .map(|part| {
            let share = count / spawners + usize::from(part < count % spawners);
            thread::spawn(move || {
                (0..share)
                    .map(|_| {
                        thread::Builder::new()
                            .stack_size(16 * 1024)
                            .spawn(|| thread::current().id())
                            .expect("spawn a thread for its ThreadId")
                            .join()
                            .expect("the thread returns its id")
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    handles
        .into_iter()
        .flat_map(|handle| handle.join().expect("spawner thread"))
        .collect()
}

/// An engine with `count` open sessions; the last one is returned to be entered.
fn engine_with(count: usize) -> (Engine, Session) {
    let engine = Engine::new();
    for _ in 1..count {
        engine.open().expect("no session limit is set");
    }
    let session = engine.open().expect("no session limit is set");
    (engine, session)
}

fn naive_lookup() -> Option<SessionId> {
    NAIVE
        .lock()
        .expect("the naive map's mutex is never poisoned")
        .get(&thread::current().id())
        .copied()
}

fn bench_current(c: &mut Criterion) {
    // Built once: the 1M-entry naive map needs 1M real ThreadIds.
    let filler = Arc::new(thread_ids(POPULATIONS[POPULATIONS.len() - 1] - 1));
    let mut group = c.benchmark_group("current_session");
    for population in POPULATIONS {
        let (engine, session) = engine_with(population);
        assert_eq!(engine.len(), population);
        {
            let mut naive = NAIVE.lock().expect("naive map");
            naive.clear();
            naive.shrink_to_fit();
            naive.extend(
                filler[..population - 1]
                    .iter()
                    .map(|id| (*id, SessionId::random())),
            );
            naive.insert(thread::current().id(), session.id());
            assert_eq!(naive.len(), population);
        }
        let id = session.id();
        let _guard = session.enter().expect("nothing else is current");
        CELL.with(|cell| cell.set(Some(id)));

        group.bench_function(BenchmarkId::new("current_id", population), |b| {
            b.iter(current_id)
        });
        group.bench_function(BenchmarkId::new("current", population), |b| b.iter(current));
        group.bench_function(BenchmarkId::new("with_current", population), |b| {
            b.iter(|| with_current(|s| s.map(Session::id)))
        });
        group.bench_function(BenchmarkId::new("thread_local_cell", population), |b| {
            b.iter(|| CELL.with(Cell::get))
        });
        group.bench_function(BenchmarkId::new("tokio_task_local", population), |b| {
            TASK_LOCAL.sync_scope(id, || b.iter(|| TASK_LOCAL.try_with(|id| *id).ok()))
        });
        group.bench_function(BenchmarkId::new("scoped_tls", population), |b| {
            SCOPED.set(&id, || b.iter(|| SCOPED.with(|id| *id)))
        });
        group.bench_function(BenchmarkId::new("naive_mutex_map", population), |b| {
            b.iter(naive_lookup)
        });

        // Every lookup above saw the session that was current.
        assert_eq!(black_box(current_id()), Some(id));
        assert_eq!(naive_lookup(), Some(id));
        CELL.with(|cell| cell.set(None));
    }
    group.finish();
    let mut naive = NAIVE.lock().expect("naive map");
    naive.clear();
    naive.shrink_to_fit();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(60)
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_current
}
criterion_main!(benches);
