//! The web host's own serve loop ([`WebHost::serve`]) against hostile clients, over real
//! sockets to 127.0.0.1 (tokio's `TcpStream` as the client, raw HTTP/1.1):
//! - a client that never sends its headers, or dribbles them, is closed after the header
//!   read timeout;
//! - a POST that declares a longer body than it sends is answered 408 and closed after the
//!   body read timeout;
//! - a keep-alive connection that sends no next request is closed after the idle timeout,
//!   and one that keeps sending requests is not;
//! - a peer past its cap is refused (and counted) while another peer is served;
//! - past the cap in all, every new connection is refused until one ends.
//!
//! The limits are configured short (200 ms), so nothing sleeps long. Throughout, an honest
//! tab opened before the attack has its calls answered within [`HONEST`].
//!
//! Every peer of a test on one machine is a loopback address. The cap per peer counts by
//! address, so the tests tell peers apart by binding the client's socket to 127.0.0.2 (Linux
//! routes all of 127.0.0.0/8 to the loopback interface): "another peer" is 127.0.0.2, and
//! the refusals per peer and in all are told apart by their own counters
//! ([`WebCounters::refused_per_peer`], [`WebCounters::refused_over_total`]).

mod web_support;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use serde_json::json;
use sessions_core::web::{WebCounters, WebHost, WebHostBuilder};
use sessions_core::{export_method, Engine, Session, SessionError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use web_support::{Handshake, Server, Tab};

/// How long an honest tab's call may take while the host is under attack.
const HONEST: Duration = Duration::from_secs(2);

/// The deadlines the tests configure.
const SHORT: Duration = Duration::from_millis(200);

/// A deadline no test reaches.
const LONG: Duration = Duration::from_secs(30);

/// How long past its deadline a connection may take to be closed (a busy machine).
const SLACK: Duration = Duration::from_secs(2);

/// The id of the session the call ran in.
#[export_method(name = "ConnWhoAmI")]
fn conn_who_am_i(session: &Session) -> Result<String, SessionError> {
    Ok(session.id().to_string())
}

/// The other peer of the tests: a loopback address that is not 127.0.0.1.
const OTHER_PEER: Ipv4Addr = Ipv4Addr::new(127, 0, 0, 2);

/// Serves a host built by `host`, returning the server and the host's counters.
async fn start(host: impl FnOnce(WebHostBuilder) -> WebHostBuilder) -> (Server, WebCounters) {
    let mut counters = None;
    let server = Server::start(Engine::new(), |engine| {
        let builder = host(WebHost::builder(engine));
        counters = Some(builder.counters());
        builder
    })
    .await;
    (server, counters.expect("the builder was made"))
}

/// Checks that `tab` is still served: its call is answered, in its own session, within
/// [`HONEST`].
async fn honest_call(tab: &mut Tab) {
    let started = Instant::now();
    let answer = tokio::time::timeout(HONEST, tab.call("ConnWhoAmI", json!([])))
        .await
        .unwrap_or_else(|_| panic!("an honest call was not answered within {HONEST:?}"));
    assert_eq!(answer["result"]["value"], tab.session(), "{answer}");
    assert!(started.elapsed() < HONEST);
}

/// A TCP connection to `addr` from the loopback address `from`.
async fn connect_from(from: Ipv4Addr, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket
        .bind(SocketAddr::new(IpAddr::V4(from), 0))
        .expect("a loopback address to bind to");
    socket.connect(addr).await.expect("the host accepts")
}

/// Reads until the host closes the connection (end of stream, or a reset), for at most
/// `bound`; returns what was read and when it was closed, or `None` if it was still open.
async fn read_until_closed(stream: &mut TcpStream, bound: Duration) -> Option<(Vec<u8>, Instant)> {
    let mut read = Vec::new();
    let mut buffer = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + bound;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some((read, Instant::now())),
            Ok(Ok(n)) => read.extend_from_slice(&buffer[..n]),
        }
    }
}

/// A raw `POST /sessions/rpc` of `body` from `from`, answered and closed within [`HONEST`]:
/// the response's text.
async fn post_from(from: Ipv4Addr, addr: SocketAddr, body: &str) -> String {
    let mut stream = connect_from(from, addr).await;
    let request = format!(
        "POST /sessions/rpc HTTP/1.1\r\nhost: {addr}\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is sent");
    let (read, _) = read_until_closed(&mut stream, HONEST)
        .await
        .unwrap_or_else(|| panic!("a POST from {from} was not answered within {HONEST:?}"));
    String::from_utf8(read).expect("an HTTP response is text")
}

/// The JSON-RPC call of `ConnWhoAmI` with no session: refused -32001, a complete answer.
const CALL: &str = r#"{"jsonrpc":"2.0","id":1,"method":"ConnWhoAmI","params":[]}"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_never_sends_its_headers_or_dribbles_them_is_closed_after_the_header_timeout()
{
    let (server, counters) = start(|host| {
        host.header_read_timeout(SHORT)
            .idle_connection_timeout(LONG)
    })
    .await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    honest_call(&mut tab).await;

    // One sends nothing at all; the other sends its request line a byte every 50 ms.
    let started = Instant::now();
    let mut silent = TcpStream::connect(server.addr).await.expect("connects");
    let mut dribbler = TcpStream::connect(server.addr).await.expect("connects");
    let request = format!(
        "GET /sessions/methods HTTP/1.1\r\nhost: {}\r\n",
        server.addr
    );
    let dribble = async {
        for byte in request.as_bytes().iter().cycle().take(200) {
            if dribbler.write_all(&[*byte]).await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        read_until_closed(&mut dribbler, SLACK).await
    };
    let (silent_closed, dribbler_closed, ()) = tokio::join!(
        read_until_closed(&mut silent, SHORT + SLACK),
        dribble,
        async {
            // The honest tab is served while both connections wait.
            for _ in 0..3 {
                honest_call(&mut tab).await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    );
    let (read, closed) = silent_closed.expect("the silent client is closed");
    assert!(
        read.is_empty(),
        "nothing is sent to a client that sent nothing"
    );
    let took = closed - started;
    assert!(
        took >= SHORT - Duration::from_millis(50) && took < SHORT + SLACK,
        "the silent client was closed after {took:?}; its header timeout is {SHORT:?}"
    );
    let (_, closed) = dribbler_closed.expect("the dribbling client is closed");
    let took = closed - started;
    assert!(
        took < SHORT + SLACK,
        "the dribbling client was closed after {took:?}; its header timeout is {SHORT:?}"
    );
    assert_eq!(counters.header_timeouts(), 2);
    honest_call(&mut tab).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_that_sends_less_body_than_it_declares_gets_408_after_the_body_timeout() {
    let (server, counters) = start(|host| host.body_read_timeout(SHORT)).await;
    let mut tab = Tab::open(&server, Handshake::default()).await;

    let mut stream = TcpStream::connect(server.addr).await.expect("connects");
    let head = format!(
        "POST /sessions/rpc HTTP/1.1\r\nhost: {}\r\ncontent-type: application/json\r\n\
         content-length: 1000\r\n\r\n{{\"jsonrpc\":\"2.0\",",
        server.addr
    );
    let started = Instant::now();
    stream
        .write_all(head.as_bytes())
        .await
        .expect("the head and part of the body are sent");
    let (closed, ()) = tokio::join!(read_until_closed(&mut stream, SHORT + SLACK), async {
        honest_call(&mut tab).await;
    });
    let (read, closed) = closed.expect("the POST is answered and its connection closed");
    let took = closed - started;
    let text = String::from_utf8_lossy(&read);
    assert!(
        text.starts_with("HTTP/1.1 408"),
        "a body that never arrives is answered 408: {text}"
    );
    assert!(
        text.contains("-32600") && text.contains("did not arrive"),
        "the answer says what happened: {text}"
    );
    assert!(
        took >= SHORT - Duration::from_millis(50) && took < SHORT + SLACK,
        "answered after {took:?}; the body timeout is {SHORT:?}"
    );
    assert_eq!(counters.body_timeouts(), 1);

    // A whole body within the deadline is answered as ever.
    let answer = post_from(Ipv4Addr::LOCALHOST, server.addr, CALL).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("-32001"), "{answer}");
    honest_call(&mut tab).await;
}

/// A keep-alive `GET /sessions/client.d.ts` on `stream`, read whole (by its length).
async fn keep_alive_get(stream: &mut TcpStream, addr: SocketAddr) {
    let request = format!("GET /sessions/client.d.ts HTTP/1.1\r\nhost: {addr}\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("the request is sent");
    let mut read = Vec::new();
    let mut buffer = [0u8; 8192];
    let answered = tokio::time::timeout(HONEST, async {
        loop {
            let n = stream
                .read(&mut buffer)
                .await
                .expect("the response is read");
            assert!(n > 0, "the connection was closed before its response ended");
            read.extend_from_slice(&buffer[..n]);
            let text = String::from_utf8_lossy(&read);
            if let Some(end) = text.find("\r\n\r\n") {
                let length: usize = text[..end]
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse().ok())?
                    })
                    .expect("the response has a length");
                if read.len() >= end + 4 + length {
                    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
                    return;
                }
            }
        }
    })
    .await;
    assert!(
        answered.is_ok(),
        "a keep-alive GET was not answered within {HONEST:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout_and_a_busy_one_is_not() {
    let (server, counters) = start(|host| {
        host.idle_connection_timeout(SHORT)
            .header_read_timeout(LONG)
    })
    .await;
    let mut tab = Tab::open(&server, Handshake::default()).await;

    // A connection that sends a request every 100 ms outlives several idle timeouts.
    let mut busy = TcpStream::connect(server.addr).await.expect("connects");
    for round in 0..8 {
        if round > 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        keep_alive_get(&mut busy, server.addr).await;
    }
    assert_eq!(counters.idle_timeouts(), 0);

    // Then it goes quiet, and is closed.
    let quiet_since = Instant::now();
    let (closed, ()) = tokio::join!(read_until_closed(&mut busy, SHORT + SLACK), async {
        honest_call(&mut tab).await;
    });
    let (read, closed) = closed.expect("the idle connection is closed");
    assert!(read.is_empty());
    let took = closed - quiet_since;
    assert!(
        took >= SHORT - Duration::from_millis(50) && took < SHORT + SLACK,
        "closed {took:?} after its last response; the idle timeout is {SHORT:?}"
    );
    assert_eq!(counters.idle_timeouts(), 1);
    assert_eq!(counters.header_timeouts(), 0);
    // The tab's WebSocket is no keep-alive connection: its own deadlines are the tab's.
    honest_call(&mut tab).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_past_its_cap_is_refused_and_counted_while_another_peer_is_served() {
    const PER_PEER: usize = 4;
    let (server, counters) =
        start(|host| host.max_connections_per_peer(PER_PEER).max_connections(100)).await;
    // The honest tab is 127.0.0.1's first connection.
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let mut held = Vec::new();
    for _ in 1..PER_PEER {
        held.push(connect_from(Ipv4Addr::LOCALHOST, server.addr).await);
    }
    server
        .wait_until("the host holds the peer's connections", || {
            counters.open_connections() == PER_PEER as u64
        })
        .await;

    // One more from 127.0.0.1 is refused at once: a 503, then closed.
    let mut refused = connect_from(Ipv4Addr::LOCALHOST, server.addr).await;
    let (read, _) = read_until_closed(&mut refused, HONEST)
        .await
        .expect("the connection past the peer's cap is closed");
    let text = String::from_utf8_lossy(&read);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert_eq!(counters.refused_per_peer(), 1);
    assert_eq!(counters.refused_over_total(), 0);

    // Another peer is served meanwhile, and so is the tab.
    let answer = post_from(OTHER_PEER, server.addr, CALL).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("-32001"), "{answer}");
    honest_call(&mut tab).await;
    assert_eq!(counters.refused_per_peer(), 1);

    // A connection of the peer's that ends gives its place back.
    drop(held.pop());
    server
        .wait_until("the ended connection's place is free", || {
            counters.open_connections() == PER_PEER as u64 - 1
        })
        .await;
    let answer = post_from(Ipv4Addr::LOCALHOST, server.addr, CALL).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(counters.refused_per_peer(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_cap_in_all_every_peer_is_refused_until_a_connection_ends() {
    const ALL: usize = 4;
    let (server, counters) =
        start(|host| host.max_connections(ALL).max_connections_per_peer(100)).await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let mut held = Vec::new();
    for _ in 1..ALL {
        held.push(connect_from(Ipv4Addr::LOCALHOST, server.addr).await);
    }
    server
        .wait_until("the host holds its cap of connections", || {
            counters.open_connections() == ALL as u64
        })
        .await;

    // Another peer, under its own cap, is refused: the host holds all it may.
    let mut refused = connect_from(OTHER_PEER, server.addr).await;
    let (read, _) = read_until_closed(&mut refused, HONEST)
        .await
        .expect("the connection past the cap is closed");
    assert!(String::from_utf8_lossy(&read).starts_with("HTTP/1.1 503"));
    assert_eq!(counters.refused_over_total(), 1);
    assert_eq!(counters.refused_per_peer(), 0);
    // The tab, which holds its place, is served.
    honest_call(&mut tab).await;

    drop(held.pop());
    server
        .wait_until("the ended connection's place is free", || {
            counters.open_connections() == ALL as u64 - 1
        })
        .await;
    let answer = post_from(OTHER_PEER, server.addr, CALL).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert_eq!(counters.refused_over_total(), 1);
    honest_call(&mut tab).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_router_served_by_axum_keeps_no_connection_limit() {
    // What an application that mounts the router itself loses: with `axum::serve`, a
    // client that never sends its headers holds its connection past the header timeout.
    let server = Server::start_with_axum(Engine::new(), |engine| {
        WebHost::builder(engine).header_read_timeout(SHORT)
    })
    .await;
    let mut silent = TcpStream::connect(server.addr).await.expect("connects");
    assert!(
        read_until_closed(&mut silent, SHORT * 4).await.is_none(),
        "axum::serve has no header deadline: the connection stays open"
    );
}
