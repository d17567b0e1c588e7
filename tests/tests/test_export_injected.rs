//! Injected `&Session` / `Session` parameters: a host call passes the caller's session.

use sessions_core::{export_method, methods, CallError, Engine, Session, SessionError, Value};

#[export_method]
fn injected_by_ref(session: &Session) -> Result<String, SessionError> {
    Ok(session.id().to_string())
}

#[export_method(session = impersonate)]
fn injected_by_value(label: String, session: Session, #[out] root: &mut bool) -> String {
    *root = session.is_root();
    format!("{label} {}", session.id())
}

#[test]
fn a_host_call_injects_the_callers_session() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let outcome = session.call("injected_by_ref", vec![]).expect("called");
    assert_eq!(outcome.value, Value::from(session.id().to_string()));

    let other = engine.open().expect("open");
    let _guard = other.enter().expect("enter");
    let outcome = methods().call("injected_by_ref", vec![]).expect("called");
    assert_eq!(outcome.value, Value::from(other.id().to_string()));
}

#[test]
fn injected_parameters_are_not_passed_by_the_host() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let outcome = session
        .call("injected_by_value", vec![Value::from("in")])
        .expect("called");
    assert_eq!(outcome.value, Value::from(format!("in {}", session.id())));
    assert_eq!(outcome.out("root"), Some(&Value::from(false)));
    // Passing the session as well is one argument too many.
    let err = session.call("injected_by_value", vec![Value::from("in"), Value::Null]);
    assert_eq!(
        err,
        Err(CallError::Arity {
            method: "injected_by_value".into(),
            expected: 1,
            got: 2
        })
    );
}

#[test]
fn impersonate_injects_the_global_root_without_a_context() {
    let outcome = methods()
        .call("injected_by_value", vec![Value::from("root")])
        .expect("called");
    let root = Engine::global().root().id();
    assert_eq!(outcome.value, Value::from(format!("root {root}")));
    assert_eq!(outcome.out("root"), Some(&Value::from(true)));
}

#[test]
fn a_direct_call_passes_the_session_itself() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    assert_eq!(injected_by_ref(&session), Ok(session.id().to_string()));
    let mut root = true;
    assert_eq!(
        injected_by_value("x".into(), session.clone(), &mut root),
        format!("x {}", session.id())
    );
    assert!(!root);
}
