//! Python's `asyncua` (PyPI), the client integrators use, which no one here wrote: installed
//! by the tests themselves into a virtual environment under the target directory (DESIGN.md,
//! "External parts in tests"), and the scenarios of `client.py`, each of which prints one
//! JSON line (its last) that a test asserts on.
//!
//! Where python3, its `venv` module or PyPI cannot be had, [`python`] says why on stderr and
//! gives `None` (the test returns), unless `SESSIONS_EXTERNAL_TESTS=require` (as `.ci/run`
//! sets), where it panics.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use std::time::Duration;

use serde_json::Value as Json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The version of `asyncua` the tests pin.
pub const ASYNCUA: &str = "asyncua==2.1.0";
/// How long one scenario may run.
pub const SCENARIO_TIMEOUT: Duration = Duration::from_secs(120);

/// The venv's python with `asyncua` installed, or why there is none.
pub fn python() -> Option<&'static Path> {
    static PYTHON: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match PYTHON.get_or_init(install) {
        Ok(python) => Some(python),
        Err(why) => {
            if std::env::var("SESSIONS_EXTERNAL_TESTS").as_deref() == Ok("require") {
                panic!(
                    "SESSIONS_EXTERNAL_TESTS=require, but Python's asyncua cannot be had: {why}"
                );
            }
            eprintln!("skipped: Python's asyncua cannot be had ({why}); set SESSIONS_EXTERNAL_TESTS=require to fail instead");
            None
        }
    }
}

/// Makes `target/tmp/asyncua-venv` and installs `asyncua` into it, once (a marker file
/// names the version installed).
fn install() -> Result<PathBuf, String> {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("asyncua-venv");
    let python = venv.join("bin").join("python");
    let marker = venv.join(format!("installed-{ASYNCUA}"));
    if marker.exists() && python.exists() {
        return Ok(python);
    }
    let run = |program: &Path, args: &[&str]| -> Result<(), String> {
        let output = std::process::Command::new(program)
            .args(args)
            .output()
            .map_err(|error| format!("cannot run {}: {error}", program.display()))?;
        if output.status.success() {
            return Ok(());
        }
        Err(format!(
            "`{} {}` failed ({}): {}",
            program.display(),
            args.join(" "),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ))
    };
    let venv_text = venv
        .to_str()
        .ok_or("the target directory's path is not UTF-8")?;
    run(Path::new("python3"), &["-m", "venv", venv_text])?;
    run(
        &python,
        &[
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            ASYNCUA,
        ],
    )?;
    std::fs::write(&marker, "")
        .map_err(|error| format!("cannot write {}: {error}", marker.display()))?;
    Ok(python)
}

/// The scenarios' script.
pub fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/opcua_support/client.py")
}

/// Runs a scenario to its end: its JSON line.
pub async fn scenario(python: &Path, args: &[&str]) -> Json {
    let child = Command::new(python)
        .arg(script())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("python runs");
    let output = tokio::time::timeout(SCENARIO_TIMEOUT, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("scenario {args:?} did not finish in {SCENARIO_TIMEOUT:?}"))
        .expect("python's output");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "scenario {args:?} failed ({}):\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let last = stdout.lines().last().unwrap_or_default();
    serde_json::from_str(last)
        .unwrap_or_else(|error| panic!("scenario {args:?} printed no JSON ({error}): {stdout}"))
}

/// A scenario that talks while it runs: each line it prints is read as it comes
/// ([`Running::next`]). It is killed when dropped (also when a test fails).
pub struct Running {
    child: Child,
    stdin: ChildStdin,
    lines: Lines<BufReader<ChildStdout>>,
}

impl Running {
    /// Starts the scenario `args`.
    pub fn start(python: &Path, args: &[&str]) -> Running {
        let mut child = Command::new(python)
            .arg(script())
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("python runs");
        let stdout = child.stdout.take().expect("piped");
        let stdin = child.stdin.take().expect("piped");
        Running {
            child,
            stdin,
            lines: BufReader::new(stdout).lines(),
        }
    }

    /// The next JSON line it prints, within [`SCENARIO_TIMEOUT`].
    pub async fn next(&mut self) -> Json {
        let line = tokio::time::timeout(SCENARIO_TIMEOUT, self.lines.next_line())
            .await
            .expect("the scenario prints its next line in time")
            .expect("its stdout")
            .expect("a line before the scenario ends");
        serde_json::from_str(&line).unwrap_or_else(|error| panic!("not JSON ({error}): {line}"))
    }

    /// Writes `line` to its stdin (a scenario that waits for a word, as `hold` does).
    pub async fn say(&mut self, line: &str) {
        self.stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("the scenario reads its stdin");
    }

    /// Waits for its end: it must succeed.
    pub async fn finish(mut self) {
        let status = tokio::time::timeout(SCENARIO_TIMEOUT, self.child.wait())
            .await
            .expect("the scenario ends in time")
            .expect("its status");
        assert!(status.success(), "the scenario failed: {status}");
    }
}
