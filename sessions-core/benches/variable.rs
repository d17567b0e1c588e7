//! `Variable::set` with no watchers, against a bare `RwLock` write of the same value: what
//! the session rule (the current session, its user's roles for a write role), the version,
//! the time and the writer cost on top of storing the value.
//!
//! Measures, in the root session (impersonated once, outside the loop), an `f64` written:
//! - `rwlock_write`: `*lock.write() = value` on a `std::sync::RwLock<f64>`;
//! - `variable_set`: `Variable::set` of a variable without a write role;
//! - `variable_set_role`: the same with a write role (the root may write it);
//! - `variable_set_role_user`: a write role, in a session whose user has the role;
//! - `variable_get` and `rwlock_read`, for the reader's side;
//! - `system_time_now`: the clock read each change records, part of `variable_set`.
//!
//! Run: `cargo bench -p sessions-core --bench variable`.

use std::hint::black_box;
use std::sync::RwLock;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion};
use sessions_core::{Engine, User, Variable};

fn bench_set(c: &mut Criterion) {
    let engine = Engine::new();
    let mut group = c.benchmark_group("variable_set");
    let lock = RwLock::new(0.0_f64);
    let mut n = 0.0;
    group.bench_function("rwlock_write", |b| {
        b.iter(|| {
            n += 1.0;
            *black_box(&lock).write().unwrap_or_else(|p| p.into_inner()) = black_box(n);
        })
    });
    {
        let _root = engine.impersonate_root();
        let plain = Variable::new(0.0_f64);
        group.bench_function("variable_set", |b| {
            b.iter(|| {
                n += 1.0;
                black_box(&plain).set(black_box(n)).expect("root writes");
            })
        });
        let guarded = Variable::builder(0.0_f64).write_role("operator").build();
        group.bench_function("variable_set_role", |b| {
            b.iter(|| {
                n += 1.0;
                black_box(&guarded).set(black_box(n)).expect("root writes");
            })
        });
    }
    {
        let session = engine.open().expect("no session limit is set");
        session.set_user(Some(User::new("olga").with_roles(["viewer", "operator"])));
        let _in = session.enter().expect("nothing else is current");
        let guarded = Variable::builder(0.0_f64).write_role("operator").build();
        group.bench_function("variable_set_role_user", |b| {
            b.iter(|| {
                n += 1.0;
                black_box(&guarded)
                    .set(black_box(n))
                    .expect("an operator writes");
            })
        });
        group.bench_function("variable_get", |b| b.iter(|| black_box(&guarded).get()));
        group.bench_function("rwlock_read", |b| {
            b.iter(|| *black_box(&lock).read().unwrap_or_else(|p| p.into_inner()))
        });
    }
    group.bench_function("system_time_now", |b| b.iter(std::time::SystemTime::now));
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
    targets = bench_set
}
criterion_main!(benches);
