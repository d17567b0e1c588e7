//! JSON-RPC 2.0 over the host: one message (a request, a notification or a batch) in, the
//! response text out, each call run in the given session. The WebSocket and `POST {base}/rpc`
//! share it, so both speak exactly the same protocol.
//!
//! Codes: -32700 parse error, -32600 invalid request, -32601 unknown method, -32602 bad
//! arguments, -32603 the method panicked, -32000 the method failed (`data.outs` holds its
//! out parameters, sentinels written), -32001 the session is gone; the others of
//! [`CallError::code`](crate::CallError::code).

use std::borrow::Cow;

use serde::de::IgnoredAny;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

use crate::{methods, Args, CallOutcome, Session, Value};

/// Invalid JSON.
pub const PARSE_ERROR: i32 = -32700;
/// Valid JSON, but not a JSON-RPC 2.0 request.
pub const INVALID_REQUEST: i32 = -32600;
/// The method panicked; the panic was caught and logged.
pub const INTERNAL_ERROR: i32 = -32603;
/// The method ran and failed: `data.outs` holds its out parameters (sentinels written).
pub const METHOD_FAILED: i32 = -32000;
/// The call was refused because the tab has as many calls running as the host allows.
pub const TOO_MANY_CALLS: i32 = -32005;

/// Where the calls of one message run: in a session, or with none current.
#[derive(Clone, Copy)]
pub(super) enum CallIn<'a> {
    Session(&'a Session),
    NoSession,
}

/// Answers one JSON-RPC message: `None` when nothing is to be sent back (notifications
/// only), else the response (an array for a batch).
pub(super) async fn answer(text: &str, call_in: CallIn<'_>) -> Option<String> {
    if text.trim_start().starts_with('[') {
        return answer_batch(text, call_in).await;
    }
    match serde_json::from_str::<Request<'_>>(text) {
        Ok(request) => answer_one(request, call_in).await,
        Err(error) => Some(unreadable(text, &error)),
    }
}

async fn answer_batch(text: &str, call_in: CallIn<'_>) -> Option<String> {
    let items = match serde_json::from_str::<Vec<&RawValue>>(text) {
        Ok(items) => items,
        Err(error) => return Some(unreadable(text, &error)),
    };
    if items.is_empty() {
        return Some(error_response(
            None,
            INVALID_REQUEST,
            "an empty batch is not a request",
            None::<()>,
        ));
    }
    let mut responses = Vec::new();
    // In order, one at a time: a batch is bounded by the message size, and its calls see
    // each other's effects as they were sent.
    for item in items {
        let response = match serde_json::from_str::<Request<'_>>(item.get()) {
            Ok(request) => answer_one(request, call_in).await,
            Err(error) => Some(invalid(&error)),
        };
        responses.extend(response);
    }
    if responses.is_empty() {
        return None;
    }
    Some(format!("[{}]", responses.join(",")))
}

/// The answer to a message that did not read as a request: -32700 when it is not JSON at
/// all, else -32600.
#[cold]
fn unreadable(text: &str, error: &serde_json::Error) -> String {
    if serde_json::from_str::<IgnoredAny>(text).is_err() {
        return error_response(None, PARSE_ERROR, &format!("not JSON: {error}"), None::<()>);
    }
    invalid(error)
}

#[cold]
fn invalid(error: &serde_json::Error) -> String {
    error_response(
        None,
        INVALID_REQUEST,
        &format!("not a JSON-RPC 2.0 request: {error}"),
        None::<()>,
    )
}

/// One request object, as sent. Fields are checked after reading, so that an invalid
/// request with a readable `id` is answered with that id.
#[derive(Deserialize)]
struct Request<'a> {
    #[serde(default, borrow)]
    jsonrpc: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(default)]
    params: Option<Value>,
    /// `None` when absent (a notification); `Some("null")` when sent as `null`.
    #[serde(default, borrow, deserialize_with = "present")]
    id: Option<&'a RawValue>,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

async fn answer_one(request: Request<'_>, call_in: CallIn<'_>) -> Option<String> {
    let id = request.id;
    if let Some(id) = id {
        let first = id.get().as_bytes().first().copied().unwrap_or(b' ');
        if !matches!(first, b'"' | b'-' | b'0'..=b'9' | b'n') {
            return Some(error_response(
                None,
                INVALID_REQUEST,
                "`id` must be a string, a number or null",
                None::<()>,
            ));
        }
    }
    if request.jsonrpc.as_deref() != Some("2.0") {
        return Some(error_response(
            id,
            INVALID_REQUEST,
            "`jsonrpc` must be \"2.0\"",
            None::<()>,
        ));
    }
    let Some(method) = request.method else {
        return Some(error_response(
            id,
            INVALID_REQUEST,
            "`method` (a string) is missing",
            None::<()>,
        ));
    };
    let args: Args = match request.params {
        None => Args::from(Vec::new()),
        Some(Value::Array(values)) => values.into(),
        Some(Value::Map(named)) => named.into(),
        Some(_) => {
            return Some(error_response(
                id,
                INVALID_REQUEST,
                "`params` must be an array or an object",
                None::<()>,
            ))
        }
    };
    let result = match call_in {
        CallIn::Session(session) => session.call_async(&method, args).await,
        CallIn::NoSession => methods().call_async(&method, args).await,
    };
    // A notification is answered with nothing, whatever happened (the failure was logged).
    let id = id?;
    Some(match result {
        Ok(outcome) => outcome_response(id, &outcome),
        Err(error) => error_response(Some(id), error.code(), &error.to_string(), Some(&error)),
    })
}

fn outcome_response(id: &RawValue, outcome: &CallOutcome) -> String {
    match &outcome.error {
        None => to_text(&Success {
            jsonrpc: "2.0",
            result: Outcome {
                value: &outcome.value,
                outs: Outs(&outcome.outs),
            },
            id,
        }),
        Some(error) => {
            let code = if is_panic(error) {
                INTERNAL_ERROR
            } else {
                METHOD_FAILED
            };
            let data = FailureData {
                outs: Outs(&outcome.outs),
            };
            error_response(Some(id), code, error, Some(&data))
        }
    }
}

/// Whether a failed call's error is a caught panic: every host call reports one with the
/// text `panicked: …` (the boundary writes it; a method's own error starting so would be
/// taken for one).
fn is_panic(error: &str) -> bool {
    error.starts_with("panicked: ")
}

/// A JSON-RPC error response: `id` is `null` when the request's could not be read.
pub(super) fn error_response(
    id: Option<&RawValue>,
    code: i32,
    message: &str,
    data: Option<impl Serialize>,
) -> String {
    to_text(&Failure {
        jsonrpc: "2.0",
        error: ErrorObject {
            code,
            message,
            data,
        },
        id,
    })
}

fn to_text(response: &impl Serialize) -> String {
    // Every part is a string, a number, a `Value` or a `CallError`, whose `Serialize`
    // impls do not fail on these; a failure would be a bug here, answered as one.
    serde_json::to_string(response).unwrap_or_else(|error| {
        tracing::error!(%error, "a JSON-RPC response could not be written");
        format!(
            r#"{{"jsonrpc":"2.0","error":{{"code":{INTERNAL_ERROR},"message":"the response could not be written"}},"id":null}}"#
        )
    })
}

#[derive(Serialize)]
struct Success<'a> {
    jsonrpc: &'static str,
    result: Outcome<'a>,
    id: &'a RawValue,
}

#[derive(Serialize)]
struct Outcome<'a> {
    value: &'a Value,
    outs: Outs<'a>,
}

#[derive(Serialize)]
struct FailureData<'a> {
    outs: Outs<'a>,
}

#[derive(Serialize)]
struct Failure<'a, D> {
    jsonrpc: &'static str,
    error: ErrorObject<'a, D>,
    id: Option<&'a RawValue>,
}

#[derive(Serialize)]
struct ErrorObject<'a, D> {
    code: i32,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<D>,
}

/// Out parameters as a JSON object, in parameter order.
struct Outs<'a>(&'a [(&'static str, Value)]);

impl Serialize for Outs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// The answer to a call refused because the tab has too many running; `None` for a
/// notification or a message whose id cannot be read.
pub(super) fn too_many_calls(text: &str, limit: usize) -> Option<String> {
    let message = format!(
        "this tab already has {limit} calls running (the host's limit): wait for one to finish"
    );
    if text.trim_start().starts_with('[') {
        return Some(error_response(None, TOO_MANY_CALLS, &message, None::<()>));
    }
    let request = serde_json::from_str::<Request<'_>>(text).ok()?;
    Some(error_response(
        Some(request.id?),
        TOO_MANY_CALLS,
        &message,
        None::<()>,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block_on::block_on;

    fn answer_now(text: &str) -> serde_json::Value {
        let answer = block_on(answer(text, CallIn::NoSession)).expect("an answer");
        serde_json::from_str(&answer).expect("the answer is JSON")
    }

    #[test]
    fn malformed_messages_have_their_codes_and_a_null_id() {
        assert_eq!(
            answer_now("{").pointer("/error/code"),
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
            let answer = answer_now(text);
            assert_eq!(answer["error"]["code"], -32600, "{text} -> {answer}");
        }
        assert_eq!(
            answer_now(r#"{"jsonrpc":"1.0","method":"x","id":1}"#)["id"],
            1
        );
    }

    #[test]
    fn notifications_are_not_answered_even_when_they_fail() {
        let none = block_on(answer(
            r#"{"jsonrpc":"2.0","method":"no_such_method"}"#,
            CallIn::NoSession,
        ));
        assert_eq!(none, None);
        let batch = block_on(answer(
            r#"[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]"#,
            CallIn::NoSession,
        ));
        assert_eq!(batch, None);
    }

    #[test]
    fn an_unknown_method_is_32601_with_its_id() {
        let answer = answer_now(r#"{"jsonrpc":"2.0","method":"no_such_method","id":"a"}"#);
        assert_eq!(answer["error"]["code"], -32601);
        assert_eq!(answer["error"]["data"]["kind"], "UnknownMethod");
        assert_eq!(answer["id"], "a");
    }

    #[test]
    fn too_many_calls_answers_the_request_by_its_id() {
        let text = too_many_calls(r#"{"jsonrpc":"2.0","method":"x","id":9}"#, 4)
            .expect("as the test set it up");
        let answer: serde_json::Value = serde_json::from_str(&text).expect("as the test set it up");
        assert_eq!(answer["error"]["code"], -32005);
        assert_eq!(answer["id"], 9);
        assert_eq!(too_many_calls(r#"{"jsonrpc":"2.0","method":"x"}"#, 4), None);
    }
}
