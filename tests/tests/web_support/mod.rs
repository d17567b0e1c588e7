//! A real web host on 127.0.0.1 (a free port, stopped when dropped) and a real WebSocket
//! client (tokio-tungstenite) for the web host's tests. Every wait is bounded.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value as Json};
use sessions_core::web::{Drain, WebHostBuilder};
use sessions_core::Engine;
use tokio::net::TcpStream;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any one expected message may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(10);

/// A web host serving on 127.0.0.1; the server stops when this is dropped.
pub struct Server {
    pub addr: SocketAddr,
    pub engine: Engine,
    /// The host's drain (`None` for a router served with `axum::serve`).
    pub drain: Option<Drain>,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Server {
    /// Serves `host` (built from `engine`) on a free port of 127.0.0.1, with the host's own
    /// serve loop ([`WebHost::serve`](sessions_core::web::WebHost::serve)): its connection
    /// limits, and each request's peer address.
    pub async fn start(engine: Engine, host: impl FnOnce(Engine) -> WebHostBuilder) -> Server {
        let host = host(engine.clone()).build_host();
        let router = host.router();
        let drain = Some(host.drain());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port on 127.0.0.1");
        let addr = listener.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            host.serve(listener, router).await.expect("the server runs");
        });
        Server {
            addr,
            engine,
            drain,
            task,
        }
    }

    /// [`start`](Self::start): the host's serve loop gives every request its peer's
    /// address (as `into_make_service_with_connect_info` does), so the host knows its peers.
    pub async fn start_with_peers(
        engine: Engine,
        host: impl FnOnce(Engine) -> WebHostBuilder,
    ) -> Server {
        Server::start(engine, host).await
    }

    /// Serves the host's router with `axum::serve`, as an application that mounts the
    /// router itself does: the router's own limits, none of the connections'.
    pub async fn start_with_axum(
        engine: Engine,
        host: impl FnOnce(Engine) -> WebHostBuilder,
    ) -> Server {
        let router = host(engine.clone()).build();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port on 127.0.0.1");
        let addr = listener.local_addr().expect("its address");
        let task = tokio::spawn(async move {
            axum::serve(listener, router)
                .await
                .expect("the server runs");
        });
        Server {
            addr,
            engine,
            drain: None,
            task,
        }
    }

    /// `http://127.0.0.1:PORT`: the host's own origin.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Waits until `done()` holds (checked every 20 ms), failing the test after [`WAIT`].
    pub async fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !done() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out waiting: {what}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The accounts of the examples' demo file (`examples/demo-accounts.toml`): alice /
/// alice-demo (admin, operator), bob / bob-demo (operator), carol / carol-demo (no role).
pub fn demo_accounts() -> sessions_core::auth::Accounts {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/demo-accounts.toml"
    );
    sessions_core::auth::Accounts::load(path).expect("the demo accounts load")
}

/// What a handshake may carry.
#[derive(Default, Clone)]
pub struct Handshake<'a> {
    pub cookie: Option<&'a str>,
    pub origin: Option<&'a str>,
    pub resume: Option<&'a str>,
    /// How many pushes the page says it received (`seen`), with `resume`.
    pub seen: Option<u64>,
    pub headers: &'a [(&'static str, &'a str)],
    /// Send no `Origin` header (as a script would), instead of the host's own.
    pub no_origin: bool,
}

impl<'a> Handshake<'a> {
    /// A tab of the browser whose client cookie is `cookie`.
    pub fn with_cookie(cookie: &'a str) -> Handshake<'a> {
        Handshake {
            cookie: Some(cookie),
            ..Handshake::default()
        }
    }

    /// A tab's reconnect: its resume `token`, and the browser's `cookie` if it sends one.
    pub fn resuming(cookie: Option<&'a str>, token: &'a str) -> Handshake<'a> {
        Handshake {
            cookie,
            resume: Some(token),
            ..Handshake::default()
        }
    }
}

/// One tab: a WebSocket to the host, after its `session.opened`.
pub struct Tab {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The `params` of `session.opened`.
    pub opened: Json,
    /// The `sessions_client=…` pair the handshake's response set, if it set one.
    pub set_cookie: Option<String>,
    next_id: u64,
}

/// The `sessions_client=…` pair a handshake's response set, if it set one.
pub fn set_cookie_of<B>(
    response: &tokio_tungstenite::tungstenite::http::Response<B>,
) -> Option<String> {
    response
        .headers()
        .get("set-cookie")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .map(str::to_owned)
}

/// Why a handshake did not give a tab.
#[derive(Debug)]
pub enum Refused {
    /// The HTTP response to the upgrade, with its status.
    Status(u16),
    /// The socket opened, then closed before `session.opened`, with this code and reason.
    Closed(u16, String),
}

impl Tab {
    /// Opens a tab; panics if the host refuses it.
    pub async fn open(server: &Server, handshake: Handshake<'_>) -> Tab {
        Tab::try_open(server, handshake)
            .await
            .expect("the host opens the tab")
    }

    pub async fn try_open(server: &Server, handshake: Handshake<'_>) -> Result<Tab, Refused> {
        Tab::try_open_at(server.addr, handshake).await
    }

    /// [`try_open`](Self::try_open) for the host at `addr`.
    pub async fn try_open_at(addr: SocketAddr, handshake: Handshake<'_>) -> Result<Tab, Refused> {
        let url = match (handshake.resume, handshake.seen) {
            (Some(token), Some(seen)) => {
                format!("ws://{addr}/sessions/ws?resume={token}&seen={seen}")
            }
            (Some(token), None) => format!("ws://{addr}/sessions/ws?resume={token}"),
            (None, _) => format!("ws://{addr}/sessions/ws"),
        };
        let mut request = url.into_client_request().expect("a valid URL");
        let own_origin = format!("http://{addr}");
        let headers = request.headers_mut();
        if !handshake.no_origin {
            headers.insert(
                "origin",
                HeaderValue::from_str(handshake.origin.unwrap_or(&own_origin)).expect("ascii"),
            );
        }
        if let Some(cookie) = handshake.cookie {
            headers.insert("cookie", HeaderValue::from_str(cookie).expect("ascii"));
        }
        for (name, value) in handshake.headers {
            headers.insert(*name, HeaderValue::from_str(value).expect("ascii"));
        }
        let connecting = tokio_tungstenite::connect_async(request);
        let (socket, response) = match tokio::time::timeout(WAIT, connecting).await {
            Err(_) => panic!("the handshake timed out"),
            Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
                return Err(Refused::Status(response.status().as_u16()))
            }
            Ok(Err(error)) => panic!("the handshake failed: {error}"),
            Ok(Ok(connected)) => connected,
        };
        let set_cookie = set_cookie_of(&response);
        let mut tab = Tab {
            socket,
            opened: Json::Null,
            set_cookie,
            next_id: 1,
        };
        match tab.next_message().await {
            Incoming::Json(first) => {
                assert_eq!(first["method"], "session.opened", "first message: {first}");
                tab.opened = first["params"].clone();
                Ok(tab)
            }
            Incoming::Closed(code, reason) => Err(Refused::Closed(code, reason)),
        }
    }

    pub fn session(&self) -> &str {
        self.opened["session"]
            .as_str()
            .expect("session.opened has a session")
    }

    pub fn client(&self) -> &str {
        self.opened["client"]
            .as_str()
            .expect("session.opened has a client")
    }

    pub fn resume_token(&self) -> &str {
        self.opened["resume"]
            .as_str()
            .expect("session.opened has a token")
    }

    /// Sends one text message as it is.
    pub async fn send_text(&mut self, text: impl Into<String>) {
        self.socket
            .send(Message::text(text.into()))
            .await
            .expect("the socket takes the message");
    }

    /// Sends a binary message, which the host does not take.
    pub async fn send_binary(&mut self) {
        self.socket
            .send(Message::binary(vec![1, 2, 3]))
            .await
            .expect("the socket takes the message");
    }

    /// Sends a request and waits for the response with its id (notifications that come
    /// before it are skipped).
    pub async fn call(&mut self, method: &str, params: Json) -> Json {
        let id = self.next_id;
        self.next_id += 1;
        let request = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id});
        self.send_text(request.to_string()).await;
        loop {
            let message = self.next_json().await;
            if message["id"] == id {
                return message;
            }
        }
    }

    /// The next JSON message; fails the test on a close or after [`WAIT`].
    pub async fn next_json(&mut self) -> Json {
        match self.next_message().await {
            Incoming::Json(json) => json,
            Incoming::Closed(code, reason) => panic!("socket closed: {code} {reason}"),
        }
    }

    /// The next `variable.changed` notification's params (other messages are skipped).
    pub async fn next_change(&mut self) -> Json {
        for _ in 0..1000 {
            let message = self.next_json().await;
            if message["method"] == "variable.changed" {
                return message["params"].clone();
            }
        }
        panic!("no variable.changed among 1000 messages");
    }

    /// The next message, or how the socket closed.
    pub async fn next_message(&mut self) -> Incoming {
        loop {
            let next = tokio::time::timeout(WAIT, self.socket.next())
                .await
                .expect("a message within the wait");
            match next {
                Some(Ok(Message::Text(text))) => {
                    return Incoming::Json(serde_json::from_str(&text).expect("JSON"))
                }
                Some(Ok(Message::Close(frame))) => {
                    let (code, reason) = frame.map_or((1005, String::new()), |frame| {
                        (u16::from(frame.code), frame.reason.to_string())
                    });
                    return Incoming::Closed(code, reason);
                }
                Some(Ok(_)) => continue,
                Some(Err(error)) => return Incoming::Closed(1006, error.to_string()),
                None => return Incoming::Closed(1006, "stream ended".to_owned()),
            }
        }
    }

    /// Closes the socket as a browser closing the tab would, and waits until the host has
    /// let go of it (its end of the connection is gone).
    pub async fn close(mut self) {
        let _ = self.socket.close(None).await;
        let drained = tokio::time::timeout(WAIT, async {
            while let Some(Ok(_)) = self.socket.next().await {}
        });
        drained
            .await
            .expect("the host ends the connection after a close");
    }

    /// Drops the connection without a close frame, as a network failure would.
    pub fn drop_connection(self) {}
}

/// A message from the host, or how its socket ended.
#[derive(Debug)]
pub enum Incoming {
    Json(Json),
    Closed(u16, String),
}

impl Incoming {
    pub fn close_code(&self) -> Option<u16> {
        match self {
            Incoming::Closed(code, _) => Some(*code),
            Incoming::Json(_) => None,
        }
    }
}

/// The close code tungstenite names `Size` (1009), as a number.
pub fn too_big() -> u16 {
    u16::from(CloseCode::Size)
}

/// A plain HTTP/1.1 request on a fresh connection: the status, the headers and the body.
pub async fn http(
    server: &Server,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    http_at(server.addr, method, path, headers, body).await
}

/// [`http`] to the server at `addr`.
pub async fn http_at(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> (u16, Vec<(String, String)>, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    // A `host` among `headers` replaces the server's own address.
    let host = headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map_or_else(|| addr.to_string(), |(_, host)| (*host).to_owned());
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nhost: {host}\r\ncontent-length: {}\r\nconnection: close\r\n",
        body.len()
    );
    for (name, value) in headers
        .iter()
        .filter(|(name, _)| !name.eq_ignore_ascii_case("host"))
    {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    stream.write_all(body.as_bytes()).await.expect("send");
    let mut response = Vec::new();
    tokio::time::timeout(WAIT, stream.read_to_end(&mut response))
        .await
        .expect("a response within the wait")
        .expect("read");
    let response = String::from_utf8(response).expect("a text response");
    let (head, body) = response.split_once("\r\n\r\n").expect("a head and a body");
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|line| line.split(' ').nth(1))
        .and_then(|code| code.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|line| line.split_once(": "))
        .map(|(name, value)| (name.to_ascii_lowercase(), value.to_owned()))
        .collect();
    (status, headers, dechunk(body))
}

/// The body of a response, whether it was sent with a length or in chunks.
fn dechunk(body: &str) -> String {
    let mut rest = body;
    let mut out = String::new();
    loop {
        let Some((size, after)) = rest.split_once("\r\n") else {
            return body.to_owned();
        };
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            return body.to_owned();
        };
        if size == 0 {
            return out;
        }
        out.push_str(&after[..size]);
        rest = &after[size + 2..];
    }
}
