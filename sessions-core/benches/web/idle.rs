//! Memory per idle tab: the server process's resident set before any socket and with
//! `tabs` idle WebSockets open, each past its handshake (and, for ours, its
//! `session.opened`), held by a client in another process (a process may hold 20,000 open
//! files here, so one process cannot be both ends of 10,000 sockets).
//!
//! The server process (`--idle-server PEER TABS`) starts one server, reads its RSS, and
//! starts the client (`--idle-client PEER ADDR TABS`), which opens the sockets in two
//! halves and says `open K` after each; the server waits [`SETTLE`], reads its RSS again
//! (and, for ours, checks that the engine has exactly K sessions), and answers `more`.
//! It prints `idle peer=… tabs=… before=… half=… after=…` (KiB) and closes the client's
//! stdin, which ends the client. Each server is measured in a fresh process, so neither
//! reuses memory the other freed.

use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::crowd;
use crate::proc_stats::rss_kib;
use crate::servers::{self, Peer};

/// How long the server is left alone before each RSS reading, so that the tasks of the
/// last sockets have run and the allocator has settled.
const SETTLE: Duration = Duration::from_millis(500);

/// What one server process measured, in KiB.
#[derive(Clone, Copy, Debug)]
pub struct Idle {
    pub tabs: usize,
    pub before: u64,
    pub half: u64,
    pub after: u64,
}

impl Idle {
    /// RSS growth per tab from no socket to `tabs`, in KiB.
    pub fn per_tab(self) -> f64 {
        self.after.saturating_sub(self.before) as f64 / self.tabs as f64
    }

    /// RSS growth per tab over the second half of the sockets alone, in KiB: without
    /// what the first sockets paid once (the runtime's and allocator's first growth).
    pub fn per_tab_second_half(self) -> f64 {
        let second_half = self.tabs - self.tabs / 2;
        self.after.saturating_sub(self.half) as f64 / second_half as f64
    }
}

/// Runs the server process of one measure and prints its `idle` line.
pub fn serve(peer: Peer, tabs: usize) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("server runtime: {e}"))?;
    let running = runtime
        .block_on(servers::start(peer))
        .map_err(|e| format!("start {}: {e}", peer.name()))?;
    std::thread::sleep(SETTLE);
    let before = rss_kib().ok_or("no /proc/self/status: RSS cannot be read here")?;
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut client = Command::new(exe)
        .args(["--idle-client", peer.name()])
        .arg(running.addr.to_string())
        .arg(tabs.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start the idle client: {e}"))?;
    let mut to_client = client.stdin.take().ok_or("the client's stdin")?;
    let mut from_client = BufReader::new(client.stdout.take().ok_or("the client's stdout")?);
    let mut readings = Vec::new();
    for checkpoint in [tabs / 2, tabs] {
        let mut line = String::new();
        from_client
            .read_line(&mut line)
            .map_err(|e| format!("read from the idle client: {e}"))?;
        if line.trim() != format!("open {checkpoint}") {
            let _ = client.kill();
            return Err(format!(
                "the idle client said {line:?}, not `open {checkpoint}`"
            ));
        }
        std::thread::sleep(SETTLE);
        readings.push(rss_kib().ok_or("RSS")?);
        if let Some(engine) = &running.engine {
            if engine.len() != checkpoint {
                let _ = client.kill();
                return Err(format!(
                    "{checkpoint} tabs open but {} sessions",
                    engine.len()
                ));
            }
        }
        if checkpoint < tabs {
            writeln!(to_client, "more").map_err(|e| format!("write to the idle client: {e}"))?;
        }
    }
    // Closing its stdin ends the client, and with it the sockets.
    drop(to_client);
    let status = client
        .wait()
        .map_err(|e| format!("wait for the idle client: {e}"))?;
    if !status.success() {
        return Err(format!("the idle client failed: {status}"));
    }
    let (half, after) = (readings[0], readings[1]);
    println!(
        "idle peer={} tabs={tabs} before={before} half={half} after={after}",
        peer.name()
    );
    drop(running);
    runtime.shutdown_background();
    Ok(())
}

/// The client process: opens `tabs` sockets to `addr` in two halves, says `open K` after
/// each, and waits for a line on stdin; holds them until stdin closes.
pub fn client(peer: Peer, addr: SocketAddr, tabs: usize) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("client runtime: {e}"))?;
    let mut sockets = Vec::with_capacity(tabs);
    let mut stdin = std::io::stdin().lock();
    for checkpoint in [tabs / 2, tabs] {
        let more = checkpoint - sockets.len();
        let opened = runtime.block_on(crowd::open(peer, addr, more))?;
        sockets.extend(opened);
        println!("open {checkpoint}");
        // `more` after the first half; at the end, stdin closes (the server has read its
        // last figure) and the sockets go with this process.
        let mut line = String::new();
        if stdin
            .read_line(&mut line)
            .map_err(|e| format!("stdin: {e}"))?
            == 0
        {
            break;
        }
    }
    drop(sockets);
    Ok(())
}

/// Parses the server process's `idle` line.
pub fn parse(line: &str) -> Option<Idle> {
    let fields = crate::fields(line.strip_prefix("idle ")?);
    Some(Idle {
        tabs: fields.get("tabs")?.parse().ok()?,
        before: fields.get("before")?.parse().ok()?,
        half: fields.get("half")?.parse().ok()?,
        after: fields.get("after")?.parse().ok()?,
    })
}
