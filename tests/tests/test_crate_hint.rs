//! A crate that gets `sessions-core` only through another crate's re-export (its manifest
//! names no `sessions-core`) is told to add `crate = <path>`, and builds once it does. The
//! crate is built for real, by `cargo check --offline`, in this test's own target
//! directory under `CARGO_TARGET_TMPDIR` (so it takes no lock of the workspace's build).

use std::path::{Path, PathBuf};
use std::process::Command;

const MANIFEST: &str = r#"[package]
name = "crate-hint-probe"
version = "0.0.0"
edition = "2021"
publish = false

[dependencies]
# sessions-core only through this crate's re-export.
sessions-tests-unnamed = { path = "UNNAMED" }

[workspace]
"#;

const WITHOUT_KEY: &str = r#"
#[sessions_tests_unnamed::sessions_core::export_method(session = none)]
pub fn probe() -> i64 {
    1
}
"#;

const WITH_KEY: &str = r#"
#[sessions_tests_unnamed::sessions_core::export_method(
    session = none,
    crate = ::sessions_tests_unnamed::sessions_core
)]
pub fn probe() -> i64 {
    1
}
"#;

/// Writes the probe crate with `lib` as its `lib.rs`, and runs `cargo check` on it.
fn check(dir: &Path, lib: &str) -> (bool, String) {
    let unnamed = Path::new(env!("CARGO_MANIFEST_DIR")).join("unnamed");
    let manifest = MANIFEST.replace("UNNAMED", &unnamed.display().to_string());
    std::fs::create_dir_all(dir.join("src")).expect("the probe's directory");
    std::fs::write(dir.join("Cargo.toml"), manifest).expect("the probe's manifest");
    std::fs::write(dir.join("src/lib.rs"), lib).expect("the probe's lib.rs");
    let output = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet", "--message-format=short"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", dir.join("target"))
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo starts");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_crate_without_a_direct_dependency_is_told_to_add_the_crate_key() {
    let dir: PathBuf = Path::new(env!("CARGO_TARGET_TMPDIR")).join("crate-hint-probe");
    let (built, stderr) = check(&dir, WITHOUT_KEY);
    assert!(!built, "it built without `crate = …`:\n{stderr}");
    assert!(
        stderr.contains("does not name `sessions-core` as a dependency")
            && stderr.contains("add `crate = <path>`"),
        "{stderr}"
    );
    let (built, stderr) = check(&dir, WITH_KEY);
    assert!(built, "it did not build with `crate = …`:\n{stderr}");
}
