//! The `redis-server` the farm benches start for themselves (`farm.rs`, `failover.rs`): on a
//! unix socket in a temporary directory of its own (no TCP port at all, no persistence),
//! killed and removed when dropped, also when the bench fails. Where `redis-server` is
//! missing, [`Redis::start`] says why and the bench exits 0, unless
//! `SESSIONS_EXTERNAL_TESTS=require`, when it fails.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long `redis-server` may take to open its socket.
const START_DEADLINE: Duration = Duration::from_secs(10);

/// A running `redis-server`.
pub struct Redis {
    dir: PathBuf,
    child: Child,
}

impl Redis {
    /// Starts `redis-server` for the bench `bench`; `None` (after saying why on stderr) when
    /// it is not installed and `SESSIONS_EXTERNAL_TESTS` is not `require`.
    ///
    /// # Panics
    /// When it is installed but does not start, or is missing and required.
    pub fn start(bench: &str) -> Option<Redis> {
        let installed = Command::new("redis-server")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if !installed {
            let required = std::env::var("SESSIONS_EXTERNAL_TESTS").as_deref() == Ok("require");
            assert!(
                !required,
                "{bench} bench: redis-server is not installed, and SESSIONS_EXTERNAL_TESTS=require \
                 (install it: apt-get install -y redis-server)"
            );
            let _ = writeln!(
                std::io::stderr(),
                "{bench} bench: skipped: redis-server is not installed (apt-get install -y redis-server)"
            );
            return None;
        }
        // Short: a socket path is limited to 108 bytes.
        let dir = std::env::temp_dir().join(format!("sb-{bench}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory for redis-server");
        let child = Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(dir.join("r.sock"))
            .args([
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
            ])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        // Made at once, so that a failed start below still kills it and removes the directory.
        let mut redis = Redis { dir, child };
        let deadline = Instant::now() + START_DEADLINE;
        while UnixStream::connect(redis.dir.join("r.sock")).is_err() {
            if let Ok(Some(status)) = redis.child.try_wait() {
                panic!("redis-server exited at start: {status}");
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not open its socket in {START_DEADLINE:?}"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        Some(redis)
    }

    /// `redis+unix://…/r.sock`.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.dir.join("r.sock").display())
    }

    /// The server's process id (to read its CPU time).
    #[allow(dead_code)] // Not every bench reads it.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
