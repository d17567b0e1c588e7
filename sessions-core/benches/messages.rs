//! Group 5: messages between sessions, `Engine::post` + `Engine::dispatch`.
//!
//! 1,000,000 messages across 1,000 sessions (1,000 each, posted round-robin; each mailbox
//! holds 1,000), for an exported method that does almost nothing (`ping(seq: i64)`, policy
//! `none`). Measures the whole round (post all, then one dispatch), and the post and the
//! dispatch halves apart (`iter_custom`, timing one half and doing the other untimed).
//!
//! Run: `cargo bench -p sessions-core --bench messages`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode, Throughput};
use sessions_core::{export_method, Engine, SessionId, Value};

/// Sessions the messages go to.
const SESSIONS: usize = 1_000;
/// Messages posted to each session per round.
const PER_SESSION: usize = 1_000;

/// Does almost nothing: the method every message calls.
#[export_method(session = none)]
pub fn ping(seq: i64) {
    black_box(seq);
}

fn post_all(engine: &Engine, ids: &[SessionId]) {
    for seq in 0..PER_SESSION {
        for id in ids {
            engine
                .post(*id, "ping", vec![Value::Int(seq as i64)])
                .expect("the mailbox holds a whole round");
        }
    }
}

fn dispatch_all(engine: &Engine) {
    let report = engine.dispatch();
    assert_eq!(report.delivered, SESSIONS * PER_SESSION, "{report:?}");
}

fn bench_messages(c: &mut Criterion) {
    let engine = Engine::builder()
        .mailbox_capacity(PER_SESSION)
        .build()
        .expect("an unnamed engine");
    let ids: Vec<SessionId> = (0..SESSIONS)
        .map(|_| engine.open().expect("no session limit is set").id())
        .collect();

    let mut group = c.benchmark_group("messages");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .measurement_time(Duration::from_secs(8))
        .throughput(Throughput::Elements((SESSIONS * PER_SESSION) as u64));
    group.bench_function("post_and_dispatch_1M", |b| {
        b.iter(|| {
            post_all(&engine, &ids);
            dispatch_all(&engine);
        })
    });
    group.bench_function("post_1M", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                let start = Instant::now();
                post_all(&engine, &ids);
                timed += start.elapsed();
                dispatch_all(&engine);
            }
            timed
        })
    });
    group.bench_function("dispatch_1M", |b| {
        b.iter_custom(|iters| {
            let mut timed = Duration::ZERO;
            for _ in 0..iters {
                post_all(&engine, &ids);
                let start = Instant::now();
                dispatch_all(&engine);
                timed += start.elapsed();
            }
            timed
        })
    });
    group.finish();
}

criterion_group!(benches, bench_messages);
criterion_main!(benches);
