//! A tab that behaves as `client.js` does (sessions-core/src/web/client.js), over a real
//! WebSocket (tokio-tungstenite): it counts the pushes it received (`seen`, every
//! notification but `session.opened` and `variable.changed`) and keeps the `notice` texts;
//! when its socket closes it reconnects with `?resume=TOKEN&seen=N` — at once after a
//! random delay of at most 250 ms on 1012, else after 500 ms doubling up to 10 s — and a
//! call whose answer was lost with the socket is never sent again: it fails
//! ([`CallFailed::Lost`]), while one the server says it did not run (-32014, a drain) is
//! ([`CallFailed::NotRun`]). A socket closed with 4003 (the session is held by a node
//! whose lease runs) is tried again about every 500 ms, not with a doubling backoff.
//! Every wait has a deadline.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value as Json};
use tokio::net::TcpStream;
use tokio::sync::{oneshot, watch};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long one handshake, or one call's answer, may take.
pub const WAIT: Duration = Duration::from_secs(15);
/// `client.js`'s `retryMs`, `maxRetryMs` and `restartJitterMs`.
const RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(10);
const RESTART_JITTER_MS: u32 = 250;

/// The code of a call that a restarting server did not run (`web::SERVER_RESTARTING`).
const SERVER_RESTARTING: i32 = sessions_core::web::SERVER_RESTARTING;
/// The close code of a tab whose session another node holds (`web::SESSION_HELD`).
const SESSION_HELD: u16 = sessions_core::web::SESSION_HELD;

/// Why a call has no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallFailed {
    /// The socket had closed before the call was sent: nothing ran; reconnect and call.
    NotSent,
    /// The socket closed with the call in flight: it may have run. `client.js` does not
    /// send it again into the resumed session ("the connection dropped before the answer
    /// came").
    Lost,
    /// The server answered -32014: it is restarting and did not run the call. `client.js`
    /// makes it again once reconnected (the server closes the socket with 1012 next).
    NotRun,
}

/// Why a handshake gave no session.
#[derive(Debug)]
pub enum Refused {
    /// The upgrade was answered with this HTTP status (HAProxy's 503: no node up).
    Status(u16),
    /// The socket closed before `session.opened`, with this code and reason.
    Closed(u16, String),
    /// The connection could not be made, or the handshake failed otherwise.
    Failed(String),
}

/// What the tab's sockets received, kept across them.
#[derive(Default)]
struct Received {
    /// Pushes received, as `client.js` counts them for `?seen=N`.
    seen: AtomicU64,
    /// The texts of the `notice` pushes, in the order they came.
    notices: Mutex<Vec<String>>,
}

/// The calls in flight on one socket; `None` once it closed.
type Pending = Arc<Mutex<Option<HashMap<u64, oneshot::Sender<Json>>>>>;

/// One socket of the tab.
struct Link {
    sink: SplitSink<Socket, Message>,
    pending: Pending,
    /// How the socket closed (`None` while open).
    closed: watch::Receiver<Option<(u16, String)>>,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Link {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// A tab: its browser's cookie, its session and its socket.
pub struct LiveTab {
    lb: SocketAddr,
    /// The browser's `sessions_client=…` cookie (set by the first tab's handshake).
    pub cookie: Option<String>,
    /// The `params` of the last `session.opened`.
    pub opened: Json,
    /// When the last `session.opened` came.
    pub opened_at: Instant,
    received: Arc<Received>,
    link: Link,
    /// The backoff the next close starts from (`client.js`'s `delay` of the socket).
    delay: Duration,
    next_id: u64,
}

impl LiveTab {
    /// Opens a tab at `lb` (HAProxy or a node) for the browser with `cookie` (`None`: a new
    /// browser, whose cookie the handshake sets).
    pub async fn open(lb: SocketAddr, cookie: Option<String>) -> Result<LiveTab, Refused> {
        let received = Arc::new(Received::default());
        let (link, opened, set_cookie) =
            connect(lb, cookie.as_deref(), None, received.clone()).await?;
        Ok(LiveTab {
            lb,
            cookie: cookie.or(set_cookie),
            opened,
            opened_at: Instant::now(),
            received,
            link,
            delay: RETRY,
            next_id: 1,
        })
    }

    /// The tab's session id, as `session.opened` said.
    pub fn session(&self) -> String {
        self.opened["session"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// The logged-in user `session.opened` named, if any.
    pub fn user(&self) -> Option<String> {
        self.opened["user"]["user"].as_str().map(str::to_owned)
    }

    /// Whether the last `session.opened` said `resumed: true`.
    pub fn resumed(&self) -> bool {
        self.opened["resumed"] == true
    }

    /// Pushes received so far (`client.js`'s `seen`).
    pub fn seen(&self) -> u64 {
        self.received.seen.load(Ordering::SeqCst)
    }

    /// The texts of the `notice` pushes received so far.
    pub fn notices(&self) -> Vec<String> {
        self.received
            .notices
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// How the socket closed, if it did.
    pub fn close_code(&self) -> Option<u16> {
        self.link.closed.borrow().as_ref().map(|(code, _)| *code)
    }

    /// Waits, up to `limit`, until the socket closes: its code and reason.
    pub async fn closed(&mut self, limit: Duration) -> Option<(u16, String)> {
        let closed = self.link.closed.wait_for(Option::is_some);
        match tokio::time::timeout(limit, closed).await {
            Ok(Ok(closed)) => closed.clone(),
            _ => None,
        }
    }

    /// Calls `method` with `params`: the response (`result` or `error`), or why there is
    /// none. Panics when no answer comes within [`WAIT`] on an open socket.
    pub async fn call(&mut self, method: &str, params: Json) -> Result<Json, CallFailed> {
        let id = self.next_id;
        self.next_id += 1;
        let (answer, answered) = oneshot::channel();
        {
            let mut pending = self
                .link
                .pending
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            match pending.as_mut() {
                Some(pending) => pending.insert(id, answer),
                None => return Err(CallFailed::NotSent),
            };
        }
        let request = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id});
        let sent = tokio::time::timeout(
            WAIT,
            self.link.sink.send(Message::text(request.to_string())),
        )
        .await;
        if !matches!(sent, Ok(Ok(()))) {
            // Written in part, perhaps: it may have reached the host.
            return Err(CallFailed::Lost);
        }
        match tokio::time::timeout(WAIT, answered).await {
            Ok(Ok(response)) if response["error"]["code"] == SERVER_RESTARTING => {
                Err(CallFailed::NotRun)
            }
            Ok(Ok(response)) => Ok(response),
            Ok(Err(_)) => Err(CallFailed::Lost),
            Err(_) => panic!("no answer to {method} within {WAIT:?} on an open socket"),
        }
    }

    /// Reconnects as `client.js` does after its socket closed with `code`, until a session
    /// opens or `until` passes (then it panics): how many handshakes failed on the way.
    pub async fn reconnect(&mut self, code: u16, until: Instant) -> u32 {
        let mut delay = if code == 1012 {
            // 1012: at once, jittered, and the backoff starts over.
            let jitter = super::rand_below(RESTART_JITTER_MS);
            tokio::time::sleep(Duration::from_millis(u64::from(jitter))).await;
            RETRY
        } else {
            tokio::time::sleep(self.delay).await;
            (self.delay * 2).min(MAX_RETRY)
        };
        let mut failures = 0;
        loop {
            let token = self.opened["resume"]
                .as_str()
                .unwrap_or_default()
                .to_owned();
            let resume = Some((token.as_str(), self.seen()));
            match connect(
                self.lb,
                self.cookie.as_deref(),
                resume,
                self.received.clone(),
            )
            .await
            {
                Ok((link, opened, _)) => {
                    if opened["resumed"] != true {
                        // A new session: `client.js` counts its pushes from 0.
                        self.received.seen.store(0, Ordering::SeqCst);
                    }
                    self.link = link;
                    self.opened = opened;
                    self.opened_at = Instant::now();
                    self.delay = delay;
                    return failures;
                }
                Err(refused) => {
                    failures += 1;
                    // 4003: held by a node whose lease runs: again about every `retryMs`.
                    let held = matches!(refused, Refused::Closed(SESSION_HELD, _));
                    let wait = if held {
                        RETRY / 2 + RETRY * super::rand_below(100) / 100
                    } else {
                        delay
                    };
                    assert!(
                        Instant::now() + wait < until,
                        "a tab could not reconnect in time; the last refusal: {refused:?}"
                    );
                    tokio::time::sleep(wait).await;
                    if !held {
                        delay = (delay * 2).min(MAX_RETRY);
                    }
                }
            }
        }
    }

    /// Closes the socket as a page that closes does (code 1000).
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.link.sink.close()).await;
    }
}

/// One handshake at `lb`: the socket, `session.opened`'s params and the cookie the
/// response set. `resume` is the tab's token and its `seen`.
async fn connect(
    lb: SocketAddr,
    cookie: Option<&str>,
    resume: Option<(&str, u64)>,
    received: Arc<Received>,
) -> Result<(Link, Json, Option<String>), Refused> {
    let url = match resume {
        Some((token, seen)) => format!("ws://{lb}/sessions/ws?resume={token}&seen={seen}"),
        None => format!("ws://{lb}/sessions/ws"),
    };
    let mut request = url.into_client_request().expect("a valid URL");
    let headers = request.headers_mut();
    let origin = format!("http://{lb}");
    headers.insert("origin", HeaderValue::from_str(&origin).expect("ascii"));
    if let Some(cookie) = cookie {
        headers.insert("cookie", HeaderValue::from_str(cookie).expect("ascii"));
    }
    let connecting = tokio_tungstenite::connect_async(request);
    let (mut socket, response) = match tokio::time::timeout(WAIT, connecting).await {
        Err(_) => return Err(Refused::Failed(format!("no handshake within {WAIT:?}"))),
        Ok(Err(tokio_tungstenite::tungstenite::Error::Http(response))) => {
            return Err(Refused::Status(response.status().as_u16()))
        }
        Ok(Err(error)) => return Err(Refused::Failed(error.to_string())),
        Ok(Ok(connected)) => connected,
    };
    let set_cookie = crate::web_support::set_cookie_of(&response);
    let opened = match tokio::time::timeout(WAIT, socket.next()).await {
        Err(_) => return Err(Refused::Failed("no session.opened in time".to_owned())),
        Ok(Some(Ok(Message::Text(text)))) => {
            let first: Json = serde_json::from_str(&text).expect("JSON");
            assert_eq!(first["method"], "session.opened", "first message: {first}");
            first["params"].clone()
        }
        Ok(Some(Ok(Message::Close(frame)))) => {
            let (code, reason) = frame.map_or((1005, String::new()), |frame| {
                (u16::from(frame.code), frame.reason.to_string())
            });
            return Err(Refused::Closed(code, reason));
        }
        Ok(other) => return Err(Refused::Failed(format!("{other:?}"))),
    };
    let (sink, stream) = socket.split();
    let pending: Pending = Arc::new(Mutex::new(Some(HashMap::new())));
    let (closed_tx, closed) = watch::channel(None);
    let reader = tokio::spawn(read(stream, pending.clone(), closed_tx, received));
    Ok((
        Link {
            sink,
            pending,
            closed,
            reader,
        },
        opened,
        set_cookie,
    ))
}

/// Reads the socket until it ends: answers go to their calls, pushes are counted and kept.
async fn read(
    mut stream: SplitStream<Socket>,
    pending: Pending,
    closed: watch::Sender<Option<(u16, String)>>,
    received: Arc<Received>,
) {
    let ended = loop {
        match stream.next().await {
            Some(Ok(Message::Text(text))) => {
                let Ok(message) = serde_json::from_str::<Json>(&text) else {
                    continue;
                };
                take(&message, &pending, &received);
            }
            Some(Ok(Message::Close(frame))) => {
                break frame.map_or((1005, String::new()), |frame| {
                    (u16::from(frame.code), frame.reason.to_string())
                })
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => break (1006, error.to_string()),
            None => break (1006, "stream ended".to_owned()),
        }
    };
    // The calls still in flight fail (their senders drop): their answers are lost.
    drop(
        pending
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take(),
    );
    let _ = closed.send(Some(ended));
}

/// One message: a batch's members, an answer, or a push.
fn take(message: &Json, pending: &Pending, received: &Received) {
    if let Some(batch) = message.as_array() {
        batch.iter().for_each(|one| take(one, pending, received));
        return;
    }
    if let Some(method) = message["method"].as_str() {
        if method != "session.opened" && method != "variable.changed" {
            received.seen.fetch_add(1, Ordering::SeqCst);
        }
        if method == "notice" {
            let text = message["params"]["text"].as_str().unwrap_or_default();
            received
                .notices
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(text.to_owned());
        }
        return;
    }
    let Some(id) = message["id"].as_u64() else {
        return;
    };
    let answer = pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .as_mut()
        .and_then(|pending| pending.remove(&id));
    if let Some(answer) = answer {
        let _ = answer.send(message.clone());
    }
}
