//! The `web_host` example, built with cargo as a user builds it and started on a free port
//! of 127.0.0.1; stopped when dropped.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use super::group::Group;

/// How long the built program may take to print its address.
const START_PATIENCE: Duration = Duration::from_secs(20);

/// A running `web_host`.
pub struct WebHostProcess {
    /// `http://127.0.0.1:PORT/`, the page.
    pub url: String,
    /// Where its log (stderr) goes.
    pub log: PathBuf,
    group: Group,
}

impl WebHostProcess {
    /// Builds `web_host` and starts it with `--port 0` and `args`, its log in `dir`;
    /// returns once it printed `listening on http://127.0.0.1:PORT`.
    pub fn start(dir: &Path, args: &[&str]) -> WebHostProcess {
        let program = build();
        let log = dir.join("web_host.log");
        let log_file = std::fs::File::create(&log).expect("the web_host log file");
        let mut command = Command::new(&program);
        command
            .args(["--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file);
        let mut group = Group::spawn("web_host", command)
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", program.display()));
        let stdout = group.leader().stdout.take().expect("piped stdout");
        let (first_line, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = first_line.send(lines.next());
            // Anything later is read and dropped, so the program never blocks on stdout.
            lines.for_each(drop);
        });
        let line = match rx.recv_timeout(START_PATIENCE) {
            Ok(Some(Ok(line))) => line,
            other => panic!(
                "web_host printed no address within {START_PATIENCE:?} ({other:?}, exit: {:?}); its log:\n{}",
                group.exited(),
                std::fs::read_to_string(&log).unwrap_or_default()
            ),
        };
        let address = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("web_host's first line is {line:?}"));
        assert!(
            address.starts_with("http://127.0.0.1:"),
            "web_host listens on {address}, not on 127.0.0.1"
        );
        WebHostProcess {
            url: format!("{address}/"),
            log,
            group,
        }
    }

    /// Whether it is still running (it should be, until dropped).
    pub fn is_running(&mut self) -> bool {
        self.group.exited().is_none()
    }

    /// `127.0.0.1:PORT`, where it listens.
    pub fn addr(&self) -> String {
        self.url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_owned()
    }

    /// Sends SIGTERM to the program (not its group), as a service manager stops it.
    pub fn terminate(&mut self) {
        let pid = self.group.leader().id();
        let status = Command::new("kill")
            .args(["-s", "TERM"])
            .arg(pid.to_string())
            .stdin(Stdio::null())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -s TERM {pid} failed");
    }

    /// Sends SIGKILL to the program, as a crash or the OOM killer ends it: nothing of it
    /// runs after this (no drain, no farm leave), and its sockets close unannounced.
    pub fn kill(&mut self) {
        let leader = self.group.leader();
        // An error only if it had ended already, which the wait then says.
        let _ = leader.kill();
        let _ = leader.wait();
    }

    /// How it exited, waiting at most `limit`; `None` if it still runs then.
    pub fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        loop {
            if let Some(status) = self.group.exited() {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// `cargo build -p sessions-examples --bin web_host` from the workspace root, as the
/// README says to run it: the path of the program cargo built.
fn build() -> PathBuf {
    let output = Command::new(env!("CARGO"))
        .args([
            "build",
            "-q",
            "-p",
            "sessions-examples",
            "--bin",
            "web_host",
        ])
        .arg("--message-format=json-render-diagnostics")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stderr(Stdio::inherit())
        .output()
        .expect("cargo starts");
    assert!(output.status.success(), "cargo could not build web_host");
    let messages = String::from_utf8_lossy(&output.stdout);
    messages
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == "web_host")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
        .unwrap_or_else(|| panic!("cargo named no web_host program in:\n{messages}"))
}
