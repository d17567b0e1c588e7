//! The method table and call outcomes as JSON: the serde forms `sessions-core` gives
//! `MethodInfo` and `CallOutcome`, and the table's OpenRPC document, written by `serde_json`.

use serde_json::{json, Value as Json};
use sessions_core::{CallOutcome, MethodInfo, MethodTable, ObjectInfo, VariableInfo};

/// Every method, as a pretty-printed JSON array `"methods"` of `MethodInfo` objects: what a host needs
/// to show a method and to call it (`params` lists every parameter with its `direction`:
/// `in`, passed by the host in order; `out`, returned in the outcome's `outs`, with its
/// `sentinel` on failure; `injected`, the calling session, not passed).
///
/// Then the live objects: `{"path", "type", "methods": [NAME…]}` each, a host calling
/// `"<path>.<method>"`; and the exported variables: `{"path", "type", "write_role",
/// "schema"}` each, which a host reads, writes and watches by path.
pub fn methods(
    table: &MethodTable,
    objects: &[ObjectInfo],
    variables: &[VariableInfo],
) -> serde_json::Result<String> {
    let methods: Vec<&MethodInfo> = table.iter().collect();
    let objects: Vec<Json> = objects
        .iter()
        .map(|object| json!({"path": object.path, "type": object.type_name, "methods": object.methods}))
        .collect();
    let variables: Vec<Json> = variables
        .iter()
        .map(|variable| {
            json!({
                "path": variable.path,
                "type": variable.type_name,
                "write_role": variable.write_role,
                "schema": variable.schema,
            })
        })
        .collect();
    serde_json::to_string_pretty(
        &json!({"methods": methods, "objects": objects, "variables": variables}),
    )
}

/// The OpenRPC 1.3 document of the table, pretty-printed, titled after this program.
pub fn openrpc(table: &MethodTable) -> serde_json::Result<String> {
    let mut document = table.openrpc();
    document["info"]["title"] = "sessions examples".into();
    serde_json::to_string_pretty(&document)
}

/// A call's outcome: `{"value":…,"outs":{"name":value},"error":…}`.
pub fn outcome(outcome: &CallOutcome) -> serde_json::Result<Json> {
    serde_json::to_value(outcome)
}
