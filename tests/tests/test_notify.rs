//! `Session::notify`: notifications for a session's client, in order, in a bounded outbox
//! that refuses when full, kept until a client takes them, and counted and logged when the
//! session closes with some left. Xojo's push: a method posted to another user's session
//! notifies that user's client.

mod export_support;

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

use export_support::{block_on, capture_all};
use serde::Serialize;
use sessions_core::{export_method, Engine, Session, SessionError, Value};

#[derive(Serialize)]
struct Notice {
    from: String,
    text: String,
}

#[test]
fn notifications_keep_their_order_and_their_payloads() {
    let engine = Engine::new();
    let tab = engine.open().expect("open");
    for n in 0..5 {
        tab.notify("tick", n).expect("queued");
    }
    let notice = Notice {
        from: "ada".to_owned(),
        text: "hot".to_owned(),
    };
    tab.notify("notice", &notice).expect("queued");
    let taken = tab.take_notifications();
    let topics: Vec<&str> = taken.iter().map(|n| n.topic.as_str()).collect();
    assert_eq!(topics, ["tick", "tick", "tick", "tick", "tick", "notice"]);
    let ticks: Vec<Value> = taken[..5].iter().map(|n| n.payload.clone()).collect();
    assert_eq!(ticks, (0..5).map(Value::Int).collect::<Vec<_>>());
    assert_eq!(
        taken[5].payload.to_json_string(),
        r#"{"from":"ada","text":"hot"}"#
    );
    assert!(tab.take_notifications().is_empty(), "taken once");
}

#[test]
fn a_full_outbox_refuses_and_drops_nothing() {
    let engine = Engine::builder()
        .outbox_capacity(3)
        .build()
        .expect("engine");
    let tab = engine.open().expect("open");
    for n in 0..3 {
        tab.notify("n", n).expect("room");
    }
    assert_eq!(tab.notify("n", 3), Err(SessionError::OutboxFull(tab.id())));
    let kept: Vec<Value> = tab
        .take_notifications()
        .into_iter()
        .map(|n| n.payload)
        .collect();
    assert_eq!(kept, [Value::Int(0), Value::Int(1), Value::Int(2)]);
    tab.notify("n", 4).expect("room again");
}

#[test]
fn a_waiting_client_gets_each_notification_and_hears_the_close() {
    let engine = Engine::new();
    let tab = engine.open().expect("open");
    let (sent, received) = mpsc::channel();
    let client = {
        let tab = tab.clone();
        std::thread::spawn(move || {
            block_on(async {
                // Takes 20, in order, then waits for one more, which the close answers.
                for _ in 0..20 {
                    let next = tab.next_notification().await;
                    let _ = sent.send(next.map(|notification| notification.payload));
                }
                let _ = sent.send(tab.next_notification().await.map(|n| n.payload));
            })
        })
    };
    for n in 0..20 {
        tab.notify("n", n).expect("queued");
    }
    let wait = Duration::from_secs(10);
    let got: Vec<Option<Value>> = (0..20)
        .map(|_| {
            received
                .recv_timeout(wait)
                .expect("the client took it in time")
        })
        .collect();
    assert_eq!(
        got,
        (0..20).map(|n| Some(Value::Int(n))).collect::<Vec<_>>()
    );
    engine.close(tab.id()).expect("closed");
    assert_eq!(
        received.recv_timeout(wait),
        Ok(None),
        "the waiting client hears the close"
    );
    client.join().expect("the client thread");
}

#[test]
fn notifications_left_at_close_are_counted_and_logged() {
    let engine = Engine::new();
    let tab = engine.open().expect("open");
    tab.notify("a", 1).expect("queued");
    tab.notify("b", 2).expect("queued");
    let (closed, events) = capture_all(|| engine.close(tab.id()));
    closed.expect("closed");
    assert_eq!(engine.undelivered_notifications(), 2);
    let warned: Vec<_> = events
        .iter()
        .filter(|event| event.field("notifications") == Some("2"))
        .collect();
    assert_eq!(warned.len(), 1, "{events:#?}");
    assert_eq!(tab.notify("c", 3), Err(SessionError::NotFound(tab.id())));
    assert_eq!(block_on(tab.next_notification()), None, "closed and empty");
}

#[test]
fn a_payload_that_cannot_be_written_is_an_error_not_a_null() {
    let engine = Engine::new();
    let tab = engine.open().expect("open");
    let bad: BTreeMap<(i32, i32), i32> = BTreeMap::from([((1, 2), 3)]);
    let error = tab.notify("bad", &bad).expect_err("refused");
    assert!(
        matches!(error, SessionError::InvalidPayload { ref topic, .. } if topic == "bad"),
        "{error}"
    );
    assert!(tab.take_notifications().is_empty());
}

/// Xojo's push: a method run in `user`'s session (by `post` and `dispatch`) notifies it.
#[export_method(name = "NotifyPush")]
fn notify_push(session: &Session, text: String) -> Result<(), SessionError> {
    session.notify("notice", text)
}

#[test]
fn a_posted_method_notifies_the_target_sessions_client() {
    let engine = Engine::new();
    let bob = engine.open().expect("open");
    let other = engine.open().expect("open");
    engine
        .post(bob.id(), "NotifyPush", vec![Value::from("hi bob")])
        .expect("posted");
    let report = engine.dispatch();
    assert_eq!(report.delivered, 1);
    let got = bob.take_notifications();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].payload, Value::from("hi bob"));
    assert!(other.take_notifications().is_empty());
}
