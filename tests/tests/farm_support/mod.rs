//! A real `redis-server` for the farm's tests, on a unix socket in a short temporary
//! directory of its own (no TCP port at all, no persistence), stopped and removed when
//! dropped, also when the test fails. Where `redis-server` is missing, [`Redis::start`]
//! says why on stderr and the test returns, unless `SESSIONS_EXTERNAL_TESTS=require`.
//!
//! Also: a `tracing` layer that keeps every event (the farm logs on its own threads), and
//! bounded waits.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::io::Write;
use std::os::unix::net::UnixStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

/// The lease the tests give their nodes: short, so a dead node's sessions go quickly.
pub const LEASE: Duration = Duration::from_secs(1);

/// How long any one awaited condition may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

/// A running `redis-server`.
pub struct Redis {
    dir: PathBuf,
    socket: PathBuf,
    child: Option<Child>,
}

impl Redis {
    /// Starts `redis-server` for the test `test`; `None` (after saying why on stderr) when
    /// it is not installed and `SESSIONS_EXTERNAL_TESTS` is not `require`.
    pub fn start(test: &str) -> Option<Redis> {
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
                "{test}: redis-server is not installed, and SESSIONS_EXTERNAL_TESTS=require \
                 (install it: apt-get install -y redis-server)"
            );
            // Straight to stderr: the test harness does not capture this.
            let _ = writeln!(
                std::io::stderr(),
                "{test}: skipped: redis-server is not installed (apt-get install -y \
                 redis-server; SESSIONS_EXTERNAL_TESTS=require makes this a failure)"
            );
            return None;
        }
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        // Short: a socket path is limited to 108 bytes.
        let dir = PathBuf::from(format!(
            "/tmp/sf-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary directory for redis-server");
        let socket = dir.join("r.sock");
        let mut redis = Redis {
            dir,
            socket,
            child: None,
        };
        redis.run();
        Some(redis)
    }

    /// `redis+unix://…/r.sock`.
    pub fn url(&self) -> String {
        format!("redis+unix://{}", self.socket.display())
    }

    fn run(&mut self) {
        let _ = std::fs::remove_file(&self.socket);
        let child = Command::new("redis-server")
            .args(["--port", "0", "--unixsocket"])
            .arg(&self.socket)
            .args([
                "--unixsocketperm",
                "700",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server starts");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while UnixStream::connect(&self.socket).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not open its socket"
            );
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    panic!("redis-server exited at start: {status}");
                }
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Kills the server (its data is gone: no persistence).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Kills the server and starts a new, empty one on the same socket.
    pub fn restart(&mut self) {
        self.kill();
        self.run();
    }

    /// Stops the server with SIGSTOP (hung, not dead: its sockets stay open and nothing is
    /// answered) until the guard is dropped, which sends SIGCONT, also when the test fails.
    pub fn pause(&self) -> Paused<'_> {
        self.signal("-STOP");
        Paused(self)
    }

    fn signal(&self, signal: &str) {
        let pid = self.child.as_ref().expect("redis-server runs").id();
        let status = Command::new("kill")
            .arg(signal)
            .arg(pid.to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill {signal} {pid} failed");
    }

    /// `engine` joined to a farm on this server as node `node`, with the tests' short
    /// [`LEASE`].
    pub fn join(&self, engine: &sessions_core::Engine, node: &str) -> sessions_core::farm::Farm {
        sessions_core::farm::Farm::builder(engine, &self.url(), node)
            .lease(LEASE)
            .join()
            .expect("the node joins")
    }

    /// A plain redis-rs connection to the server, for a test's own commands.
    pub fn connection(&self) -> redis::Connection {
        redis::Client::open(self.url())
            .expect("the URL")
            .get_connection()
            .expect("a connection")
    }
}

/// A server stopped by [`Redis::pause`]; dropping it lets the server go on.
pub struct Paused<'a>(&'a Redis);

impl Drop for Paused<'_> {
    fn drop(&mut self) {
        self.0.signal("-CONT");
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        self.kill();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Waits until `done()` holds (checked every 10 ms), failing the test after [`WAIT`].
/// Returns how long it took.
pub fn wait_until(what: &str, mut done: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < WAIT, "timed out waiting: {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
    start.elapsed()
}

/// One `tracing` event: its level, its target and its fields rendered to text.
#[derive(Debug, Clone)]
pub struct Logged {
    pub level: tracing::Level,
    pub target: String,
    pub fields: Vec<(String, String)>,
}

impl Logged {
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Every event logged in the process since the first call.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<Logged>>>);

impl Captured {
    pub fn events(&self) -> Vec<Logged> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Captured {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = Vec::new();
        event.record(&mut Fields(&mut fields));
        let logged = Logged {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
        };
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(logged);
    }
}

/// The process-wide capture (the farm's threads log on their own threads).
pub fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(captured.clone());
        tracing::subscriber::set_global_default(subscriber).expect("the only subscriber");
        captured
    })
}
