//! `role = "…"` and `engine = "…"` at the method boundary, seen from a downstream crate:
//! a role is checked before the body runs, for host and direct calls alike, and a root
//! session passes; `impersonate` runs in the root of the engine the call goes through, or
//! of the engine the attribute names, and an engine that is gone is the failure path.

mod export_support;

use std::sync::Mutex;

use export_support::capture;
use sessions_core::{
    current, current_id, export_method, methods, CallError, Engine, SessionError, SessionId, User,
    Value,
};

/// Resets the plant; only an admin may.
#[export_method(name = "RolesReset", role = "admin", sentinel = -1)]
fn roles_reset(cleared: &mut i32) -> Result<(), SessionError> {
    *cleared = 3;
    Ok(())
}

/// The session each impersonating call ran in, by method.
static RAN_IN: Mutex<Vec<(&'static str, Option<SessionId>)>> = Mutex::new(Vec::new());

fn ran_in(method: &'static str) -> Option<SessionId> {
    let ran = RAN_IN.lock().unwrap_or_else(|poison| poison.into_inner());
    ran.iter()
        .rev()
        .find(|(name, _)| *name == method)
        .and_then(|(_, id)| *id)
}

/// How many calls of `method` ran (tests run in parallel: each counts its own method).
fn runs_of(method: &'static str) -> usize {
    let ran = RAN_IN.lock().unwrap_or_else(|poison| poison.into_inner());
    ran.iter().filter(|(name, _)| *name == method).count()
}

fn record(method: &'static str) {
    RAN_IN
        .lock()
        .unwrap_or_else(|poison| poison.into_inner())
        .push((method, current_id()));
}

/// Records the session it runs in.
#[export_method(name = "EnginesWhichRoot", session = impersonate)]
fn engines_which_root() {
    record("EnginesWhichRoot");
}

/// Runs in the Plant engine's root (or a Plant session).
#[export_method(name = "EnginesInPlant", session = impersonate, engine = "RolesPlant", sentinel = false)]
fn engines_in_plant(done: &mut bool) -> Result<(), SessionError> {
    record("EnginesInPlant");
    *done = true;
    Ok(())
}

/// Impersonates, and needs `operator` when a session is current.
#[export_method(name = "RolesOperate", session = impersonate, role = "operator")]
fn roles_operate() -> Result<String, SessionError> {
    Ok(current()
        .map(|s| s.is_root().to_string())
        .unwrap_or_default())
}

fn user(name: &str, roles: &[&str]) -> Option<User> {
    Some(User::new(name).with_roles(roles.iter().map(|r| (*r).to_owned())))
}

#[test]
fn a_role_lets_its_holders_and_the_root_session_in() {
    let engine = Engine::new();
    let admin = engine.open().expect("open");
    admin.set_user(user("ada", &["admin"]));
    let outcome = admin.call("RolesReset", vec![]).expect("called");
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.out("cleared"), Some(&Value::Int(3)));

    let outcome = engine.call_as_root("RolesReset", vec![]).expect("called");
    assert_eq!(outcome.error, None, "the root session may call everything");
    assert_eq!(outcome.out("cleared"), Some(&Value::Int(3)));

    // A direct Rust call is checked by the same boundary.
    let _in_admin = admin.enter().expect("entered");
    let mut cleared = 0;
    assert_eq!(roles_reset(&mut cleared), Ok(()));
    assert_eq!(cleared, 3);
}

#[test]
fn a_user_without_the_role_is_refused_before_the_body_runs() {
    let engine = Engine::new();
    let bob = engine.open().expect("open");
    bob.set_user(user("bob", &["operator"]));
    let anonymous = engine.open().expect("open");
    for session in [&bob, &anonymous] {
        let (outcome, logged) = capture(|| session.call("RolesReset", vec![]));
        let outcome = outcome.expect("called: a refusal is the method's failure");
        assert_eq!(
            outcome.out("cleared"),
            Some(&Value::Int(-1)),
            "the sentinel"
        );
        let forbidden = SessionError::Forbidden {
            role: "admin".to_owned(),
        };
        assert_eq!(outcome.error, Some(forbidden.to_string()));
        assert_eq!(logged.len(), 1, "{logged:#?}");
        assert_eq!(logged[0].field("method"), Some("RolesReset"));
        assert_eq!(logged[0].target, "test_roles_and_engines");

        let _in_session = session.enter().expect("entered");
        let mut cleared = 0;
        let (result, logged) = capture(|| roles_reset(&mut cleared));
        assert_eq!(result, Err(forbidden));
        assert_eq!((cleared, logged.len()), (-1, 1));
    }
}

#[test]
fn a_role_on_an_impersonating_method_passes_the_root_it_impersonates() {
    let engine = Engine::new();
    // No session current: the global engine's root runs it, and a root passes.
    let outcome = methods().call("RolesOperate", vec![]).expect("called");
    assert_eq!(outcome.value, Value::from("true"));
    // A session whose user lacks the role does not.
    let guest = engine.open().expect("open");
    guest.set_user(user("gus", &[]));
    let (outcome, _) = capture(|| guest.call("RolesOperate", vec![]));
    let error = outcome.expect("called").error.unwrap_or_default();
    assert!(error.contains("\"operator\""), "{error}");
    let operator = engine.open().expect("open");
    operator.set_user(user("olga", &["operator"]));
    let outcome = operator.call("RolesOperate", vec![]).expect("called");
    assert_eq!(
        outcome.value,
        Value::from("false"),
        "runs in olga's session"
    );
}

#[test]
fn impersonate_runs_in_the_root_of_the_engine_the_call_goes_through() {
    let first = Engine::new();
    let second = Engine::new();
    second
        .call_as_root("EnginesWhichRoot", vec![])
        .expect("called");
    assert_eq!(ran_in("EnginesWhichRoot"), Some(second.root().id()));
    first
        .call_as_root("EnginesWhichRoot", vec![])
        .expect("called");
    assert_eq!(ran_in("EnginesWhichRoot"), Some(first.root().id()));
    // Through a session of the second engine: that session.
    let session = second.open().expect("open");
    session.call("EnginesWhichRoot", vec![]).expect("called");
    assert_eq!(ran_in("EnginesWhichRoot"), Some(session.id()));
    // With nothing current and no engine named: the global engine's root.
    methods().call("EnginesWhichRoot", vec![]).expect("called");
    assert_eq!(
        ran_in("EnginesWhichRoot"),
        Some(Engine::global().root().id())
    );
}

/// The engine named `RolesPlant` exists only inside this test (engine names are global).
#[test]
fn a_named_engine_is_impersonated_and_its_absence_is_the_failure_path() {
    let plant = Engine::builder()
        .name("RolesPlant")
        .build()
        .expect("the name is free");
    let elsewhere = Engine::new();
    let info = methods().get("EnginesInPlant").expect("registered");
    assert_eq!(info.engine(), Some("RolesPlant"));
    assert!(
        info.to_string()
            .ends_with("[session: impersonate, engine: RolesPlant]"),
        "{info}"
    );

    // From nowhere, from another engine's session: Plant's root.
    methods().call("EnginesInPlant", vec![]).expect("called");
    assert_eq!(ran_in("EnginesInPlant"), Some(plant.root().id()));
    let other = elsewhere.open().expect("open");
    let outcome = other.call("EnginesInPlant", vec![]).expect("called");
    assert_eq!(outcome.out("done"), Some(&Value::Bool(true)));
    assert_eq!(ran_in("EnginesInPlant"), Some(plant.root().id()));
    // From one of Plant's own sessions: that session.
    let operator = plant.open().expect("open");
    operator.call("EnginesInPlant", vec![]).expect("called");
    assert_eq!(ran_in("EnginesInPlant"), Some(operator.id()));

    // Once Plant is gone: refused, sentinel written, one event, the body not run.
    drop(operator);
    drop(plant);
    let before = runs_of("EnginesInPlant");
    let (outcome, logged) = capture(|| methods().call("EnginesInPlant", vec![]));
    let outcome = outcome.expect("called");
    assert_eq!(outcome.out("done"), Some(&Value::Bool(false)));
    let unknown = SessionError::UnknownEngine("RolesPlant".to_owned());
    assert_eq!(outcome.error, Some(unknown.to_string()));
    assert_eq!(logged.len(), 1, "{logged:#?}");
    let mut done = true;
    let (result, _) = capture(|| engines_in_plant(&mut done));
    assert_eq!((result, done), (Err(unknown), false));
    assert_eq!(runs_of("EnginesInPlant"), before, "the body did not run");
}

#[test]
fn hosts_see_the_role_and_the_engine() {
    let reset = methods().get("RolesReset").expect("registered");
    assert_eq!(reset.role(), Some("admin"));
    assert_eq!(reset.engine(), None);
    assert_eq!(
        reset.to_string(),
        "RolesReset(out cleared: i32 = -1 on failure) [session: require, role: admin]"
    );
    let json = serde_json::to_value(reset).expect("serializes");
    assert_eq!(json["role"], "admin");
    assert_eq!(json["engine"], serde_json::Value::Null);
    let document = methods().openrpc();
    let listed = document["methods"]
        .as_array()
        .and_then(|all| all.iter().find(|m| m["name"] == "RolesReset"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(listed["x-role"], "admin");
    // A refusal is a method failure, not a call error: the host gets an outcome.
    let refused: Result<_, CallError> = Engine::new()
        .open()
        .expect("open")
        .call("RolesReset", vec![]);
    assert!(refused.is_ok_and(|outcome| outcome.error.is_some()));
}
