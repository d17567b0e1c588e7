//! The web host's limits against a hostile or broken client, over real sockets on
//! 127.0.0.1:
//! - a tab that stops reading is dropped within the write timeout (its session left to the
//!   grace period, what it had queued counted), while another tab is served;
//! - a batch's answer is bounded (members and bytes): one error answers a batch past either;
//! - protocol violations close the socket with 1002 or 1007 and a reason.
//!
//! Throughout, an honest tab's call is answered within [`HONEST`].

mod web_support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::SinkExt;
use serde_json::{json, Value as Json};
use sessions_core::web::{WebHost, ANSWER_BYTES_PER_MESSAGE_BYTE, DEFAULT_MAX_MESSAGE_BYTES};
use sessions_core::{export_method, Engine, Session, SessionError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;
use web_support::{Handshake, Server, Tab, WAIT};

/// How long an honest tab's call may take while the host is under attack.
const HONEST: Duration = Duration::from_secs(2);

/// The id of the session the call ran in.
#[export_method(name = "LimitsWhoAmI")]
fn limits_who_am_i(session: &Session) -> Result<String, SessionError> {
    Ok(session.id().to_string())
}

/// A text of `bytes` bytes (at most 64 KiB): a large answer for a small request.
#[export_method(name = "LimitsBulk")]
fn limits_bulk(bytes: u32) -> Result<String, SessionError> {
    Ok("x".repeat(bytes.min(64 * 1024) as usize))
}

/// How many times `LimitsCounted` ran.
static COUNTED: AtomicU64 = AtomicU64::new(0);

/// Counts its calls, so a test can tell how many members of a batch ran.
#[export_method(name = "LimitsCounted")]
fn limits_counted() -> Result<u64, SessionError> {
    Ok(COUNTED.fetch_add(1, Ordering::SeqCst) + 1)
}

/// Checks that `tab` is still served: its call is answered, in its own session, within
/// [`HONEST`].
async fn honest_call(tab: &mut Tab) {
    let started = Instant::now();
    let answer = tab.call("LimitsWhoAmI", json!([])).await;
    let took = started.elapsed();
    assert_eq!(answer["result"]["value"], tab.session(), "{answer}");
    assert!(
        took < HONEST,
        "an honest call took {took:?}, over {HONEST:?}"
    );
}

fn is_open(engine: &Engine, session: &str) -> bool {
    engine
        .sessions()
        .iter()
        .any(|open| open.id().to_string() == session)
}

/// A tab whose socket has a 4 KiB receive buffer, after its handshake: a client that will
/// stop reading, so that the host's writes to it soon block.
async fn small_buffered_tab(server: &Server) -> WebSocketStream<TcpStream> {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket.set_recv_buffer_size(4096).expect("a small buffer");
    let stream = socket.connect(server.addr).await.expect("connect");
    let mut request = format!("ws://{}/sessions/ws", server.addr)
        .into_client_request()
        .expect("a valid URL");
    request
        .headers_mut()
        .insert("origin", server.origin().parse().expect("ascii"));
    let (stalled, _) = tokio::time::timeout(WAIT, tokio_tungstenite::client_async(request, stream))
        .await
        .expect("the handshake within the wait")
        .expect("the handshake");
    stalled
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_that_stops_reading_is_dropped_within_the_write_timeout() {
    const WRITE_TIMEOUT: Duration = Duration::from_millis(300);
    let mut counters = None;
    let server = Server::start(Engine::new(), |engine| {
        let builder = WebHost::builder(engine)
            // The heartbeat alone would take 20 s: the write timeout is what drops the tab.
            .write_timeout(WRITE_TIMEOUT)
            .grace_period(Duration::from_millis(200));
        counters = Some(builder.counters());
        builder
    })
    .await;
    let counters = counters.expect("the builder ran");
    let mut honest = Tab::open(&server, Handshake::default()).await;

    // A client with a tiny receive buffer, which reads its greeting and then never reads
    // again, while it keeps asking for large answers.
    let mut stalled = small_buffered_tab(&server).await;
    let first = tokio::time::timeout(WAIT, futures_util::StreamExt::next(&mut stalled))
        .await
        .expect("session.opened within the wait")
        .expect("a message")
        .expect("readable");
    let opened: Json = serde_json::from_str(first.to_text().expect("text")).expect("JSON");
    let stalled_session = opened["params"]["session"]
        .as_str()
        .expect("a session")
        .to_owned();

    // Each answer is 60 KiB; the socket's buffers fill after some of them, and then the
    // host's writes (and so its reads of this socket) stop: our sends then stop too.
    let call = json!({"jsonrpc": "2.0", "method": "LimitsBulk", "params": [60 * 1024], "id": 1})
        .to_string();
    let mut sent = 0;
    for _ in 0..5_000 {
        let send = stalled.send(Message::text(call.clone()));
        match tokio::time::timeout(Duration::from_millis(200), send).await {
            Ok(Ok(())) => sent += 1,
            Ok(Err(_)) | Err(_) => break,
        }
    }
    assert!(sent > 0, "the stalled client sent no call");
    honest_call(&mut honest).await;

    let started = Instant::now();
    server
        .wait_until("the stalled tab is dropped as gone", || {
            counters.stalled_tabs() == 1
        })
        .await;
    assert!(
        counters.undelivered() >= 1,
        "what the stalled tab had queued is counted"
    );
    // Its session waits out the grace period, then closes.
    server
        .wait_until(
            "the stalled tab's session closes after the grace period",
            || !is_open(&server.engine, &stalled_session),
        )
        .await;
    let took = started.elapsed();
    honest_call(&mut honest).await;
    assert!(is_open(&server.engine, honest.session()));
    eprintln!(
        "stalled client sent {sent} calls; dropped and its session closed {took:?} after its sends stopped; {} undelivered",
        counters.undelivered()
    );
    drop(stalled);
}

/// A drain's wait for the tabs' sockets has a deadline: a tab whose socket takes nothing
/// (its host stuck writing to it) keeps it open past a short one, which fails with
/// `TabsStillOpen` naming how many; once the write timeout drops that tab, the wait ends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_waits_for_a_stalled_tab_only_until_its_deadline() {
    const WRITE_TIMEOUT: Duration = Duration::from_secs(5);
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).write_timeout(WRITE_TIMEOUT)
    })
    .await;
    let drain = server.drain.clone().expect("the host's own serve loop");
    let mut honest = Tab::open(&server, Handshake::default()).await;

    // As above: a client that never reads while it asks for large answers, with large
    // requests, until its sends block: the host stopped reading it, stuck writing to it.
    let mut stalled = small_buffered_tab(&server).await;
    let call = json!({"jsonrpc": "2.0", "method": "LimitsBulk", "params": [60 * 1024], "id": "x".repeat(30 * 1024)})
        .to_string();
    let mut blocked = false;
    for _ in 0..5_000 {
        let send = stalled.send(Message::text(call.clone()));
        match tokio::time::timeout(Duration::from_millis(500), send).await {
            Ok(Ok(())) => {}
            Ok(Err(_)) | Err(_) => {
                blocked = true;
                break;
            }
        }
    }
    assert!(blocked, "the host kept reading a client that never reads");
    honest_call(&mut honest).await;
    assert_eq!(drain.open_tabs(), 2);

    // The honest tab's socket closes at once (the tab reads, so it answers the close, as a
    // browser does); the stalled one's cannot before the write timeout.
    let (still_open, honest_end) =
        tokio::join!(drain.close_tabs(Duration::from_millis(300)), async move {
            let end = honest.next_message().await;
            honest.close().await;
            end
        });
    let still_open = still_open.expect_err("a stalled socket outlives a short deadline");
    assert_eq!(still_open.open, 1, "{still_open}");
    assert!(
        still_open.to_string().contains("still open"),
        "{still_open}"
    );
    match honest_end {
        web_support::Incoming::Closed(code, _) => assert_eq!(code, 1012),
        other => panic!("expected 1012, got {other:?}"),
    }
    // The write timeout drops the stalled tab: the drain's wait then ends.
    assert_eq!(drain.close_tabs(WRITE_TIMEOUT + WAIT).await, Ok(1));
    assert_eq!(drain.open_tabs(), 0);
    drop(stalled);
}

/// A batch of `bytes` bytes (at most) whose members are all invalid requests (`1`).
fn invalid_batch(bytes: usize) -> String {
    let members = (bytes - 2) / 2;
    let mut batch = String::with_capacity(bytes);
    batch.push('[');
    for index in 0..members {
        if index > 0 {
            batch.push(',');
        }
        batch.push('1');
    }
    batch.push(']');
    batch
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_of_invalid_members_is_answered_with_one_small_error() {
    let mut counters = None;
    let server = Server::start(Engine::new(), |engine| {
        let builder = WebHost::builder(engine);
        counters = Some(builder.counters());
        builder
    })
    .await;
    let counters = counters.expect("the builder ran");
    let mut honest = Tab::open(&server, Handshake::default()).await;
    let mut attacker = Tab::open(&server, Handshake::default()).await;
    let batch = invalid_batch(DEFAULT_MAX_MESSAGE_BYTES - 16);
    const BATCHES: usize = 20;
    for _ in 0..BATCHES {
        attacker.send_text(batch.clone()).await;
    }
    honest_call(&mut honest).await;
    let bound = ANSWER_BYTES_PER_MESSAGE_BYTE * DEFAULT_MAX_MESSAGE_BYTES;
    for _ in 0..BATCHES {
        let answer = attacker.next_json().await;
        let size = answer.to_string().len();
        assert!(size < bound, "an answer of {size} bytes, over {bound}");
        assert_eq!(answer["error"]["code"], -32600, "{answer}");
        assert_eq!(answer["id"], Json::Null, "{answer}");
    }
    assert_eq!(counters.refused_batches(), BATCHES as u64);
    honest_call(&mut honest).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_past_its_members_or_its_answer_bound_is_one_error() {
    const MESSAGE: usize = 4096;
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine)
            .max_message_bytes(MESSAGE)
            .max_batch_members(10)
    })
    .await;
    let mut honest = Tab::open(&server, Handshake::default()).await;
    let mut tab = Tab::open(&server, Handshake::default()).await;

    // 11 members: none runs.
    let counted = |id: usize| json!({"jsonrpc": "2.0", "method": "LimitsCounted", "id": id});
    let eleven = Json::Array((0..11).map(counted).collect());
    let before = COUNTED.load(Ordering::SeqCst);
    tab.send_text(eleven.to_string()).await;
    let answer = tab.next_json().await;
    assert_eq!(answer["error"]["code"], -32600, "{answer}");
    assert_eq!(COUNTED.load(Ordering::SeqCst), before, "no member ran");
    // 10 members: all run, one answer each.
    let ten = Json::Array((0..10).map(counted).collect());
    tab.send_text(ten.to_string()).await;
    let answer = tab.next_json().await;
    assert_eq!(answer.as_array().map(Vec::len), Some(10), "{answer}");
    assert_eq!(COUNTED.load(Ordering::SeqCst), before + 10);

    // 10 members of 2,000-byte answers: past 4 × 4096 bytes after 9 of them.
    let bulk = Json::Array(
        (0..10)
            .map(|id| json!({"jsonrpc": "2.0", "method": "LimitsBulk", "params": [2000], "id": id}))
            .collect(),
    );
    tab.send_text(bulk.to_string()).await;
    let answer = tab.next_json().await;
    let size = answer.to_string().len();
    assert!(
        size < MESSAGE,
        "one short error, not {size} bytes: {answer}"
    );
    assert_eq!(answer["error"]["code"], -32600, "{answer}");
    honest_call(&mut honest).await;
    honest_call(&mut tab).await;
}

/// A raw WebSocket to the host: the handshake written by hand, then the greeting read.
async fn raw_socket(server: &Server) -> TcpStream {
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let request = format!(
        "GET /sessions/ws HTTP/1.1\r\nhost: {}\r\nupgrade: websocket\r\nconnection: Upgrade\r\n\
         sec-websocket-key: dGhlIHNhbXBsZSBub25jZQ==\r\nsec-websocket-version: 13\r\n\r\n",
        server.addr
    );
    stream.write_all(request.as_bytes()).await.expect("send");
    // The response's head, byte by byte up to its blank line (then frames follow).
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        assert!(head.len() < 4096, "a response head too long");
        let byte = tokio::time::timeout(WAIT, stream.read_u8())
            .await
            .expect("the response within the wait")
            .expect("read");
        head.push(byte);
    }
    let head = String::from_utf8(head).expect("text");
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let (opcode, payload) = read_frame(&mut stream).await;
    assert_eq!(opcode, 1, "a text frame first");
    let opened: Json = serde_json::from_slice(&payload).expect("JSON");
    assert_eq!(opened["method"], "session.opened");
    stream
}

/// One frame from the host (unmasked, as a server's are): its opcode and payload.
async fn read_frame(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    tokio::time::timeout(WAIT, async {
        let first = stream.read_u8().await.expect("a frame");
        let second = stream.read_u8().await.expect("a frame");
        let length = match second & 0x7f {
            126 => u64::from(stream.read_u16().await.expect("a length")),
            127 => stream.read_u64().await.expect("a length"),
            short => u64::from(short),
        };
        assert!(length <= 1 << 20, "a frame of {length} bytes");
        let mut payload = vec![0; length as usize];
        stream.read_exact(&mut payload).await.expect("a payload");
        (first & 0x0f, payload)
    })
    .await
    .expect("a frame within the wait")
}

/// A client frame with a zero mask (so its payload is as written), or none at all.
fn frame(first: u8, payload: &[u8], masked: bool) -> Vec<u8> {
    let mut frame = vec![first];
    let mask_bit = if masked { 0x80 } else { 0 };
    if payload.len() < 126 {
        frame.push(mask_bit | payload.len() as u8);
    } else {
        frame.push(mask_bit | 126);
        frame.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    }
    if masked {
        frame.extend_from_slice(&[0; 4]);
    }
    frame.extend_from_slice(payload);
    frame
}

/// Sends `bad` on a fresh raw socket and reads the close frame: its code and reason.
async fn close_after(server: &Server, bad: &[u8]) -> (u16, String) {
    let mut stream = raw_socket(server).await;
    stream.write_all(bad).await.expect("send");
    for _ in 0..10 {
        let (opcode, payload) = read_frame(&mut stream).await;
        if opcode == 8 {
            assert!(payload.len() >= 2, "a close frame with a code");
            let code = u16::from_be_bytes([payload[0], payload[1]]);
            let reason = String::from_utf8(payload[2..].to_vec()).expect("a UTF-8 reason");
            return (code, reason);
        }
    }
    panic!("no close frame after 10 frames");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn protocol_violations_close_with_1002_or_1007_and_a_reason() {
    let server = Server::start(Engine::new(), WebHost::builder).await;
    let mut honest = Tab::open(&server, Handshake::default()).await;
    let cases: [(&str, Vec<u8>, u16); 4] = [
        (
            "invalid UTF-8 in a text frame",
            frame(0x81, &[0xff, 0xfe], true),
            1007,
        ),
        ("a reserved bit set", frame(0xc1, b"hi", true), 1002),
        ("an unmasked client frame", frame(0x81, b"hi", false), 1002),
        ("an oversize ping", frame(0x89, &[0; 200], true), 1002),
    ];
    for (what, bad, expected) in cases {
        let (code, reason) = close_after(&server, &bad).await;
        assert_eq!(code, expected, "{what}: closed with {code} {reason:?}");
        assert!(!reason.is_empty(), "{what}: a reason");
        honest_call(&mut honest).await;
    }
    // A well-formed frame on the same kind of raw socket is served: the violations are
    // what the codes answer, not the raw client.
    let mut stream = raw_socket(&server).await;
    let call = json!({"jsonrpc": "2.0", "method": "LimitsWhoAmI", "id": 1}).to_string();
    stream
        .write_all(&frame(0x81, call.as_bytes(), true))
        .await
        .expect("send");
    let (opcode, payload) = read_frame(&mut stream).await;
    assert_eq!(opcode, 1);
    let answer: Json = serde_json::from_slice(&payload).expect("JSON");
    assert!(answer["result"]["value"].is_string(), "{answer}");
}

/// A sync method that holds its thread for half a second (a slow password hash), marked
/// `blocking`: the hosts run it on the blocking pool.
#[export_method(name = "LimitsSlowHash", blocking)]
fn limits_slow_hash(session: &Session) -> Result<String, SessionError> {
    std::thread::sleep(Duration::from_millis(500));
    // Run in the caller's session, though on another thread.
    Ok(session.id().to_string())
}

/// The server on a runtime of its own with 2 workers, the tabs on another: a worker held by
/// a method then delays only the server, which is what is measured.
#[test]
fn blocking_methods_hold_up_no_other_tab() {
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("the server's runtime");
    let client_runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("the tabs' runtime");
    let server = server_runtime.block_on(Server::start(Engine::new(), WebHost::builder));
    client_runtime.block_on(tabs_of_blocking_calls(&server));
    drop(server);
}

async fn tabs_of_blocking_calls(server: &Server) {
    /// The bound on the trivial call, well under the 500 ms the blocking calls take.
    const QUICK: Duration = Duration::from_millis(200);
    let mut quick = Tab::open(server, Handshake::default()).await;
    let mut slow = Vec::new();
    for _ in 0..3 {
        slow.push(Tab::open(server, Handshake::default()).await);
    }
    // More blocking calls than the server has workers (2), all at once.
    let sent = Instant::now();
    for tab in &mut slow {
        let call = json!({"jsonrpc": "2.0", "method": "LimitsSlowHash", "id": 1});
        tab.send_text(call.to_string()).await;
    }
    // Let them start (well within the 500 ms they take).
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let answer = quick.call("LimitsWhoAmI", json!([])).await;
    let took = started.elapsed();
    assert_eq!(answer["result"]["value"], quick.session(), "{answer}");
    assert!(
        took < QUICK,
        "a trivial call took {took:?} while 3 blocking calls ran, over {QUICK:?}"
    );
    for tab in &mut slow {
        let answer = tab.next_json().await;
        assert_eq!(answer["result"]["value"], tab.session(), "{answer}");
    }
    let all = sent.elapsed();
    // They ran side by side on the blocking pool, not one after another.
    assert!(
        all < Duration::from_millis(1400),
        "3 blocking calls of 500 ms took {all:?}"
    );
    eprintln!(
        "a trivial call took {took:?} while 3 blocking calls of 500 ms ran (all done in {all:?})"
    );
}
