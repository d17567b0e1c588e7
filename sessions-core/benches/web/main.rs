//! The web host against jsonrpsee's server, over real sockets on 127.0.0.1: JSON-RPC calls
//! per second and their latency over WebSocket and HTTP, and memory per idle tab.
//!
//! ```sh
//! cargo bench -p sessions-core --features web --bench web                 # everything, ~6 min
//! cargo bench -p sessions-core --features web --bench web -- throughput   # or: memory, fanout, node
//! cargo bench -p sessions-core --features web --bench web -- pairs=10 burst=500 tabs=2000
//! cargo bench -p sessions-core --features web --bench web -- fanout fanout-tabs=1000,10000 rounds=20
//! cargo bench -p sessions-core --features web --bench web -- fanout kinds=variable  # or notify
//! cargo bench -p sessions-core --features web --bench web -- node calls=5000 node-tabs=5000
//! ```
//!
//! Without `--bench` (as `cargo test --benches` runs it) every part runs once, briefly,
//! as a smoke test of both servers' answers.
//!
//! **Throughput.** This process runs both servers on one tokio multi-thread runtime (the
//! default: one worker per core, 2 here): ours is `WebHost` with its defaults under
//! `axum::serve`, jsonrpsee's is its `Server` with its defaults, both serving the same
//! `add(a: i64, b: i64) -> i64` (`peers::add`, exported with `session = none` so that a
//! POST without a session may call it; on a WebSocket ours still runs it in the tab's
//! session). For each scenario it starts the load generator as a child process
//! (`--client …`, see `load.rs`) on a current-thread runtime: on 2 cores a generator in the
//! servers' process would take their workers' time in ways that differ between servers,
//! and a single-threaded one takes at most one core whatever the server does, so both
//! servers get the same share. Scenarios: WebSocket with 1 and 64 connections, HTTP/1.1
//! keep-alive with 1 and 64, each connection with one call in flight. The generator holds
//! connections to both servers and drives them in turns of short bursts (ours first in
//! every other pair): this machine is shared, and its speed moves by 2× from one second
//! to the next, so only a ratio taken within a pair means much. Reported per scenario:
//! the median and quartiles of the per-pair ratio ours ÷ jsonrpsee of calls per second,
//! each server's median calls per second over its bursts, p50 and p99 of all its calls,
//! and this process's CPU time per call (the server's cost, which the machine's other work
//! does not inflate as much as it does wall-clock figures).
//!
//! **Memory per idle tab.** `idle.rs`: a fresh server process per measure, 10,000 idle
//! WebSockets from another process, RSS growth ÷ 10,000.
//!
//! **Fan-out** (`fanout.rs`): one variable change pushed to 1,000 and 10,000 watching tabs,
//! against the same push written by hand with `Session::notify`, p50/p99 until the last
//! tab has it.
//!
//! **A full node** (`node.rs`): as many idle tabs as the process's open-file limit allows,
//! RSS per tab, a working tab's latency among them and alone, the time to open them all
//! and to close every session after they drop.
//!
//! **Profiling one server.** `BINARY --serve ours` (or `jsonrpsee`) serves alone and prints
//! its address and pid, until its stdin closes; a profiler attaches to the pid
//! (`perf record -p`), or runs it (`valgrind --tool=callgrind`, with `callgrind_control
//! -z`/`-d` at the generator's `start`/`end` lines). Drive it with `BINARY --client`
//! (arguments in `load.rs`: transport, connections, our address, jsonrpsee's, warm-up,
//! burst, pairs), answering each of its `start`/`end` lines with a line on its stdin.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

mod children;
mod crowd;
mod fanout;
mod fanout_client;
mod idle;
mod load;
mod node;
#[path = "../peers/mod.rs"]
mod peers;
mod proc_stats;
mod servers;

use idle::Idle;
use load::{Plan, Transport};
use proc_stats::{cpu_seconds, load_average};
use servers::Peer;

/// The scenarios: transport and connections.
const SCENARIOS: [(Transport, usize); 4] = [
    (Transport::Ws, 1),
    (Transport::Ws, 64),
    (Transport::Http, 1),
    (Transport::Http, 64),
];

/// The memory target of issue 13, in KiB per idle tab.
const TARGET_KIB_PER_TAB: f64 = 64.0;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("--client") => Plan::from_args(&args[1..]).and_then(load::run),
        Some("--idle-server") => idle_server_args(&args[1..]),
        Some("--idle-client") => idle_client_args(&args[1..]),
        Some("--serve") => serve_args(&args[1..]),
        Some("--fanout-client") => fanout_client_args(&args[1..]),
        Some("--node-client") => node_args(&args[1..], node::client),
        Some("--node-worker") => node_args(&args[1..], node::working_tab),
        _ => Settings::from_args(&args).and_then(|settings| settings.run()),
    };
    if let Err(error) = result {
        eprintln!("web bench: {error}");
        std::process::exit(1);
    }
}

fn idle_server_args(args: &[String]) -> Result<(), String> {
    let [peer, tabs] = args else {
        return Err(format!("--idle-server PEER TABS, got {args:?}"));
    };
    let peer = Peer::from_name(peer).ok_or_else(|| format!("unknown server {peer:?}"))?;
    idle::serve(peer, tabs.parse().map_err(|e| format!("tabs: {e}"))?)
}

fn idle_client_args(args: &[String]) -> Result<(), String> {
    let [peer, addr, tabs] = args else {
        return Err(format!("--idle-client PEER ADDR TABS, got {args:?}"));
    };
    let peer = Peer::from_name(peer).ok_or_else(|| format!("unknown server {peer:?}"))?;
    let addr = addr.parse().map_err(|e| format!("address: {e}"))?;
    idle::client(peer, addr, tabs.parse().map_err(|e| format!("tabs: {e}"))?)
}

fn fanout_client_args(args: &[String]) -> Result<(), String> {
    let [addr, tabs, path] = args else {
        return Err(format!("--fanout-client ADDR TABS PATH, got {args:?}"));
    };
    let addr = addr.parse().map_err(|e| format!("address: {e}"))?;
    fanout_client::run(addr, tabs.parse().map_err(|e| format!("tabs: {e}"))?, path)
}

/// `--node-client ADDR TABS` and `--node-worker ADDR CALLS`.
fn node_args(
    args: &[String],
    run: fn(std::net::SocketAddr, usize) -> Result<(), String>,
) -> Result<(), String> {
    let [addr, count] = args else {
        return Err(format!("ADDR COUNT, got {args:?}"));
    };
    let addr = addr.parse().map_err(|e| format!("address: {e}"))?;
    run(addr, count.parse().map_err(|e| format!("count: {e}"))?)
}

/// `--serve PEER`: one server alone, for a profiler: prints its address, serves until
/// stdin closes. Drive it with `--client PEER ws|http CONNECTIONS ADDR WARMUP_MS WINDOW_MS`.
fn serve_args(args: &[String]) -> Result<(), String> {
    let [peer] = args else {
        return Err(format!("--serve PEER, got {args:?}"));
    };
    let peer = Peer::from_name(peer).ok_or_else(|| format!("unknown server {peer:?}"))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("server runtime: {e}"))?;
    let running = runtime
        .block_on(servers::start(peer))
        .map_err(|e| format!("start {}: {e}", peer.name()))?;
    println!(
        "{} serving on {} (pid {})",
        peer.name(),
        running.addr,
        std::process::id()
    );
    let mut rest = String::new();
    let _ = std::io::Read::read_to_string(&mut std::io::stdin(), &mut rest);
    drop(running);
    runtime.shutdown_background();
    Ok(())
}

/// `key=value key=value …` as a map.
pub fn fields(line: &str) -> HashMap<&str, &str> {
    line.split_whitespace()
        .filter_map(|field| field.split_once('='))
        .collect()
}

/// What the command line asked for.
struct Settings {
    /// `--bench` (as `cargo bench` passes it): measure; else a brief smoke test.
    measure: bool,
    throughput: bool,
    memory: bool,
    fanout: bool,
    node: bool,
    /// Measured bursts per server and scenario.
    pairs: usize,
    warmup: Duration,
    burst: Duration,
    tabs: usize,
    /// The fan-out's sizes.
    fanout_tabs: Vec<usize>,
    /// Rounds of each kind per fan-out size (`None`: 40 up to 1,000 tabs, 20 above).
    rounds: Option<usize>,
    /// The fan-out's one kind alone (`kinds=variable` or `kinds=notify`), for a profiler.
    only: Option<fanout::Kind>,
    /// The full node's idle tabs (`None`: as many as the open-file limit allows).
    node_tabs: Option<usize>,
    /// The full node's working tab: measured calls per run.
    calls: usize,
}

impl Settings {
    fn from_args(args: &[String]) -> Result<Settings, String> {
        let measure = args.iter().any(|arg| arg == "--bench");
        let mut settings = if measure {
            Settings {
                measure,
                throughput: false,
                memory: false,
                fanout: false,
                node: false,
                pairs: 40,
                warmup: Duration::from_secs(1),
                burst: Duration::from_millis(250),
                tabs: 10_000,
                fanout_tabs: vec![1_000, 10_000],
                rounds: None,
                only: None,
                node_tabs: None,
                calls: 5_000,
            }
        } else {
            Settings {
                measure,
                throughput: false,
                memory: false,
                fanout: false,
                node: false,
                pairs: 2,
                warmup: Duration::from_millis(50),
                burst: Duration::from_millis(50),
                tabs: 200,
                fanout_tabs: vec![20],
                rounds: Some(2),
                only: None,
                node_tabs: Some(100),
                calls: 100,
            }
        };
        for arg in args.iter().filter(|arg| *arg != "--bench") {
            let number = |prefix: &str| arg.strip_prefix(prefix).map(str::parse::<u64>);
            match arg.as_str() {
                "throughput" => settings.throughput = true,
                "memory" => settings.memory = true,
                "fanout" => settings.fanout = true,
                "node" => settings.node = true,
                _ => {
                    if let Some(kind) = arg.strip_prefix("kinds=") {
                        settings.only =
                            Some(fanout::Kind::from_name(kind).ok_or_else(|| {
                                format!("{arg}: the kinds are variable and notify")
                            })?);
                    } else if let Some(list) = arg.strip_prefix("fanout-tabs=") {
                        settings.fanout_tabs = list
                            .split(',')
                            .map(str::parse)
                            .collect::<Result<_, _>>()
                            .map_err(|e| format!("{arg}: {e}"))?;
                    } else if let Some(rounds) = number("rounds=") {
                        settings.rounds = Some(rounds.map_err(|e| format!("{arg}: {e}"))? as usize);
                    } else if let Some(tabs) = number("node-tabs=") {
                        settings.node_tabs =
                            Some(tabs.map_err(|e| format!("{arg}: {e}"))? as usize);
                    } else if let Some(calls) = number("calls=") {
                        settings.calls = calls.map_err(|e| format!("{arg}: {e}"))? as usize;
                    } else if let Some(pairs) = number("pairs=") {
                        settings.pairs = pairs.map_err(|e| format!("{arg}: {e}"))? as usize;
                    } else if let Some(millis) = number("burst=") {
                        settings.burst =
                            Duration::from_millis(millis.map_err(|e| format!("{arg}: {e}"))?);
                    } else if let Some(tabs) = number("tabs=") {
                        settings.tabs = tabs.map_err(|e| format!("{arg}: {e}"))? as usize;
                    } else {
                        return Err(format!(
                            "unknown argument {arg:?}: expected throughput, memory, fanout, node, pairs=N, burst=MS, tabs=N, fanout-tabs=N,N, rounds=N, kinds=variable|notify, node-tabs=N or calls=N"
                        ));
                    }
                }
            }
        }
        if !(settings.throughput || settings.memory || settings.fanout || settings.node) {
            settings.throughput = true;
            settings.memory = true;
            settings.fanout = true;
            settings.node = true;
        }
        if settings.pairs == 0
            || settings.tabs < 2
            || settings.rounds == Some(0)
            || settings.calls == 0
            || settings.fanout_tabs.contains(&0)
            || settings.node_tabs == Some(0)
        {
            return Err(
                "pairs, rounds, calls and every tab count must be at least 1 (tabs at least 2)"
                    .to_owned(),
            );
        }
        Ok(settings)
    }

    fn run(&self) -> Result<(), String> {
        let cores = std::thread::available_parallelism().map_or(0, usize::from);
        println!(
            "web bench: {cores} cores, 1-minute load average {} at the start",
            load_average().map_or("unknown".to_owned(), |load| format!("{load:.2}"))
        );
        if self.throughput {
            self.throughput()?;
        }
        if self.memory {
            self.memory()?;
        }
        if self.fanout {
            self.fanout()?;
        }
        if self.node {
            println!();
            node::run(self.node_tabs, self.calls)?;
        }
        println!(
            "1-minute load average {} at the end",
            load_average().map_or("unknown".to_owned(), |load| format!("{load:.2}"))
        );
        if !self.measure {
            println!("web: smoke test passed (run with `cargo bench` to measure)");
        }
        Ok(())
    }

    fn throughput(&self) -> Result<(), String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(|e| format!("server runtime: {e}"))?;
        let ours = runtime
            .block_on(servers::start(Peer::Ours))
            .map_err(|e| format!("start our server: {e}"))?;
        let theirs = runtime
            .block_on(servers::start(Peer::Jsonrpsee))
            .map_err(|e| format!("start jsonrpsee: {e}"))?;
        println!(
            "\nthroughput: per scenario a {:?} warm-up burst per server, then {} pairs of {:?} bursts",
            self.warmup, self.pairs, self.burst
        );
        let mut rows = Vec::new();
        for (transport, connections) in SCENARIOS {
            let plan = Plan {
                transport,
                connections,
                ours: ours.addr,
                jsonrpsee: theirs.addr,
                warmup: self.warmup,
                burst: self.burst,
                pairs: self.pairs,
            };
            let row = Row::new(label(transport, connections), measure(plan)?);
            println!("{}", row.line());
            rows.push(row);
        }
        drop((ours, theirs));
        runtime.shutdown_background();
        println!("\nratio = ours ÷ jsonrpsee calls/s within each pair of bursts: median (quartiles); calls/s = median over the bursts; p50 / p99 of all calls; server CPU = the servers' process's CPU time over the bursts ÷ calls.\n");
        println!("| scenario | ratio | ours calls/s | jsonrpsee calls/s | ours p50 / p99 | jsonrpsee p50 / p99 | server CPU per call, ours / jsonrpsee |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        for row in &rows {
            println!("{}", row.markdown());
        }
        Ok(())
    }

    fn fanout(&self) -> Result<(), String> {
        println!("\nfan-out: one variable change against Session::notify in a loop, to the same watching tabs");
        let mut rows = Vec::new();
        for &tabs in &self.fanout_tabs {
            let rounds = self.rounds.unwrap_or(if tabs <= 1_000 { 40 } else { 20 });
            let measured = fanout::run(tabs, rounds, self.only)?;
            println!("{}", measured.report());
            rows.extend(measured.markdown());
        }
        println!("\n{}", fanout::MARKDOWN_HEADER);
        for row in rows {
            println!("{row}");
        }
        Ok(())
    }

    fn memory(&self) -> Result<(), String> {
        println!(
            "\nmemory: {} idle WebSockets per server, each server in a fresh process",
            self.tabs
        );
        let mut results: HashMap<Peer, Vec<Idle>> = HashMap::new();
        // Each twice, alternating, when measuring.
        let order: &[Peer] = if self.measure {
            &[Peer::Ours, Peer::Jsonrpsee, Peer::Jsonrpsee, Peer::Ours]
        } else {
            &Peer::ALL
        };
        for &peer in order {
            let idle = idle_measure(peer, self.tabs)?;
            println!(
                "{:<9} RSS {} KiB -> {} KiB at {} tabs -> {} KiB at {} tabs: {:.1} KiB per tab ({:.1} KiB over the second half)",
                peer.name(),
                idle.before,
                idle.half,
                idle.tabs / 2,
                idle.after,
                idle.tabs,
                idle.per_tab(),
                idle.per_tab_second_half(),
            );
            results.entry(peer).or_default().push(idle);
        }
        println!(
            "\n| server | RSS growth per idle tab (each run) | over the second half | target |"
        );
        println!("| --- | ---: | ---: | --- |");
        for peer in Peer::ALL {
            let runs = &results[&peer];
            let join = |f: fn(Idle) -> f64| {
                runs.iter()
                    .map(|idle| format!("{:.1} KiB", f(*idle)))
                    .collect::<Vec<_>>()
                    .join(" / ")
            };
            let target = match peer {
                Peer::Ours => {
                    let worst = runs.iter().map(|idle| idle.per_tab()).fold(0.0, f64::max);
                    if worst <= TARGET_KIB_PER_TAB {
                        "≤ 64 KiB: **met**"
                    } else {
                        "≤ 64 KiB: **missed**"
                    }
                }
                Peer::Jsonrpsee => "(peer)",
            };
            println!(
                "| {} | {} | {} | {target} |",
                peer.name(),
                join(Idle::per_tab),
                join(Idle::per_tab_second_half)
            );
        }
        Ok(())
    }
}

fn label(transport: Transport, connections: usize) -> String {
    let transport = match transport {
        Transport::Ws => "WebSocket",
        Transport::Http => "HTTP",
    };
    format!("{transport} ×{connections}")
}

/// Nanoseconds as microseconds, `12.3 µs`.
fn micros(nanos: u64) -> String {
    format!("{:.1} µs", nanos as f64 / 1000.0)
}

/// One measured burst: calls and seconds, and this process's CPU seconds over it.
#[derive(Clone, Copy, Debug)]
struct Burst {
    calls: u64,
    secs: f64,
    server_cpu: Option<f64>,
}

impl Burst {
    fn rate(&self) -> f64 {
        self.calls as f64 / self.secs
    }
}

/// What one server gave in one scenario.
#[derive(Default)]
struct Measured {
    bursts: Vec<Burst>,
    p50: u64,
    p99: u64,
    /// The generator's CPU seconds over this server's bursts.
    client_cpu: Option<f64>,
}

impl Measured {
    fn median_rate(&self) -> f64 {
        median(self.bursts.iter().map(Burst::rate).collect())
    }

    /// The server's CPU time per call, in ns.
    fn server_cpu_per_call(&self) -> Option<f64> {
        let cpu: Option<f64> = self.bursts.iter().map(|burst| burst.server_cpu).sum();
        Some(cpu? * 1e9 / self.calls() as f64)
    }

    /// The generator's CPU time per call, in ns.
    fn client_cpu_per_call(&self) -> Option<f64> {
        Some(self.client_cpu? * 1e9 / self.calls() as f64)
    }

    fn calls(&self) -> u64 {
        self.bursts.iter().map(|burst| burst.calls).sum()
    }
}

/// Runs one scenario: the generator in a child process; this process's CPU time read
/// around each of its bursts, which wait for our answer to start.
fn measure(plan: Plan) -> Result<HashMap<Peer, Measured>, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut child = Command::new(exe)
        .arg("--client")
        .args(plan.to_args())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start the load generator: {e}"))?;
    let mut to_child = child.stdin.take().ok_or("the generator's stdin")?;
    let stdout = child.stdout.take().ok_or("the generator's stdout")?;
    let mut measured: HashMap<Peer, Measured> = HashMap::new();
    let mut cpu_start = None;
    let peer_of =
        |name: &str| Peer::from_name(name).ok_or_else(|| format!("unknown server {name:?}"));
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("read from the generator: {e}"))?;
        let (word, rest) = line.split_once(' ').unwrap_or((&line, ""));
        let (name, rest) = rest.split_once(' ').unwrap_or((rest, ""));
        let fields = fields(rest);
        let number = |key: &str| -> Result<f64, String> {
            let text = fields
                .get(key)
                .ok_or_else(|| format!("no {key} in the generator's line {line:?}"))?;
            text.parse().map_err(|e| format!("{key}: {e}"))
        };
        match word {
            "start" => cpu_start = cpu_seconds(),
            "end" => {
                let server_cpu = cpu_seconds().zip(cpu_start).map(|(end, start)| end - start);
                measured
                    .entry(peer_of(name)?)
                    .or_default()
                    .bursts
                    .push(Burst {
                        calls: number("calls")? as u64,
                        secs: number("secs")?,
                        server_cpu,
                    });
            }
            "latency" => {
                let entry = measured.entry(peer_of(name)?).or_default();
                entry.p50 = number("p50")? as u64;
                entry.p99 = number("p99")? as u64;
                entry.client_cpu = number("cpu").ok();
                continue;
            }
            _ => return Err(format!("unexpected line from the generator: {line:?}")),
        }
        writeln!(to_child, "go").map_err(|e| format!("write to the generator: {e}"))?;
    }
    drop(to_child);
    let status = child
        .wait()
        .map_err(|e| format!("wait for the generator: {e}"))?;
    let complete = Peer::ALL.iter().all(|peer| {
        measured
            .get(peer)
            .is_some_and(|m| m.bursts.len() == plan.pairs && m.p50 > 0)
    });
    if !status.success() || !complete {
        return Err(format!("the load generator failed ({status}) for {plan:?}"));
    }
    Ok(measured)
}

/// One scenario's figures.
struct Row {
    label: String,
    ours: Measured,
    theirs: Measured,
    /// ours ÷ jsonrpsee calls/s within each pair, sorted.
    ratios: Vec<f64>,
}

impl Row {
    fn new(label: String, mut measured: HashMap<Peer, Measured>) -> Row {
        let ours = measured.remove(&Peer::Ours).unwrap_or_default();
        let theirs = measured.remove(&Peer::Jsonrpsee).unwrap_or_default();
        let mut ratios: Vec<f64> = ours
            .bursts
            .iter()
            .zip(&theirs.bursts)
            .map(|(ours, theirs)| ours.rate() / theirs.rate())
            .collect();
        ratios.sort_by(f64::total_cmp);
        Row {
            label,
            ours,
            theirs,
            ratios,
        }
    }

    /// The median ratio and its quartiles.
    fn ratio(&self) -> String {
        let at = |q: f64| self.ratios[((self.ratios.len() - 1) as f64 * q).round() as usize];
        format!("{:.2}× ({:.2}–{:.2})", at(0.5), at(0.25), at(0.75))
    }

    fn line(&self) -> String {
        let cpu = |ns: Option<f64>| ns.map_or("n/a".to_owned(), |ns| micros(ns as u64));
        format!(
            "{:<13} ratio {}  ours {:>6.0}/s p50 {} p99 {}  jsonrpsee {:>6.0}/s p50 {} p99 {}  server CPU/call {} / {}  generator CPU/call {} / {}",
            self.label,
            self.ratio(),
            self.ours.median_rate(),
            micros(self.ours.p50),
            micros(self.ours.p99),
            self.theirs.median_rate(),
            micros(self.theirs.p50),
            micros(self.theirs.p99),
            cpu(self.ours.server_cpu_per_call()),
            cpu(self.theirs.server_cpu_per_call()),
            cpu(self.ours.client_cpu_per_call()),
            cpu(self.theirs.client_cpu_per_call()),
        )
    }

    fn markdown(&self) -> String {
        let cpu = |ns: Option<f64>| ns.map_or("n/a".to_owned(), |ns| micros(ns as u64));
        format!(
            "| {} | {} | {:.0} | {:.0} | {} / {} | {} / {} | {} / {} |",
            self.label,
            self.ratio(),
            self.ours.median_rate(),
            self.theirs.median_rate(),
            micros(self.ours.p50),
            micros(self.ours.p99),
            micros(self.theirs.p50),
            micros(self.theirs.p99),
            cpu(self.ours.server_cpu_per_call()),
            cpu(self.theirs.server_cpu_per_call()),
        )
    }
}

/// One idle-tab measure: a server process of its own, which starts its client.
fn idle_measure(peer: Peer, tabs: usize) -> Result<Idle, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let output = Command::new(exe)
        .args(["--idle-server", peer.name(), &tabs.to_string()])
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("start the idle server: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        return Err(format!(
            "the idle server of {} failed ({}): {stdout}",
            peer.name(),
            output.status
        ));
    }
    stdout
        .lines()
        .find_map(idle::parse)
        .ok_or_else(|| format!("no `idle` line from the idle server: {stdout}"))
}

/// The median of `values` (the upper one of an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
