//! JSON-RPC 2.0 over the host: one message (a request, a notification or a batch) in, the
//! response text out, each call run through the host boundary ([`Call`]) in the given
//! session, and its [`Answer`] mapped to the wire in one exhaustive `match`
//! ([`answer_text`]). The WebSocket and `POST {base}/rpc` share it, so both speak exactly
//! the same protocol.
//!
//! # How long one message holds a runtime worker
//! A message is at most `max_message_bytes` (the WebSocket layer and the POST body limit
//! cut it off before it is parsed). A batch is parsed once into borrowed members (no copy
//! of their text), and refused with one error, before any member runs, when it has more
//! than `max_batch_members`. Its members then run one at a time; every
//! [`MEMBERS_PER_YIELD`] members the task yields its worker
//! ([`tokio::task::yield_now`]), so between two yields a worker parses and answers at most
//! that many members, each a slice of one bounded message. The answer grows by at most
//! `ANSWER_BYTES_PER_MESSAGE_BYTE × max_message_bytes`: past it, the members after it do not
//! run, and one error (-32600) replaces the whole answer. (A sync method runs inline, as
//! long as it takes; that is the method's own cost, not the message's.)

use serde_json::error::Category;
use serde_json::value::RawValue;

use super::limits::{BatchLimits, MEMBERS_PER_YIELD};
use super::login::{log_in, log_out, LoginError, Reserved, UserView, LOGIN_METHOD, LOGOUT_METHOD};
use super::wire::{error_response, success, valid_id, FailureData, Request};
use crate::audit::AuditHost;
use crate::auth::AuthError;
use crate::host::{Answer, Call};
use crate::methods::OutsMap;
use crate::metrics::Metrics;
use crate::{Args, Engine, Failure, Session, SessionError, Value};

/// Invalid JSON.
pub const PARSE_ERROR: i32 = -32700;
/// Valid JSON, but not a JSON-RPC 2.0 request.
pub const INVALID_REQUEST: i32 = -32600;
/// The method panicked (caught and logged), or its result could not be written.
pub const INTERNAL_ERROR: i32 = -32603;
/// The method ran and failed: `data.outs` holds its out parameters (sentinels written).
pub const METHOD_FAILED: i32 = -32000;
/// The call has no session to run in: the tab's session is gone, the `Sessions-Session`
/// header names none of this browser's, or a method that runs only in a session was called
/// with none.
pub const SESSION_GONE: i32 = -32001;
/// The method's role refused the call (the session's user lacks it); it did not run.
/// `data.outs` holds its out parameters' sentinels.
pub const FORBIDDEN: i32 = -32004;
/// The call was refused because the tab has as many calls running as the host allows.
pub const TOO_MANY_CALLS: i32 = -32005;
/// `session.login` refused: the user name or the password is wrong (one message for both).
pub const LOGIN_REFUSED: i32 = -32010;
/// `session.login` refused without a check: too many failed log-ins for this name or from
/// this address. `data.retry_after_ms` says when an attempt is checked again.
pub const LOGIN_THROTTLED: i32 = -32011;
/// `session.login` or `session.logout` on a host built without an accounts store.
pub const NO_ACCOUNTS: i32 = -32012;
/// `session.login`: the accounts store could not answer (its error is logged).
pub const ACCOUNTS_UNAVAILABLE: i32 = -32013;
/// The server is restarting ([`Drain::stop_calls`](super::Drain::stop_calls)): the call did
/// not run. Make it again once the tab has reconnected (to another server): `client.js`
/// does.
pub const SERVER_RESTARTING: i32 = -32014;
/// Wrong arguments (here: `session.login`'s).
const INVALID_PARAMS: i32 = -32602;

/// Where the calls of one message run, or why none of them does.
#[derive(Clone, Copy)]
pub(super) enum CallIn<'a> {
    /// In this session (a tab's, or the one a POST's header names).
    Session(&'a Session),
    /// With no session current (a POST without the header).
    NoSession,
    /// Nowhere: every request of the message is answered -32001 with its id (a POST whose
    /// header names no session of its client).
    Gone,
    /// Nowhere: every request is answered -32005 with its id (the tab has this many calls
    /// running already).
    Busy(usize),
    /// Nowhere: every request is answered -32014 with its id (the server is restarting).
    Restarting,
}

/// Where a message's calls came from and what bounds and counts them: the WebSocket
/// ([`AuditHost::Web`]) or a POST ([`AuditHost::Rpc`]), the peer's address when the server
/// gives it, and the host's engine (which records a call with no session).
#[derive(Clone, Copy)]
pub(super) struct Via<'a> {
    pub host: AuditHost,
    pub peer: Option<&'a str>,
    pub engine: &'a Engine,
    /// The bounds of a batch's answer.
    pub limits: &'a BatchLimits,
    /// The registry the calls are counted in (host label `web`), if any.
    pub metrics: Option<&'a Metrics>,
}

/// Answers one JSON-RPC message: `None` when nothing is to be sent back (notifications
/// only), else the response (an array for a batch). `reserved` is what the reserved
/// methods (`session.login`, `session.logout`) need; without it they answer -32012. `via`
/// is where the calls came from (for their audit records), the batch limits and the
/// metrics registry the calls are counted in.
pub(super) async fn answer(
    text: &str,
    call_in: CallIn<'_>,
    reserved: Option<&Reserved<'_>>,
    via: Via<'_>,
) -> Option<String> {
    if text.trim_start().starts_with('[') {
        return answer_batch(text, call_in, reserved, via).await;
    }
    match serde_json::from_str::<Request<'_>>(text) {
        Ok(request) => answer_one(request, call_in, reserved, via).await,
        Err(error) => Some(unreadable(&error)),
    }
}

async fn answer_batch(
    text: &str,
    call_in: CallIn<'_>,
    reserved: Option<&Reserved<'_>>,
    via: Via<'_>,
) -> Option<String> {
    let items = match serde_json::from_str::<Vec<&RawValue>>(text) {
        Ok(items) => items,
        Err(error) => return Some(unreadable(&error)),
    };
    if items.is_empty() {
        return Some(error_response(
            None,
            INVALID_REQUEST,
            "an empty batch is not a request",
            None::<()>,
        ));
    }
    if items.len() > via.limits.max_members {
        via.limits.counters.refused_batch();
        let message = format!(
            "a batch of {} members: the host takes at most {}; none of them ran, send fewer at a time",
            items.len(),
            via.limits.max_members
        );
        return Some(error_response(None, INVALID_REQUEST, &message, None::<()>));
    }
    let mut responses = Vec::new();
    let mut answer_bytes = 0usize;
    // In order, one at a time: a batch is bounded by the message size, and its calls see
    // each other's effects as they were sent.
    for (index, item) in items.into_iter().enumerate() {
        if index > 0 && index % MEMBERS_PER_YIELD == 0 {
            tokio::task::yield_now().await;
        }
        let response = match serde_json::from_str::<Request<'_>>(item.get()) {
            Ok(request) => answer_one(request, call_in, reserved, via).await,
            Err(error) => Some(unreadable(&error)),
        };
        if let Some(response) = response {
            // Each response and the comma before it.
            answer_bytes = answer_bytes.saturating_add(response.len() + 1);
            if answer_bytes > via.limits.max_answer_bytes {
                return Some(answer_too_large(index + 1, via.limits));
            }
            responses.push(response);
        }
    }
    if responses.is_empty() {
        return None;
    }
    Some(format!("[{}]", responses.join(",")))
}

/// The one error that answers a batch whose answer grew past its bound after `ran` members.
#[cold]
fn answer_too_large(ran: usize, limits: &BatchLimits) -> String {
    limits.counters.refused_batch();
    let message = format!(
        "the batch's answer grew past {} bytes, the host's limit: its first {ran} members \
         ran, the others did not; send fewer at a time",
        limits.max_answer_bytes
    );
    error_response(None, INVALID_REQUEST, &message, None::<()>)
}

/// The answer to a message that did not read as a request: -32700 when it is not JSON
/// (serde's own category of the error says so), else -32600.
#[cold]
fn unreadable(error: &serde_json::Error) -> String {
    let (code, what) = match error.classify() {
        Category::Syntax | Category::Eof | Category::Io => (PARSE_ERROR, "not JSON"),
        Category::Data => (INVALID_REQUEST, "not a JSON-RPC 2.0 request"),
    };
    error_response(None, code, &format!("{what}: {error}"), None::<()>)
}

async fn answer_one(
    request: Request<'_>,
    call_in: CallIn<'_>,
    reserved: Option<&Reserved<'_>>,
    via: Via<'_>,
) -> Option<String> {
    let id = request.id;
    if id.is_some_and(|id| !valid_id(id)) {
        return Some(error_response(
            None,
            INVALID_REQUEST,
            "`id` must be a string, a number or null",
            None::<()>,
        ));
    }
    if request.jsonrpc.as_deref() != Some("2.0") {
        return Some(invalid(id, "`jsonrpc` must be \"2.0\""));
    }
    let Some(method) = request.method else {
        return Some(invalid(id, "`method` (a string) is missing"));
    };
    if method == LOGIN_METHOD || method == LOGOUT_METHOD {
        let session = match call_in {
            CallIn::Session(session) => Some(session),
            CallIn::NoSession => None,
            CallIn::Gone => return Some(gone(id?)),
            CallIn::Busy(limit) => return Some(too_many_calls(id?, limit)),
            CallIn::Restarting => return Some(restarting(id?)),
        };
        return answer_reserved(id, &method, request.params.as_ref(), session, reserved).await;
    }
    let args = match request.params {
        None => Args::default(),
        Some(params) => match Args::from_params(params) {
            Some(args) => args,
            None => return Some(invalid(id, "`params` must be an array or an object")),
        },
    };
    let session = match call_in {
        CallIn::Session(session) => Some(session),
        CallIn::NoSession => None,
        CallIn::Gone => return Some(gone(id?)),
        CallIn::Busy(limit) => return Some(too_many_calls(id?, limit)),
        CallIn::Restarting => return Some(restarting(id?)),
    };
    let answer = Call::new(&method, args)
        .in_session(session)
        .metered(via.metrics, "web")
        .via(via.host, via.peer.map(str::to_owned))
        .audit_on(via.engine)
        .run()
        .await;
    // A notification is answered with nothing, whatever happened (a failure was logged).
    Some(answer_text(id?, &method, &answer, session.is_some()))
}

/// `session.login` or `session.logout`, answered by the host itself, before the method
/// table: a log-in's success is `{"value": {"user", "roles"}, "outs": {}}`, a log-out's
/// `{"value": null, "outs": {}}`.
async fn answer_reserved(
    id: Option<&RawValue>,
    method: &str,
    params: Option<&Value>,
    session: Option<&Session>,
    reserved: Option<&Reserved<'_>>,
) -> Option<String> {
    let done = if method == LOGIN_METHOD {
        log_in(reserved, session, params).await.map(|user| {
            // Two strings and a list of strings: nothing here fails to convert.
            crate::value::to_value(&UserView::of(&user)).unwrap_or(Value::Null)
        })
    } else {
        log_out(reserved, session).map(|()| Value::Null)
    };
    let id = id?;
    let error = match done {
        Ok(value) => return Some(success(id, &value, &[])),
        Err(error) => error,
    };
    Some(match error {
        LoginError::NoAccounts => error_response(
            Some(id),
            NO_ACCOUNTS,
            &format!(
                "`{method}`: this host has no accounts store to log in with; the application \
                 gives it one with `WebHostBuilder::accounts`"
            ),
            None::<()>,
        ),
        LoginError::NoSession => error_response(
            Some(id),
            SESSION_GONE,
            &format!(
                "`{method}` logs a tab in or out, and this request has none: call it from a tab's \
                 WebSocket (`tab.login(user, password)` in client.js), or POST it with the \
                 `Sessions-Session` header naming one of this browser's tabs' sessions"
            ),
            None::<()>,
        ),
        LoginError::BadParams => error_response(
            Some(id),
            INVALID_PARAMS,
            "`session.login` takes {\"user\": NAME, \"password\": PASSWORD} (two strings)",
            None::<()>,
        ),
        LoginError::Refused(error) => refused(id, &error),
    })
}

/// The answer to a log-in the accounts refused: decided by the error's variant.
fn refused(id: &RawValue, error: &AuthError) -> String {
    #[derive(serde::Serialize)]
    struct Throttled {
        retry_after_ms: u64,
    }
    match error {
        AuthError::Invalid => {
            error_response(Some(id), LOGIN_REFUSED, &error.to_string(), None::<()>)
        }
        AuthError::Throttled { retry_after } => error_response(
            Some(id),
            LOGIN_THROTTLED,
            &error.to_string(),
            Some(Throttled {
                retry_after_ms: u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX),
            }),
        ),
        _ => {
            tracing::error!(%error, "web log-in: the accounts store could not answer");
            error_response(
                Some(id),
                ACCOUNTS_UNAVAILABLE,
                "the accounts store could not answer: try again later",
                None::<()>,
            )
        }
    }
}

fn invalid(id: Option<&RawValue>, message: &str) -> String {
    error_response(id, INVALID_REQUEST, message, None::<()>)
}

/// The host's mapping of an [`Answer`] to JSON-RPC: success, or the error code of what
/// happened, decided by the answer's types alone. `in_session` says whether the request had
/// a session, to tell a client without one what to do.
pub(super) fn answer_text(
    id: &RawValue,
    method: &str,
    answer: &Answer,
    in_session: bool,
) -> String {
    let outcome = match answer {
        Answer::Ran(outcome) => outcome,
        Answer::NotRun(error) => {
            return error_response(Some(id), error.code(), &error.to_string(), Some(error))
        }
    };
    let Some(failure) = outcome.failure() else {
        return success(id, &outcome.value, &outcome.outs);
    };
    let code = match failure {
        Failure::Refused(SessionError::Forbidden { .. }) => FORBIDDEN,
        Failure::Refused(SessionError::NoContext) => SESSION_GONE,
        Failure::Refused(_) | Failure::Method(_) => METHOD_FAILED,
        Failure::Panicked(_) | Failure::Unsendable(_) => INTERNAL_ERROR,
    };
    let no_session_here =
        matches!(failure, Failure::Refused(SessionError::NoContext)) && !in_session;
    let message = if no_session_here {
        format!(
            "`{method}` runs only in a session, and this request has none: call it from a tab's WebSocket \
             (`connect()` in client.js), or POST it with the `Sessions-Session` header naming one of this \
             browser's tabs' sessions"
        )
    } else {
        failure.to_string()
    };
    let data = FailureData {
        outs: OutsMap(&outcome.outs),
    };
    error_response(Some(id), code, &message, Some(&data))
}

fn gone(id: &RawValue) -> String {
    error_response(
        Some(id),
        SESSION_GONE,
        "the Sessions-Session header names no open session of this client: open a tab \
         (`connect()` in client.js) and use the session it was given",
        None::<()>,
    )
}

fn too_many_calls(id: &RawValue, limit: usize) -> String {
    let message = format!(
        "this tab already has {limit} calls running (the host's limit): wait for one to finish"
    );
    error_response(Some(id), TOO_MANY_CALLS, &message, None::<()>)
}

fn restarting(id: &RawValue) -> String {
    let message = "this server is restarting and did not run the call: make it again once \
                   the tab has reconnected";
    error_response(Some(id), SERVER_RESTARTING, message, None::<()>)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block_on::block_on;
    use crate::web::WebCounters;

    fn limits() -> BatchLimits {
        BatchLimits::new(100, 64 * 1024, WebCounters::default())
    }

    /// A POST with no known peer, on the global engine (which keeps no audit trail).
    fn test_via() -> Via<'static> {
        static LIMITS: std::sync::OnceLock<BatchLimits> = std::sync::OnceLock::new();
        Via {
            host: AuditHost::Rpc,
            peer: None,
            engine: Engine::global(),
            limits: LIMITS.get_or_init(limits),
            metrics: None,
        }
    }

    fn answer_now(text: &str, call_in: CallIn<'_>) -> serde_json::Value {
        let answer = block_on(answer(text, call_in, None, test_via())).expect("an answer");
        serde_json::from_str(&answer).expect("the answer is JSON")
    }

    #[test]
    fn malformed_messages_have_their_codes_and_a_null_id() {
        assert_eq!(
            answer_now("{", CallIn::NoSession).pointer("/error/code"),
            Some(&(-32700).into())
        );
        let invalid = [
            r#"{"jsonrpc":"1.0","method":"x","id":1}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            r#"{"jsonrpc":"2.0","method":7,"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"x","params":3,"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"x","id":{}}"#,
            "[]",
            "3",
        ];
        for text in invalid {
            let answer = answer_now(text, CallIn::NoSession);
            assert_eq!(answer["error"]["code"], -32600, "{text} -> {answer}");
        }
        assert_eq!(
            answer_now(
                r#"{"jsonrpc":"1.0","method":"x","id":1}"#,
                CallIn::NoSession
            )["id"],
            1
        );
    }

    #[test]
    fn notifications_are_not_answered_even_when_they_fail() {
        let none = block_on(answer(
            r#"{"jsonrpc":"2.0","method":"no_such_method"}"#,
            CallIn::NoSession,
            None,
            test_via(),
        ));
        assert_eq!(none, None);
        let batch = block_on(answer(
            r#"[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]"#,
            CallIn::Busy(1),
            None,
            test_via(),
        ));
        assert_eq!(batch, None);
    }

    #[test]
    fn an_unknown_method_is_32601_with_its_id() {
        let answer = answer_now(
            r#"{"jsonrpc":"2.0","method":"no_such_method","id":"a"}"#,
            CallIn::NoSession,
        );
        assert_eq!(answer["error"]["code"], -32601);
        assert_eq!(answer["error"]["data"]["kind"], "UnknownMethod");
        assert_eq!(answer["id"], "a");
    }

    #[test]
    fn refusals_of_a_whole_message_answer_each_request_by_its_id() {
        let answer = answer_now(r#"{"jsonrpc":"2.0","method":"x","id":9}"#, CallIn::Busy(4));
        assert_eq!(answer["error"]["code"], -32005);
        assert_eq!(answer["id"], 9);
        let answer = answer_now(
            r#"[{"jsonrpc":"2.0","method":"x","id":3},{"jsonrpc":"2.0","method":"y","id":"b"}]"#,
            CallIn::Gone,
        );
        assert_eq!(answer[0]["error"]["code"], -32001);
        assert_eq!(answer[0]["id"], 3);
        assert_eq!(answer[1]["id"], "b");
    }
}
