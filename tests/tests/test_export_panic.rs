//! A panic in an exported method is caught at the host boundary: sentinels written, one
//! error event, `error` says it panicked, and the context stack is as it was.

mod export_support;

use export_support::capture;
use sessions_core::{current_id, export_method, methods, Engine, Value};

#[export_method(session = impersonate)]
fn panics_midway(
    message: String,
    #[out(sentinel = -1)] count: &mut i32,
    #[out(sentinel = String::from("lost"))] note: &mut String,
    #[out] untouched: &mut u8,
) -> i64 {
    *count = 10;
    *note = "started".into();
    *untouched = 7;
    // Enter another session inside, so unwinding has a guard to restore.
    let engine = Engine::new();
    let inner = engine.open().expect("open");
    let _guard = engine.impersonate_root();
    let _inner = inner.enter();
    panic!("{message}");
}

#[test]
fn a_panic_yields_the_sentinels_and_an_error() {
    export_support::init();
    let (outcome, logged) = capture(|| methods().call("panics_midway", vec![Value::from("boom")]));
    let outcome = outcome.expect("the call ran");
    assert_eq!(outcome.value, Value::Null);
    assert_eq!(outcome.error.as_deref(), Some("panicked: boom"));
    assert_eq!(outcome.out("count"), Some(&Value::from(-1)));
    assert_eq!(outcome.out("note"), Some(&Value::from("lost")));
    // No sentinel applies to `untouched`: it keeps what the body wrote before panicking.
    assert_eq!(outcome.out("untouched"), Some(&Value::from(7)));
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].field("method"), Some("panics_midway"));
    assert_eq!(logged[0].field("error"), Some("panicked: boom"));
    // It was logged in the impersonated root, which the call held.
    let root = Engine::global().root().id().to_string();
    assert_eq!(logged[0].field("session"), Some(root.as_str()));
    assert_eq!(current_id(), None);
}

#[test]
fn the_context_stack_is_unchanged_after_a_panic() {
    export_support::init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    let outcome = methods()
        .call("panics_midway", vec![Value::from("again")])
        .expect("ran");
    assert_eq!(outcome.error.as_deref(), Some("panicked: again"));
    assert_eq!(current_id(), Some(session.id()));
    // And it keeps working: the same session can be entered and left again.
    drop(_guard);
    assert_eq!(current_id(), None);
    let again = session.enter().expect("enter again");
    assert_eq!(current_id(), Some(session.id()));
    drop(again);
    assert_eq!(current_id(), None);
}
