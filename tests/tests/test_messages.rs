//! Messages between sessions: post, dispatch, the background dispatcher.

mod export_support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sessions_core::{
    current_id, export_method, require, DispatchReport, Engine, ManualClock, SessionError,
    SessionId, Value,
};

/// What the `test_messages::record` method saw, kept as each session's state.
#[derive(Default)]
struct Received(Mutex<Vec<(u64, u64)>>);

/// Records one message in the current session, and whether it ran in the session it was
/// posted to.
#[export_method(name = "test_messages::record")]
fn record(target: SessionId, thread: u64, seq: u64) -> Result<(), SessionError> {
    let session = require()?;
    if session.id() != target {
        return Err(SessionError::Mismatch {
            current: session.id(),
            requested: target,
        });
    }
    let received = session.get::<Received>().ok_or(SessionError::NoContext)?;
    received.0.lock().expect("lock").push((thread, seq));
    Ok(())
}

/// Always fails, to be counted as failed.
#[export_method(name = "test_messages::fail", session = none)]
fn fail() -> Result<(), String> {
    Err("refused on purpose".to_owned())
}

/// Calls `dispatch` on the global engine from inside a dispatched message.
#[export_method(name = "test_messages::dispatch_again", session = none)]
fn dispatch_again() -> Result<(), String> {
    let inner = Engine::find("test_messages::reentrant")
        .ok_or("engine gone")?
        .dispatch();
    if inner == DispatchReport::default() {
        Ok(())
    } else {
        Err(format!("a nested dispatch did work: {inner:?}"))
    }
}

/// Pending until another thread wakes it, a millisecond later.
struct WokenLater(bool);

impl std::future::Future for WokenLater {
    type Output = ();

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        let waker = cx.waker().clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1));
            waker.wake();
        });
        std::task::Poll::Pending
    }
}

/// Waits, then records the message like `test_messages::record`, in the session it still
/// runs in after the await.
#[export_method(name = "test_messages::record_async")]
async fn record_async(target: SessionId, thread: u64, seq: u64) -> Result<(), SessionError> {
    WokenLater(false).await;
    record(target, thread, seq)
}

fn args(target: SessionId, thread: u64, seq: u64) -> Vec<Value> {
    vec![
        Value::from(target.to_string()),
        Value::from(thread),
        Value::from(seq),
    ]
}

#[test]
fn ten_thousand_posts_from_four_threads_are_delivered_once_in_order_in_their_session() {
    let engine = Engine::new();
    let sessions: Vec<_> = (0..50).map(|_| engine.open().expect("open")).collect();
    for session in &sessions {
        session.insert(Received::default());
    }
    let ids: Arc<Vec<SessionId>> = Arc::new(sessions.iter().map(|s| s.id()).collect());

    let posters: Vec<_> = (0..4u64)
        .map(|thread| {
            let (engine, ids) = (engine.clone(), ids.clone());
            std::thread::spawn(move || {
                for seq in 0..2_500u64 {
                    let target = ids[(seq as usize + thread as usize) % ids.len()];
                    engine
                        .post(target, "test_messages::record", args(target, thread, seq))
                        .expect("below capacity");
                }
            })
        })
        .collect();
    for poster in posters {
        poster.join().expect("poster");
    }

    let report = engine.dispatch();
    assert_eq!(
        (report.delivered, report.failed, report.undelivered),
        (10_000, 0, 0)
    );

    let mut seen = HashSet::new();
    for session in &sessions {
        let received = session.get::<Received>().expect("state");
        let received = received.0.lock().expect("lock");
        assert_eq!(received.len(), 200, "each session gets its share");
        let mut last_per_thread: HashMap<u64, u64> = HashMap::new();
        for &(thread, seq) in received.iter() {
            assert!(
                seen.insert((thread, seq)),
                "({thread}, {seq}) delivered twice"
            );
            if let Some(last) = last_per_thread.insert(thread, seq) {
                assert!(last < seq, "out of order: {seq} after {last}");
            }
        }
    }
    assert_eq!(seen.len(), 10_000, "every message delivered exactly once");
    assert_eq!(engine.dispatch().total(), 0, "nothing left over");
}

#[test]
fn posts_beyond_capacity_are_refused_not_dropped() {
    let engine = Engine::builder()
        .mailbox_capacity(3)
        .build()
        .expect("build");
    let session = engine.open().expect("open");
    session.insert(Received::default());
    let id = session.id();
    for seq in 0..3 {
        engine
            .post(id, "test_messages::record", args(id, 0, seq))
            .expect("fits");
    }
    assert_eq!(
        engine.post(id, "test_messages::record", args(id, 0, 3)),
        Err(SessionError::MailboxFull(id))
    );
    assert_eq!(engine.dispatch().delivered, 3);
    engine
        .post(id, "test_messages::record", args(id, 0, 3))
        .expect("room again after dispatch");
    assert_eq!(engine.dispatch().delivered, 1);
    let received = session.get::<Received>().expect("state");
    assert_eq!(
        *received.0.lock().expect("lock"),
        vec![(0, 0), (0, 1), (0, 2), (0, 3)]
    );
}

#[test]
fn posts_to_an_unknown_or_closed_session_are_refused() {
    let engine = Engine::new();
    let unknown = SessionId::random();
    assert_eq!(
        engine.post(unknown, "test_messages::record", vec![]),
        Err(SessionError::NotFound(unknown))
    );
    let session = engine.open().expect("open");
    engine.close(session.id()).expect("close");
    assert_eq!(
        engine.post(session.id(), "test_messages::record", vec![]),
        Err(SessionError::NotFound(session.id()))
    );
}

#[test]
fn messages_for_a_session_closed_before_dispatch_are_counted_as_undelivered() {
    let engine = Engine::new();
    let (kept, closed) = (engine.open().expect("open"), engine.open().expect("open"));
    kept.insert(Received::default());
    for seq in 0..5 {
        for target in [kept.id(), closed.id()] {
            engine
                .post(target, "test_messages::record", args(target, 0, seq))
                .expect("post");
        }
    }
    engine.close(closed.id()).expect("close");
    let report = engine.dispatch();
    assert_eq!(
        (report.delivered, report.failed, report.undelivered),
        (5, 0, 5)
    );
    assert_eq!(engine.dispatch().total(), 0, "counted once");
}

/// Drops of this value are observed through the flag.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn queued_messages_do_not_keep_a_closed_session_alive() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let dropped = Arc::new(AtomicBool::new(false));
    session.insert(DropFlag(dropped.clone()));
    let (id, weak) = (session.id(), session.downgrade());
    for seq in 0..10 {
        engine
            .post(id, "test_messages::record", args(id, 0, seq))
            .expect("post");
    }
    drop(session);
    engine.close(id).expect("close");
    assert!(weak.upgrade().is_none());
    assert!(
        dropped.load(Ordering::SeqCst),
        "the session's state was freed: nothing else held the session"
    );
    assert_eq!(engine.dispatch().undelivered, 10);
}

#[test]
fn failing_and_unknown_methods_are_counted_as_failed_and_logged() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    engine
        .post(session.id(), "test_messages::fail", vec![])
        .expect("post");
    engine
        .post(session.id(), "test_messages::no_such_method", vec![])
        .expect("post");
    let (report, events) = export_support::capture_all(|| engine.dispatch());
    assert_eq!(
        (report.delivered, report.failed, report.undelivered),
        (0, 2, 0)
    );
    let errors: Vec<_> = events
        .iter()
        .filter(|e| e.level == tracing::Level::ERROR)
        .collect();
    assert_eq!(
        errors.len(),
        2,
        "one error event per failed message: {events:#?}"
    );
    assert_eq!(errors[0].field("method"), Some("test_messages::fail"));
    assert!(
        errors[0]
            .field("error")
            .is_some_and(|e| e.contains("refused on purpose")),
        "{events:#?}"
    );
    assert_eq!(
        errors[1].field("method"),
        Some("test_messages::no_such_method")
    );
    let session_text = session.id().to_string();
    assert!(
        errors
            .iter()
            .all(|e| e.field("session") == Some(&session_text)),
        "each names the session: {events:#?}"
    );
}

#[test]
fn a_dispatched_method_that_dispatches_again_gets_an_empty_report() {
    let engine = Engine::builder()
        .name("test_messages::reentrant")
        .build()
        .expect("build");
    let session = engine.open().expect("open");
    engine
        .post(session.id(), "test_messages::dispatch_again", vec![])
        .expect("post");
    let report = engine.dispatch();
    assert_eq!((report.delivered, report.failed), (1, 0));
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn the_background_dispatcher_delivers_and_expires() {
    // Manual time: the session cannot expire while its messages wait for the dispatcher,
    // however late the machine runs it, and expires exactly when the clock says so.
    let clock = ManualClock::new();
    let engine = Engine::builder()
        .idle_timeout(Duration::from_millis(100))
        .clock(clock.clock())
        .build()
        .expect("build");
    let session = engine.open().expect("open");
    session.insert(Received::default());
    let dispatcher = engine.spawn_dispatcher(Duration::from_millis(5));
    let id = session.id();
    for seq in 0..20 {
        session.touch();
        engine
            .post(id, "test_messages::record", args(id, 7, seq))
            .expect("post");
    }
    wait_until("20 messages are delivered", || {
        dispatcher.totals().delivered == 20
    });
    let received = session.get::<Received>().expect("state");
    let seqs: Vec<u64> = received
        .0
        .lock()
        .expect("lock")
        .iter()
        .map(|m| m.1)
        .collect();
    assert_eq!(seqs, (0..20).collect::<Vec<_>>());

    // Idle for exactly the timeout: a whole round (begun after the advance) leaves it open.
    clock.advance(Duration::from_millis(100));
    let rounds = dispatcher.rounds();
    wait_until("a whole round ran at the timeout", || {
        dispatcher.rounds() >= rounds + 2
    });
    assert_eq!(dispatcher.expired(), 0);
    assert!(session.is_open());
    clock.advance(Duration::from_nanos(1));
    wait_until("the idle session expires", || dispatcher.expired() == 1);
    assert!(!session.is_open());
    assert_eq!(
        current_id(),
        None,
        "the dispatcher's context stays on its thread"
    );
    let totals = dispatcher.stop();
    assert_eq!((totals.delivered, totals.failed), (20, 0));
}

#[test]
fn the_dispatcher_ends_when_the_engine_is_dropped() {
    let engine = Engine::new();
    let dispatcher = engine.spawn_dispatcher(Duration::from_millis(1));
    wait_until("a round has run", || dispatcher.rounds() > 0);
    drop(engine);
    let rounds = dispatcher.rounds();
    // The thread ends by itself; once it has, no round can run, so the count is final.
    wait_until("the dispatcher thread ended", || dispatcher.is_finished());
    assert!(
        dispatcher.rounds() <= rounds + 1,
        "no rounds after the engine is gone"
    );
    drop(dispatcher);
}

#[test]
fn an_async_method_is_delivered_in_its_session_after_it_awaits() {
    let engine = Engine::new();
    let sessions: Vec<_> = (0..3).map(|_| engine.open().expect("open")).collect();
    for session in &sessions {
        session.insert(Received::default());
        let id = session.id();
        for seq in 0..3 {
            engine
                .post(id, "test_messages::record_async", args(id, 0, seq))
                .expect("post");
        }
    }
    let report = engine.dispatch();
    assert_eq!((report.delivered, report.failed), (9, 0), "{report:?}");
    for session in &sessions {
        let received = session.get::<Received>().expect("state");
        assert_eq!(
            *received.0.lock().expect("lock"),
            vec![(0, 0), (0, 1), (0, 2)]
        );
    }
    assert_eq!(current_id(), None);
}
