//! The farm: a message from one node to a session on another, against the limit, a bare
//! Redis `XADD` → `XREADGROUP` → `XACK` (+ `XDEL`) round trip by the same client library
//! (redis-rs, blocking) on the same server; and `Farm::active_count()` at 1 and 100,000
//! farm-wide sessions, against counting by a scan of the session keys.
//!
//! Not a criterion benchmark: a plain `main` that starts its own `redis-server` (a unix
//! socket in a temporary directory, no persistence), prints one table per measure, and
//! stops it. Without `redis-server` it says so and exits 0.
//!
//! - Latency: 2,000 messages one at a time; each carries the time it was sent, and its
//!   receiver (the exported method for ours, the reading thread for the limit) takes the
//!   difference, so the figure is post → delivery, one way. p50 and p99.
//! - Throughput: 20,000 messages posted back to back from one thread, timed until the last
//!   one ran on the other node.
//! - Both in 10 rounds that alternate the limit and ours (a tenth of the messages each), so
//!   drift of a shared machine falls on both alike; each round gives a ratio, and the median
//!   of the rounds' ratios is the figure to read.
//! - Counts: the median of 2,000 calls, and of 5 counts by `SCAN` + `HGET` at 100,000.
//!
//! Run: `cargo bench -p sessions-core --features farm --bench farm`.

use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use redis::Value as Reply;
use sessions_core::farm::Farm;
use sessions_core::{export_method, Engine, SessionId, User, Value};

#[path = "redis_server/mod.rs"]
mod redis_server;

use redis_server::Redis;

/// Rounds of each measure, alternating the limit and ours.
const ROUNDS: usize = 10;
const LATENCY_MESSAGES: usize = 2_000;
const THROUGHPUT_MESSAGES: u64 = 20_000;
const COUNT_CALLS: usize = 2_000;
const MANY_SESSIONS: usize = 100_000;

/// Where the delivered messages are told of: (sequence number, one-way latency).
static DELIVERED: Mutex<Option<mpsc::Sender<(u64, Duration)>>> = Mutex::new(None);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

/// The method every farm message calls: reports its latency.
#[export_method(session = none)]
pub fn bench_ping(seq: u64, sent_ns: u64) {
    let latency = Duration::from_nanos(now_ns().saturating_sub(sent_ns));
    if let Some(tx) = DELIVERED.lock().unwrap_or_else(|p| p.into_inner()).as_ref() {
        let _ = tx.send((seq, latency));
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn us(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

fn ns(d: Duration) -> String {
    if d < Duration::from_micros(1) {
        format!("{} ns", d.as_nanos())
    } else if d < Duration::from_millis(1) {
        us(d)
    } else {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    }
}

/// The limit: a reading thread on its own connection (`XREADGROUP` blocking, then `XACK` +
/// `XDEL` in one pipeline), and a sender that `XADD`s. A message with seq `u64::MAX` stops
/// the reader.
struct Bare {
    sender: redis::Connection,
    delivered: mpsc::Receiver<(u64, Duration)>,
    reader: Option<std::thread::JoinHandle<()>>,
}

const STREAM: &str = "bench:bare";

impl Bare {
    fn start(url: &str) -> Bare {
        let client = redis::Client::open(url).expect("url");
        let mut sender = client.get_connection().expect("connection");
        let mut reader = client.get_connection().expect("connection");
        let _: Reply = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(STREAM)
            .arg("g")
            .arg("0")
            .arg("MKSTREAM")
            .query(&mut sender)
            .expect("XGROUP CREATE");
        let (tx, delivered) = mpsc::channel();
        let reader = std::thread::spawn(move || loop {
            let reply: Reply = redis::cmd("XREADGROUP")
                .arg("GROUP")
                .arg("g")
                .arg("c")
                .arg("COUNT")
                .arg(128)
                .arg("BLOCK")
                .arg(0)
                .arg("STREAMS")
                .arg(STREAM)
                .arg(">")
                .query(&mut reader)
                .expect("XREADGROUP");
            let mut ids = Vec::new();
            let mut stop = false;
            for (id, seq, sent) in entries(&reply) {
                stop |= seq == u64::MAX;
                let latency = Duration::from_nanos(now_ns().saturating_sub(sent));
                let _ = tx.send((seq, latency));
                ids.push(id);
            }
            let mut pipe = redis::pipe();
            pipe.cmd("XACK").arg(STREAM).arg("g").arg(&ids).ignore();
            pipe.cmd("XDEL").arg(STREAM).arg(&ids).ignore();
            pipe.query::<()>(&mut reader).expect("XACK");
            if stop {
                return;
            }
        });
        Bare {
            sender,
            delivered,
            reader: Some(reader),
        }
    }

    fn send(&mut self, seq: u64) {
        let _: Reply = redis::cmd("XADD")
            .arg(STREAM)
            .arg("*")
            .arg("seq")
            .arg(seq)
            .arg("t")
            .arg(now_ns())
            .query(&mut self.sender)
            .expect("XADD");
    }
}

impl Drop for Bare {
    fn drop(&mut self) {
        self.send(u64::MAX);
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
    }
}

/// One side measured: how it sends, and where deliveries are told.
trait Side {
    fn send(&mut self, seq: u64);
    fn delivered(&self) -> &mpsc::Receiver<(u64, Duration)>;

    /// `n` messages one at a time: each one's post → delivery latency.
    fn latencies(&mut self, n: usize, into: &mut Vec<Duration>) -> Duration {
        let mut round = Vec::with_capacity(n);
        for seq in 0..n as u64 {
            self.send(seq);
            round.push(self.delivered().recv().expect("delivered").1);
        }
        into.extend_from_slice(&round);
        round.sort();
        percentile(&round, 0.5)
    }

    /// `n` messages back to back: messages per second until the last one was delivered.
    fn throughput(&mut self, n: u64) -> f64 {
        let start = Instant::now();
        for seq in 0..n {
            self.send(seq);
        }
        for _ in 0..n {
            self.delivered().recv().expect("delivered");
        }
        n as f64 / start.elapsed().as_secs_f64()
    }
}

impl Side for Bare {
    fn send(&mut self, seq: u64) {
        Bare::send(self, seq);
    }
    fn delivered(&self) -> &mpsc::Receiver<(u64, Duration)> {
        &self.delivered
    }
}

/// Ours: node a posts `bench_ping` to a session on node b.
struct Ours<'a> {
    farm: &'a Farm,
    target: SessionId,
    delivered: mpsc::Receiver<(u64, Duration)>,
}

impl Side for Ours<'_> {
    fn send(&mut self, seq: u64) {
        loop {
            let args = vec![Value::from(seq), Value::from(now_ns())];
            match self.farm.post(self.target, "bench_ping", args) {
                Ok(()) => return,
                // Full: wait for room, as a sender should.
                Err(sessions_core::farm::FarmError::InboxFull { .. }) => {
                    std::thread::sleep(Duration::from_micros(100))
                }
                Err(error) => panic!("{error}"),
            }
        }
    }
    fn delivered(&self) -> &mpsc::Receiver<(u64, Duration)> {
        &self.delivered
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// (id, seq, sent) of each entry of an XREADGROUP reply.
fn entries(reply: &Reply) -> Vec<(String, u64, u64)> {
    let mut out = Vec::new();
    let Reply::Array(streams) = reply else {
        return out;
    };
    for stream in streams {
        let Reply::Array(pair) = stream else { continue };
        let Some(Reply::Array(items)) = pair.get(1) else {
            continue;
        };
        for item in items {
            let Reply::Array(fields) = item else { continue };
            let (Some(Reply::BulkString(id)), Some(Reply::Array(kv))) =
                (fields.first(), fields.get(1))
            else {
                continue;
            };
            let number = |at: usize| match kv.get(at) {
                Some(Reply::BulkString(b)) => String::from_utf8_lossy(b).parse().unwrap_or(0),
                _ => 0,
            };
            out.push((
                String::from_utf8_lossy(id).into_owned(),
                number(1),
                number(3),
            ));
        }
    }
    out
}

fn median_of(mut f: impl FnMut(), runs: usize) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

/// Counts the sessions with a user by scanning every session key: the way without the
/// nodes' own counts.
fn count_by_scan(con: &mut redis::Connection) -> usize {
    let mut cursor = 0u64;
    let mut active = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg("sessions:s:*")
            .arg("COUNT")
            .arg(1000)
            .query(con)
            .expect("SCAN");
        let mut pipe = redis::pipe();
        for key in &keys {
            pipe.cmd("HGET").arg(key).arg("hasuser");
        }
        let flags: Vec<Option<String>> = pipe.query(con).expect("HGET");
        active += flags.iter().filter(|f| f.as_deref() == Some("1")).count();
        if next == 0 {
            return active;
        }
        cursor = next;
    }
}

fn main() {
    let Some(redis) = Redis::start("farm") else {
        return;
    };
    let url = redis.url();
    epoch();

    let (ea, eb) = (Engine::new(), Engine::new());
    let a = Farm::join(&ea, &url, "a").expect("join");
    let b = Farm::join(&eb, &url, "b").expect("join");
    let target = eb.open().expect("open");
    b.flush().expect("flush");
    let (tx, delivered) = mpsc::channel();
    *DELIVERED.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
    let mut ours = Ours {
        farm: &a,
        target: target.id(),
        delivered,
    };
    let mut bare = Bare::start(&url);

    // Alternating rounds, so that drift of a shared machine falls on both sides alike; each
    // round gives a ratio, and the median of the rounds' ratios is reported.
    let (mut bare_lat, mut our_lat) = (Vec::new(), Vec::new());
    let (mut p50_ratios, mut rate_ratios, mut bare_rates, mut our_rates) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        let limit = bare.latencies(LATENCY_MESSAGES / ROUNDS, &mut bare_lat);
        let farm = ours.latencies(LATENCY_MESSAGES / ROUNDS, &mut our_lat);
        p50_ratios.push(farm.as_secs_f64() / limit.as_secs_f64());
        let limit = bare.throughput(THROUGHPUT_MESSAGES / ROUNDS as u64);
        let farm = ours.throughput(THROUGHPUT_MESSAGES / ROUNDS as u64);
        rate_ratios.push(farm / limit);
        bare_rates.push(limit);
        our_rates.push(farm);
    }
    drop(bare);
    bare_lat.sort();
    our_lat.sort();

    println!("| message, post → delivery | p50 | p99 | throughput (median round) |");
    println!("| --- | ---: | ---: | ---: |");
    for (name, lat, rates) in [
        (
            "bare `XADD` → `XREADGROUP` → `XACK`+`XDEL` (limit)",
            &bare_lat,
            bare_rates,
        ),
        (
            "`farm.post` node a → session on node b",
            &our_lat,
            our_rates,
        ),
    ] {
        println!(
            "| {name} | {} | {} | {:.0}/s |",
            us(percentile(lat, 0.5)),
            us(percentile(lat, 0.99)),
            median(rates)
        );
    }
    println!();
    println!(
        "ours ÷ limit, median of {ROUNDS} rounds: p50 latency {:.2}× (rounds {:.2}×–{:.2}×), throughput {:.2}× (rounds {:.2}×–{:.2}×)",
        median(p50_ratios.clone()),
        p50_ratios.iter().copied().fold(f64::INFINITY, f64::min),
        p50_ratios.iter().copied().fold(0.0, f64::max),
        median(rate_ratios.clone()),
        rate_ratios.iter().copied().fold(f64::INFINITY, f64::min),
        rate_ratios.iter().copied().fold(0.0, f64::max),
    );
    println!();

    // Counts at 1 and 100,000 farm-wide sessions (one of 16 logged in).
    let small = median_of(
        || {
            std::hint::black_box(a.active_count().expect("count"));
        },
        COUNT_CALLS,
    );
    let mut con = redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection())
        .expect("connection");
    let scan_small = median_of(
        || {
            std::hint::black_box(count_by_scan(&mut con));
        },
        5,
    );
    let start = Instant::now();
    let sessions: Vec<_> = (0..MANY_SESSIONS)
        .map(|i| {
            let engine = if i % 2 == 0 { &ea } else { &eb };
            let s = engine.open().expect("open");
            if i % 16 == 0 {
                s.set_user(Some(User::new(format!("user{i}"))));
            }
            s
        })
        .collect();
    a.flush().expect("flush");
    b.flush().expect("flush");
    let announced = start.elapsed();
    assert_eq!(a.len().expect("len"), MANY_SESSIONS + 1);
    let large = median_of(
        || {
            std::hint::black_box(a.active_count().expect("count"));
        },
        COUNT_CALLS,
    );
    let scan_large = median_of(
        || {
            std::hint::black_box(count_by_scan(&mut con));
        },
        5,
    );
    assert_eq!(count_by_scan(&mut con), a.active_count().expect("count"));
    println!();
    println!("| farm-wide sessions | `farm.active_count()` | count by `SCAN` + `HGET` | ÷ scan |");
    println!("| ---: | ---: | ---: | ---: |");
    for (n, ours, scan) in [
        (1, small, scan_small),
        (MANY_SESSIONS + 1, large, scan_large),
    ] {
        println!(
            "| {n} | {} | {} | {:.4}× |",
            ns(ours),
            ns(scan),
            ours.as_secs_f64() / scan.as_secs_f64()
        );
    }
    println!();
    println!(
        "announcing {MANY_SESSIONS} sessions opened on two nodes (open, log in one in 16, flush): {}",
        ns(announced)
    );
    drop(sessions);
    let _ = a.leave();
    let _ = b.leave();
}
