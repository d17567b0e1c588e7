//! What a host hands its clients as it is: `MethodInfo` and a call's `CallOutcome` as JSON,
//! and every `CallError` a real call can produce with its JSON-RPC 2.0 code.

use serde_json::json;
use sessions_core::{export_method, methods, CallError, Engine, Session, SessionError, Value};

/// Divides, into an out parameter; -1 there on failure.
#[export_method(name = "MetaDivide", sentinel = -1)]
fn meta_divide(
    session: &Session,
    a: i64,
    b: i64,
    quotient: &mut i64,
) -> Result<String, SessionError> {
    *quotient = a.checked_div(b).ok_or(SessionError::NoContext)?;
    Ok(session.id().to_string())
}

/// Waits, then answers.
#[export_method(name = "MetaAsync", session = none)]
async fn meta_async() -> i64 {
    1
}

#[test]
fn method_info_serializes_what_a_call_form_needs() {
    let info = methods().get("MetaDivide").expect("registered");
    let json = serde_json::to_value(info).expect("serializes");
    assert_eq!(json["name"], "MetaDivide");
    assert_eq!(json["policy"], "require");
    assert_eq!(json["async"], false);
    assert_eq!(
        json["doc"],
        "Divides, into an out parameter; -1 there on failure."
    );
    assert_eq!(json["value_type"], "String");
    assert_eq!(json["rust_name"], "meta_divide");
    assert_eq!(json["path"], "test_call_metadata::meta_divide");
    assert_eq!(json["signature"], info.to_string());
    assert_eq!(
        json["params"],
        json!([
            {"name": "session", "type": "&Session", "direction": "injected", "sentinel": null, "optional": false},
            {"name": "a", "type": "i64", "direction": "in", "sentinel": null, "optional": false},
            {"name": "b", "type": "i64", "direction": "in", "sentinel": null, "optional": false},
            {"name": "quotient", "type": "i64", "direction": "out", "sentinel": "-1", "optional": false},
        ])
    );
    let listed = serde_json::to_value(methods().iter().collect::<Vec<_>>()).expect("serializes");
    assert!(listed.as_array().is_some_and(|all| all
        .iter()
        .any(|m| m["name"] == "MetaAsync" && m["async"] == true)));
}

#[test]
fn an_outcome_serializes_its_value_outs_and_error() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let ok = session
        .call("MetaDivide", vec![Value::from(7), Value::from(2)])
        .expect("called");
    assert_eq!(
        serde_json::to_value(&ok).expect("serializes"),
        json!({"value": session.id().to_string(), "outs": {"quotient": 3}, "error": null})
    );
    let failed = session
        .call("MetaDivide", vec![Value::from(7), Value::from(0)])
        .expect("called");
    assert_eq!(
        serde_json::to_value(&failed).expect("serializes"),
        json!({"value": null, "outs": {"quotient": -1}, "error": SessionError::NoContext.to_string()})
    );
}

#[test]
fn every_call_error_has_its_json_rpc_code() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let code = |result: Result<_, CallError>| result.map(|_| ()).map_err(|e| (e.code(), e.kind()));

    assert_eq!(
        code(session.call("MetaNoSuchMethod", vec![])),
        Err((-32601, "UnknownMethod"))
    );
    assert_eq!(
        code(session.call("MetaDivide", vec![Value::from(1)])),
        Err((-32602, "Arity"))
    );
    assert_eq!(
        code(session.call("MetaDivide", vec![Value::from(1), Value::from("two")])),
        Err((-32602, "ArgType"))
    );
    assert_eq!(
        code(session.call("MetaAsync", vec![])),
        Err((-32003, "NeedsAsync"))
    );
    engine.close(session.id()).expect("close");
    let closed = session.call("MetaDivide", vec![Value::from(1), Value::from(1)]);
    assert_eq!(code(closed.clone()), Err((-32001, "Session")));
    let json = serde_json::to_value(closed.expect_err("refused")).expect("serializes");
    assert_eq!(json["code"], -32001);
    assert_eq!(
        json["session_error"],
        SessionError::NotFound(session.id()).to_string()
    );
}
