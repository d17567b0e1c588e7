//! Injected `&Session` and `Session`, with `require` and `impersonate`, direct and by host.
use sessions_core::{export_method, methods, Engine, Session, SessionError, Value};

#[export_method]
fn by_ref(session: &Session) -> Result<String, SessionError> {
    Ok(session.id().to_string())
}

#[export_method(session = impersonate)]
fn by_value(prefix: String, session: Session) -> String {
    format!("{prefix}{}", session.is_root())
}

#[export_method(session = impersonate)]
fn qualified(session: &sessions_core::Session, also: sessions_core::Session) -> bool {
    session.id() == also.id()
}

fn main() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let guard = session.enter().expect("enter");
    assert_eq!(by_ref(&session), Ok(session.id().to_string()));
    let outcome = methods().call("by_ref", vec![]).ok().map(|o| o.value);
    assert_eq!(outcome, Some(Value::from(session.id().to_string())));
    drop(guard);
    let outcome = methods()
        .call("by_value", vec![Value::from("root: ")])
        .ok()
        .map(|o| o.value);
    assert_eq!(outcome, Some(Value::from("root: true")));
    assert_eq!(
        methods().call("qualified", vec![]).ok().map(|o| o.value),
        Some(Value::from(true))
    );
    assert_eq!(by_value(String::new(), session.clone()), "false");
}
