//! A real HAProxy (Debian's `haproxy`) in front of a test's web hosts: started in the
//! foreground (`-db`) on a free port of 127.0.0.1 with the configuration the README shows,
//! `examples/haproxy/haproxy.cfg` (its addresses from the environment), stopped when
//! dropped, also when the test fails. Where `haproxy` is missing, [`program_or_skip`] says
//! why on stderr and the test returns, unless `SESSIONS_EXTERNAL_TESTS=require`.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The configuration the tests run, as the README quotes it.
pub const CONFIG: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/haproxy/haproxy.cfg"
);

/// How long HAProxy may take to listen.
const START_PATIENCE: Duration = Duration::from_secs(10);

/// A running HAProxy.
pub struct Haproxy {
    /// `127.0.0.1:PORT`, where clients connect.
    pub addr: String,
    /// Where its output goes.
    pub log: PathBuf,
    child: Child,
}

/// The `haproxy` program, or `None` after saying on stderr why the test is skipped.
///
/// # Panics
/// When it is missing and `SESSIONS_EXTERNAL_TESTS=require`.
pub fn program_or_skip(test: &str) -> Option<PathBuf> {
    let found = program();
    if found.is_none() {
        let required = std::env::var("SESSIONS_EXTERNAL_TESTS").as_deref() == Ok("require");
        assert!(
            !required,
            "{test}: haproxy is not installed, and SESSIONS_EXTERNAL_TESTS=require \
             (install it: apt-get install -y haproxy)"
        );
        // Straight to stderr: the test harness does not capture this.
        let _ = writeln!(
            std::io::stderr(),
            "{test}: skipped: haproxy is not installed (apt-get install -y haproxy; \
             SESSIONS_EXTERNAL_TESTS=require makes this a failure)"
        );
    }
    found
}

/// The `haproxy` program: `SESSIONS_HAPROXY`, else `haproxy` on `PATH`, else Debian's
/// `/usr/sbin/haproxy` (`/usr/sbin` is not on every user's `PATH`).
fn program() -> Option<PathBuf> {
    let candidates = std::env::var_os("SESSIONS_HAPROXY")
        .map(PathBuf::from)
        .into_iter()
        .chain([PathBuf::from("haproxy"), PathBuf::from("/usr/sbin/haproxy")]);
    for candidate in candidates {
        let runs = Command::new(&candidate)
            .arg("-v")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if runs {
            return Some(candidate);
        }
    }
    None
}

impl Haproxy {
    /// Starts `program` (from [`program_or_skip`]) in front of `nodes` (three
    /// `127.0.0.1:PORT`, the configuration's NODE1..NODE3), its log in `dir`.
    pub fn start(program: &Path, dir: &Path, nodes: &[String; 3]) -> Haproxy {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port on 127.0.0.1")
            .port();
        let addr = format!("127.0.0.1:{port}");
        let log = dir.join("haproxy.log");
        let log_file = std::fs::File::create(&log).expect("the haproxy log file");
        let child = Command::new(program)
            .args(["-db", "-f", CONFIG])
            .env("LISTEN", &addr)
            .env("NODE1", &nodes[0])
            .env("NODE2", &nodes[1])
            .env("NODE3", &nodes[2])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("the log file"))
            .stderr(log_file)
            .spawn()
            .unwrap_or_else(|error| panic!("{} could not start: {error}", program.display()));
        let mut haproxy = Haproxy { addr, log, child };
        let deadline = Instant::now() + START_PATIENCE;
        while TcpStream::connect(&haproxy.addr).is_err() {
            if let Ok(Some(status)) = haproxy.child.try_wait() {
                panic!(
                    "haproxy exited at start ({status}); its log:\n{}",
                    haproxy.log_text()
                );
            }
            assert!(
                Instant::now() < deadline,
                "haproxy did not listen on {} within {START_PATIENCE:?}; its log:\n{}",
                haproxy.addr,
                haproxy.log_text()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        haproxy
    }

    /// What it has logged so far.
    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
