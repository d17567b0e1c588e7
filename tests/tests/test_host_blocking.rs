//! Where the host boundary runs a plain fn (`host::Call::run`, shared by the web and OPC UA
//! hosts): one exported with `blocking` on tokio's blocking pool, in the caller's session;
//! any other at its first poll, with a WARN naming it when it held the thread longer than
//! `host::SLOW_SYNC_CALL`.

mod export_support;

use std::time::Duration;

use export_support::{block_on, capture_all, Logged};
use sessions_core::host::{Answer, Call, SLOW_SYNC_CALL};
use sessions_core::{export_method, methods, Engine, Session, SessionError, Value};
use tracing::Level;

/// The thread it ran on, and its session's id.
#[export_method(name = "BlockingWhere", blocking)]
fn blocking_where(session: &Session) -> Result<String, SessionError> {
    Ok(format!(
        "{:?} {}",
        std::thread::current().id(),
        session.id()
    ))
}

/// The thread it ran on.
#[export_method(name = "PlainWhere", session = none)]
fn plain_where() -> String {
    format!("{:?}", std::thread::current().id())
}

/// Holds its thread past the threshold, unmarked.
#[export_method(name = "PlainSlow", session = none)]
fn plain_slow() -> u32 {
    std::thread::sleep(SLOW_SYNC_CALL + Duration::from_millis(50));
    1
}

fn value(answer: &Answer) -> String {
    match answer {
        Answer::Ran(outcome) if outcome.is_ok() => match &outcome.value {
            Value::String(text) => text.clone(),
            other => panic!("a text, not {other:?}"),
        },
        other => panic!("the call ran and succeeded, not {other:?}"),
    }
}

fn slow_warnings(events: &[Logged]) -> Vec<&Logged> {
    events
        .iter()
        .filter(|event| event.level == Level::WARN && event.field("method").is_some())
        .collect()
}

#[test]
fn a_blocking_method_runs_on_the_blocking_pool_in_the_callers_session() {
    assert!(methods()
        .get("BlockingWhere")
        .expect("exported")
        .is_blocking());
    assert!(!methods().get("PlainWhere").expect("exported").is_blocking());
    let engine = Engine::new();
    let session = engine.open().expect("a session");
    let here = format!("{:?}", std::thread::current().id());
    let (blocking, plain) = block_on(async {
        let blocking = Call::new("BlockingWhere", Vec::new())
            .in_session(Some(&session))
            .run()
            .await;
        let plain = Call::new("PlainWhere", Vec::new()).run().await;
        (blocking, plain)
    });
    let blocking = value(&blocking);
    let (thread, ran_in) = blocking.split_once(' ').expect("a thread and a session");
    assert_ne!(
        thread, here,
        "a blocking method runs off the runtime's thread"
    );
    assert_eq!(ran_in, session.id().to_string(), "in the caller's session");
    assert_eq!(value(&plain), here, "a plain fn runs where it is polled");
    // Without a runtime (a host on threads of its own), it runs where it is called.
    let blocking = Call::new("BlockingWhere", Vec::new())
        .in_session(Some(&session))
        .run_blocking();
    assert!(value(&blocking).starts_with(&here), "{blocking:?}");
}

#[test]
fn a_plain_fn_that_holds_its_thread_too_long_is_named_in_a_warning() {
    let (_, events) = capture_all(|| block_on(Call::new("PlainWhere", Vec::new()).run()));
    assert!(slow_warnings(&events).is_empty(), "{events:?}");
    let (answer, events) = capture_all(|| block_on(Call::new("PlainSlow", Vec::new()).run()));
    assert!(
        matches!(answer, Answer::Ran(ref outcome) if outcome.is_ok()),
        "{answer:?}"
    );
    let warnings = slow_warnings(&events);
    assert_eq!(warnings.len(), 1, "{events:?}");
    assert_eq!(warnings[0].field("method"), Some("PlainSlow"));
}
