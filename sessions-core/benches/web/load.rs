//! The load generator (the client process of a throughput measure): N connections, each
//! sending `add(i, 1)` calls back to back, one in flight, checking every answer, and
//! timing each call from just before its request is written to just after its answer is
//! read.
//!
//! The same code drives both servers; only the URL path, the greeting ours sends first and
//! the shape of `result` differ (see [`Peer`]). WebSocket: tokio-tungstenite 0.29. HTTP:
//! HTTP/1.1 with keep-alive over a plain `TcpStream`, one request written with one
//! `write_all`, the answer read by its `Content-Length` (both servers send one).
//!
//! Protocol with the parent (stdout, one line each): `start` when the measured window
//! opens (after every connection is up and the warm-up is over), `end` when it closes,
//! then `result calls=… secs=… p50=… p99=… p999=… max=… cpu=…` (latencies in ns, `cpu` this
//! process's CPU time in the window, in seconds). The parent reads its own CPU time at
//! `start` and `end`, so the server's CPU per call is measured over the same window.

use std::fmt::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{sleep_until, timeout, Instant};
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

/// One measure: who, how, how many connections, for how long.
#[derive(Clone, Copy, Debug)]
pub struct Plan {
    pub peer: Peer,
    pub transport: Transport,
    pub connections: usize,
    pub addr: SocketAddr,
    pub warmup: Duration,
    pub window: Duration,
}

impl Plan {
    /// The arguments after `--client` that [`Plan::from_args`] reads back.
    pub fn to_args(self) -> Vec<String> {
        vec![
            self.peer.name().to_owned(),
            self.transport.name().to_owned(),
            self.connections.to_string(),
            self.addr.to_string(),
            self.warmup.as_millis().to_string(),
            self.window.as_millis().to_string(),
        ]
    }

    pub fn from_args(args: &[String]) -> Result<Plan, String> {
        let [peer, transport, connections, addr, warmup, window] = args else {
            return Err(format!("--client takes 6 arguments, got {args:?}"));
        };
        let millis = |text: &str| text.parse().map(Duration::from_millis);
        Ok(Plan {
            peer: Peer::from_name(peer).ok_or_else(|| format!("unknown server {peer:?}"))?,
            transport: Transport::from_name(transport)
                .ok_or_else(|| format!("unknown transport {transport:?}"))?,
            connections: connections
                .parse()
                .map_err(|e| format!("connections: {e}"))?,
            addr: addr.parse().map_err(|e| format!("address: {e}"))?,
            warmup: millis(warmup).map_err(|e| format!("warm-up: {e}"))?,
            window: millis(window).map_err(|e| format!("window: {e}"))?,
        })
    }
}

/// What one connection measured.
struct Recorded {
    /// Latency of each call started in the window, in ns.
    latencies: Vec<u64>,
    /// When its last call ended (at or a little after the window's end).
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

async fn measure(plan: Plan) -> Result<(), String> {
    // Connect every connection first, so the window sees only calls.
    let mut connections = Vec::with_capacity(plan.connections);
    for _ in 0..plan.connections {
        connections.push(Connection::open(plan).await?);
    }
    let start = Instant::now() + plan.warmup;
    let end = start + plan.window;
    let mut tasks = tokio::task::JoinSet::new();
    for (n, connection) in connections.into_iter().enumerate() {
        // Distinct ids per connection, so a crossed answer would be caught.
        let first_id = (n as i64) << 32;
        tasks.spawn(connection.drive(plan.peer, first_id, start, end));
    }
    let marks = tokio::spawn(async move {
        sleep_until(start).await;
        let cpu = cpu_seconds();
        println!("start");
        sleep_until(end).await;
        println!("end");
        cpu_seconds().zip(cpu).map(|(end, start)| end - start)
    });
    let mut latencies = Vec::new();
    let mut last = start;
    while let Some(done) = tasks.join_next().await {
        let recorded = done.map_err(|e| format!("a connection's task failed: {e}"))??;
        latencies.extend(recorded.latencies);
        last = last.max(recorded.last);
    }
    let cpu = marks
        .await
        .map_err(|e| format!("the marks' task failed: {e}"))?;
    if latencies.is_empty() {
        return Err("no call completed in the window".to_owned());
    }
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    let mut line = format!(
        "result calls={} secs={:.6} p50={} p99={} p999={} max={}",
        latencies.len(),
        (last - start).as_secs_f64(),
        at(0.50),
        at(0.99),
        at(0.999),
        latencies[latencies.len() - 1],
    );
    if let Some(cpu) = cpu {
        let _ = write!(line, " cpu={cpu:.3}");
    }
    println!("{line}");
    Ok(())
}

/// `add(id, 1)` with that id.
fn request(id: i64) -> String {
    format!(r#"{{"jsonrpc":"2.0","method":"add","params":[{id},1],"id":{id}}}"#)
}

#[derive(Deserialize)]
struct Answer {
    id: i64,
    result: Option<serde_json::Value>,
    error: Option<serde_json::Value>,
}

/// Checks that `text` answers `add(id, 1)` with `id + 1`.
fn check(peer: Peer, text: &[u8], id: i64) -> Result<(), String> {
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

async fn within<T, E: std::fmt::Display>(
    what: &str,
    future: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match timeout(CALL_TIMEOUT, future).await {
        Ok(result) => result.map_err(|e| format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer in {CALL_TIMEOUT:?}")),
    }
}

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

enum Connection {
    Ws(Box<Ws>),
    Http {
        stream: TcpStream,
        /// `POST {path} HTTP/1.1` and the fixed headers, up to `Content-Length: `.
        head: String,
    },
}

impl Connection {
    async fn open(plan: Plan) -> Result<Connection, String> {
        match plan.transport {
            Transport::Ws => {
                let ws = open_ws(plan.peer, plan.addr, WebSocketConfig::default()).await?;
                Ok(Connection::Ws(Box::new(ws)))
            }
            Transport::Http => {
                let stream = within("connect", TcpStream::connect(plan.addr)).await?;
                stream
                    .set_nodelay(true)
                    .map_err(|e| format!("nodelay: {e}"))?;
                let head = format!(
                    "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: ",
                    plan.peer.http_path(),
                    plan.addr
                );
                Ok(Connection::Http { stream, head })
            }
        }
    }

    /// Calls back to back until `end`; records the calls started at or after `start`.
    async fn drive(
        mut self,
        peer: Peer,
        first_id: i64,
        start: Instant,
        end: Instant,
    ) -> Result<Recorded, String> {
        let mut latencies = Vec::new();
        let mut id = first_id;
        let mut buffer = Vec::with_capacity(4096);
        let mut last = Instant::now();
        while last < end {
            id += 1;
            let body = request(id);
            let sent = Instant::now();
            let answer: &[u8] = match &mut self {
                Connection::Ws(ws) => {
                    within("send", ws.send(Message::text(body))).await?;
                    buffer = next_text(ws).await?.into_bytes();
                    &buffer
                }
                Connection::Http { stream, head } => {
                    let mut message = String::with_capacity(head.len() + 8 + body.len());
                    let _ = write!(message, "{head}{}\r\n\r\n{body}", body.len());
                    within("write", stream.write_all(message.as_bytes())).await?;
                    within("read", read_response(stream, &mut buffer)).await?
                }
            };
            last = Instant::now();
            check(peer, answer, id)?;
            if sent >= start {
                latencies.push(u64::try_from((last - sent).as_nanos()).unwrap_or(u64::MAX));
            }
        }
        if let Connection::Ws(ws) = &mut self {
            // The server may already be closing it: nothing to check.
            let _ = ws.as_mut().close(None).await;
        }
        Ok(Recorded { latencies, last })
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
async fn next_text(ws: &mut Ws) -> Result<String, String> {
    loop {
        let message = within("read", async {
            ws.next()
                .await
                .unwrap_or(Err(tokio_tungstenite::tungstenite::Error::ConnectionClosed))
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
