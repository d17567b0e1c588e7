//! Replays the committed fuzz seeds (`fuzz/seeds/<target>/`) through the very functions the
//! cargo-fuzz targets run (`fuzz/fuzz_body.rs`, included here), so a regression that the
//! fuzzer once found, or that a seed covers, fails `cargo test` on stable without a fuzzer.

#[path = "../../fuzz/fuzz_body.rs"]
mod fuzz_body;

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use sessions_core::{SessionId, Value};

/// The seed files of one target, sorted by name, with their contents.
fn seeds(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../fuzz/seeds")
        .join(target);
    let mut seeds: Vec<_> = fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", dir.display()))
        .map(|entry| {
            let path = entry.expect("a directory entry").path();
            let data = fs::read(&path)
                .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, data)
        })
        .collect();
    seeds.sort();
    assert!(seeds.len() >= 10, "{target}: only {} seeds", seeds.len());
    seeds
}

#[test]
fn call_seeds_replay_and_reach_every_method_and_outcome() {
    let mut methods = BTreeSet::new();
    let mut kinds = BTreeSet::new();
    for (name, data) in seeds("call") {
        let ran = fuzz_body::call(&data);
        eprintln!("{name}: {} {}", ran.method, ran.kind);
        kinds.insert(ran.kind);
        if ran.kind != "unknown" {
            methods.insert(ran.method);
        }
    }
    for method in fuzz_body::METHODS {
        assert!(methods.contains(method), "no seed calls {method}");
    }
    let all = [
        "closed", "unknown", "arity", "arg-type", "ok", "failed", "panicked",
    ];
    assert_eq!(kinds, BTreeSet::from(all), "outcomes the seeds reach");
}

#[test]
fn session_id_seeds_replay() {
    let seeds = seeds("session_id");
    let valid = seeds
        .iter()
        .filter(|(_, data)| String::from_utf8_lossy(data).parse::<SessionId>().is_ok())
        .count();
    assert!(
        valid >= 1 && valid < seeds.len(),
        "seeds both valid and not"
    );
    for (_, data) in &seeds {
        fuzz_body::session_id(data);
    }
}

#[test]
fn json_seeds_replay() {
    let seeds = seeds("json");
    let parsed = seeds
        .iter()
        .filter(|(_, data)| Value::from_json_str(&String::from_utf8_lossy(data)).is_ok())
        .count();
    assert!(
        parsed >= 1 && parsed < seeds.len(),
        "seeds both valid and not"
    );
    for (_, data) in &seeds {
        fuzz_body::json(data);
    }
}
