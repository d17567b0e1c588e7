//! The method table and call outcomes as JSON, through `serde_json`.

use serde_json::{json, Map, Value as Json};
use sessions_core::{CallOutcome, MethodInfo, MethodTable, ParamInfo};

/// Every method, as a pretty-printed JSON array of [`method`] objects.
pub fn methods(table: &MethodTable) -> String {
    let methods: Vec<Json> = table.iter().map(method).collect();
    // Serialising a `serde_json::Value` cannot fail; fall back to compact text anyway.
    serde_json::to_string_pretty(&methods).unwrap_or_else(|_| Json::from(methods).to_string())
}

/// One method: what a host needs to show it, and to call it.
///
/// `params` lists every parameter: `direction` is `in` (passed by the host, in order),
/// `out` (returned in the outcome's `outs`, with its `sentinel` on failure) or `injected`
/// (the calling session, not passed). `sentinel` is the Rust expression as written.
fn method(info: &MethodInfo) -> Json {
    json!({
        "name": info.name(),
        "signature": info.to_string(),
        "params": info.params().iter().map(param).collect::<Vec<_>>(),
        "returns": info.returns(),
        "value_type": info.value_type(),
        "policy": info.policy().to_string(),
        "path": info.path(),
        "file": info.file(),
        "line": info.line(),
        "doc": info.doc(),
        "async": info.is_async(),
    })
}

fn param(param: &ParamInfo) -> Json {
    json!({
        "name": param.name(),
        "type": param.ty(),
        "direction": param.direction().to_string(),
        "sentinel": param.sentinel(),
    })
}

/// A call's outcome, on one line: `{"error":…,"outs":{"name":value},"value":…}`.
pub fn outcome(outcome: &CallOutcome) -> Json {
    let outs: Map<String, Json> = outcome
        .outs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), Json::from(value.clone())))
        .collect();
    json!({
        "value": Json::from(outcome.value.clone()),
        "outs": outs,
        "error": outcome.error,
    })
}
