//! `session = impersonate | require | none`, called directly and by a host.

mod export_support;

use std::cell::Cell;

use export_support::capture;
use sessions_core::{current_id, export_method, methods, Engine, SessionError, SessionId, Value};

/// The session the body ran in, and whether it was a root session: `[id, is_root]`.
#[export_method(session = impersonate)]
fn policy_impersonated() -> Value {
    let session = sessions_core::current().expect("impersonate always runs in a session");
    Value::Array(vec![
        Value::from(session.id().to_string()),
        Value::from(session.is_root()),
    ])
}

fn ran_in(id: SessionId, is_root: bool) -> Value {
    Value::Array(vec![Value::from(id.to_string()), Value::from(is_root)])
}

thread_local! {
    /// Runs of the `require` bodies on this thread (each test has its own thread).
    static REQUIRED_RUNS: Cell<usize> = const { Cell::new(0) };
}

fn required_runs() -> usize {
    REQUIRED_RUNS.with(Cell::get)
}

fn count_run() {
    REQUIRED_RUNS.with(|runs| runs.set(runs.get() + 1));
}

#[export_method(session = require)]
fn policy_required() -> Result<String, SessionError> {
    count_run();
    Ok(sessions_core::require()?.id().to_string())
}

#[export_method(session = require)]
fn policy_required_unit() {
    count_run();
}

#[export_method(session = none)]
fn policy_none() -> Option<SessionId> {
    current_id()
}

#[test]
fn impersonate_without_a_context_runs_in_the_global_root() {
    export_support::init();
    assert_eq!(current_id(), None);
    assert_eq!(
        policy_impersonated(),
        ran_in(Engine::global().root().id(), true)
    );
    // The root was only current for the call.
    assert_eq!(current_id(), None);
}

#[test]
fn impersonate_keeps_the_current_session() {
    export_support::init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    assert_eq!(policy_impersonated(), ran_in(session.id(), false));
    assert_eq!(current_id(), Some(session.id()));
}

#[test]
fn impersonate_by_a_host() {
    export_support::init();
    let root = Engine::global().root().id();
    let outcome = methods()
        .call("policy_impersonated", vec![])
        .expect("called");
    assert_eq!(outcome.value, ran_in(root, true));
    assert_eq!(current_id(), None);

    let engine = Engine::new();
    let session = engine.open().expect("open");
    let outcome = session.call("policy_impersonated", vec![]).expect("called");
    assert_eq!(outcome.value, ran_in(session.id(), false));
}

#[test]
fn call_as_root_impersonates_that_engines_root_even_over_a_session() {
    export_support::init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    let outcome = engine
        .call_as_root("policy_impersonated", vec![])
        .expect("called");
    assert_eq!(outcome.value, ran_in(engine.root().id(), true));
    assert_eq!(current_id(), Some(session.id()));
}

#[test]
fn require_runs_in_the_callers_session() {
    export_support::init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    let before = required_runs();
    assert_eq!(policy_required(), Ok(session.id().to_string()));
    let outcome = methods().call("policy_required", vec![]).expect("called");
    assert_eq!(outcome.value, Value::from(session.id().to_string()));
    policy_required_unit();
    assert_eq!(required_runs(), before + 3);
}

#[test]
fn require_without_a_session_does_not_run_the_body() {
    export_support::init();
    let before = required_runs();
    let ((direct, unit, hosted, hosted_unit), logged) = capture(|| {
        (
            policy_required(),
            policy_required_unit(),
            methods().call("policy_required", vec![]),
            methods().call("policy_required_unit", vec![]),
        )
    });
    assert_eq!(direct, Err(SessionError::NoContext));
    assert_eq!(unit, ());
    let no_context = Some(SessionError::NoContext.to_string());
    assert_eq!(hosted.expect("called").error, no_context);
    assert_eq!(hosted_unit.expect("called").error, no_context);
    assert_eq!(required_runs(), before);
    // One event per failed call.
    assert_eq!(logged.len(), 4, "{logged:?}");
    let methods: Vec<_> = logged
        .iter()
        .map(|e| e.field("method").unwrap_or_default())
        .collect();
    assert_eq!(
        methods,
        [
            "policy_required",
            "policy_required_unit",
            "policy_required",
            "policy_required_unit"
        ]
    );
}

#[test]
fn none_touches_no_context() {
    export_support::init();
    assert_eq!(policy_none(), None);
    let outcome = methods().call("policy_none", vec![]).expect("called");
    assert_eq!(outcome.value, Value::Null);

    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    assert_eq!(policy_none(), Some(session.id()));
}
