//! The host's plain HTTP routes: `POST {base}/rpc` (JSON-RPC for scripts and curl),
//! `GET {base}/methods` (the OpenRPC document) and `GET {base}/client.js`.

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONNECTION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::cookie::{client_of, client_or_new, set_client_cookie};
use super::listing::served_methods;
use super::login::Reserved;
use super::origin::origin_allowed;
use super::rpc::{answer, CallIn, Via, INVALID_REQUEST, PARSE_ERROR};
use super::state::Host;
use super::wire::error_response;
use crate::audit::AuditHost;
use crate::metrics::CONTENT_TYPE as METRICS_CONTENT_TYPE;
use crate::{methods, typescript_with_variables, ClientId, Session, SessionId};

/// The header that names the session a POST runs in (one of this browser's tabs).
pub const SESSION_HEADER: &str = "sessions-session";

/// The module that pages import: `connect()`, `call(name, params)`, `on(topic, fn)`, and
/// reconnection with resume.
const CLIENT_JS: &str = include_str!("client.js");

/// `POST {base}/rpc`: one JSON-RPC message, run in the session the `Sessions-Session`
/// header names when the request's client cookie owns it, with no session current when
/// there is no header.
pub(super) async fn rpc(State(host): State<Arc<Host>>, request: Request) -> Response {
    let config = &host.config;
    let (parts, body) = request.into_parts();
    if !origin_allowed(
        &parts.headers,
        &config.allowed_origins,
        &config.public_origins,
    ) {
        let text = error_response(
            None,
            INVALID_REQUEST,
            "cross-origin request refused: the request's Origin is not this host's and is not allowed",
            None::<()>,
        );
        return json(StatusCode::FORBIDDEN, text);
    }
    let limit = config.max_message_bytes;
    let Ok(read) = tokio::time::timeout(config.body_read_timeout, to_bytes(body, limit)).await
    else {
        config.counters.body_timeout();
        let waited = config.body_read_timeout;
        let text = error_response(
            None,
            INVALID_REQUEST,
            &format!("the request body did not arrive within {waited:?}, the host's limit: send the whole body at once"),
            None::<()>,
        );
        let mut response = json(StatusCode::REQUEST_TIMEOUT, text);
        // The rest of the body may still come: the connection is not reused.
        response
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return response;
    };
    let Ok(body) = read else {
        let text = error_response(
            None,
            INVALID_REQUEST,
            &format!("request body larger than {limit} bytes, the host's limit"),
            None::<()>,
        );
        return json(StatusCode::PAYLOAD_TOO_LARGE, text);
    };
    let Ok(text) = std::str::from_utf8(&body) else {
        let text = error_response(None, PARSE_ERROR, "the body is not UTF-8 text", None::<()>);
        return json(StatusCode::OK, text);
    };
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|info| info.0.ip());
    let reserved = Reserved { host: &host, peer };
    let reserved = Some(&reserved);
    let limits = config.batch_limits();
    let peer = peer.map(|ip| ip.to_string());
    let via = Via {
        host: AuditHost::Rpc,
        peer: peer.as_deref(),
        engine: &config.engine,
        limits: &limits,
        metrics: config.metrics.as_ref(),
    };
    let answer = match named_session(&parts.headers, &host) {
        Named::None => answer(text, CallIn::NoSession, reserved, via).await,
        Named::Owned(session) => answer(text, CallIn::Session(&session), reserved, via).await,
        Named::NotOwned => answer(text, CallIn::Gone, reserved, via).await,
    };
    match answer {
        Some(text) => json(StatusCode::OK, text),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

enum Named {
    None,
    Owned(Session),
    NotOwned,
}

/// The session the header names, if this request's client owns it. An unknown id, a
/// closed session and another client's session are the same answer, so a request cannot
/// learn whether another client's session exists.
fn named_session(headers: &HeaderMap, host: &Host) -> Named {
    let Some(header) = headers.get(SESSION_HEADER) else {
        return Named::None;
    };
    let owned = (|| {
        let id = header.to_str().ok()?.trim().parse::<SessionId>().ok()?;
        let client: ClientId = client_of(headers, &host.config.cookie_key)?;
        let session = host.config.engine.get(id)?;
        (session.client()? == client).then_some(session)
    })();
    owned.map_or(Named::NotOwned, Named::Owned)
}

fn json(status: StatusCode, text: String) -> Response {
    (
        status,
        [(CONTENT_TYPE, HeaderValue::from_static("application/json"))],
        text,
    )
        .into_response()
}

/// `GET {base}/methods`: the OpenRPC document of what a client can call (see
/// [`served_methods`]), with the reserved `variable.*` methods and the engine's variables.
pub(super) async fn openrpc(State(host): State<Arc<Host>>) -> Response {
    let config = &host.config;
    let mut document = served_methods(&config.engine, config.publish_rust_paths);
    super::variables::describe(&mut document, &config.engine);
    json(StatusCode::OK, document.to_string())
}

/// `GET {base}/client.d.ts`: the TypeScript declarations of the method table and of the
/// engine's variables as they are now, for a page's `call`, `on`, `watch` and `write` to be
/// checked.
pub(super) async fn client_d_ts(State(host): State<Arc<Host>>) -> Response {
    (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("application/typescript; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        typescript_with_variables(methods(), &host.config.engine.variables()),
    )
        .into_response()
}

/// `GET {base}/metrics` (routed only when the host has a registry): the Prometheus text.
pub(super) async fn metrics(State(host): State<Arc<Host>>) -> Response {
    let Some(metrics) = &host.config.metrics else {
        return StatusCode::NOT_FOUND.into_response();
    };
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(METRICS_CONTENT_TYPE)),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        metrics.encode(),
    )
        .into_response()
}

/// `GET {base}/client.js`, which also gives a browser its client cookie, so that a page's
/// first socket already has it.
pub(super) async fn client_js(State(host): State<Arc<Host>>, headers: HeaderMap) -> Response {
    let mut response = (
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        Body::from(CLIENT_JS),
    )
        .into_response();
    if let (_, Some(secret)) = client_or_new(&headers, &host.config.cookie_key) {
        set_client_cookie(response.headers_mut(), &secret, host.config.secure_cookies);
    }
    response
}

/// `GET {base}/ready`: 200 while the host takes tabs, 503 while it drains (for a load
/// balancer's health check; see [`Drain`](super::Drain)).
pub(super) async fn ready(State(host): State<Arc<Host>>) -> Response {
    if host.drain.draining() {
        (StatusCode::SERVICE_UNAVAILABLE, "draining\n").into_response()
    } else {
        (StatusCode::OK, "ready\n").into_response()
    }
}
