//! Group 3: calling an exported method by name, against the direct call and jsonrpsee.
//!
//! Measures:
//! - the limit: the exported function called directly, arguments behind `black_box`;
//! - ours: `methods().call("add", vec![Value::Int(2), Value::Int(3)])`, building the
//!   argument `Vec` in every iteration as a host must; and `MethodInfo::call` with the name
//!   looked up once, to show what the lookup costs;
//! - jsonrpsee: `RpcModule::call("add", [2, 3])` of the same function registered as an RPC
//!   method, and `RpcModule::raw_json_request` of the same call as JSON text. Both run in one
//!   `block_on` per batch of iterations on a current-thread tokio runtime, so only the calls
//!   are measured;
//! - a call with one out parameter (`checked_div`), succeeding, and failing (the sentinel
//!   path: the error is logged and `-1` written). No `tracing` subscriber is installed, so
//!   the failure's `tracing::error!` takes the no-subscriber fast path.
//!
//! Run: `cargo bench -p sessions-core --bench call`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use sessions_core::{methods, Value};

mod peers;
use peers::{add, checked_div, rpc_module};

fn bench_call(c: &mut Criterion) {
    let table = methods();
    let add_info = table.get("add").expect("`add` is exported");
    let outcome = table
        .call("add", vec![Value::Int(2), Value::Int(3)])
        .expect("add is callable");
    assert_eq!(outcome.value, Value::Int(5));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let module = rpc_module();
    let sum: i64 = runtime
        .block_on(module.call("add", [2_i64, 3]))
        .expect("jsonrpsee call");
    assert_eq!(sum, 5);
    const REQUEST: &str = r#"{"jsonrpc":"2.0","id":0,"method":"add","params":[2,3]}"#;
    let (response, _) = runtime
        .block_on(module.raw_json_request(REQUEST, 1))
        .expect("a valid request");
    assert!(
        response.get().contains(r#""result":5"#),
        "{}",
        response.get()
    );

    let mut group = c.benchmark_group("call_by_name");
    group.bench_function("direct_add", |b| b.iter(|| add(black_box(2), black_box(3))));
    group.bench_function("methods_call_add", |b| {
        b.iter(|| table.call(black_box("add"), vec![Value::Int(2), Value::Int(3)]))
    });
    group.bench_function("method_info_call_add", |b| {
        b.iter(|| black_box(add_info).call(vec![Value::Int(2), Value::Int(3)]))
    });
    group.bench_function("jsonrpsee_call_add", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let sum: i64 = module
                        .call(black_box("add"), [2_i64, 3])
                        .await
                        .expect("jsonrpsee call");
                    black_box(sum);
                }
                start.elapsed()
            })
        })
    });
    group.bench_function("jsonrpsee_raw_json_add", |b| {
        b.iter_custom(|iters| {
            runtime.block_on(async {
                let start = Instant::now();
                for _ in 0..iters {
                    let response = module
                        .raw_json_request(black_box(REQUEST), 1)
                        .await
                        .expect("a valid request");
                    black_box(response);
                }
                start.elapsed()
            })
        })
    });

    let ok = table
        .call("checked_div", vec![Value::Int(7), Value::Int(2)])
        .expect("checked_div is callable");
    assert_eq!(ok.out("quotient"), Some(&Value::Int(3)));
    let failed = table
        .call("checked_div", vec![Value::Int(7), Value::Int(0)])
        .expect("checked_div is callable");
    assert_eq!(failed.out("quotient"), Some(&Value::Int(-1)));
    assert!(failed.error.is_some());

    group.bench_function("direct_checked_div", |b| {
        b.iter(|| {
            let mut quotient = 0;
            let result = checked_div(black_box(7), black_box(2), &mut quotient);
            (result.is_ok(), quotient)
        })
    });
    group.bench_function("methods_call_out_param", |b| {
        b.iter(|| table.call(black_box("checked_div"), vec![Value::Int(7), Value::Int(2)]))
    });
    group.bench_function("direct_checked_div_failing", |b| {
        b.iter(|| {
            let mut quotient = 0;
            let result = checked_div(black_box(7), black_box(0), &mut quotient);
            (result.is_ok(), quotient)
        })
    });
    group.bench_function("methods_call_failing", |b| {
        b.iter(|| table.call(black_box("checked_div"), vec![Value::Int(7), Value::Int(0)]))
    });
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
    targets = bench_call
}
criterion_main!(benches);
