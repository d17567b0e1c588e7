//! Group 6: host calls against jsonrpsee, as ratios measured side by side.
//!
//! This machine's wall-clock speed drifts by ±30% from one minute to the next, so two
//! criterion benchmarks run a minute apart cannot give a ratio to 10%. Here each round
//! times a batch of our calls and then a batch of jsonrpsee's calls of the same function,
//! back to back, and the ratio is taken per round: drift between rounds cancels out. The
//! median of 41 rounds is reported, with the lowest and highest.
//!
//! Pairs, each ours against the same function registered in jsonrpsee's `RpcModule` and
//! called with `RpcModule::call` on a current-thread tokio runtime:
//! - `add(a: i64, b: i64) -> i64` by position (`vec![Value::Int(2), Value::Int(3)]`);
//! - `scale(v: Vec3, k: f64) -> Vec3`, a 3-field struct in and out, by position and by name
//!   (`Args::named`; jsonrpsee's `ObjectParams`). Our host holds each argument as a `Value`
//!   (a host reads it from JSON once), so each call clones it, as a host that keeps it must.
//!
//! Run: `cargo bench -p sessions-core --bench ratios`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use jsonrpsee::core::params::ObjectParams;
use sessions_core::{methods, to_value, Args, Value};

mod peers;
use peers::{rpc_module, scale, Vec3};

const ROUNDS: usize = 41;
/// Each side of a round runs for about this long.
const BATCH_TIME: Duration = Duration::from_millis(20);

/// The median, lowest and highest of `ratios`.
fn summary(mut ratios: Vec<f64>) -> (f64, f64, f64) {
    ratios.sort_by(f64::total_cmp);
    (
        ratios[ratios.len() / 2],
        ratios[0],
        ratios[ratios.len() - 1],
    )
}

/// Calls per batch so that one batch of `call` takes about [`BATCH_TIME`].
fn batch_size(mut call: impl FnMut()) -> u32 {
    let start = Instant::now();
    let mut n = 0;
    while start.elapsed() < BATCH_TIME {
        call();
        n += 1;
    }
    n.max(1)
}

fn time(n: u32, mut call: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        call();
    }
    start.elapsed().as_secs_f64() / f64::from(n)
}

/// Times `ours` and `theirs` in alternating batches; prints the per-call medians and the
/// ratio theirs / ours (how many times faster ours is).
fn pair(label: &str, mut ours: impl FnMut(), mut theirs: impl FnMut()) {
    let ours_n = batch_size(&mut ours);
    let theirs_n = batch_size(&mut theirs);
    let mut ours_times = Vec::with_capacity(ROUNDS);
    let mut theirs_times = Vec::with_capacity(ROUNDS);
    let mut ratios = Vec::with_capacity(ROUNDS);
    for _ in 0..ROUNDS {
        let ours_time = time(ours_n, &mut ours);
        let theirs_time = time(theirs_n, &mut theirs);
        ours_times.push(ours_time);
        theirs_times.push(theirs_time);
        ratios.push(theirs_time / ours_time);
    }
    let (ours_median, _, _) = summary(ours_times);
    let (theirs_median, _, _) = summary(theirs_times);
    let (ratio, low, high) = summary(ratios);
    println!(
        "{label:<28} ours {:>8.1} ns   jsonrpsee {:>8.1} ns   ratio {ratio:>5.1}x (rounds: {low:.1}x to {high:.1}x)",
        ours_median * 1e9,
        theirs_median * 1e9,
    );
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs this once as a smoke
    // test, without measuring.
    let measure = std::env::args().any(|arg| arg == "--bench");
    let table = methods();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime");
    let module = rpc_module();

    let v = Vec3 {
        x: 1.0,
        y: 2.0,
        z: 3.0,
    };
    let v_value = to_value(&v).expect("a Vec3 is a Value");
    let scaled = to_value(&scale(v, 2.0)).expect("a Vec3 is a Value");

    let ours_add = || {
        let outcome = table
            .call(black_box("add"), vec![Value::Int(2), Value::Int(3)])
            .expect("add is callable");
        debug_assert_eq!(outcome.value, Value::Int(5));
        black_box(outcome);
    };
    let theirs_add = || {
        let sum: i64 = runtime
            .block_on(module.call(black_box("add"), [2_i64, 3]))
            .expect("jsonrpsee call");
        black_box(sum);
    };
    let ours_scale = || {
        let args = vec![v_value.clone(), Value::Float(2.0)];
        let outcome = table
            .call(black_box("scale"), args)
            .expect("scale is callable");
        black_box(outcome);
    };
    let theirs_scale = || {
        let out: Vec3 = runtime
            .block_on(module.call(black_box("scale"), (v, 2.0)))
            .expect("jsonrpsee call");
        black_box(out);
    };
    let ours_scale_named = || {
        let args = Args::named([("v", v_value.clone()), ("k", Value::Float(2.0))]);
        let outcome = table
            .call(black_box("scale"), args)
            .expect("scale is callable");
        black_box(outcome);
    };
    let theirs_scale_named = || {
        let mut params = ObjectParams::new();
        params.insert("v", v).expect("a Vec3 serializes");
        params.insert("k", 2.0).expect("a float serializes");
        let out: Vec3 = runtime
            .block_on(module.call(black_box("scale"), params))
            .expect("jsonrpsee call");
        black_box(out);
    };

    // Every pair computes the same thing on both sides.
    let check = |args: Args| table.call("scale", args).expect("callable").value;
    assert_eq!(
        check(vec![v_value.clone(), Value::Float(2.0)].into()),
        scaled
    );
    assert_eq!(
        check(Args::named([
            ("v", v_value.clone()),
            ("k", Value::Float(2.0))
        ])),
        scaled
    );
    let theirs: Vec3 = runtime
        .block_on(module.call("scale", (v, 2.0)))
        .expect("jsonrpsee call");
    assert_eq!(to_value(&theirs).expect("a Value"), scaled);

    if !measure {
        for call in [
            &ours_add as &dyn Fn(),
            &theirs_add,
            &ours_scale,
            &theirs_scale,
        ] {
            call();
        }
        ours_scale_named();
        theirs_scale_named();
        println!("ratios: smoke test passed (run with `cargo bench` to measure)");
        return;
    }
    pair("add(i64, i64) by position", ours_add, theirs_add);
    pair("scale(Vec3, f64) by position", ours_scale, theirs_scale);
    pair(
        "scale(Vec3, f64) by name",
        ours_scale_named,
        theirs_scale_named,
    );
}
