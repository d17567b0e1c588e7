//! What failover costs (issue 22): a call that changes a session's registered state, and a
//! notification, on a farm node that writes them to Redis for adoption
//! (`FarmBuilder::failover(true)`, the default), against the same node without failover
//! (`failover(false)`: no state, resume verifier or notification is written for an
//! adopter, and a notification leaves at once). Also Redis's memory per session, each way.
//!
//! Not a criterion benchmark: a plain `main` that starts its own `redis-server` (a unix
//! socket in a temporary directory, no persistence, `redis_server/mod.rs`), prints its
//! tables, and stops it. Without `redis-server` it says so and exits 0.
//!
//! In this one process: two nodes, each an engine with the registered state type `Basket`
//! (`Engine::builder().persist::<Basket>()`) joined to the farm on that `redis-server`
//! (node `failover` with failover on, in namespace `sessions`; node `plain` with it off, in
//! namespace `plain`, so that neither farm holds a node of the other kind), served by its own
//! `WebHost` (defaults, `axum::serve`, `TCP_NODELAY`) on 127.0.0.1 on a port the system
//! picks; both hosts on one tokio multi-thread runtime (one worker per core). The client:
//! one real WebSocket tab per node (tokio-tungstenite, as the web bench's load generator),
//! on a current-thread runtime on the main thread. Every answer and push is checked: each
//! call answered once with what it was given, each push once and in order.
//!
//! - **Per call**: `bench_put(revision)` inserts a new `Basket` into the tab's session (a
//!   change of its registered state: the farm writes the session again, batched, on its
//!   keeper thread). Latency one call at a time (send → answer, p50/p99), and throughput
//!   with [`IN_FLIGHT`] calls in flight on the socket (time per call).
//! - **Per notify**: `bench_notify(call, count)` notifies the tab `count` times.
//!   (a) latency of one notification: `count` = 1, send → the push's arrival (and send →
//!   the answer), p50/p99; (b) throughput: `count` = the outbox's capacity (256), timed
//!   until the client has all of them; time per notification.
//! - Rounds alternate the two nodes for each measure (the node going first alternating
//!   from round to round), so drift of a shared machine falls on both alike; each round
//!   gives a ratio failover ÷ no failover, and the median of the rounds' ratios is the
//!   figure to read. p99s are of all rounds' calls pooled. One unmeasured warm-up round
//!   first. After each round, as many `PING`s as single notifications: a bare Redis round
//!   trip, for reference.
//! - Over the throughput measures: CPU time of this process (server, farm threads and
//!   client alike) and of `redis-server` (from `/proc`, 10 ms ticks, summed over the
//!   rounds), and what Redis ran (`INFO commandstats`): the farm's scripts (`EVALSHA`),
//!   and all commands, those the scripts called included, per call or notification.
//! - **Memory**: a fresh tab on each node calls `bench_put` once and gets 256 pushes; then
//!   `MEMORY USAGE … SAMPLES 0` of the session's keys (`NS:s:ID`, `NS:r:RK`, `NS:b:ID`,
//!   see `farm/keys.rs`).
//!
//! Run: `cargo bench -p sessions-core --features farm,web --bench failover` (20 to 60 s,
//! with the machine's load). Without `--bench` (as `cargo test --benches` runs it), two short rounds, as a
//! smoke test.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::serve::ListenerExt;
use axum::Router;
use futures_util::{SinkExt, StreamExt};
use serde::{Deserialize, Serialize};
use sessions_core::farm::Farm;
use sessions_core::web::WebHost;
use sessions_core::{export_method, Engine, Session, SessionError, DEFAULT_OUTBOX_CAPACITY};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async_with_config, MaybeTlsStream, WebSocketStream};

#[allow(dead_code)] // This bench reads CPU times only.
#[path = "web/proc_stats.rs"]
mod proc_stats;
#[path = "redis_server/mod.rs"]
mod redis_server;

use proc_stats::{cpu_seconds, cpu_seconds_of, load_average};
use redis_server::Redis;

/// Calls in flight on the tab's socket in the call throughput measure.
const IN_FLIGHT: usize = 16;

/// Notifications per call in the notify throughput measure: the outbox's capacity, so a
/// call's notifications all fit in it however slowly they leave.
const BURST: u64 = DEFAULT_OUTBOX_CAPACITY as u64;

/// How long any one message from the host may take before the bench fails.
const READ_DEADLINE: Duration = Duration::from_secs(10);

/// The topic of the bench's pushes.
const TOPIC: &str = "bench.pushed";

/// A tab's registered state: what `bench_put` inserts, a few short fields as an
/// application's basket would hold.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Basket {
    revision: u64,
    items: Vec<String>,
}

/// One push of `bench_notify`: its call, and its index in the call.
#[derive(Serialize)]
struct Pushed {
    call: u64,
    index: u64,
}

/// Puts a new `Basket` in the calling tab's session (a change of its registered state);
/// answers `revision`.
#[export_method]
pub fn bench_put(session: &Session, revision: u64) -> Result<u64, SessionError> {
    session.insert(Basket {
        revision,
        items: vec!["apple".to_owned(), "pear".to_owned(), "plum".to_owned()],
    });
    Ok(revision)
}

/// Notifies the calling tab `count` times (topic `bench.pushed`, `{call, index}`); answers
/// `count`.
#[export_method]
pub fn bench_notify(session: &Session, call: u64, count: u64) -> Result<u64, SessionError> {
    for index in 0..count {
        session.notify(TOPIC, Pushed { call, index })?;
    }
    Ok(count)
}

/// How much of each measure a run makes.
struct Plan {
    /// `--bench` (as `cargo bench` passes it): measure; else a brief smoke test.
    measure: bool,
    rounds: usize,
    /// Per round and node: calls one at a time, calls with [`IN_FLIGHT`] in flight,
    /// single notifications, and calls of [`BURST`] notifications.
    calls: usize,
    calls_in_flight: usize,
    notifies: usize,
    bursts: usize,
}

impl Plan {
    fn new(measure: bool) -> Plan {
        if measure {
            Plan {
                measure,
                rounds: 40,
                calls: 1_000,
                calls_in_flight: 6_000,
                notifies: 600,
                bursts: 20,
            }
        } else {
            Plan {
                measure,
                rounds: 2,
                calls: 20,
                calls_in_flight: 100,
                notifies: 20,
                bursts: 2,
            }
        }
    }
}

/// The two nodes measured.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Variant {
    Failover,
    Plain,
}

impl Variant {
    const BOTH: [Variant; 2] = [Variant::Failover, Variant::Plain];

    /// The node's name (and its engine's).
    fn name(self) -> &'static str {
        match self {
            Variant::Failover => "failover",
            Variant::Plain => "plain",
        }
    }

    /// Each kind of node in a farm of its own.
    fn namespace(self) -> &'static str {
        match self {
            Variant::Failover => "sessions",
            Variant::Plain => "plain",
        }
    }

    /// The table's column.
    fn label(self) -> &'static str {
        match self {
            Variant::Failover => "failover (default)",
            Variant::Plain => "`failover(false)`",
        }
    }
}

fn main() {
    let plan = Plan::new(std::env::args().any(|arg| arg == "--bench"));
    let Some(redis) = Redis::start("failover") else {
        return;
    };
    let result = run(&redis, &plan);
    // Stopped before exiting, also on failure.
    drop(redis);
    match result {
        Ok(()) if !plan.measure => {
            println!("failover: smoke test passed (run with `cargo bench` to measure)");
        }
        Ok(()) => {}
        Err(error) => {
            eprintln!("failover bench: {error}");
            std::process::exit(1);
        }
    }
}

fn run(redis: &Redis, plan: &Plan) -> Result<(), String> {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!(
        "failover bench: {cores} cores, 1-minute load average {} at the start",
        load_average().map_or("unknown".to_owned(), |load| format!("{load:.2}"))
    );
    let server = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("server runtime: {e}"))?;
    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("client runtime: {e}"))?;
    let url = redis.url();
    let mut con = redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection())
        .map_err(|e| format!("a connection to redis-server: {e}"))?;
    let mut probe = Probe {
        redis_pid: redis.pid(),
        con: &mut con,
    };
    let mut nodes = Vec::new();
    for variant in Variant::BOTH {
        nodes.push(Node::start(variant, &url, &server, &client)?);
    }

    // One round unmeasured: the sockets, the scripts and the lists warm.
    let warm = Plan::new(false);
    for node in &mut nodes {
        let mut unmeasured = Side::default();
        client.block_on(node.round(&warm, &mut unmeasured, &mut probe))?;
    }
    let mut sides = [Side::default(), Side::default()];
    let mut pings = Vec::new();
    for round in 0..plan.rounds {
        for measure in Measure::ALL {
            for turn in 0..2 {
                let at = if round % 2 == 0 { turn } else { 1 - turn };
                let node = &mut nodes[at];
                client.block_on(node.measure(measure, plan, &mut sides[at], &mut probe))?;
            }
        }
        for _ in 0..plan.notifies {
            pings.push(probe.ping()?);
        }
    }
    let mut memory = Vec::new();
    for node in &mut nodes {
        memory.push(client.block_on(node.memory(&mut probe))?);
    }

    let [failover, plain] = &sides;
    println!();
    report(plan, failover, plain);
    let pings = sorted(&pings);
    println!(
        "\nFor reference, one Redis round trip (`PING` on the bench's own connection, the same unix socket), {} in all: p50 {}, p99 {}",
        pings.len(),
        us(percentile(&pings, 0.5) as f64),
        us(percentile(&pings, 0.99) as f64)
    );
    println!();
    report_memory(&memory);
    println!(
        "\n1-minute load average {} at the end",
        load_average().map_or("unknown".to_owned(), |load| format!("{load:.2}"))
    );

    for node in nodes {
        node.stop(&client)?;
    }
    server.shutdown_background();
    Ok(())
}

/// The four measures, each run on both nodes in turn.
#[derive(Clone, Copy)]
enum Measure {
    CallLatency,
    CallThroughput,
    NotifyLatency,
    NotifyThroughput,
}

impl Measure {
    const ALL: [Measure; 4] = [
        Measure::CallLatency,
        Measure::CallThroughput,
        Measure::NotifyLatency,
        Measure::NotifyThroughput,
    ];
}

/// What one node measured over the rounds (times in ns).
#[derive(Default)]
struct Side {
    /// Every call's send → answer, one at a time; and each round's p50.
    call: Vec<u64>,
    call_p50s: Vec<u64>,
    /// Each round's time per call with [`IN_FLIGHT`] in flight.
    call_each: Vec<f64>,
    call_cost: Cost,
    /// Every single notification's send → push, and send → answer; each round's p50 of
    /// the pushes.
    push: Vec<u64>,
    answer: Vec<u64>,
    push_p50s: Vec<u64>,
    /// Each round's time per notification in calls of [`BURST`].
    push_each: Vec<f64>,
    push_cost: Cost,
}

/// What a throughput measure cost, summed over the rounds.
#[derive(Default)]
struct Cost {
    /// Calls, or notifications.
    ops: u64,
    /// CPU seconds of this process and of `redis-server` (`None` off Linux).
    process: Option<f64>,
    redis: Option<f64>,
    /// Commands Redis ran (those a script called included; the probe's own `INFO` left
    /// out), and of them the farm's scripts (`EVALSHA`), each one round trip.
    commands: u64,
    scripts: u64,
}

impl Cost {
    fn add(&mut self, ops: u64, before: &Snapshot, after: &Snapshot) {
        let first = self.ops == 0;
        // A CPU time unknown once (off Linux) is unknown for the whole measure.
        let sum = |total: Option<f64>, now: Option<f64>, then: Option<f64>| {
            let spent = now? - then?;
            if first {
                Some(spent)
            } else {
                Some(total? + spent)
            }
        };
        self.process = sum(self.process, after.process, before.process);
        self.redis = sum(self.redis, after.redis, before.redis);
        self.commands += after.commands.saturating_sub(before.commands);
        self.scripts += after.scripts.saturating_sub(before.scripts);
        self.ops += ops;
    }

    fn per_op(&self, seconds: Option<f64>) -> Option<f64> {
        Some(seconds? * 1e9 / self.ops as f64)
    }
}

/// CPU times and Redis's command count at one moment.
struct Snapshot {
    process: Option<f64>,
    redis: Option<f64>,
    commands: u64,
    scripts: u64,
}

/// Reads [`Snapshot`]s.
struct Probe<'a> {
    redis_pid: u32,
    con: &'a mut redis::Connection,
}

impl Probe<'_> {
    /// One `PING`: its round trip, ns.
    fn ping(&mut self) -> Result<u64, String> {
        let sent = Instant::now();
        let pong: String = redis::cmd("PING")
            .query(self.con)
            .map_err(|e| format!("PING: {e}"))?;
        let took = nanos(sent.elapsed());
        if pong != "PONG" {
            return Err(format!("PING answered {pong:?}"));
        }
        Ok(took)
    }

    fn snapshot(&mut self) -> Result<Snapshot, String> {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query(self.con)
            .map_err(|e| format!("INFO commandstats: {e}"))?;
        // `cmdstat_NAME:calls=N,usec=…`, each command called from a script counted too.
        let (mut commands, mut scripts) = (0, 0);
        for line in info.lines() {
            let Some((name, stats)) = line
                .strip_prefix("cmdstat_")
                .and_then(|line| line.split_once(':'))
            else {
                continue;
            };
            let calls: u64 = stats
                .split(',')
                .find_map(|field| field.strip_prefix("calls="))
                .and_then(|calls| calls.parse().ok())
                .ok_or_else(|| format!("no calls= in INFO commandstats' line {line:?}"))?;
            match name {
                // The probe's own.
                "info" => {}
                "evalsha" | "eval" => {
                    scripts += calls;
                    commands += calls;
                }
                _ => commands += calls,
            }
        }
        Ok(Snapshot {
            process: cpu_seconds(),
            redis: cpu_seconds_of(self.redis_pid),
            commands,
            scripts,
        })
    }
}

/// One node: its engine, farm node, host address and tab.
struct Node {
    variant: Variant,
    farm: Farm,
    addr: SocketAddr,
    tab: Tab,
    /// The next `revision` and `call` to send (each once in the run).
    revision: u64,
    call: u64,
}

impl Node {
    fn start(
        variant: Variant,
        url: &str,
        server: &tokio::runtime::Runtime,
        client: &tokio::runtime::Runtime,
    ) -> Result<Node, String> {
        let engine = Engine::builder()
            .name(variant.name())
            .persist::<Basket>()
            .build()
            .map_err(|e| format!("the engine: {e}"))?;
        let farm = Farm::builder(&engine, url, variant.name())
            .namespace(variant.namespace())
            .failover(variant == Variant::Failover)
            .join()
            .map_err(|e| format!("node {} joins: {e}", variant.name()))?;
        let addr = server
            .block_on(serve(WebHost::builder(engine).build()))
            .map_err(|e| format!("node {}'s host: {e}", variant.name()))?;
        let tab = client.block_on(Tab::open(addr))?;
        Ok(Node {
            variant,
            farm,
            addr,
            tab,
            revision: 0,
            call: 0,
        })
    }

    /// Every measure once, into `side`.
    async fn round(
        &mut self,
        plan: &Plan,
        side: &mut Side,
        probe: &mut Probe<'_>,
    ) -> Result<(), String> {
        for measure in Measure::ALL {
            self.measure(measure, plan, side, probe).await?;
        }
        Ok(())
    }

    async fn measure(
        &mut self,
        measure: Measure,
        plan: &Plan,
        side: &mut Side,
        probe: &mut Probe<'_>,
    ) -> Result<(), String> {
        match measure {
            Measure::CallLatency => {
                let mut round = Vec::with_capacity(plan.calls);
                for _ in 0..plan.calls {
                    self.revision += 1;
                    round.push(self.tab.put(self.revision).await?);
                }
                side.call.extend_from_slice(&round);
                side.call_p50s.push(p50(round));
            }
            Measure::CallThroughput => {
                let before = probe.snapshot()?;
                let first = self.revision + 1;
                self.revision += plan.calls_in_flight as u64;
                let took = self.tab.puts(first, plan.calls_in_flight).await?;
                let after = probe.snapshot()?;
                side.call_cost
                    .add(plan.calls_in_flight as u64, &before, &after);
                side.call_each
                    .push(took.as_nanos() as f64 / plan.calls_in_flight as f64);
            }
            Measure::NotifyLatency => {
                let mut round = Vec::with_capacity(plan.notifies);
                for _ in 0..plan.notifies {
                    self.call += 1;
                    let (push, answer) = self.tab.notify_once(self.call).await?;
                    round.push(push);
                    side.answer.push(answer);
                }
                side.push.extend_from_slice(&round);
                side.push_p50s.push(p50(round));
            }
            Measure::NotifyThroughput => {
                let before = probe.snapshot()?;
                let mut took = Duration::ZERO;
                for _ in 0..plan.bursts {
                    self.call += 1;
                    took += self.tab.notify_burst(self.call, BURST).await?;
                }
                let after = probe.snapshot()?;
                let pushes = plan.bursts as u64 * BURST;
                side.push_cost.add(pushes, &before, &after);
                side.push_each.push(took.as_nanos() as f64 / pushes as f64);
            }
        }
        Ok(())
    }

    /// A fresh tab's session after one `bench_put` and [`BURST`] pushes: Redis's memory
    /// for it.
    async fn memory(&mut self, probe: &mut Probe<'_>) -> Result<Memory, String> {
        let mut tab = Tab::open(self.addr).await?;
        self.revision += 1;
        tab.put(self.revision).await?;
        self.call += 1;
        tab.notify_burst(self.call, BURST).await?;
        self.farm
            .flush()
            .map_err(|e| format!("node {} writes its sessions: {e}", self.variant.name()))?;
        let ns = self.variant.namespace();
        let session = format!("{ns}:s:{}", tab.session);
        let resume_key: Option<String> = redis::cmd("HGET")
            .arg(&session)
            .arg("rk")
            .query(probe.con)
            .map_err(|e| format!("HGET {session} rk: {e}"))?;
        let resume = resume_key
            .filter(|rk| !rk.is_empty())
            .map(|rk| format!("{ns}:r:{rk}"));
        let list = format!("{ns}:b:{}", tab.session);
        let entries: u64 = redis::cmd("LLEN")
            .arg(&list)
            .query(probe.con)
            .map_err(|e| format!("LLEN {list}: {e}"))?;
        let usage = |con: &mut redis::Connection, key: Option<&str>| -> Result<u64, String> {
            let Some(key) = key else { return Ok(0) };
            let bytes: Option<u64> = redis::cmd("MEMORY")
                .arg("USAGE")
                .arg(key)
                .arg("SAMPLES")
                .arg(0)
                .query(con)
                .map_err(|e| format!("MEMORY USAGE {key}: {e}"))?;
            Ok(bytes.unwrap_or(0))
        };
        let memory = Memory {
            variant: self.variant,
            session: usage(probe.con, Some(&session))?,
            resume: usage(probe.con, resume.as_deref())?,
            list: usage(probe.con, Some(&list))?,
            entries,
            encoding: redis::cmd("OBJECT")
                .arg("ENCODING")
                .arg(&session)
                .query(probe.con)
                .map_err(|e| format!("OBJECT ENCODING {session}: {e}"))?,
        };
        if memory.session == 0 {
            return Err(format!("{session} is not in Redis"));
        }
        tab.close().await;
        Ok(memory)
    }

    fn stop(self, client: &tokio::runtime::Runtime) -> Result<(), String> {
        client.block_on(self.tab.close());
        self.farm
            .leave()
            .map(|_| ())
            .map_err(|e| format!("node {} leaves: {e}", self.variant.name()))
    }
}

/// Redis's bytes for one session.
struct Memory {
    variant: Variant,
    /// `NS:s:ID`, `NS:r:RK` and `NS:b:ID` (0: no such key).
    session: u64,
    resume: u64,
    list: u64,
    /// The notifications `NS:b:ID` holds.
    entries: u64,
    /// `OBJECT ENCODING` of `NS:s:ID`: `listpack` while every value is at most
    /// `hash-max-listpack-value` (64) bytes, `hashtable` (larger) once one is longer.
    encoding: String,
}

/// Serves `app` on 127.0.0.1 with a port the system picks, until the runtime ends.
async fn serve(app: Router) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let listener = listener.tap_io(|tcp| {
        // Only a latency hint: a socket without it still works.
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            eprintln!("failover bench: a host stopped: {error}");
        }
    });
    Ok(addr)
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One real WebSocket tab.
struct Tab {
    ws: Ws,
    /// Its session's id, from `session.opened`.
    session: String,
    /// The id of its last request.
    id: u64,
}

/// What the host sent the tab.
#[derive(Debug)]
enum Incoming {
    Answer { id: u64, value: u64 },
    Pushed { call: u64, index: u64 },
}

impl Tab {
    async fn open(addr: SocketAddr) -> Result<Tab, String> {
        let url = format!("ws://{addr}/sessions/ws");
        let (ws, _) = within("connect", connect_async_with_config(url, None, true)).await?;
        let mut tab = Tab {
            ws,
            session: String::new(),
            id: 0,
        };
        let greeting = tab.next_text().await?;
        let opened: serde_json::Value =
            serde_json::from_str(&greeting).map_err(|e| format!("{e} in {greeting}"))?;
        tab.session = match (
            opened["method"].as_str(),
            opened["params"]["session"].as_str(),
        ) {
            (Some("session.opened"), Some(session)) => session.to_owned(),
            _ => {
                return Err(format!(
                    "the first message was not session.opened: {greeting}"
                ))
            }
        };
        Ok(tab)
    }

    /// Sends a call of `method` with `params` (a JSON array); its id.
    async fn send(&mut self, method: &str, params: &str) -> Result<u64, String> {
        self.id += 1;
        let id = self.id;
        let request =
            format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"{method}","params":{params}}}"#);
        within("send", self.ws.send(Message::text(request))).await?;
        Ok(id)
    }

    /// The next text message (pings and pongs skipped).
    async fn next_text(&mut self) -> Result<String, String> {
        loop {
            let message = within("read", async {
                self.ws
                    .next()
                    .await
                    .unwrap_or(Err(tungstenite::Error::ConnectionClosed))
            })
            .await?;
            match message {
                Message::Text(text) => return Ok(text.as_str().to_owned()),
                Message::Ping(_) | Message::Pong(_) => {}
                other => return Err(format!("the tab got {other:?}")),
            }
        }
    }

    /// The next answer or push; an error answer fails.
    async fn next(&mut self) -> Result<Incoming, String> {
        let text = self.next_text().await?;
        let message: serde_json::Value =
            serde_json::from_str(&text).map_err(|e| format!("{e} in {text}"))?;
        if let Some(id) = message["id"].as_u64() {
            return match message["result"]["value"].as_u64() {
                Some(value) => Ok(Incoming::Answer { id, value }),
                None => Err(format!("call {id} answered {text}")),
            };
        }
        match (
            message["method"].as_str(),
            message["params"]["call"].as_u64(),
            message["params"]["index"].as_u64(),
        ) {
            (Some(TOPIC), Some(call), Some(index)) => Ok(Incoming::Pushed { call, index }),
            _ => Err(format!("the tab got an unexpected message: {text}")),
        }
    }

    /// `bench_put(revision)`, alone: send → answer, ns.
    async fn put(&mut self, revision: u64) -> Result<u64, String> {
        let sent = Instant::now();
        let id = self.send("bench_put", &format!("[{revision}]")).await?;
        match self.next().await? {
            Incoming::Answer { id: got, value } if got == id && value == revision => {
                Ok(nanos(sent.elapsed()))
            }
            other => Err(format!("bench_put({revision}) got {other:?}")),
        }
    }

    /// `count` calls of `bench_put`, revisions from `first`, [`IN_FLIGHT`] in flight: the
    /// time until the last answer. Each is answered once, with its revision.
    async fn puts(&mut self, first: u64, count: usize) -> Result<Duration, String> {
        let start = Instant::now();
        let first_id = self.id + 1;
        let mut answered = vec![false; count];
        let (mut sent, mut got) = (0, 0);
        while got < count {
            while sent < count && sent - got < IN_FLIGHT {
                self.send("bench_put", &format!("[{}]", first + sent as u64))
                    .await?;
                sent += 1;
            }
            match self.next().await? {
                Incoming::Answer { id, value } => {
                    let at = id.wrapping_sub(first_id) as usize;
                    if at >= count || answered[at] || value != first + at as u64 {
                        return Err(format!("call {id} answered {value}, or twice"));
                    }
                    answered[at] = true;
                    got += 1;
                }
                other => return Err(format!("bench_put got {other:?}")),
            }
        }
        Ok(start.elapsed())
    }

    /// `bench_notify(call, 1)`: send → the push, and send → the answer, ns.
    async fn notify_once(&mut self, call: u64) -> Result<(u64, u64), String> {
        let sent = Instant::now();
        let id = self.send("bench_notify", &format!("[{call},1]")).await?;
        let (mut push, mut answer) = (None, None);
        while push.is_none() || answer.is_none() {
            match self.next().await? {
                Incoming::Answer { id: got, value: 1 } if got == id && answer.is_none() => {
                    answer = Some(nanos(sent.elapsed()));
                }
                Incoming::Pushed { call: of, index: 0 } if of == call && push.is_none() => {
                    push = Some(nanos(sent.elapsed()));
                }
                other => return Err(format!("bench_notify({call}, 1) got {other:?}")),
            }
        }
        Ok((push.unwrap_or_default(), answer.unwrap_or_default()))
    }

    /// `bench_notify(call, count)`: the time until the client has all `count` pushes (in
    /// order, each once) and the answer.
    async fn notify_burst(&mut self, call: u64, count: u64) -> Result<Duration, String> {
        let start = Instant::now();
        let id = self
            .send("bench_notify", &format!("[{call},{count}]"))
            .await?;
        let (mut next, mut answered) = (0, false);
        while next < count || !answered {
            match self.next().await? {
                Incoming::Answer { id: got, value } if got == id && value == count && !answered => {
                    answered = true;
                }
                Incoming::Pushed { call: of, index } if of == call && index == next => next += 1,
                other => {
                    return Err(format!(
                        "bench_notify({call}, {count}) got {other:?} after {next} pushes"
                    ))
                }
            }
        }
        Ok(start.elapsed())
    }

    async fn close(mut self) {
        // The host may be closing it already: nothing to check.
        let _ = self.ws.close(None).await;
    }
}

async fn within<T, E: std::fmt::Display>(
    what: &str,
    future: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(READ_DEADLINE, future).await {
        Ok(result) => result.map_err(|e| format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: nothing in {READ_DEADLINE:?}")),
    }
}

fn report(plan: &Plan, failover: &Side, plain: &Side) {
    let rounds = plan.rounds;
    println!(
        "{rounds} rounds; per round and node: {} calls one at a time, {} with {IN_FLIGHT} in flight, {} single notifications, {} calls of {BURST} notifications",
        plan.calls, plan.calls_in_flight, plan.notifies, plan.bursts
    );
    println!();
    println!(
        "| measure | {} | {} | failover ÷ no failover, median of rounds (range) |",
        Variant::Failover.label(),
        Variant::Plain.label()
    );
    println!("| --- | ---: | ---: | ---: |");
    let latency = |name: &str,
                   a: &Side,
                   b: &Side,
                   all: fn(&Side) -> &Vec<u64>,
                   p50s: fn(&Side) -> &Vec<u64>| {
        let (a_all, b_all) = (sorted(all(a)), sorted(all(b)));
        let ratios: Vec<f64> = p50s(a)
            .iter()
            .zip(p50s(b))
            .map(|(a, b)| *a as f64 / *b as f64)
            .collect();
        println!(
            "| {name}: p50 | {} | {} | {} |",
            us(percentile(&a_all, 0.5) as f64),
            us(percentile(&b_all, 0.5) as f64),
            spread(&ratios)
        );
        let (a99, b99) = (percentile(&a_all, 0.99), percentile(&b_all, 0.99));
        println!(
            "| {name}: p99 | {} | {} | {:.2}× (all rounds pooled) |",
            us(a99 as f64),
            us(b99 as f64),
            a99 as f64 / b99 as f64
        );
    };
    let each = |name: &str, what: &str, a: &[f64], b: &[f64], a_cost: &Cost, b_cost: &Cost| {
        let ratios: Vec<f64> = a.iter().zip(b).map(|(a, b)| a / b).collect();
        let (a_each, b_each) = (median(a.to_vec()), median(b.to_vec()));
        println!(
            "| {name} (median round) | {} ({:.0}/s) | {} ({:.0}/s) | {} |",
            us(a_each),
            1e9 / a_each,
            us(b_each),
            1e9 / b_each,
            spread(&ratios)
        );
        let cpu = |cost: &Cost| {
            format!(
                "{} / {}",
                cost.per_op(cost.process).map_or("n/a".to_owned(), us),
                cost.per_op(cost.redis).map_or("n/a".to_owned(), us)
            )
        };
        let ratio = |a: Option<f64>, b: Option<f64>| match (a, b) {
            (Some(a), Some(b)) if b > 0.0 => format!("{:.2}×", a / b),
            _ => "n/a".to_owned(),
        };
        println!(
            "| CPU per {what}, this process / redis-server (all rounds) | {} | {} | {} / {} |",
            cpu(a_cost),
            cpu(b_cost),
            ratio(a_cost.process, b_cost.process),
            ratio(a_cost.redis, b_cost.redis),
        );
        let commands = |cost: &Cost| {
            format!(
                "{:.3} / {:.3}",
                cost.scripts as f64 / cost.ops as f64,
                cost.commands as f64 / cost.ops as f64
            )
        };
        println!(
            "| Redis per {what}: scripts (`EVALSHA`) / commands, a script's own included (all rounds) | {} | {} | |",
            commands(a_cost),
            commands(b_cost)
        );
    };
    latency(
        "`bench_put`, one at a time, send → answer",
        failover,
        plain,
        |side| &side.call,
        |side| &side.call_p50s,
    );
    each(
        &format!("`bench_put`, {IN_FLIGHT} in flight: time per call"),
        "call",
        &failover.call_each,
        &plain.call_each,
        &failover.call_cost,
        &plain.call_cost,
    );
    latency(
        "one notification, send → push",
        failover,
        plain,
        |side| &side.push,
        |side| &side.push_p50s,
    );
    let (a_answer, b_answer) = (sorted(&failover.answer), sorted(&plain.answer));
    println!(
        "| the same calls, send → answer: p50 | {} | {} | {:.2}× (all rounds pooled) |",
        us(percentile(&a_answer, 0.5) as f64),
        us(percentile(&b_answer, 0.5) as f64),
        percentile(&a_answer, 0.5) as f64 / percentile(&b_answer, 0.5) as f64
    );
    each(
        &format!("{BURST} notifications from one call, until the last: time per notification"),
        "notification",
        &failover.push_each,
        &plain.push_each,
        &failover.push_cost,
        &plain.push_cost,
    );
}

fn report_memory(memory: &[Memory]) {
    println!(
        "Redis memory per session (`MEMORY USAGE … SAMPLES 0`), a fresh tab after one `bench_put` and {BURST} notifications:"
    );
    println!();
    println!(
        "| node | `NS:s:ID` (hash, its encoding) | `NS:r:RK` (resume key) | `NS:b:ID` (notifications) | total |"
    );
    println!("| --- | ---: | ---: | ---: | ---: |");
    for m in memory {
        let key = |bytes: u64| {
            if bytes == 0 {
                "—".to_owned()
            } else {
                format!("{bytes} B")
            }
        };
        let list = if m.list == 0 {
            "—".to_owned()
        } else {
            format!(
                "{} B ({} entries, {:.0} B each)",
                m.list,
                m.entries,
                m.list as f64 / m.entries.max(1) as f64
            )
        };
        println!(
            "| {} | {} ({}) | {} | {list} | {} B |",
            m.variant.label(),
            key(m.session),
            m.encoding,
            key(m.resume),
            m.session + m.resume + m.list
        );
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

fn sorted(values: &[u64]) -> Vec<u64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    sorted
}

fn p50(values: Vec<u64>) -> u64 {
    percentile(&sorted(&values), 0.5)
}

/// The `q` quantile (0 to 1) of `sorted`, which is not empty.
fn percentile(sorted: &[u64], q: f64) -> u64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

/// The median of `values` (the upper one of an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// The median ratio, and the range of the rounds'.
fn spread(ratios: &[f64]) -> String {
    let min = ratios.iter().copied().fold(f64::INFINITY, f64::min);
    let max = ratios.iter().copied().fold(0.0, f64::max);
    format!("**{:.2}×** ({min:.2}–{max:.2})", median(ratios.to_vec()))
}

/// Nanoseconds as microseconds, `12.3 µs`.
fn us(nanos: f64) -> String {
    format!("{:.1} µs", nanos / 1000.0)
}
