//! The Optix example from DESIGN.md (defined in the `sessions_tests` library): with a
//! session it returns the count; without one it writes -1 and logs exactly one error event.

mod export_support;

use export_support::capture;
use sessions_core::{methods, Engine, SessionError, User, Value};
use sessions_tests::get_active_web_sessions_number;

fn engine_with_two_users(name: &str) -> Engine {
    let engine = Engine::builder().name(name).build().expect("a fresh name");
    for user in ["ada", "grace"] {
        let session = engine.open().expect("open");
        session.set_user(Some(User::new(user)));
    }
    engine.open().expect("an anonymous session");
    engine
}

#[test]
fn with_a_session_the_count_is_written() {
    export_support::init();
    let engine = engine_with_two_users("optix-direct");
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    let mut active = 0;
    let (result, logged) =
        capture(|| get_active_web_sessions_number("optix-direct".into(), &mut active));
    assert_eq!(result, Ok(()));
    assert_eq!(active, 2);
    assert!(logged.is_empty(), "{logged:?}");
}

#[test]
fn without_a_session_it_writes_minus_one_and_logs_once() {
    export_support::init();
    let _engine = engine_with_two_users("optix-no-session");
    let mut active = 5;
    let (result, logged) =
        capture(|| get_active_web_sessions_number("optix-no-session".into(), &mut active));
    assert_eq!(result, Err(SessionError::NoContext));
    assert_eq!(active, -1);
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(
        logged[0].field("method"),
        Some("GetActiveWebSessionsNumber")
    );
    assert_eq!(logged[0].field("session"), None);
    let error = logged[0].field("error").unwrap_or_default();
    assert_eq!(error, SessionError::NoContext.to_string());
}

#[test]
fn a_failing_body_writes_minus_one_and_logs_with_the_session_id() {
    export_support::init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    let mut active = 5;
    let (result, logged) =
        capture(|| get_active_web_sessions_number("no-such-engine".into(), &mut active));
    assert_eq!(
        result,
        Err(SessionError::UnknownEngine("no-such-engine".into()))
    );
    assert_eq!(active, -1);
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(
        logged[0].field("method"),
        Some("GetActiveWebSessionsNumber")
    );
    assert_eq!(
        logged[0].field("session"),
        Some(session.id().to_string().as_str())
    );
    assert_eq!(
        logged[0].field("error"),
        Some("no engine is named \"no-such-engine\"")
    );
}

#[test]
fn called_by_a_host_in_a_session() {
    export_support::init();
    let engine = engine_with_two_users("optix-host");
    let session = engine.open().expect("open");
    let (outcome, logged) = capture(|| {
        session.call(
            "GetActiveWebSessionsNumber",
            vec![Value::from("optix-host")],
        )
    });
    let outcome = outcome.expect("called");
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(outcome.value, Value::Null);
    assert_eq!(outcome.out("active"), Some(&Value::from(2)));
    assert_eq!(outcome.outs, vec![("active", Value::from(2))]);
    assert!(logged.is_empty(), "{logged:?}");
}

#[test]
fn called_by_a_host_without_a_session() {
    export_support::init();
    let _engine = engine_with_two_users("optix-host-no-session");
    let (outcome, logged) = capture(|| {
        methods().call(
            "GetActiveWebSessionsNumber",
            vec![Value::from("optix-host-no-session")],
        )
    });
    let outcome = outcome.expect("called");
    assert!(!outcome.is_ok());
    assert_eq!(outcome.value, Value::Null);
    assert_eq!(outcome.out("active"), Some(&Value::from(-1)));
    assert_eq!(outcome.error, Some(SessionError::NoContext.to_string()));
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(
        logged[0].field("method"),
        Some("GetActiveWebSessionsNumber")
    );
    assert_eq!(logged[0].field("session"), None);
}

#[test]
fn a_host_call_whose_body_fails_logs_once_not_twice() {
    export_support::init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let (outcome, logged) =
        capture(|| session.call("GetActiveWebSessionsNumber", vec![Value::from("nowhere")]));
    let outcome = outcome.expect("called");
    assert_eq!(outcome.out("active"), Some(&Value::from(-1)));
    assert_eq!(
        outcome.error.as_deref(),
        Some("no engine is named \"nowhere\"")
    );
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(
        logged[0].field("session"),
        Some(session.id().to_string().as_str())
    );
}
