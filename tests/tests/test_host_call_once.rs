//! One host call takes one path, table → trampoline → the function: a `session = require`
//! method called without a session logs exactly one event (the policy is resolved once, not
//! again by the function's wrapper), and a panicking method's panic is caught once: one
//! event, one outcome. Every event logged on the thread is captured, whatever its target.

mod export_support;

use std::cell::Cell;

use export_support::{block_on, capture_all};
use sessions_core::{current_id, export_method, methods, Engine, SessionError, Value};

thread_local! {
    /// Runs of `OnceRequired` on this thread: tests run in parallel, so each counts its own
    /// (synchronous host calls run on the calling thread).
    static REQUIRED_RUNS: Cell<usize> = const { Cell::new(0) };
}

/// Needs a session; counts its runs.
#[export_method(name = "OnceRequired", sentinel = -1)]
fn once_required(n: i64, doubled: &mut i64) -> Result<(), SessionError> {
    REQUIRED_RUNS.set(REQUIRED_RUNS.get() + 1);
    *doubled = n * 2;
    Ok(())
}

/// Needs a session, async.
#[export_method(name = "OnceRequiredAsync", sentinel = -1)]
async fn once_required_async(n: i64, doubled: &mut i64) -> Result<(), SessionError> {
    std::future::ready(()).await;
    *doubled = n * 2;
    Ok(())
}

/// Panics, in the caller's session.
#[export_method(name = "OncePanics", sentinel = -1)]
fn once_panics(marker: String, written: &mut i64) {
    *written = 5;
    panic!("{marker}");
}

/// Panics after an await.
#[export_method(name = "OncePanicsAsync", session = none, sentinel = -1)]
async fn once_panics_async(marker: String, written: &mut i64) {
    *written = 5;
    std::future::ready(()).await;
    panic!("{marker}");
}

#[test]
fn a_required_session_missing_from_a_host_call_is_one_event() {
    export_support::init();
    let before = REQUIRED_RUNS.get();
    let (outcome, events) = capture_all(|| methods().call("OnceRequired", vec![Value::from(4)]));
    let outcome = outcome.expect("the call was made");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].field("method"), Some("OnceRequired"));
    assert_eq!(
        events[0].target, "test_host_call_once",
        "the exporting crate's module"
    );
    assert_eq!(
        outcome.error,
        Some(SessionError::NoContext.to_string()),
        "the outcome reports it once too"
    );
    assert_eq!(outcome.out("doubled"), Some(&Value::from(-1)));
    assert_eq!(REQUIRED_RUNS.get(), before, "the body did not run");
}

#[test]
fn a_required_session_missing_from_an_async_host_call_is_one_event() {
    export_support::init();
    let (outcome, events) =
        capture_all(|| block_on(methods().call_async("OnceRequiredAsync", vec![Value::from(4)])));
    let outcome = outcome.expect("the call was made");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(outcome.error, Some(SessionError::NoContext.to_string()));
    assert_eq!(outcome.out("doubled"), Some(&Value::from(-1)));
}

#[test]
fn a_required_session_missing_from_a_direct_call_is_one_event() {
    export_support::init();
    let mut doubled = 0;
    let (result, events) = capture_all(|| once_required(4, &mut doubled));
    assert_eq!(result, Err(SessionError::NoContext));
    assert_eq!(doubled, -1);
    assert_eq!(events.len(), 1, "{events:?}");
}

#[test]
fn a_host_call_in_a_session_logs_nothing_and_runs_once() {
    export_support::init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let before = REQUIRED_RUNS.get();
    let (outcome, events) = capture_all(|| session.call("OnceRequired", vec![Value::from(4)]));
    let outcome = outcome.expect("the call was made");
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(outcome.out("doubled"), Some(&Value::from(8)));
    assert!(events.is_empty(), "{events:?}");
    assert_eq!(REQUIRED_RUNS.get(), before + 1);
}

#[test]
fn a_panic_in_a_host_call_is_caught_once() {
    export_support::init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let marker = "once-marker-sync";
    let (outcome, events) = capture_all(|| session.call("OncePanics", vec![Value::from(marker)]));
    let outcome = outcome.expect("the call was made");
    assert_eq!(events.len(), 1, "{events:?}");
    let expected = format!("panicked: {marker}");
    assert_eq!(events[0].field("error"), Some(expected.as_str()));
    assert_eq!(
        events[0].target, "test_host_call_once",
        "logged by the runtime, in the exporting crate's module"
    );
    assert_eq!(outcome.error.as_deref(), Some(expected.as_str()));
    assert_eq!(outcome.value, Value::Null);
    assert_eq!(outcome.out("written"), Some(&Value::from(-1)));
    assert_eq!(current_id(), None, "the context is as it was");
    assert!(session.is_open());
}

#[test]
fn a_panic_in_an_async_host_call_is_caught_once() {
    export_support::init();
    let marker = "once-marker-async";
    let (outcome, events) = capture_all(|| {
        block_on(methods().call_async("OncePanicsAsync", vec![Value::from(marker)]))
    });
    let outcome = outcome.expect("the call was made");
    assert_eq!(events.len(), 1, "{events:?}");
    let expected = format!("panicked: {marker}");
    assert_eq!(outcome.error.as_deref(), Some(expected.as_str()));
    assert_eq!(outcome.out("written"), Some(&Value::from(-1)));
}
