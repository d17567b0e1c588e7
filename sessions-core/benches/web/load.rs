//! The load generator (the client process of a throughput measure): N connections to each
//! server, each sending `add(i, 1)` calls back to back, one in flight, checking every
//! answer, and timing each call from just before its request is written to just after its
//! answer is read.
//!
//! The two servers take turns in short bursts (all N connections of one server busy, the
//! other's idle), ours first in every other pair, so that the machine's drift, which on a
//! shared 2-core machine moves throughput by 2× from one second to the next, falls on both
//! alike and each pair gives a ratio of its own.
//!
//! The same code drives both servers; only the URL path, the greeting ours sends first and
//! the shape of `result` differ (see [`Peer`]). WebSocket: tokio-tungstenite 0.29. HTTP:
//! HTTP/1.1 with keep-alive over a plain `TcpStream`, one request written with one
//! `write_all`, the answer read by its `Content-Length` (both servers send one).
//!
//! Protocol with the parent, one line each way: before a measured burst the generator says
//! `start PEER` and waits for a line on stdin; after it, `end PEER calls=… secs=…` and
//! waits again (so the parent reads its own CPU time exactly around each burst); at the
//! end, per server, `latency PEER p50=… p99=… p999=… max=…` (ns) and `cpu=…` (this
//! process's CPU seconds over its measured bursts).

use std::fmt::Write as _;
use std::io::BufRead;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{connect_async_with_config, MaybeTlsStream, WebSocketStream};

use crate::proc_stats::cpu_seconds;
use crate::servers::Peer;

/// A call (or a connect) that takes longer fails the measure instead of hanging it.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Ws,
    Http,
}

impl Transport {
    pub fn name(self) -> &'static str {
        match self {
            Transport::Ws => "ws",
            Transport::Http => "http",
        }
    }

    pub fn from_name(name: &str) -> Option<Transport> {
        [Transport::Ws, Transport::Http]
            .into_iter()
            .find(|transport| transport.name() == name)
    }
}

/// One scenario: how, how many connections to each server, for how long.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub transport: Transport,
    pub connections: usize,
    pub ours: SocketAddr,
    pub jsonrpsee: SocketAddr,
    /// One unmeasured burst of this length per server first.
    pub warmup: Duration,
    /// The length of each measured burst.
    pub burst: Duration,
    /// Measured bursts per server.
    pub pairs: usize,
}

impl Plan {
    /// The arguments after `--client` that [`Plan::from_args`] reads back.
    pub fn to_args(self) -> Vec<String> {
        vec![
            self.transport.name().to_owned(),
            self.connections.to_string(),
            self.ours.to_string(),
            self.jsonrpsee.to_string(),
            self.warmup.as_millis().to_string(),
            self.burst.as_millis().to_string(),
            self.pairs.to_string(),
        ]
    }

    pub fn from_args(args: &[String]) -> Result<Plan, String> {
        let [transport, connections, ours, jsonrpsee, warmup, burst, pairs] = args else {
            return Err(format!(
                "--client TRANSPORT CONNECTIONS OURS_ADDR JSONRPSEE_ADDR WARMUP_MS BURST_MS PAIRS, got {args:?}"
            ));
        };
        let millis = |text: &str| text.parse().map(Duration::from_millis);
        Ok(Plan {
            transport: Transport::from_name(transport)
                .ok_or_else(|| format!("unknown transport {transport:?}"))?,
            connections: connections
                .parse()
                .map_err(|e| format!("connections: {e}"))?,
            ours: ours.parse().map_err(|e| format!("our address: {e}"))?,
            jsonrpsee: jsonrpsee
                .parse()
                .map_err(|e| format!("jsonrpsee's address: {e}"))?,
            warmup: millis(warmup).map_err(|e| format!("warm-up: {e}"))?,
            burst: millis(burst).map_err(|e| format!("burst: {e}"))?,
            pairs: pairs.parse().map_err(|e| format!("pairs: {e}"))?,
        })
    }

    fn addr(&self, peer: Peer) -> SocketAddr {
        match peer {
            Peer::Ours => self.ours,
            Peer::Jsonrpsee => self.jsonrpsee,
        }
    }
}

/// What one burst of one connection measured.
struct Recorded {
    /// Latency of each call, in ns.
    latencies: Vec<u64>,
    /// When its last call ended (at or a little after the burst's end).
    last: Instant,
}

/// Runs `plan` on a current-thread runtime (the generator takes one core at most; see
/// the bench's header) and prints the protocol lines.
pub fn run(plan: Plan) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("client runtime: {e}"))?;
    runtime.block_on(measure(plan))
}

/// Every call's latency and the generator's CPU time, per server, over its measured bursts.
struct Totals {
    latencies: Vec<u64>,
    cpu: Option<f64>,
}

async fn measure(plan: Plan) -> Result<(), String> {
    // Connect every connection first, so the bursts see only calls.
    let mut pools = Vec::new();
    for peer in Peer::ALL {
        let mut pool = Vec::with_capacity(plan.connections);
        for n in 0..plan.connections {
            // Distinct ids per connection, so a crossed answer would be caught.
            pool.push(Connection::open(plan, peer, (n as i64) << 32).await?);
        }
        pools.push((peer, pool));
    }
    for (_, pool) in &mut pools {
        burst(pool, plan.warmup).await?;
    }
    let mut totals: Vec<Totals> = Peer::ALL
        .iter()
        .map(|_| Totals {
            latencies: Vec::new(),
            cpu: cpu_seconds().map(|_| 0.0),
        })
        .collect();
    let mut stdin = std::io::stdin().lock();
    let mut wait_for_parent = move || {
        let mut line = String::new();
        match stdin.read_line(&mut line) {
            Ok(0) | Err(_) => Err("the parent closed the generator's stdin".to_owned()),
            Ok(_) => Ok(()),
        }
    };
    for pair in 0..plan.pairs {
        for turn in 0..2 {
            let index = if pair % 2 == 0 { turn } else { 1 - turn };
            let (peer, pool) = &mut pools[index];
            println!("start {}", peer.name());
            wait_for_parent()?;
            let cpu_start = cpu_seconds();
            let (latencies, secs) = burst(pool, plan.burst).await?;
            let cpu = cpu_seconds().zip(cpu_start).map(|(end, start)| end - start);
            println!(
                "end {} calls={} secs={secs:.6}",
                peer.name(),
                latencies.len()
            );
            let total = &mut totals[index];
            total.latencies.extend(latencies);
            total.cpu = total.cpu.zip(cpu).map(|(sum, cpu)| sum + cpu);
            wait_for_parent()?;
        }
    }
    for ((peer, _), mut total) in pools.iter().zip(totals) {
        let latencies = &mut total.latencies;
        if latencies.is_empty() {
            return Err(format!("no call to {} completed", peer.name()));
        }
        latencies.sort_unstable();
        let at = |q: f64| percentile(latencies, q);
        let mut line = format!(
            "latency {} p50={} p99={} p999={} max={}",
            peer.name(),
            at(0.50),
            at(0.99),
            at(0.999),
            latencies[latencies.len() - 1],
        );
        if let Some(cpu) = total.cpu {
            let _ = write!(line, " cpu={cpu:.3}");
        }
        println!("{line}");
    }
    for (_, pool) in pools {
        for connection in pool {
            connection.close().await;
        }
    }
    Ok(())
}

/// Every connection of `pool` calls back to back for `length`: the latencies of all their
/// calls, and the seconds from the start to the last answer.
async fn burst(pool: &mut Vec<Connection>, length: Duration) -> Result<(Vec<u64>, f64), String> {
    let start = Instant::now();
    let end = start + length;
    let mut tasks = tokio::task::JoinSet::new();
    for mut connection in pool.drain(..) {
        tasks.spawn(async move {
            let recorded = connection.drive(end).await;
            (connection, recorded)
        });
    }
    let mut latencies = Vec::new();
    let mut last = start;
    while let Some(done) = tasks.join_next().await {
        let (connection, recorded) =
            done.map_err(|e| format!("a connection's task failed: {e}"))?;
        let recorded = recorded?;
        pool.push(connection);
        latencies.extend(recorded.latencies);
        last = last.max(recorded.last);
    }
    Ok((latencies, (last - start).as_secs_f64()))
}

/// `add(id, 1)` with that id.
pub fn request(id: i64) -> String {
    format!(r#"{{"jsonrpc":"2.0","method":"add","params":[{id},1],"id":{id}}}"#)
}

#[derive(Deserialize)]
struct Answer {
    id: i64,
    result: Option<serde_json::Value>,
    error: Option<serde_json::Value>,
}

/// Checks that `text` answers `add(id, 1)` with `id + 1`.
pub fn check(peer: Peer, text: &[u8], id: i64) -> Result<(), String> {
    let shown = || String::from_utf8_lossy(text).into_owned();
    let answer: Answer =
        serde_json::from_slice(text).map_err(|e| format!("{e} in the answer {}", shown()))?;
    if let Some(error) = answer.error {
        return Err(format!("{} answered an error: {error}", peer.name()));
    }
    let sum = answer.result.as_ref().and_then(|result| peer.sum(result));
    if answer.id != id || sum != Some(id + 1) {
        return Err(format!("call {id} got the wrong answer {}", shown()));
    }
    Ok(())
}

pub async fn within<T, E: std::fmt::Display>(
    what: &str,
    future: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match timeout(CALL_TIMEOUT, future).await {
        Ok(result) => result.map_err(|e| format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer in {CALL_TIMEOUT:?}")),
    }
}

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// One connection to one server, and the id of its last call.
struct Connection {
    peer: Peer,
    io: Io,
    id: i64,
    /// The last answer read.
    buffer: Vec<u8>,
}

enum Io {
    Ws(Box<Ws>),
    Http {
        stream: TcpStream,
        /// `POST {path} HTTP/1.1` and the fixed headers, up to `Content-Length: `.
        head: String,
    },
}

impl Connection {
    async fn open(plan: Plan, peer: Peer, first_id: i64) -> Result<Connection, String> {
        let addr = plan.addr(peer);
        let io = match plan.transport {
            Transport::Ws => {
                let ws = open_ws(peer, addr, WebSocketConfig::default()).await?;
                Io::Ws(Box::new(ws))
            }
            Transport::Http => {
                let stream = within("connect", TcpStream::connect(addr)).await?;
                stream
                    .set_nodelay(true)
                    .map_err(|e| format!("nodelay: {e}"))?;
                let head = format!(
                    "POST {} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: ",
                    peer.http_path(),
                );
                Io::Http { stream, head }
            }
        };
        Ok(Connection {
            peer,
            io,
            id: first_id,
            buffer: Vec::with_capacity(4096),
        })
    }

    /// Calls back to back until `end`, recording each call.
    async fn drive(&mut self, end: Instant) -> Result<Recorded, String> {
        let mut latencies = Vec::new();
        let mut last = Instant::now();
        while last < end {
            self.id += 1;
            let id = self.id;
            let body = request(id);
            let sent = Instant::now();
            let answer: &[u8] = match &mut self.io {
                Io::Ws(ws) => {
                    within("send", ws.send(Message::text(body))).await?;
                    self.buffer = next_text(ws).await?.into_bytes();
                    &self.buffer
                }
                Io::Http { stream, head } => {
                    let mut message = String::with_capacity(head.len() + 8 + body.len());
                    let _ = write!(message, "{head}{}\r\n\r\n{body}", body.len());
                    within("write", stream.write_all(message.as_bytes())).await?;
                    within("read", read_response(stream, &mut self.buffer)).await?
                }
            };
            last = Instant::now();
            check(self.peer, answer, id)?;
            latencies.push(u64::try_from((last - sent).as_nanos()).unwrap_or(u64::MAX));
        }
        Ok(Recorded { latencies, last })
    }

    async fn close(self) {
        if let Io::Ws(mut ws) = self.io {
            // The server may already be closing it: nothing to check.
            let _ = ws.as_mut().close(None).await;
        }
    }
}

/// Opens a WebSocket to `peer` and, for ours, reads its `session.opened` greeting.
pub async fn open_ws(peer: Peer, addr: SocketAddr, config: WebSocketConfig) -> Result<Ws, String> {
    let url = format!("ws://{addr}{}", peer.ws_path());
    let (mut ws, _) = within(
        "connect",
        connect_async_with_config(url, Some(config), true),
    )
    .await?;
    if peer.greets() {
        let greeting = next_text(&mut ws).await?;
        if !greeting.contains(r#""method":"session.opened""#) {
            return Err(format!(
                "the first message was not session.opened: {greeting}"
            ));
        }
    }
    Ok(ws)
}

/// The next text message (pings and pongs skipped).
pub async fn next_text(ws: &mut Ws) -> Result<String, String> {
    loop {
        let message = within("read", async {
            ws.next()
                .await
                .unwrap_or(Err(tungstenite::Error::ConnectionClosed))
        })
        .await?;
        match message {
            Message::Text(text) => return Ok(text.as_str().to_owned()),
            Message::Ping(_) | Message::Pong(_) => {}
            other => return Err(format!("unexpected message {other:?}")),
        }
    }
}

/// Reads one HTTP/1.1 response from `stream` into `buffer` (which may hold the start of
/// it already) and returns its body; fails on a status other than 200 or a response
/// without `Content-Length`.
async fn read_response<'b>(
    stream: &mut TcpStream,
    buffer: &'b mut Vec<u8>,
) -> Result<&'b [u8], String> {
    buffer.clear();
    let header_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        read_more(stream, buffer).await?;
    };
    let head = std::str::from_utf8(&buffer[..header_end]).map_err(|e| format!("head: {e}"))?;
    if !head.starts_with("HTTP/1.1 200 ") {
        let status = head.lines().next().unwrap_or_default();
        return Err(format!("HTTP status {status:?}"));
    }
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .ok_or_else(|| format!("no Content-Length in {head:?}"))?;
    while buffer.len() < header_end + length {
        read_more(stream, buffer).await?;
    }
    if buffer.len() > header_end + length {
        return Err("the server answered more than was asked".to_owned());
    }
    Ok(&buffer[header_end..])
}

async fn read_more(stream: &mut TcpStream, buffer: &mut Vec<u8>) -> Result<(), String> {
    buffer.reserve(4096);
    let read = stream
        .read_buf(buffer)
        .await
        .map_err(|e| format!("read: {e}"))?;
    if read == 0 {
        return Err("the server closed the connection".to_owned());
    }
    Ok(())
}

/// The `q` quantile (0 to 1) of `sorted`, which is not empty.
pub fn percentile(sorted: &[u64], q: f64) -> u64 {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}
