//! JSON-RPC 2.0 as the host writes and reads it: the request as sent, and the answers
//! (success, error, notification) as text.

use std::borrow::Cow;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;

use crate::methods::OutsMap;
use crate::Value;

/// The code of an answer the host could not write (a bug, answered as one).
const UNWRITABLE: i32 = -32603;

/// One request object, as sent. Fields are checked after reading, so that an invalid
/// request with a readable `id` is answered with that id.
#[derive(Deserialize)]
pub(super) struct Request<'a> {
    #[serde(default, borrow)]
    pub jsonrpc: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub method: Option<Cow<'a, str>>,
    #[serde(default)]
    pub params: Option<Value>,
    /// `None` when absent (a notification); `Some("null")` when sent as `null`.
    #[serde(default, borrow, deserialize_with = "present")]
    pub id: Option<&'a RawValue>,
}

fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

/// Whether `id` is one JSON-RPC allows: a string, a number or null.
pub(super) fn valid_id(id: &RawValue) -> bool {
    let first = id.get().as_bytes().first().copied().unwrap_or(b' ');
    matches!(first, b'"' | b'-' | b'0'..=b'9' | b'n')
}

/// A success: `{"jsonrpc":"2.0","result":{"value":V,"outs":{…}},"id":ID}`.
pub(super) fn success(id: &RawValue, value: &Value, outs: &[(&'static str, Value)]) -> String {
    #[derive(Serialize)]
    struct Success<'a> {
        jsonrpc: &'static str,
        result: Result<'a>,
        id: &'a RawValue,
    }
    #[derive(Serialize)]
    struct Result<'a> {
        value: &'a Value,
        outs: OutsMap<'a>,
    }
    to_text(&Success {
        jsonrpc: "2.0",
        result: Result {
            value,
            outs: OutsMap(outs),
        },
        id,
    })
}

/// The `data` of a failed call's error: its out parameters, sentinels written.
#[derive(Serialize)]
pub(super) struct FailureData<'a> {
    pub outs: OutsMap<'a>,
}

/// A JSON-RPC error response: `id` is `null` when the request's could not be read.
pub(super) fn error_response(
    id: Option<&RawValue>,
    code: i32,
    message: &str,
    data: Option<impl Serialize>,
) -> String {
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

/// A notification: `{"jsonrpc":"2.0","method":TOPIC,"params":PARAMS}`.
pub(super) fn notification(topic: &str, params: &impl Serialize) -> String {
    #[derive(Serialize)]
    struct Push<'a, P> {
        jsonrpc: &'static str,
        method: &'a str,
        params: &'a P,
    }
    to_text(&Push {
        jsonrpc: "2.0",
        method: topic,
        params,
    })
}

fn to_text(response: &impl Serialize) -> String {
    // Every part is a string, a number, a `Value`, a `CallError` or a struct of the host's,
    // whose `Serialize` impls do not fail on these; a failure would be a bug here, answered
    // as one.
    serde_json::to_string(response).unwrap_or_else(|error| {
        tracing::error!(%error, "a JSON-RPC message could not be written");
        format!(
            r#"{{"jsonrpc":"2.0","error":{{"code":{UNWRITABLE},"message":"the response could not be written"}},"id":null}}"#
        )
    })
}
