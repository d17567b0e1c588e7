//! Group 7: instructions per host call, counted by callgrind: exact and independent of the
//! machine's load, where wall-clock ratios move by ±30% (see BENCHMARKS.md).
//!
//! Runs N calls of one kind; the difference between two runs (N and 2N) divided by N is the
//! cost of one call, without start-up:
//!
//! ```sh
//! cargo bench -p sessions-core --bench callgrind --no-run   # prints the binary's path
//! for n in 10000 20000; do
//!   valgrind --tool=callgrind --callgrind-out-file=/dev/null BINARY MODE $n 2>&1 | grep refs
//! done
//! ```
//!
//! MODE: `add` (`add(i64, i64)` by name, `session = none`), `out` / `out-failing`
//! (`checked_div(a, b, &mut quotient)`, succeeding / failing with its sentinel), `add-require` (the same in a
//! session, `session = require`), `direct` (the Rust call), `struct` / `struct-named`
//! (`scale(Vec3, f64)` by position / by name with `Args::named`), `struct-named-map` (by
//! name from a `ValueMap`, as a JSON-RPC host has a `params` object), and `jsonrpsee-add`, `jsonrpsee-struct`,
//! `jsonrpsee-struct-named`: the same calls through jsonrpsee's `RpcModule::call`;
//! `host-call` (`add_in_session` through `host::Call`, as every host calls, in a session)
//! and, built with `--features metrics`, `host-call-metered` (the same call counted in a
//! `metrics::Metrics`: `sessions_calls_total` and `sessions_call_duration_seconds`); the
//! cost of the audit trail: `add-session` (`add` through `Session::call`, the engine keeping
//! no trail), `add-audit-null` (the same, the engine handing each record to a sink that
//! drops it: the engine's own part) and `add-audit` (the same, the engine keeping a trail in a JSON-lines file
//! behind an `AuditQueue`: the writer thread's instructions, serializing and writing each
//! record, are counted too, as the queue is flushed before the run ends).
//! With MODE and N, it also prints the wall-clock time per call to stderr (for `add-audit`,
//! the calls alone, then with the queue's flush).
//! Without arguments (as `cargo bench` and `cargo test --benches` run it) it makes each
//! kind of call once and checks the answers.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonrpsee::core::params::ObjectParams;
use sessions_core::audit::{AuditError, AuditQueue, AuditSink, FlushPolicy, JsonLinesFile};
use sessions_core::host::{Call, Verdict};
use sessions_core::{
    export_method, methods, to_value, Args, Engine, SessionError, Value, ValueMap,
};

mod peers;
use peers::{add, rpc_module, scale, Vec3};

/// Adds two integers, in a session only.
#[export_method]
pub fn add_in_session(a: i64, b: i64) -> Result<i64, SessionError> {
    Ok(a + b)
}

// `add-session` and the `add-audit` modes last: they leave the shared session (see `main`).
const MODES: [&str; 16] = [
    "add",
    "out",
    "out-failing",
    "add-require",
    "direct",
    "struct",
    "struct-named",
    "struct-named-map",
    "jsonrpsee-add",
    "jsonrpsee-struct",
    "jsonrpsee-struct-named",
    "host-call",
    "host-call-metered",
    "add-session",
    "add-audit-null",
    "add-audit",
];

/// The [`MODES`] this build can run: `host-call-metered` needs the feature `metrics`.
fn runnable_modes() -> Vec<&'static str> {
    MODES
        .into_iter()
        .filter(|mode| cfg!(feature = "metrics") || *mode != "host-call-metered")
        .collect()
}

/// A sink that drops every record: what the engine does for a record, without a queue
/// or a file.
struct Discard;

impl AuditSink for Discard {
    fn record(&self, record: sessions_core::audit::AuditRecord) -> Result<(), AuditError> {
        black_box(record);
        Ok(())
    }
}

/// A session of an engine of its own, outside any other: with `audit`, the engine keeps an
/// audit trail in a JSON-lines file (flushed per batch) behind a queue large enough that
/// no record of the run is dropped; the file is removed when the run ends.
struct Own {
    session: sessions_core::Session,
    trail: Option<(Arc<AuditQueue>, std::path::PathBuf)>,
    _engine: Engine,
}

impl Own {
    fn new(mode: &str, calls: u64) -> Own {
        let mut builder = Engine::builder();
        let mut trail = None;
        if mode == "add-audit-null" {
            builder = builder.audit(Discard);
        }
        if mode == "add-audit" {
            let path = std::env::temp_dir().join(format!(
                "sessions-callgrind-audit-{}.jsonl",
                std::process::id()
            ));
            let file = JsonLinesFile::builder(&path)
                .flush(FlushPolicy::Batch)
                .open()
                .expect("the audit file opens");
            let capacity = usize::try_from(calls).unwrap_or(usize::MAX).max(1024);
            let queue = Arc::new(
                AuditQueue::builder(file)
                    .capacity(capacity)
                    .spawn()
                    .expect("the queue starts"),
            );
            builder = builder.audit(Arc::clone(&queue));
            trail = Some((queue, path));
        }
        let engine = builder.build().expect("an engine");
        let session = engine.open().expect("a session");
        Own {
            session,
            trail,
            _engine: engine,
        }
    }
}

impl Drop for Own {
    fn drop(&mut self) {
        if let Some((_, path)) = &self.trail {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Runs `assert` on the first call only: a comparison in every call would be counted too.
fn check(i: i64, assert: impl FnOnce()) {
    if i == 0 {
        assert();
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (modes, n): (Vec<&str>, u64) = match args.as_slice() {
        [mode, n] if !mode.starts_with('-') => (
            vec![mode.as_str()],
            n.parse().expect("N is a number of calls"),
        ),
        // `cargo bench` passes `--bench`: one call of each kind.
        _ => (runnable_modes(), 1),
    };
    let engine = Engine::new();
    let session = engine.open().expect("a session");
    // The modes before `add-session` run in `session`; those two (last) in one of their own.
    let mut in_session = Some(session.enter().expect("entered"));
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
    // What a JSON-RPC host holds after parsing `"params": {"v": {…}, "k": 2.0}`.
    let params_map = ValueMap::from([("v", v_value.clone()), ("k", Value::Float(2.0))]);
    let timed = args.len() == 2;
    #[cfg(feature = "metrics")]
    let metrics = sessions_core::metrics::Metrics::new();
    for mode in modes {
        let mut checksum = 0_i64;
        let own = mode.starts_with("add-session") || mode.starts_with("add-audit");
        let own = own.then(|| {
            drop(in_session.take());
            Own::new(mode, n)
        });
        let started = Instant::now();
        for i in 0..n {
            let i = black_box(i as i64);
            match mode {
                "add" | "add-require" => {
                    let name = if mode == "add" {
                        "add"
                    } else {
                        "add_in_session"
                    };
                    let outcome = methods()
                        .call(black_box(name), vec![Value::Int(i), Value::Int(3)])
                        .expect("callable");
                    check(i, || assert_eq!(outcome.value, Value::Int(i + 3)));
                }
                "host-call" => {
                    let answer = Call::new(
                        black_box("add_in_session"),
                        vec![Value::Int(i), Value::Int(3)],
                    )
                    .in_session(Some(&session))
                    .run_blocking();
                    check(i, || assert_eq!(answer.verdict(), Verdict::Ok));
                }
                #[cfg(feature = "metrics")]
                "host-call-metered" => {
                    let answer = Call::new(
                        black_box("add_in_session"),
                        vec![Value::Int(i), Value::Int(3)],
                    )
                    .in_session(Some(&session))
                    .metered(&metrics, "bench")
                    .run_blocking();
                    check(i, || assert_eq!(answer.verdict(), Verdict::Ok));
                }
                "add-session" | "add-audit-null" | "add-audit" => {
                    let own = own.as_ref().expect("a session of its own");
                    let outcome = own
                        .session
                        .call(black_box("add"), vec![Value::Int(i), Value::Int(3)])
                        .expect("callable");
                    check(i, || assert_eq!(outcome.value, Value::Int(i + 3)));
                }
                "direct" => checksum = checksum.wrapping_add(add(i, black_box(3))),
                "out" | "out-failing" => {
                    let divisor = if mode == "out" { 2 } else { 0 };
                    let outcome = methods()
                        .call(
                            black_box("checked_div"),
                            vec![Value::Int(7), Value::Int(divisor)],
                        )
                        .expect("callable");
                    let expected = if mode == "out" { 3 } else { -1 };
                    check(i, || {
                        assert_eq!(outcome.out("quotient"), Some(&Value::Int(expected)))
                    });
                }
                "struct" | "struct-named" | "struct-named-map" => {
                    let args = match mode {
                        "struct" => Args::from(vec![v_value.clone(), Value::Float(2.0)]),
                        "struct-named" => {
                            Args::named([("v", v_value.clone()), ("k", Value::Float(2.0))])
                        }
                        _ => Args::from(params_map.clone()),
                    };
                    let outcome = methods().call(black_box("scale"), args).expect("callable");
                    check(i, || assert_eq!(outcome.value, scaled));
                }
                "jsonrpsee-add" => {
                    let sum: i64 = runtime
                        .block_on(module.call(black_box("add"), [i, 3]))
                        .expect("jsonrpsee call");
                    check(i, || assert_eq!(sum, i + 3));
                }
                "jsonrpsee-struct" | "jsonrpsee-struct-named" => {
                    let out: Vec3 = if mode == "jsonrpsee-struct" {
                        runtime.block_on(module.call(black_box("scale"), (v, 2.0)))
                    } else {
                        let mut params = ObjectParams::new();
                        params.insert("v", v).expect("a Vec3 serializes");
                        params.insert("k", 2.0).expect("a float serializes");
                        runtime.block_on(module.call(black_box("scale"), params))
                    }
                    .expect("jsonrpsee call");
                    check(i, || assert_eq!(to_value(&out).expect("a Value"), scaled));
                }
                other => panic!("unknown mode {other:?}: one of {:?}", runnable_modes()),
            }
        }
        black_box(checksum);
        let calls = started.elapsed();
        let trail = own.as_ref().and_then(|own| own.trail.as_ref());
        if let Some((queue, _)) = trail {
            queue
                .flush_within(Duration::from_secs(120))
                .expect("every record written");
            assert_eq!(queue.dropped(), 0, "no record dropped");
            assert_eq!(queue.written(), n, "one record per call");
        }
        if timed {
            let per_call = |elapsed: Duration| elapsed.as_nanos() as f64 / n as f64;
            eprint!("{mode}: {:.1} ns/call", per_call(calls));
            if trail.is_some() {
                eprint!(
                    ", {:.1} ns/call with the queue flushed",
                    per_call(started.elapsed())
                );
            }
            eprintln!();
        }
    }
}
