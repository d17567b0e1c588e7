//! Prometheus's own programs for the metrics tests: `promtool check metrics` on a scrape,
//! and a real `prometheus` server on 127.0.0.1 (a free port, a temporary config and data
//! folder of its own) that scrapes a test's web host every second, stopped (killed) and
//! its folder removed when dropped, also when the test fails. Where a program is missing,
//! the test says why on stderr and returns, unless `SESSIONS_EXTERNAL_TESTS=require`.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value as Json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long Prometheus may take to start, and then to have scraped a value.
pub const WAIT: Duration = Duration::from_secs(60);

/// Whether `program` runs (`program --version` succeeds); when it does not, says why on
/// stderr, or fails the test under `SESSIONS_EXTERNAL_TESTS=require`.
pub fn installed(test: &str, program: &str) -> bool {
    let runs = Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !runs {
        let required = std::env::var("SESSIONS_EXTERNAL_TESTS").as_deref() == Ok("require");
        assert!(
            !required,
            "{test}: {program} is not installed, and SESSIONS_EXTERNAL_TESTS=require \
             (install it: apt-get install -y prometheus)"
        );
        // Straight to stderr: the test harness does not capture this.
        let _ = writeln!(
            std::io::stderr(),
            "{test}: skipped: {program} is not installed (apt-get install -y prometheus; \
             SESSIONS_EXTERNAL_TESTS=require makes this a failure)"
        );
    }
    runs
}

/// What `promtool check metrics` says of `text`: `Ok` with its output when it accepts it
/// with nothing to say, else `Err` with its exit status and output.
pub fn promtool_check(text: &str) -> Result<String, String> {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool starts");
    child
        .stdin
        .take()
        .expect("its stdin")
        .write_all(text.as_bytes())
        .expect("promtool reads the scrape");
    let output = child.wait_with_output().expect("promtool ends");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() && said.trim().is_empty() {
        Ok(said)
    } else {
        Err(format!("{}: {said}", output.status))
    }
}

/// A temporary folder of the test's own, removed when dropped (also when the test fails).
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// A new, empty folder named after `what` and this process.
    pub fn new(what: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sessions-{what}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running Prometheus server.
pub struct Prometheus {
    pub addr: SocketAddr,
    dir: PathBuf,
    child: Child,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Prometheus {
    /// Starts a server that scrapes `http://{target}{metrics_path}` every second, and
    /// waits until it is ready.
    pub async fn start(target: SocketAddr, metrics_path: &str) -> Prometheus {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "sessions-prometheus-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).expect("a temporary folder for prometheus");
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: sessions\n    metrics_path: {metrics_path}\n    \
                 static_configs:\n      - targets: ['{target}']\n"
            ),
        )
        .expect("the config is written");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port on 127.0.0.1")
            .port();
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let log = std::fs::File::create(dir.join("prometheus.log")).expect("a log file");
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={addr}"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("prometheus starts");
        let server = Prometheus { addr, dir, child };
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some((200, _)) = server.get("/-/ready").await {
                return server;
            }
            assert!(
                Instant::now() < deadline,
                "prometheus was not ready within {WAIT:?}; its log: {}",
                server.log()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }

    /// The value of the instant query `query` (a PromQL expression without spaces or
    /// characters to escape in a URL) once it has one result, waiting for scrapes up to
    /// [`WAIT`].
    pub async fn query_value(&self, query: &str) -> f64 {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some((200, body)) = self.get(&format!("/api/v1/query?query={query}")).await {
                let answer: Json = serde_json::from_str(&body).expect("the query API answers JSON");
                assert_eq!(answer["status"], "success", "{answer}");
                if let Some(value) = answer["data"]["result"][0]["value"][1].as_str() {
                    return value.parse().expect("a number");
                }
            }
            assert!(
                Instant::now() < deadline,
                "prometheus had no value of {query} within {WAIT:?}; its log: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// `GET path` on the server: its status and body, or `None` when it did not answer
    /// (not listening yet) within 5 s.
    async fn get(&self, path: &str) -> Option<(u16, String)> {
        let exchange = async {
            let mut stream = TcpStream::connect(self.addr).await.ok()?;
            let request = format!(
                "GET {path} HTTP/1.0\r\nhost: {}\r\nconnection: close\r\n\r\n",
                self.addr
            );
            stream.write_all(request.as_bytes()).await.ok()?;
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await.ok()?;
            let response = String::from_utf8(response).ok()?;
            let (head, body) = response.split_once("\r\n\r\n")?;
            let status = head.split(' ').nth(1)?.parse().ok()?;
            Some((status, body.to_owned()))
        };
        tokio::time::timeout(Duration::from_secs(5), exchange)
            .await
            .ok()
            .flatten()
    }
}
