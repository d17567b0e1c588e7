//! `GET {base}/ws`: one WebSocket, one tab, one session. The socket's task sends
//! `session.opened` first, then runs the tab's calls (each in its own task, so a slow
//! async method holds up neither this tab's other calls nor any other tab) and forwards
//! the session's notifications, in order, until the socket or the session closes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use tokio::task::JoinSet;

use super::cookie::{client_or_new, set_client_cookie};
use super::drain::{SERVICE_RESTART, SERVICE_RESTART_REASON};
use super::limits::{send_within, WriteFailed};
use super::login::{Reserved, UserView};
use super::origin::origin_allowed;
use super::rpc::{answer, CallIn, Via};
use super::state::Host;
use super::tabs::{Attached, Refusal};
use super::variables::{self, Watches};
use super::wire;
use crate::audit::AuditHost;
use crate::host::Credentials;
use crate::{ClientId, Notification, Session};

/// The WebSocket layer's read buffer, and the most it reads at once.
const READ_CHUNK_BYTES: usize = 1024;

/// Close codes the host sends, with a reason a person can read.
mod close {
    /// The session closed (idle expiry, or the application closed it).
    pub const SESSION_CLOSED: u16 = 4001;
    /// A newer socket of the same tab resumed the session.
    pub const TAKEN_OVER: u16 = 4002;
    pub use super::super::adopt::SESSION_HELD;
    /// Not JSON-RPC text.
    pub const UNSUPPORTED: u16 = 1003;
    /// Too many tabs for this browser.
    pub const POLICY: u16 = 1008;
    /// A message larger than the host's limit.
    pub const TOO_BIG: u16 = 1009;
    /// The engine cannot open a session now.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The client broke the WebSocket protocol (reserved bits, an unmasked frame, a
    /// control frame too long, an unknown opcode...).
    pub const PROTOCOL_ERROR: u16 = 1002;
    /// A text message that is not UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
}

/// The upgrade: refused (403) from another origin; otherwise the tab's socket, with the
/// browser's cookie set if it had none.
pub(super) async fn upgrade(State(host): State<Arc<Host>>, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    if let Some(refused) = host.drain.refuse_new_tab() {
        return refused;
    }
    let config = &host.config;
    if !origin_allowed(
        &parts.headers,
        &config.allowed_origins,
        &config.public_origins,
    ) {
        return (
            StatusCode::FORBIDDEN,
            "WebSocket upgrade refused: the request's Origin is not this host's and is not allowed",
        )
            .into_response();
    }
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let (client, new_secret) = client_or_new(&parts.headers, &config.cookie_key);
    let resume = query(&parts, "resume").map(str::to_owned);
    let seen = query(&parts, "seen").and_then(|seen| seen.parse::<u64>().ok());
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let user = config.authenticate.as_ref().and_then(|hook| {
        let header = |name: &str| {
            parts
                .headers
                .get(name)
                .and_then(|value| value.to_str().ok())
        };
        hook(&Credentials::headers(&header).from_peer(peer))
    });
    let limit = config.max_message_bytes;
    let secure_cookies = config.secure_cookies;
    let mut response = upgrade
        // Messages up to twice the limit are read and refused with a reason; longer ones
        // are cut off by the WebSocket layer (still closed with 1009).
        .max_message_size(limit.saturating_mul(2))
        .max_frame_size(limit.saturating_mul(2))
        // Small buffers: an idle tab should cost little (they grow for large messages).
        // tungstenite allocates the read buffer with each socket and zero-fills a chunk of
        // this size before every read, so all of it is resident in every idle tab: 1 KiB
        // holds a typical request whole, and a larger message takes more reads of it
        // (BENCHMARKS.md, section 14: 4 KiB made 9.5 KiB per idle tab, 1 KiB 6.1 KiB).
        .read_buffer_size(READ_CHUNK_BYTES)
        .write_buffer_size(4 * 1024)
        .on_upgrade(move |socket| async move {
            let attached = host.tabs.attach(resume.as_deref(), &client, user);
            match attached {
                Ok(attached) => serve(socket, &host, &client, attached, seen, peer).await,
                Err(refusal) => refuse(socket, refusal, host.config.write_deadline()).await,
            }
        });
    if let Some(secret) = new_secret {
        set_client_cookie(response.headers_mut(), &secret, secure_cookies);
    }
    response
}

/// A query parameter of the upgrade: `resume` (a token: hex digits) or `seen` (a number),
/// so no decoding is needed.
fn query<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.uri.query()?.split('&').find_map(|pair| {
        let (key, value) = pair.split_once('=')?;
        (key == name).then_some(value)
    })
}

async fn refuse(mut socket: WebSocket, refusal: Refusal, deadline: Duration) {
    let (code, reason) = match refusal {
        Refusal::TooManyTabs(limit) => (
            close::POLICY,
            format!("this browser already has {limit} tabs open, the host's limit: close one"),
        ),
        Refusal::Engine(error) => (close::TRY_AGAIN_LATER, error.to_string()),
        Refusal::Held => (
            close::SESSION_HELD,
            "this tab's session is held by another server until its lease ends: reconnect with the same token shortly".to_owned(),
        ),
    };
    send_close(&mut socket, code, &reason, deadline).await;
}

async fn send_close(socket: &mut WebSocket, code: u16, reason: &str, deadline: Duration) {
    // A close reason is at most 123 bytes; ours are shorter, but keep it so.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    let frame = CloseFrame {
        code,
        reason: reason[..end].into(),
    };
    // The peer may be gone already, or not reading: nothing more to tell it.
    let _ = send_within(socket, Message::Close(Some(frame)), deadline).await;
}

/// What `session.opened` tells the tab.
#[derive(Serialize)]
struct Opened<'a> {
    session: String,
    client: &'a str,
    resume: &'a str,
    /// Whether this is the tab's session from before (its token was still good).
    resumed: bool,
    /// The session's user (a tab of a browser that logged in opens logged in), or `null`.
    user: Option<UserView<'a>>,
}

/// Runs the tab until its socket or its session closes, then lets go of the tab (which
/// waits out the grace period). A resumed tab first gets again the pushes after the
/// `seen` first ones, which the page says it received (all it can, when it says nothing).
async fn serve(
    mut socket: WebSocket,
    host: &Arc<Host>,
    client: &ClientId,
    attached: Attached,
    seen: Option<u64>,
    peer: Option<std::net::IpAddr>,
) {
    // Counted open until it ends: a drain waits for its tabs' sockets to close.
    let _open = host.drain.hold();
    let session = attached.session.clone();
    let user = session.user();
    let opened = Opened {
        session: session.id().to_string(),
        client: client.as_str(),
        resume: &attached.token,
        resumed: attached.resumed,
        user: user.as_ref().map(UserView::of),
    };
    let mut calls = JoinSet::new();
    let mut greeting = vec![notification("session.opened", &opened)];
    if attached.resumed {
        let (again, missing) = attached.replay.after(seen.unwrap_or(0));
        if missing > 0 {
            tracing::warn!(
                session = %session.id(),
                missing,
                "a resumed tab missed pushes too old to send again"
            );
        }
        greeting.extend(again);
    }
    let mut ended = Ended::SocketGone;
    let mut greeted = true;
    for message in greeting {
        if send_within(&mut socket, message, host.config.write_deadline())
            .await
            .is_err()
        {
            greeted = false;
            break;
        }
    }
    if greeted {
        ended = run(&mut socket, &mut calls, host, &session, &attached, peer).await;
    }
    // Calls still running finish in their session; only their answers have nowhere to go.
    calls.detach_all();
    if ended != Ended::TakenOver {
        host.tabs.detach(&attached);
    }
}

#[derive(PartialEq)]
enum Ended {
    SocketGone,
    SessionClosed,
    TakenOver,
}

async fn run(
    socket: &mut WebSocket,
    calls: &mut JoinSet<Option<String>>,
    host: &Arc<Host>,
    session: &Session,
    attached: &Attached,
    peer: Option<std::net::IpAddr>,
) -> Ended {
    let config = &host.config;
    // A connection that died without a close (a network failure, a sleeping laptop) is
    // noticed by the silence that answers a ping: its session then waits out the grace
    // period like any dropped tab's, instead of lingering until idle expiry, if ever.
    let period = config.heartbeat;
    let deadline = config.write_deadline();
    let mut heartbeat = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    heartbeat.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Nothing is asked before the first ping.
    let mut heard = true;
    // Made once, polled on every turn: neither is worth building again for each message.
    let taken_over = attached.taken_over.notified();
    tokio::pin!(taken_over);
    let draining = host.drain.closing();
    tokio::pin!(draining);
    let mut next_notification = session.next_numbered_notification();
    let mut watches = Watches::default();
    loop {
        let outgoing = tokio::select! {
            _ = heartbeat.tick() => {
                if !std::mem::take(&mut heard) {
                    return Ended::SocketGone;
                }
                Some(Message::Ping(Default::default()))
            }
            () = &mut taken_over => {
                send_close(socket, close::TAKEN_OVER, "this tab's session was resumed by another connection", deadline).await;
                return Ended::TakenOver;
            }
            () = &mut draining => {
                send_close(socket, SERVICE_RESTART, SERVICE_RESTART_REASON, deadline).await;
                discard_until_closed(socket).await;
                return Ended::SocketGone;
            }
            Some(done) = calls.join_next(), if !calls.is_empty() => match done {
                Ok(answer) => answer.map(Message::from),
                Err(error) => {
                    // Calls catch their panics; this is a bug in the host, not a method.
                    tracing::error!(%error, session = %session.id(), "a web call's task failed");
                    None
                }
            },
            changed = watches.next(), if !watches.is_empty() => Some(Message::from(changed.to_text())),
            next = &mut next_notification => match next {
                Some((number, Notification { topic, payload })) => {
                    let push = notification(&topic, &payload);
                    attached.replay.sent(number, &push);
                    Some(push)
                }
                None => {
                    send_close(socket, close::SESSION_CLOSED, "the session is closed", deadline).await;
                    return Ended::SessionClosed;
                }
            },
            received = socket.recv() => match received {
                Some(Ok(Message::Text(text))) => {
                    heard = true;
                    session.touch();
                    if text.len() > config.max_message_bytes {
                        let reason = format!("message larger than {} bytes, the host's limit", config.max_message_bytes);
                        send_close(socket, close::TOO_BIG, &reason, deadline).await;
                        return Ended::SocketGone;
                    }
                    if let Some(reply) = variables::answer(text.as_str(), session, &mut watches) {
                        reply.map(Message::from)
                    } else {
                    // A tab with as many calls running as allowed is answered -32005 for each
                    // request of the message, at once (that answer waits for nothing).
                    let busy = (calls.len() >= config.max_in_flight_calls).then_some(config.max_in_flight_calls);
                    // Counted from here: a drain that stops calls waits for this one.
                    let running = host.drain.call_hold();
                    let restarting = host.drain.refuses_calls();
                    let session = session.clone();
                    let host = Arc::clone(host);
                    let limits = config.batch_limits();
                    let metrics = config.metrics.clone();
                    let call = async move {
                        let _running = running;
                        let call_in = match busy {
                            _ if restarting => CallIn::Restarting,
                            Some(limit) => CallIn::Busy(limit),
                            None => CallIn::Session(&session),
                        };
                        let reserved = Reserved { host: &host, peer };
                        let peer = peer.map(|ip| ip.to_string());
                        let via = Via {
                            host: AuditHost::Web,
                            peer: peer.as_deref(),
                            engine: &host.config.engine,
                            limits: &limits,
                            metrics: metrics.as_ref(),
                        };
                        answer(text.as_str(), call_in, Some(&reserved), via).await
                    };
                    run_or_spawn(Box::pin(call), calls)
                    }
                }
                Some(Ok(Message::Binary(_))) => {
                    send_close(socket, close::UNSUPPORTED, "send JSON-RPC 2.0 requests as text messages", deadline).await;
                    return Ended::SocketGone;
                }
                // Pings are answered by the WebSocket layer; neither keeps the session from
                // idle expiry, which is about the user.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {
                    heard = true;
                    None
                }
                Some(Ok(Message::Close(_))) | None => return Ended::SocketGone,
                Some(Err(error)) => {
                    if let Some((code, reason)) = read_error_close(error, config.max_message_bytes) {
                        send_close(socket, code, &reason, deadline).await;
                    }
                    return Ended::SocketGone;
                }
            },
        };
        if let Some(message) = outgoing {
            match send_within(socket, message, deadline).await {
                Ok(()) => {}
                Err(WriteFailed::Gone) => return Ended::SocketGone,
                Err(WriteFailed::Stalled) => {
                    // The message being written, and the answers of the calls still running.
                    let undelivered = 1 + calls.len() as u64;
                    config.counters.stalled(undelivered);
                    tracing::warn!(
                        session = %session.id(),
                        undelivered,
                        timeout = ?deadline,
                        "a tab took nothing written to it for the write timeout: dropped as gone, its session left to the grace period"
                    );
                    return Ended::SocketGone;
                }
            }
        }
    }
}

/// How long a draining host waits for a tab to answer its close.
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(1);

/// Reads and drops what the tab sent, until it answers the close (or [`CLOSE_HANDSHAKE`]
/// passed): a socket closed with unread data ends with a reset, which can cost the tab the
/// close frame (and its 1012). A call read here is dropped, never run: the tab sent it
/// after its server had stopped calls, and the answer -32014 would not reach it either.
async fn discard_until_closed(socket: &mut WebSocket) {
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE, async {
        while let Some(Ok(message)) = socket.recv().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// Polls `call` once here: a call that does not wait for anything (every sync method, and
/// an async one that is ready at once) is answered without a task of its own. One that
/// waits goes on in the tab's set of calls, so it holds up nothing else.
fn run_or_spawn(
    mut call: Pin<Box<dyn Future<Output = Option<String>> + Send>>,
    calls: &mut JoinSet<Option<String>>,
) -> Option<Message> {
    match call.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(answer) => answer.map(Message::from),
        Poll::Pending => {
            calls.spawn(call);
            None
        }
    }
}

/// A JSON-RPC notification: `{"jsonrpc":"2.0","method":TOPIC,"params":PARAMS}`.
fn notification(topic: &str, params: &impl Serialize) -> Message {
    Message::from(wire::notification(topic, params))
}

/// The close frame a failed read is answered with, told by the error's type (tungstenite's,
/// which axum's wraps), not its text: 1009 for a message longer than the WebSocket layer
/// takes, 1002 for a broken protocol (reserved bits, an unmasked frame, an oversize or
/// fragmented control frame, an unknown opcode, a stray continuation), 1007 for a text
/// message that is not UTF-8. `None` when the connection itself failed (nothing can be
/// told).
fn read_error_close(error: axum::Error, max_message_bytes: usize) -> Option<(u16, String)> {
    use tungstenite::error::{CapacityError, Error, ProtocolError};
    let Ok(error) = error.into_inner().downcast::<Error>() else {
        return None;
    };
    match *error {
        Error::Capacity(CapacityError::MessageTooLong { .. }) => Some((
            close::TOO_BIG,
            format!("message larger than {max_message_bytes} bytes, the host's limit"),
        )),
        Error::Utf8(_) => Some((
            close::INVALID_PAYLOAD,
            "a text message must be UTF-8".to_owned(),
        )),
        // The peer went away without a close: there is no one to tell.
        Error::Protocol(ProtocolError::ResetWithoutClosingHandshake) => None,
        Error::Protocol(violation) => Some((
            close::PROTOCOL_ERROR,
            format!("WebSocket protocol violation: {violation}"),
        )),
        _ => None,
    }
}
