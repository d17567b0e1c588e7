//! Group 4: the engine's registry of sessions.
//!
//! Measures:
//! - `open` + `close` of one session, from one thread, and from two threads at once on the
//!   same engine (`iter_custom`: the wall time of both threads, each doing `iters` pairs);
//! - `get` by id at 1 and 1,000,000 open sessions, cycling through every id so the lookups
//!   miss the cache as a server's would; against the naive registry, one
//!   `Mutex<HashMap<SessionId, Session>>` with the standard hasher;
//! - `active_count()` at 1 and 1,000,000 open sessions (one in 16 with a user logged in),
//!   against counting by a scan of `sessions()` (Optix's
//!   `Sessions.Where(s => s.User != null).Count()`).
//!
//! Run: `cargo bench -p sessions-core --bench registry`.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::{Arc, Barrier, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use sessions_core::{Engine, Session, SessionId, User};

/// Open sessions at which lookups and counts are measured.
const POPULATIONS: [usize; 2] = [1, 1_000_000];

fn open_close(engine: &Engine) {
    let session = engine.open().expect("no session limit is set");
    engine.close(session.id()).expect("the session is open");
}

fn bench_open_close(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry_open_close");
    let engine = Engine::new();
    group.throughput(Throughput::Elements(1));
    group.bench_function("1_thread", |b| b.iter(|| open_close(&engine)));

    // Each of the two threads opens and closes `iters` sessions: one iteration is a pair
    // on each thread.
    group.throughput(Throughput::Elements(2));
    group.bench_function("2_threads", |b| {
        b.iter_custom(|iters| {
            let start = Arc::new(Barrier::new(3));
            let workers: Vec<_> = (0..2)
                .map(|_| {
                    let (engine, start) = (engine.clone(), start.clone());
                    thread::spawn(move || {
                        start.wait();
                        for _ in 0..iters {
                            open_close(&engine);
                        }
                    })
                })
                .collect();
            start.wait();
            let began = Instant::now();
            for worker in workers {
                worker.join().expect("worker thread");
            }
            began.elapsed()
        })
    });
    group.finish();
    assert!(engine.is_empty());
}

/// An engine with `count` open sessions, one in 16 with a user, and their ids.
fn populated(count: usize) -> (Engine, Vec<SessionId>) {
    let engine = Engine::new();
    let ids = (0..count)
        .map(|n| {
            let session = engine.open().expect("no session limit is set");
            if n % 16 == 0 {
                session.set_user(Some(User::new("user")));
            }
            session.id()
        })
        .collect();
    (engine, ids)
}

fn bench_lookups(c: &mut Criterion) {
    let mut group = c.benchmark_group("registry");
    for population in POPULATIONS {
        let (engine, ids) = populated(population);
        let naive: Mutex<HashMap<SessionId, Session>> =
            Mutex::new(engine.sessions().into_iter().map(|s| (s.id(), s)).collect());
        assert_eq!(engine.active_count(), population.div_ceil(16));

        group.bench_function(BenchmarkId::new("get", population), |b| {
            let mut next = ids.iter().cycle();
            b.iter(|| engine.get(*next.next().expect("cycle")))
        });
        group.bench_function(BenchmarkId::new("naive_mutex_map_get", population), |b| {
            let mut next = ids.iter().cycle();
            b.iter(|| {
                let id = next.next().expect("cycle");
                naive.lock().expect("naive map").get(id).cloned()
            })
        });
        group.bench_function(BenchmarkId::new("active_count", population), |b| {
            b.iter(|| black_box(&engine).active_count())
        });
        drop(naive);
        drop(engine);
    }
    group.finish();

    // Counting by a scan is linear: measured apart, with few samples.
    let mut group = c.benchmark_group("registry_scan");
    group.sample_size(10).sampling_mode(SamplingMode::Flat);
    for population in POPULATIONS {
        let (engine, _) = populated(population);
        group.bench_function(BenchmarkId::new("count_users_by_scan", population), |b| {
            b.iter(|| {
                engine
                    .sessions()
                    .iter()
                    .filter(|s| s.user().is_some())
                    .count()
            })
        });
    }
    group.finish();
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
    targets = bench_open_close, bench_lookups
}
criterion_main!(benches);
