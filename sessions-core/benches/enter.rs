//! Group 2: making a session current and restoring the previous context, against the peers'
//! set/restore.
//!
//! Measures, from a thread where no session is current:
//! - ours: `Session::enter` + drop of the guard, `Engine::impersonate_root` + drop, and
//!   `Engine::enter(id)` + drop (which also looks the id up in the registry);
//! - the limit: a `const` `thread_local!` `Cell` set + restore;
//! - `tokio::task_local!` `sync_scope`;
//! - `scoped-tls` `set`;
//! - the naive port: insert into and remove from a global `Mutex<HashMap<ThreadId, SessionId>>`.
//!
//! Run: `cargo bench -p sessions-core --bench enter`.

use std::cell::Cell;
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{LazyLock, Mutex};
use std::thread::{self, ThreadId};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use sessions_core::{current_id, Engine, SessionId};

thread_local! {
    /// The limit: a context that is one thread-local value.
    static CELL: Cell<Option<SessionId>> = const { Cell::new(None) };
}

tokio::task_local! {
    /// tokio's context-carrying local.
    static TASK_LOCAL: SessionId;
}

scoped_tls::scoped_thread_local!(
    /// scoped-tls: a thread-local pointer to a value borrowed for a scope.
    static SCOPED: SessionId
);

/// The naive port: one global map from thread to session behind one mutex.
static NAIVE: LazyLock<Mutex<HashMap<ThreadId, SessionId>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn bench_enter(c: &mut Criterion) {
    let engine = Engine::new();
    let session = engine.open().expect("no session limit is set");
    let id = session.id();
    assert_eq!(current_id(), None);

    let mut group = c.benchmark_group("enter_leave");
    group.bench_function("session_enter", |b| {
        b.iter(|| {
            let guard = black_box(&session)
                .enter()
                .expect("nothing else is current");
            drop(black_box(guard));
        })
    });
    group.bench_function("impersonate_root", |b| {
        b.iter(|| drop(black_box(black_box(&engine).impersonate_root())))
    });
    group.bench_function("engine_enter_by_id", |b| {
        b.iter(|| {
            let guard = black_box(&engine)
                .enter(black_box(id))
                .expect("open session");
            drop(black_box(guard));
        })
    });
    group.bench_function("thread_local_cell", |b| {
        b.iter(|| {
            let previous = CELL.replace(Some(black_box(id)));
            black_box(CELL.get());
            CELL.set(previous);
        })
    });
    group.bench_function("tokio_task_local", |b| {
        b.iter(|| TASK_LOCAL.sync_scope(black_box(id), || black_box(())))
    });
    group.bench_function("scoped_tls", |b| {
        b.iter(|| SCOPED.set(black_box(&id), || black_box(())))
    });
    group.bench_function("naive_mutex_map", |b| {
        b.iter(|| {
            let thread = thread::current().id();
            let previous = NAIVE
                .lock()
                .expect("naive map")
                .insert(thread, black_box(id));
            black_box(previous);
            NAIVE.lock().expect("naive map").remove(&thread);
        })
    });
    group.finish();
    assert_eq!(current_id(), None, "every guard restored the empty context");
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
    targets = bench_enter
}
criterion_main!(benches);
