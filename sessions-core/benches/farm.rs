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
//! - Counts: the median of 2,000 calls, and of 5 counts by `SCAN` + `HGET` at 100,000.
//!
//! Run: `cargo bench -p sessions-core --features farm --bench farm`.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use redis::Value as Reply;
use sessions_core::farm::Farm;
use sessions_core::{export_method, Engine, SessionId, User, Value};

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

struct Redis {
    dir: PathBuf,
    child: Child,
}

impl Redis {
    fn start() -> Option<Redis> {
        let dir = PathBuf::from(format!("/tmp/sfb-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).ok()?;
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
            .ok()?;
        let redis = Redis { dir, child };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::os::unix::net::UnixStream::connect(redis.dir.join("r.sock")).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(5));
        }
        Some(redis)
    }

    fn url(&self) -> String {
        format!("redis+unix://{}", self.dir.join("r.sock").display())
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
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

/// The limit: a blocking reader on its own connection, XREADGROUP → XACK + XDEL; the sender
/// XADDs. Returns (latencies sorted, throughput per second).
fn bare_round_trip(url: &str) -> (Vec<Duration>, f64) {
    let client = redis::Client::open(url).expect("url");
    let mut sender = client.get_connection().expect("connection");
    let mut reader = client.get_connection().expect("connection");
    let stream = "bench:bare";
    let _: Reply = redis::cmd("XGROUP")
        .arg("CREATE")
        .arg(stream)
        .arg("g")
        .arg("0")
        .arg("MKSTREAM")
        .query(&mut sender)
        .expect("XGROUP CREATE");
    let (tx, rx) = mpsc::channel::<(u64, Duration)>();
    let total = LATENCY_MESSAGES as u64 + THROUGHPUT_MESSAGES;
    let consumer = std::thread::spawn(move || {
        let mut seen = 0;
        while seen < total {
            let reply: Reply = redis::cmd("XREADGROUP")
                .arg("GROUP")
                .arg("g")
                .arg("c")
                .arg("COUNT")
                .arg(128)
                .arg("BLOCK")
                .arg(0)
                .arg("STREAMS")
                .arg(stream)
                .arg(">")
                .query(&mut reader)
                .expect("XREADGROUP");
            let mut ids = Vec::new();
            for (id, seq, sent) in entries(&reply) {
                let latency = Duration::from_nanos(now_ns().saturating_sub(sent));
                let _ = tx.send((seq, latency));
                ids.push(id);
                seen += 1;
            }
            let mut pipe = redis::pipe();
            pipe.cmd("XACK").arg(stream).arg("g").arg(&ids).ignore();
            pipe.cmd("XDEL").arg(stream).arg(&ids).ignore();
            pipe.query::<()>(&mut reader).expect("XACK");
        }
    });
    let send = |sender: &mut redis::Connection, seq: u64| {
        let _: Reply = redis::cmd("XADD")
            .arg(stream)
            .arg("*")
            .arg("seq")
            .arg(seq)
            .arg("t")
            .arg(now_ns())
            .query(sender)
            .expect("XADD");
    };
    let mut latencies = Vec::new();
    for seq in 0..LATENCY_MESSAGES as u64 {
        send(&mut sender, seq);
        latencies.push(rx.recv().expect("delivered").1);
    }
    let start = Instant::now();
    for seq in 0..THROUGHPUT_MESSAGES {
        send(&mut sender, seq);
    }
    for _ in 0..THROUGHPUT_MESSAGES {
        rx.recv().expect("delivered");
    }
    let rate = THROUGHPUT_MESSAGES as f64 / start.elapsed().as_secs_f64();
    consumer.join().expect("consumer");
    latencies.sort();
    (latencies, rate)
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

/// Ours: node a posts to a session on node b. Returns (latencies sorted, throughput).
fn farm_round_trip(a: &Farm, target: SessionId) -> (Vec<Duration>, f64) {
    let (tx, rx) = mpsc::channel();
    *DELIVERED.lock().unwrap_or_else(|p| p.into_inner()) = Some(tx);
    let post = |seq: u64| {
        a.post(
            target,
            "bench_ping",
            vec![Value::from(seq), Value::from(now_ns())],
        )
        .expect("queued");
    };
    let mut latencies = Vec::new();
    for seq in 0..LATENCY_MESSAGES as u64 {
        post(seq);
        latencies.push(rx.recv().expect("delivered").1);
    }
    let start = Instant::now();
    for seq in 0..THROUGHPUT_MESSAGES {
        // The inbox holds 10,000 by default: wait for room as a sender should.
        loop {
            match a.post(
                target,
                "bench_ping",
                vec![Value::from(seq), Value::from(now_ns())],
            ) {
                Ok(()) => break,
                Err(sessions_core::farm::FarmError::InboxFull { .. }) => {
                    std::thread::sleep(Duration::from_micros(100))
                }
                Err(error) => panic!("{error}"),
            }
        }
    }
    for _ in 0..THROUGHPUT_MESSAGES {
        rx.recv().expect("delivered");
    }
    let rate = THROUGHPUT_MESSAGES as f64 / start.elapsed().as_secs_f64();
    latencies.sort();
    (latencies, rate)
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
    if Command::new("redis-server")
        .arg("--version")
        .output()
        .is_err()
    {
        let _ = writeln!(
            std::io::stderr(),
            "farm bench: skipped: redis-server is not installed (apt-get install -y redis-server)"
        );
        return;
    }
    let redis = Redis::start().expect("redis-server starts");
    let url = redis.url();
    epoch();

    let (bare, bare_rate) = bare_round_trip(&url);

    let (ea, eb) = (Engine::new(), Engine::new());
    let a = Farm::join(&ea, &url, "a").expect("join");
    let b = Farm::join(&eb, &url, "b").expect("join");
    let target = eb.open().expect("open");
    b.flush().expect("flush");
    let (ours, our_rate) = farm_round_trip(&a, target.id());

    println!("| message, post → delivery | p50 | p99 | ÷ limit (p50) | throughput | ÷ limit |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (name, lat, rate) in [
        (
            "bare `XADD` → `XREADGROUP` → `XACK`+`XDEL` (limit)",
            &bare,
            bare_rate,
        ),
        ("`farm.post` node a → session on node b", &ours, our_rate),
    ] {
        println!(
            "| {name} | {} | {} | {:.2}× | {:.0}/s | {:.2}× |",
            us(percentile(lat, 0.5)),
            us(percentile(lat, 0.99)),
            percentile(lat, 0.5).as_secs_f64() / percentile(&bare, 0.5).as_secs_f64(),
            rate,
            rate / bare_rate
        );
    }

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
