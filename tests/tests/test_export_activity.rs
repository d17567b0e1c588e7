//! A host call through a session is activity: it keeps the session from expiring.

use std::time::Duration;

use sessions_core::{Engine, ManualClock, Value};

#[test]
fn session_call_and_call_async_touch_the_session() {
    sessions_tests::link();
    let clock = ManualClock::new();
    let engine = Engine::builder()
        .idle_timeout(Duration::from_millis(300))
        .clock(clock.clock())
        .build()
        .expect("build");
    let (called, called_async, idle) = (
        engine.open().expect("open"),
        engine.open().expect("open"),
        engine.open().expect("open"),
    );
    clock.advance(Duration::from_millis(400));
    let args = || vec![Value::Int(2), Value::Int(3)];
    let outcome = called.call("LibAdd", args()).expect("call");
    assert_eq!(outcome.value, Value::Int(5));
    // Making the async call is the activity; it need not be awaited for that.
    drop(called_async.call_async("LibAdd", args()));
    assert_eq!(engine.expire_idle(), 1);
    assert!(called.is_open() && called_async.is_open());
    assert!(!idle.is_open());
}
