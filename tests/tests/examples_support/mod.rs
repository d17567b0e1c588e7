//! Runs an example program as a user runs it: `cargo run -q -p sessions-examples --bin BIN --
//! ARGS` from the workspace root (built once; later runs only start it).

use std::process::{Command, Output};

/// The finished run of the example `bin` with `args`.
pub fn run_example(bin: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO"))
        .args(["run", "-q", "-p", "sessions-examples", "--bin", bin, "--"])
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .output()
        .expect("cargo starts")
}
