//! The web host against jsonrpsee's server, over real sockets on 127.0.0.1: JSON-RPC calls
//! per second and their latency over WebSocket and HTTP, and memory per idle tab.
//!
//! ```sh
//! cargo bench -p sessions-core --features web --bench web                 # everything, ~4 min
//! cargo bench -p sessions-core --features web --bench web -- throughput   # or: memory
//! cargo bench -p sessions-core --features web --bench web -- rounds=3 secs=2 tabs=2000
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
//! session). For each measure it starts the load generator as a child process
//! (`--client …`, see `load.rs`) on a current-thread runtime: on 2 cores a generator in the
//! servers' process would take their workers' time in ways that differ between servers,
//! and a single-threaded one takes at most one core whatever the server does, so both
//! servers get the same share. Scenarios: WebSocket with 1 and 64 connections, HTTP/1.1
//! keep-alive with 1 and 64, each connection with one call in flight, after a warm-up;
//! ours and jsonrpsee alternate within each round (the first one alternating too), so
//! drift of the machine falls on both. Reported per scenario: the medians over rounds of
//! calls per second, p50 and p99 latency, and this process's CPU time per call (the
//! server's cost, which the generator's share of the machine does not hide), and the
//! median and range of the per-round ratio ours ÷ jsonrpsee.
//!
//! **Memory per idle tab.** `idle.rs`: a fresh server process per measure, 10,000 idle
//! WebSockets from another process, RSS growth ÷ 10,000.
//!
//! **Profiling one server.** `BINARY --serve ours` (or `jsonrpsee`) serves alone and prints
//! its address and pid, until its stdin closes; `BINARY --client ours ws 1 ADDR 1000 5000`
//! drives it (peer, `ws` or `http`, connections, address, warm-up and window in ms), and a
//! profiler attaches to the pid (`perf record -p`, or the server run under
//! `valgrind --tool=callgrind` with `callgrind_control -z`/`-d` at the generator's
//! `start`/`end` lines).

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

mod idle;
mod load;
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
    rounds: usize,
    warmup: Duration,
    window: Duration,
    tabs: usize,
}

impl Settings {
    fn from_args(args: &[String]) -> Result<Settings, String> {
        let measure = args.iter().any(|arg| arg == "--bench");
        let mut settings = if measure {
            Settings {
                measure,
                throughput: false,
                memory: false,
                rounds: 5,
                warmup: Duration::from_secs(1),
                window: Duration::from_secs(3),
                tabs: 10_000,
            }
        } else {
            Settings {
                measure,
                throughput: false,
                memory: false,
                rounds: 1,
                warmup: Duration::from_millis(100),
                window: Duration::from_millis(200),
                tabs: 200,
            }
        };
        for arg in args.iter().filter(|arg| *arg != "--bench") {
            let number = |prefix: &str| arg.strip_prefix(prefix).map(str::parse::<u64>);
            match arg.as_str() {
                "throughput" => settings.throughput = true,
                "memory" => settings.memory = true,
                _ => {
                    if let Some(rounds) = number("rounds=") {
                        settings.rounds = rounds.map_err(|e| format!("{arg}: {e}"))? as usize;
                    } else if let Some(secs) = number("secs=") {
                        settings.window =
                            Duration::from_secs(secs.map_err(|e| format!("{arg}: {e}"))?);
                    } else if let Some(tabs) = number("tabs=") {
                        settings.tabs = tabs.map_err(|e| format!("{arg}: {e}"))? as usize;
                    } else {
                        return Err(format!(
                            "unknown argument {arg:?}: expected throughput, memory, rounds=N, secs=N or tabs=N"
                        ));
                    }
                }
            }
        }
        if !settings.throughput && !settings.memory {
            settings.throughput = true;
            settings.memory = true;
        }
        if settings.rounds == 0 || settings.tabs < 2 {
            return Err("rounds must be at least 1 and tabs at least 2".to_owned());
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
            "\nthroughput: {} rounds, each measure {:?} of warm-up then a {:?} window",
            self.rounds, self.warmup, self.window
        );
        let mut results: HashMap<(usize, Peer), Vec<Measured>> = HashMap::new();
        for round in 0..self.rounds {
            for (scenario, &(transport, connections)) in SCENARIOS.iter().enumerate() {
                let mut order = Peer::ALL;
                if round % 2 == 1 {
                    order.reverse();
                }
                for peer in order {
                    let addr = match peer {
                        Peer::Ours => ours.addr,
                        Peer::Jsonrpsee => theirs.addr,
                    };
                    let plan = Plan {
                        peer,
                        transport,
                        connections,
                        addr,
                        warmup: self.warmup,
                        window: self.window,
                    };
                    let measured = measure(plan)?;
                    println!(
                        "round {} {:<13} {:<9} {:>9.0} calls/s  p50 {:>7}  p99 {:>7}  server CPU {:>6}/call  generator CPU {}",
                        round + 1,
                        label(transport, connections),
                        peer.name(),
                        measured.rate(),
                        micros(measured.p50),
                        micros(measured.p99),
                        measured.server_cpu_per_call().map_or("n/a".to_owned(), |s| micros(s as u64)),
                        measured.client_cpu_share().map_or("n/a".to_owned(), |s| format!("{:.0}%", s * 100.0)),
                    );
                    results.entry((scenario, peer)).or_default().push(measured);
                }
            }
        }
        drop((ours, theirs));
        runtime.shutdown_background();
        print_throughput(&results);
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

/// What one measure gave.
#[derive(Clone, Copy, Debug)]
struct Measured {
    calls: u64,
    secs: f64,
    p50: u64,
    p99: u64,
    /// The generator's CPU seconds in the window.
    client_cpu: Option<f64>,
    /// This (the servers') process's CPU seconds in the window.
    server_cpu: Option<f64>,
    window: Duration,
}

impl Measured {
    fn rate(&self) -> f64 {
        self.calls as f64 / self.secs
    }

    /// The server's CPU time per call, in ns.
    fn server_cpu_per_call(&self) -> Option<f64> {
        Some(self.server_cpu? * 1e9 / self.calls as f64)
    }

    /// The share of one core the generator used in the window.
    fn client_cpu_share(&self) -> Option<f64> {
        Some(self.client_cpu? / self.window.as_secs_f64())
    }
}

/// Runs one measure: the generator in a child process, this process's CPU time read when
/// it says the window starts and ends.
fn measure(plan: Plan) -> Result<Measured, String> {
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let mut child = Command::new(exe)
        .arg("--client")
        .args(plan.to_args())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("start the load generator: {e}"))?;
    let stdout = child.stdout.take().ok_or("the generator's stdout")?;
    let (mut cpu_start, mut cpu_end, mut result) = (None, None, None);
    for line in BufReader::new(stdout).lines() {
        let line = line.map_err(|e| format!("read from the generator: {e}"))?;
        match line.as_str() {
            "start" => cpu_start = cpu_seconds(),
            "end" => cpu_end = cpu_seconds(),
            _ => result = line.strip_prefix("result ").map(str::to_owned),
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("wait for the generator: {e}"))?;
    let result = match (status.success(), result) {
        (true, Some(result)) => result,
        _ => return Err(format!("the load generator failed ({status}) for {plan:?}")),
    };
    let fields = fields(&result);
    let get = |key: &str| {
        fields
            .get(key)
            .ok_or_else(|| format!("no {key} in the generator's result {result:?}"))
    };
    let int = |key: &str| get(key)?.parse::<u64>().map_err(|e| format!("{key}: {e}"));
    Ok(Measured {
        calls: int("calls")?,
        secs: get("secs")?.parse().map_err(|e| format!("secs: {e}"))?,
        p50: int("p50")?,
        p99: int("p99")?,
        client_cpu: fields.get("cpu").and_then(|cpu| cpu.parse().ok()),
        server_cpu: cpu_end.zip(cpu_start).map(|(end, start)| end - start),
        window: plan.window,
    })
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

fn print_throughput(results: &HashMap<(usize, Peer), Vec<Measured>>) {
    println!("\nMedians over the rounds; ratio = ours ÷ jsonrpsee calls/s per round (median, lowest–highest); server CPU = the servers' process's CPU time in the window ÷ calls.\n");
    println!("| scenario | ours calls/s | jsonrpsee calls/s | ratio | ours p50 / p99 | jsonrpsee p50 / p99 | server CPU per call, ours / jsonrpsee |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: |");
    for (scenario, &(transport, connections)) in SCENARIOS.iter().enumerate() {
        let ours = &results[&(scenario, Peer::Ours)];
        let theirs = &results[&(scenario, Peer::Jsonrpsee)];
        let of = |runs: &[Measured], f: fn(&Measured) -> f64| median(runs.iter().map(f).collect());
        let ratios: Vec<f64> = ours
            .iter()
            .zip(theirs)
            .map(|(ours, theirs)| ours.rate() / theirs.rate())
            .collect();
        let low = ratios.iter().copied().fold(f64::INFINITY, f64::min);
        let high = ratios.iter().copied().fold(0.0, f64::max);
        let cpu = |runs: &[Measured]| {
            let per_call: Vec<f64> = runs
                .iter()
                .filter_map(Measured::server_cpu_per_call)
                .collect();
            if per_call.is_empty() {
                "n/a".to_owned()
            } else {
                micros(median(per_call) as u64)
            }
        };
        println!(
            "| {} | {:.0} | {:.0} | {:.2}× ({low:.2}–{high:.2}) | {} / {} | {} / {} | {} / {} |",
            label(transport, connections),
            of(ours, Measured::rate),
            of(theirs, Measured::rate),
            median(ratios.clone()),
            micros(of(ours, |m| m.p50 as f64) as u64),
            micros(of(ours, |m| m.p99 as f64) as u64),
            micros(of(theirs, |m| m.p50 as f64) as u64),
            micros(of(theirs, |m| m.p99 as f64) as u64),
            cpu(ours),
            cpu(theirs),
        );
    }
}
