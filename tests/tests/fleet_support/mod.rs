//! A farm as it is deployed, for the tests of failover: one `redis-server`, three
//! `web_host --farm` nodes (`node1`..`node3`, one cookie key file, so a browser is the same
//! client on each) and HAProxy in front with the configuration the README shows
//! (`examples/haproxy/haproxy.cfg`). Every part runs on 127.0.0.1 and is stopped when the
//! [`Fleet`] drops, also when the test fails; without `redis-server` or `haproxy`,
//! [`Fleet::start`] says why and the test returns, unless `SESSIONS_EXTERNAL_TESTS=require`.
//!
//! A test file that uses it declares `mod browser_support; mod farm_support; mod
//! haproxy_support; mod fleet_support; mod web_support;`.

#![allow(dead_code)] // Each test binary uses its own part of this module.

pub mod crowd;
pub mod tab;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::browser_support::server::WebHostProcess;
use crate::browser_support::TempDir;
use crate::farm_support::Redis;
use crate::haproxy_support::{self, Haproxy};

/// The nodes' names, in HAProxy's order (`NODE1`..`NODE3`).
pub const NAMES: [&str; 3] = ["node1", "node2", "node3"];

/// How long a restarted node may take until HAProxy sends it tabs again.
const UP_PATIENCE: Duration = Duration::from_secs(15);

/// The parts of a running farm. Dropped in this order: the nodes (killed), HAProxy, Redis,
/// then the directory the processes wrote their logs into.
pub struct Fleet {
    /// HAProxy.
    pub haproxy: Haproxy,
    /// The `web_host` nodes, `node1`..`node3`.
    pub nodes: Vec<WebHostProcess>,
    /// Where each node listens (`127.0.0.1:PORT`), HAProxy's `NODE1`..`NODE3`.
    pub addresses: [String; 3],
    /// Where tabs connect: HAProxy's address.
    pub lb: SocketAddr,
    /// The farm's Redis.
    pub redis: Redis,
    /// Each node's command line, but `--port` (a restart uses its address's port).
    args: Vec<String>,
    dir: TempDir,
}

impl Fleet {
    /// Starts Redis, the three nodes with `--farm URL --node NAME --cookie-key FILE` and
    /// `extra` (e.g. `--drain-ms 3000`), and HAProxy in front; returns once every node is
    /// ready. `None` (after saying why) when `redis-server` or `haproxy` is missing.
    pub async fn start(test: &str, extra: &[&str]) -> Option<Fleet> {
        let redis = Redis::start(test)?;
        let haproxy_program = haproxy_support::program_or_skip(test)?;
        let dir = TempDir::new(test);
        let key_file = dir.path().join("cookie.key");
        let key = format!(
            "{}{}",
            sessions_core::SessionId::random(),
            sessions_core::SessionId::random()
        );
        std::fs::write(&key_file, key).expect("the cookie key file");
        let key_file = key_file.to_str().expect("a UTF-8 path").to_owned();
        let mut args: Vec<String> = ["--farm", &redis.url(), "--cookie-key", &key_file]
            .iter()
            .map(|arg| (*arg).to_owned())
            .collect();
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        let nodes: Vec<WebHostProcess> = (0..NAMES.len())
            .map(|n| start_node(dir.path(), &args, n, None))
            .collect();
        let addresses = [nodes[0].addr(), nodes[1].addr(), nodes[2].addr()];
        let haproxy = Haproxy::start(&haproxy_program, dir.path(), &addresses);
        let lb: SocketAddr = haproxy.addr.parse().expect("an address");
        // Every node ready, as HAProxy's health check asks.
        for address in &addresses {
            let (status, body) = get(address, "/sessions/ready").await;
            assert_eq!((status, body.as_str()), (200, "ready\n"), "{address}");
        }
        Some(Fleet {
            haproxy,
            nodes,
            addresses,
            lb,
            redis,
            args,
            dir,
        })
    }

    /// Node `n`'s log so far.
    pub fn log(&self, n: usize) -> String {
        std::fs::read_to_string(&self.nodes[n].log).unwrap_or_default()
    }

    /// Starts node `n` again (it exited: drained or killed) under its name, on its port,
    /// with its command line, and waits until HAProxy has marked it up again.
    pub async fn restart(&mut self, n: usize) {
        let port = self.addresses[n]
            .rsplit(':')
            .next()
            .expect("host:port")
            .to_owned();
        let ups = self.ups(n);
        self.nodes[n] = start_node(self.dir.path(), &self.args, n, Some(&port));
        assert_eq!(self.nodes[n].addr(), self.addresses[n], "the same address");
        let deadline = Instant::now() + UP_PATIENCE;
        while self.ups(n) == ups {
            assert!(
                Instant::now() < deadline,
                "HAProxy did not mark {} up within {UP_PATIENCE:?}; its log:\n{}",
                NAMES[n],
                self.haproxy.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// How node `n` exited, waiting at most `limit` (without holding up the runtime);
    /// `None` if it still runs then.
    pub async fn wait_exit(
        &mut self,
        n: usize,
        limit: Duration,
    ) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.nodes[n].wait_exit(Duration::ZERO) {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// How many times HAProxy has logged node `n` up again.
    fn ups(&self, n: usize) -> usize {
        let up = format!("{} is UP", NAMES[n]);
        self.haproxy.log_text().matches(&up).count()
    }

    /// Waits until HAProxy has logged node `n` down, up to `limit`.
    pub async fn wait_down(&self, n: usize, limit: Duration) {
        let down = format!("{} is DOWN", NAMES[n]);
        let deadline = Instant::now() + limit;
        while !self.haproxy.log_text().contains(&down) {
            assert!(
                Instant::now() < deadline,
                "HAProxy did not mark {} down; its log:\n{}",
                NAMES[n],
                self.haproxy.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The value of every sample of `metric` (with these labels, e.g. `outcome="undelivered"`)
    /// in node `n`'s `GET /sessions/metrics`, summed.
    pub async fn metric(&self, n: usize, metric: &str, labels: &[&str]) -> f64 {
        let (status, text) = get(&self.addresses[n], "/sessions/metrics").await;
        assert_eq!(status, 200, "{}'s metrics: {text}", NAMES[n]);
        text.lines()
            .filter(|line| line.starts_with(metric))
            .filter(|line| {
                line[metric.len()..].starts_with(['{', ' '])
                    && labels.iter().all(|label| line.contains(label))
            })
            .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

/// How long a node may take to be gone after SIGKILL.
pub const KILLED_WITHIN: Duration = Duration::from_secs(5);

impl Drop for Fleet {
    /// SIGKILL to every node first: a node that got SIGTERM would drain, waiting for its
    /// tabs to be adopted, which nobody does any more.
    fn drop(&mut self) {
        for node in &mut self.nodes {
            if node.is_running() {
                node.kill(KILLED_WITHIN);
            }
        }
    }
}

/// Starts node `n` with `args`, on `port` (else a free one), its log in its own directory.
fn start_node(
    dir: &std::path::Path,
    args: &[String],
    n: usize,
    port: Option<&str>,
) -> WebHostProcess {
    let node_dir = dir.join(NAMES[n]);
    std::fs::create_dir_all(&node_dir).expect("a log directory");
    let mut all: Vec<&str> = args.iter().map(String::as_str).collect();
    all.extend(["--node", NAMES[n]]);
    if let Some(port) = port {
        // After `WebHostProcess`'s own `--port 0`: the last one holds.
        all.extend(["--port", port]);
    }
    // A restarted node's log starts anew; the earlier one is kept beside it.
    let log = node_dir.join("web_host.log");
    if log.exists() {
        let _ = std::fs::rename(&log, node_dir.join(format!("web_host.{}.log", unique())));
    }
    WebHostProcess::start(&node_dir, &all)
}

fn unique() -> u128 {
    sessions_core::SessionId::random().as_u128() % 1_000_000
}

/// A plain GET to `address` (`127.0.0.1:PORT`): status and body.
pub async fn get(address: &str, path: &str) -> (u16, String) {
    let addr = address.parse().expect("an address");
    let (status, _, body) = crate::web_support::http_at(addr, "GET", path, &[], "").await;
    (status, body)
}

/// A number below `bound`, from a fresh random id (the tests need no random crate).
pub fn rand_below(bound: u32) -> u32 {
    let random = sessions_core::SessionId::random().as_u128();
    (random % u128::from(bound.max(1))) as u32
}
