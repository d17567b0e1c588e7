//! Issue 24's full node: one web host holding as many idle tabs as its process may have
//! open files, with a working tab beside them.
//!
//! This process is the node: our host (its defaults, but a [`GRACE`] grace period and
//! connection caps that hold every tab, all from 127.0.0.1) served by its own serve loop
//! (`WebHost::serve`) on a 2-worker tokio runtime, in a process that has done nothing else. It reads its open-file
//! limit and holds that many tabs less the files it has open and [`SERVER_SPARE_FILES`]
//! (the limit is 20,000 here, which root cannot raise: about 19,500 tabs). The tabs' client
//! ends are split over client processes (`--node-client ADDR TABS`, each under the same
//! limit), which read every socket (so that they answer the heartbeat's pings) and send
//! nothing. The working tab is one more process (`--node-worker ADDR CALLS`): one
//! WebSocket calling `add(i, 1)` back to back, one in flight, printing p50 and p99.
//!
//! In order: the working tab alone; the idle tabs opened (timed until every client has
//! every socket past `session.opened`, and until the engine counts them); RSS and the
//! kernel's TCP memory read before and after, [`SETTLE`] after the last; the working tab
//! twice among the idle tabs; the idle clients ended (their sockets closed) and timed until
//! the engine has closed every session (each after its grace period); the working tab
//! alone again.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use sessions_core::web::WebHost;
use sessions_core::Engine;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;

use crate::children::{open_file_limit, open_files, stdin_closed, ChildProcess};
use crate::load::{check, next_text, open_ws, percentile, request, within};
use crate::proc_stats::rss_kib;
use crate::servers::Peer;
use crate::{crowd, fields};

/// The grace period of the node's host: how long a dropped tab's session waits.
const GRACE: Duration = Duration::from_secs(1);

/// Files the node keeps for other things than its idle tabs: the working tab, the pipes to
/// its clients, the runtime's.
const SERVER_SPARE_FILES: usize = 500;

/// Connections the node takes beyond its idle tabs (the working tab's).
const SPARE_CONNECTIONS: usize = 16;

/// Files a client process keeps for other things than its sockets.
const CLIENT_SPARE_FILES: usize = 100;

/// The fewest client processes the idle tabs are split over.
const MIN_CLIENTS: usize = 2;

/// How long the server is left alone before each RSS reading.
const SETTLE: Duration = Duration::from_secs(1);

/// How long opening every idle tab may take.
const OPEN_DEADLINE: Duration = Duration::from_secs(600);

/// How long the engine may take to close every session after the grace period.
const CLOSE_DEADLINE: Duration = Duration::from_secs(120);

/// Unmeasured calls of the working tab before its measured ones.
const WARMUP_CALLS: usize = 200;

/// How long a client lives at most, whatever its parent does.
const CLIENT_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// p50 and p99 of one run of the working tab, in ns.
#[derive(Clone, Copy)]
struct Calls {
    p50: u64,
    p99: u64,
}

/// `/proc/net/sockstat`'s TCP line (sockets in use, and the pages of memory TCP holds for
/// queued data), and the kernel's slab from `/proc/meminfo` (where the sockets' own
/// structures live; machine-wide, so other work on the machine moves it too).
#[derive(Clone, Copy)]
struct Sockstat {
    inuse: u64,
    pages: u64,
    slab_kib: u64,
}

/// Runs the full node with `tabs` idle tabs (`None`: as many as the limit allows) and a
/// working tab making `calls` calls per run.
pub fn run(tabs: Option<usize>, calls: usize) -> Result<(), String> {
    let limit = open_file_limit()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("server runtime: {e}"))?;
    let tabs = match tabs {
        Some(tabs) => tabs,
        None => limit
            .checked_sub(open_files()? + SERVER_SPARE_FILES)
            .ok_or_else(|| format!("an open-file limit of {limit} leaves no room for tabs"))?,
    };
    let engine = Engine::new();
    // Every tab comes from 127.0.0.1: the caps are raised to hold them all, plus the
    // working tab.
    let host = WebHost::builder(engine.clone())
        .grace_period(GRACE)
        .max_connections(tabs + SPARE_CONNECTIONS)
        .max_connections_per_peer(tabs + SPARE_CONNECTIONS)
        .build_host();
    let addr = runtime
        .block_on(serve_host(host))
        .map_err(|e| format!("start our server: {e}"))?;
    println!(
        "node: open-file limit {limit}, {tabs} idle tabs; tcp_mem {} (pages), tcp_rmem {}, tcp_wmem {} (bytes)",
        sysctl("tcp_mem"),
        sysctl("tcp_rmem"),
        sysctl("tcp_wmem")
    );
    let alone = worker(addr, calls)?;
    all_closed(&engine, GRACE + CLOSE_DEADLINE)?;
    std::thread::sleep(SETTLE);
    let (rss_before, tcp_before) = (rss()?, sockstat()?);

    let opening = Instant::now();
    let mut clients = start_clients(addr, tabs, limit)?;
    let opened = opening.elapsed();
    let deadline = Instant::now() + OPEN_DEADLINE;
    while engine.len() < tabs && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    if engine.len() != tabs {
        return Err(format!("{tabs} tabs open but {} sessions", engine.len()));
    }
    let counted = opening.elapsed();
    std::thread::sleep(SETTLE);
    let (rss_after, tcp_after) = (rss()?, sockstat()?);
    let server_files = open_files()?;
    if engine.len() != tabs || server_files < tabs {
        return Err(format!(
            "{tabs} tabs opened, but {} sessions and {server_files} open files a second later",
            engine.len()
        ));
    }
    let among = [worker(addr, calls)?, worker(addr, calls)?];

    let closing = Instant::now();
    for client in clients.drain(..) {
        client.finish(Duration::from_secs(60))?;
    }
    let dropped = closing.elapsed();
    all_closed(&engine, GRACE + CLOSE_DEADLINE)?;
    let closed = closing.elapsed();
    let alone_after = worker(addr, calls)?;
    runtime.shutdown_background();

    let per_tab = rss_after.saturating_sub(rss_before) as f64 / tabs as f64;
    let tcp_sockets = tcp_after.inuse.saturating_sub(tcp_before.inuse);
    let tcp_pages = tcp_after.pages.saturating_sub(tcp_before.pages);
    println!(
        "node: {tabs} tabs opened by their clients in {:.2} s, counted by the engine in {:.2} s",
        opened.as_secs_f64(),
        counted.as_secs_f64()
    );
    println!(
        "node: RSS {rss_before} KiB -> {rss_after} KiB: {per_tab:.2} KiB per idle tab; server open files {server_files}"
    );
    let slab = tcp_after.slab_kib.saturating_sub(tcp_before.slab_kib);
    println!(
        "node: TCP sockets in use +{tcp_sockets} (both ends), TCP memory +{tcp_pages} pages ({:.0} bytes per tab); kernel slab +{slab} KiB ({:.2} KiB per tab, both ends)",
        (tcp_pages * 4096) as f64 / tabs as f64,
        slab as f64 / tabs as f64
    );
    let line = |name: &str, calls: Calls| {
        println!(
            "node: working tab {name}: p50 {:.1} µs p99 {:.1} µs",
            calls.p50 as f64 / 1e3,
            calls.p99 as f64 / 1e3
        );
    };
    line("alone, before", alone);
    line("among the idle tabs (1)", among[0]);
    line("among the idle tabs (2)", among[1]);
    line("alone, after", alone_after);
    let mut idle_p50 = [among[0].p50, among[1].p50];
    idle_p50.sort_unstable();
    let mut alone_p50 = [alone.p50, alone_after.p50];
    alone_p50.sort_unstable();
    println!(
        "node: working tab p50 among ÷ alone, the better run of each: {:.2}×; the means of the runs: p50 {:.2}×, p99 {:.2}×",
        idle_p50[0] as f64 / alone_p50[0] as f64,
        (among[0].p50 + among[1].p50) as f64 / (alone.p50 + alone_after.p50) as f64,
        (among[0].p99 + among[1].p99) as f64 / (alone.p99 + alone_after.p99) as f64,
    );
    println!(
        "node: idle clients ended in {:.2} s; every session closed {:.2} s after they were told to end (grace period {GRACE:?})",
        dropped.as_secs_f64(),
        closed.as_secs_f64()
    );
    Ok(())
}

/// Serves `host` with its own serve loop (its connection caps and deadlines, as an
/// application runs it) on 127.0.0.1, with a port the system picks.
async fn serve_host(host: WebHost) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = host.router();
    tokio::spawn(async move {
        if let Err(error) = host.serve(listener, app).await {
            eprintln!("web bench: the node stopped: {error}");
        }
    });
    Ok(addr)
}

/// Waits until the engine has no session, within `deadline`.
fn all_closed(engine: &Engine, deadline: Duration) -> Result<(), String> {
    let end = Instant::now() + deadline;
    while !engine.is_empty() {
        if Instant::now() > end {
            return Err(format!(
                "{} sessions still open after {deadline:?}",
                engine.len()
            ));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(())
}

/// Starts the idle clients, each under its own open-file limit, and waits until every one
/// has its sockets open.
fn start_clients(addr: SocketAddr, tabs: usize, limit: usize) -> Result<Vec<ChildProcess>, String> {
    let per_process = limit.saturating_sub(CLIENT_SPARE_FILES).max(1);
    let processes = tabs.div_ceil(per_process).max(MIN_CLIENTS).min(tabs.max(1));
    let mut clients = Vec::with_capacity(processes);
    for index in 0..processes {
        let share = tabs / processes + usize::from(index < tabs % processes);
        let args = ["--node-client", &addr.to_string(), &share.to_string()];
        clients.push(ChildProcess::spawn(&args.map(str::to_owned))?);
    }
    for client in &mut clients {
        client.expect("open", OPEN_DEADLINE)?;
    }
    Ok(clients)
}

/// One run of the working tab, in a process of its own.
fn worker(addr: SocketAddr, calls: usize) -> Result<Calls, String> {
    let args = ["--node-worker", &addr.to_string(), &calls.to_string()];
    let mut process = ChildProcess::spawn(&args.map(str::to_owned))?;
    let line = process.expect("calls", Duration::from_secs(300))?;
    process.finish(Duration::from_secs(30))?;
    let fields = fields(&line);
    let number = |key: &str| {
        fields
            .get(key)
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("no {key} in the working tab's {line:?}"))
    };
    Ok(Calls {
        p50: number("p50")?,
        p99: number("p99")?,
    })
}

fn rss() -> Result<u64, String> {
    rss_kib().ok_or_else(|| "no VmRSS in /proc/self/status".to_owned())
}

/// `/proc/net/sockstat`'s `TCP: inuse N … mem PAGES`.
fn sockstat() -> Result<Sockstat, String> {
    let text = std::fs::read_to_string("/proc/net/sockstat")
        .map_err(|e| format!("/proc/net/sockstat: {e}"))?;
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("TCP:"))
        .ok_or("no TCP line in /proc/net/sockstat")?;
    let words: Vec<&str> = line.split_whitespace().collect();
    let value = |key: &str| -> Result<u64, String> {
        let at = words
            .iter()
            .position(|word| *word == key)
            .ok_or_else(|| format!("no {key} in /proc/net/sockstat"))?;
        words
            .get(at + 1)
            .and_then(|value| value.parse().ok())
            .ok_or_else(|| format!("{key} in /proc/net/sockstat"))
    };
    let meminfo =
        std::fs::read_to_string("/proc/meminfo").map_err(|e| format!("/proc/meminfo: {e}"))?;
    let slab_kib = meminfo
        .lines()
        .find_map(|line| line.strip_prefix("Slab:"))
        .and_then(|rest| rest.split_whitespace().next()?.parse().ok())
        .ok_or("no Slab in /proc/meminfo")?;
    Ok(Sockstat {
        inuse: value("inuse")?,
        pages: value("mem")?,
        slab_kib,
    })
}

/// A `net.ipv4` setting as the kernel shows it.
fn sysctl(name: &str) -> String {
    std::fs::read_to_string(format!("/proc/sys/net/ipv4/{name}")).map_or_else(
        |_| "unknown".to_owned(),
        |text| text.trim().replace('\t', " "),
    )
}

/// The idle client process: `tabs` sockets, each read until it ends; says `open N`, and
/// holds them until its stdin closes.
pub fn client(addr: SocketAddr, tabs: usize) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("client runtime: {e}"))?;
    runtime.block_on(async {
        let ended = stdin_closed();
        crowd::open_each(Peer::Ours, addr, tabs, |mut ws| {
            // Reading answers the host's pings; the task ends with the socket or with
            // this process.
            tokio::spawn(async move { while let Some(Ok(_)) = ws.next().await {} });
        })
        .await?;
        println!("open {tabs}");
        // Ends when the parent closes stdin, or at the latest after the lifetime.
        let _ = tokio::time::timeout(CLIENT_LIFETIME, ended).await;
        Ok(())
    })
}

/// The working tab's process: `calls` calls of `add(i, 1)` after a warm-up, one in flight;
/// prints `calls n=… p50=… p99=…` (ns).
pub fn working_tab(addr: SocketAddr, calls: usize) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("client runtime: {e}"))?;
    let mut latencies = runtime.block_on(async {
        let mut ws = open_ws(Peer::Ours, addr, WebSocketConfig::default()).await?;
        let mut latencies = Vec::with_capacity(calls);
        for id in 0..(WARMUP_CALLS + calls) as i64 {
            let started = Instant::now();
            within("send", ws.send(Message::text(request(id)))).await?;
            let answer = next_text(&mut ws).await?;
            let took = started.elapsed();
            check(Peer::Ours, answer.as_bytes(), id)?;
            if id >= WARMUP_CALLS as i64 {
                latencies.push(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX));
            }
        }
        let _ = ws.close(None).await;
        Ok::<_, String>(latencies)
    })?;
    latencies.sort_unstable();
    if latencies.is_empty() {
        return Err("no call was measured".to_owned());
    }
    println!(
        "calls n={} p50={} p99={}",
        latencies.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.99)
    );
    Ok(())
}
