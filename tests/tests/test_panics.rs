//! Panics and poisoning: a panic in an exported method (called directly, through
//! `Session::call` or as a dispatched message, on this thread or the dispatcher's), in an
//! `on_open`/`on_close` hook or in a timer closure leaves the engine usable and the context
//! stack as it was, and is logged exactly once; no poisoned lock reaches a caller.
//!
//! Events are captured by one global subscriber (a `tracing_subscriber` registry with a
//! recording layer), since timers and the dispatcher log from their own threads; each test
//! counts only the events that carry its own marker, so tests can run in parallel.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::{mpsc, Mutex, Once, PoisonError};
use std::thread::sleep;
use std::time::{Duration, Instant};

use sessions_core::{
    current_id, export_method, methods, thread, timer, with_current, Engine, ManualClock, Session,
    SessionError, User, Value,
};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// Every event logged in this test binary, from any thread, as `name=value` text.
static EVENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Record;

struct Text<'a>(&'a mut String);

impl Visit for Text<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push_str(&format!(" {}={value:?}", field.name()));
    }
}

impl<S: Subscriber> Layer<S> for Record {
    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let mut text = format!("{} {}", event.metadata().level(), event.metadata().target());
        event.record(&mut Text(&mut text));
        EVENTS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(text);
    }
}

/// Installs the global subscriber, once, before anything in this binary logs.
fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(Record);
        tracing::subscriber::set_global_default(subscriber)
            .expect("the only global subscriber of this test binary");
    });
}

/// The events logged so far that contain `marker`.
fn logged(marker: &str) -> Vec<String> {
    EVENTS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .iter()
        .filter(|event| event.contains(marker))
        .cloned()
        .collect()
}

/// Waits (at most 10 s, polling) until `condition` holds: for something that must happen,
/// never to let time pass.
fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        sleep(Duration::from_millis(2));
    }
}

/// Panics with `message` after entering a context of its own, so unwinding has a guard
/// to restore.
#[export_method(name = "PanicsWith", session = impersonate)]
fn panics_with(message: String, #[out(sentinel = -1)] step: &mut i32) {
    *step = 1;
    let engine = Engine::new();
    let _root = engine.impersonate_root();
    panic!("{message}");
}

/// The id of the session the call runs in.
#[export_method(name = "PanicsWhoAmI")]
fn panics_who_am_i(session: &Session) -> Result<String, SessionError> {
    Ok(session.id().to_string())
}

/// The engine still opens, enters, logs in, counts, calls and closes.
fn assert_usable(engine: &Engine) {
    let before = current_id();
    let session = engine.open().expect("open");
    session.set_user(Some(User::new("after-a-panic")));
    let outcome = session.call("PanicsWhoAmI", vec![]).map(|o| o.value);
    assert_eq!(outcome, Ok(Value::from(session.id().to_string())));
    assert!(engine.active_count() >= 1);
    engine.close(session.id()).expect("close");
    assert_eq!(current_id(), before);
}

#[test]
fn a_panicking_exported_method_is_caught_logged_once_and_leaves_the_stack() {
    init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let marker = "panics-marker-method";
    {
        let _guard = session.enter().expect("enter");
        let outcome = methods()
            .call("PanicsWith", vec![Value::from(marker)])
            .expect("the method ran");
        assert_eq!(outcome.error, Some(format!("panicked: {marker}")));
        assert_eq!(outcome.out("step"), Some(&Value::from(-1)));
        assert_eq!(current_id(), Some(session.id()), "the stack is as it was");
    }
    assert_eq!(current_id(), None);
    let events = logged(marker);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(events[0].contains("PanicsWith") && events[0].contains(&session.id().to_string()));

    // Through `Session::call` too.
    let marker = "panics-marker-session-call";
    let outcome = session
        .call("PanicsWith", vec![Value::from(marker)])
        .expect("ran");
    assert!(outcome.error.is_some_and(|e| e.contains(marker)));
    assert_eq!(logged(marker).len(), 1);
    assert_eq!(current_id(), None);
    assert_usable(&engine);
}

#[test]
fn a_panicking_on_open_hook_leaves_the_session_open_and_is_logged_once() {
    init();
    let marker = "panics-marker-on-open";
    let engine = Engine::builder()
        .on_open(move |session| {
            assert_eq!(current_id(), Some(session.id()));
            panic!("{marker}");
        })
        .build()
        .expect("build");
    let other = Engine::new();
    let outer = other.open().expect("open");
    let _in_outer = outer.enter().expect("enter");

    let session = engine
        .open()
        .expect("a panicking hook does not fail the open");
    assert!(session.is_open());
    assert_eq!(engine.len(), 1);
    assert_eq!(current_id(), Some(outer.id()), "the stack is as it was");
    let events = logged(marker);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(events[0].contains("on_open") && events[0].contains(&session.id().to_string()));

    drop(_in_outer);
    assert_usable(&engine);
    assert_eq!(logged(marker).len(), 2, "one more open, one more event");
}

#[test]
fn a_panicking_on_close_hook_still_closes_and_is_logged_once() {
    init();
    let marker = "panics-marker-on-close";
    let engine = Engine::builder()
        .on_close(move |session| {
            assert_eq!(current_id(), Some(session.id()));
            panic!("{marker}");
        })
        .build()
        .expect("build");
    let session = engine.open().expect("open");
    session.set_user(Some(User::new("closing")));
    assert_eq!(engine.active_count(), 1);
    let _root = engine.impersonate_root();

    assert_eq!(engine.close(session.id()), Ok(()));
    assert!(!session.is_open());
    assert_eq!((engine.len(), engine.active_count()), (0, 0));
    assert_eq!(current_id(), Some(engine.root().id()));
    let events = logged(marker);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(events[0].contains("on_close"));
    drop(_root);
    let again = engine.open().expect("open");
    assert_eq!(engine.close(again.id()), Ok(()));
    assert_eq!(logged(marker).len(), 2);
}

#[test]
fn a_panicking_timer_closure_is_logged_once_and_the_timer_thread_goes_on() {
    init();
    // Manual time: each `advance` runs what falls due before it returns, so the counts
    // below are exact, with no wait for "nothing more happened".
    let clock = ManualClock::new();
    let engine = Engine::builder()
        .clock(clock.clock())
        .build()
        .expect("build");
    let session = engine.open().expect("open");
    let marker = "panics-marker-timer-once";
    let once = timer::after_in(&session, Duration::from_millis(1), move || {
        panic!("{marker}")
    })
    .expect("an open session");
    clock.advance(Duration::from_millis(1));
    let events = logged(marker);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(events[0].contains(&session.id().to_string()));
    drop(once);

    // An `every` timer keeps firing after its closure panicked, once per panic.
    let marker = "panics-marker-timer-every";
    let (tx, rx) = mpsc::channel();
    let every = timer::every_in(&session, Duration::from_millis(2), move || {
        let _ = tx.send(current_id());
        panic!("{marker}");
    })
    .expect("an open session");
    clock.advance(Duration::from_millis(6));
    for _ in 0..3 {
        let ran_in = rx.try_recv();
        assert_eq!(ran_in, Ok(Some(session.id())));
    }
    drop(every);
    clock.advance(Duration::from_millis(20));
    // Each run sends before it panics, so the runs are the sends: each logged exactly once.
    let runs = 3 + rx.try_iter().count();
    assert_eq!(runs, 3, "no run after the handle dropped");
    let events = logged(marker);
    assert_eq!(events.len(), runs, "{runs} runs");

    // The same clock still serves other timers.
    let (tx, rx) = mpsc::channel();
    let _later = timer::after_in(&session, Duration::from_millis(1), move || {
        let _ = tx.send(current_id());
    })
    .expect("open");
    clock.advance(Duration::from_millis(1));
    assert_eq!(rx.try_recv(), Ok(Some(session.id())));
    assert_eq!(current_id(), None);
    assert_usable(&engine);

    // And the system clock's timer thread goes on after a closure panicked on it.
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let marker = "panics-marker-timer-thread";
    let _panics = timer::after_in(&session, Duration::from_millis(1), move || {
        panic!("{marker}")
    })
    .expect("an open session");
    let (tx, rx) = mpsc::channel();
    let _later = timer::after_in(&session, Duration::from_millis(2), move || {
        let _ = tx.send(current_id());
    })
    .expect("open");
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(10)),
        Ok(Some(session.id()))
    );
    assert_eq!(logged(marker).len(), 1, "logged once");
    assert_usable(&engine);
}

#[test]
fn a_panicking_dispatched_message_is_counted_logged_once_and_dispatch_goes_on() {
    init();
    let engine = Engine::new();
    let (a, b) = (engine.open().expect("open"), engine.open().expect("open"));
    let marker = "panics-marker-dispatch";
    engine
        .post(a.id(), "PanicsWith", vec![Value::from(marker)])
        .expect("post");
    engine.post(a.id(), "PanicsWhoAmI", vec![]).expect("post");
    engine.post(b.id(), "PanicsWhoAmI", vec![]).expect("post");

    let other = Engine::new();
    let _root = other.impersonate_root();
    let report = engine.dispatch();
    assert_eq!(
        (report.delivered, report.failed, report.undelivered),
        (2, 1, 0)
    );
    assert_eq!(
        current_id(),
        Some(other.root().id()),
        "the stack is as it was"
    );
    let events = logged(marker);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(
        events[0].contains(&a.id().to_string()),
        "logged in its session"
    );
    drop(_root);

    // And on the background dispatcher's thread.
    let marker = "panics-marker-dispatcher-thread";
    let dispatcher = engine.spawn_dispatcher(Duration::from_millis(1));
    engine
        .post(b.id(), "PanicsWith", vec![Value::from(marker)])
        .expect("post");
    wait_until("the panicking message was handled", || {
        dispatcher.totals().failed >= 1
    });
    engine.post(b.id(), "PanicsWhoAmI", vec![]).expect("post");
    wait_until("the next message was delivered", || {
        dispatcher.totals().delivered >= 1
    });
    // Stopping joins the thread: whatever it logs is logged by now.
    let totals = dispatcher.stop();
    let events = logged(marker);
    assert_eq!(events.len(), 1, "{events:#?}");
    assert_eq!((totals.delivered, totals.failed), (1, 1));
    assert_usable(&engine);
}

#[test]
fn a_panic_inside_with_current_reaches_its_caller_with_the_stack_intact() {
    init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    let marker = "panics-marker-with-current";
    let caught = catch_unwind(AssertUnwindSafe(|| {
        let _root = engine.impersonate_root();
        with_current(|current| {
            assert!(current.is_some_and(Session::is_root));
            panic!("{marker}");
        })
    }));
    assert!(
        caught.is_err(),
        "with_current does not swallow the caller's panic"
    );
    assert_eq!(current_id(), Some(session.id()));
    assert_eq!(
        logged(marker).len(),
        0,
        "the caller's own panic is not logged"
    );
    drop(_guard);
    assert_usable(&engine);
}

#[test]
fn a_panicking_carried_thread_reports_it_and_leaves_the_session_usable() {
    init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let joined: Result<(), _> =
        thread::spawn_in(&session, || panic!("panics-marker-thread")).join();
    assert_eq!(
        joined,
        Err(thread::JoinError::Panicked("panics-marker-thread".into()))
    );
    assert!(session.is_open());
    assert_usable(&engine);
}

/// State whose destructor panics: the panic reaches whoever drops it, but the session's
/// locks are released before that, so nothing is poisoned.
struct PanicsOnDrop(&'static str);

impl Drop for PanicsOnDrop {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            panic!("{}", self.0);
        }
    }
}

#[test]
fn a_panic_from_dropped_state_poisons_nothing() {
    init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    session.insert(PanicsOnDrop("panics-marker-state-replaced"));
    session.insert(7u32);
    session.set_user(Some(User::new("someone")));

    // Replacing the value drops the old one after the state lock is released.
    let replaced = catch_unwind(AssertUnwindSafe(|| {
        drop(session.insert(PanicsOnDrop("panics-marker-state-second")));
    }));
    assert!(replaced.is_err(), "the old value's destructor panicked");
    assert_eq!(session.get::<u32>().as_deref(), Some(&7));
    let removed = catch_unwind(AssertUnwindSafe(|| drop(session.remove::<PanicsOnDrop>())));
    assert!(removed.is_err());
    assert!(session.get::<PanicsOnDrop>().is_none());
    assert_eq!(
        session.user().map(|u| u.name().to_owned()),
        Some("someone".into())
    );
    session.set_user(None);
    assert_eq!(engine.active_count(), 0);
    assert_usable(&engine);
    engine.close(session.id()).expect("close");
}

/// A parameter type whose conversion panics on an integer from 13 up: a user's bug,
/// outside the function body, so outside the panic catch of the generated wrapper. The
/// message names the value, so each test looks for its own.
struct Picky;

impl sessions_core::FromValue for Picky {
    fn from_value(value: Value) -> Result<Picky, sessions_core::ValueError> {
        match value.as_i64() {
            Some(n) if n >= 13 => panic!("panics-marker-conversion-{n}"),
            _ => Ok(Picky),
        }
    }
}

/// Takes a `Picky`.
#[export_method(name = "PanicsPicky", session = none)]
fn panics_picky(_picky: Picky) {}

#[test]
fn a_message_whose_conversion_panics_loses_no_other_message() {
    init();
    let engine = Engine::new();
    let (a, b) = (engine.open().expect("open"), engine.open().expect("open"));
    engine
        .post(a.id(), "PanicsPicky", vec![Value::from(13)])
        .expect("post");
    engine.post(a.id(), "PanicsWhoAmI", vec![]).expect("post");
    engine.post(b.id(), "PanicsWhoAmI", vec![]).expect("post");

    let report = catch_unwind(AssertUnwindSafe(|| engine.dispatch()))
        .expect("a panicking message does not unwind out of dispatch");
    assert_eq!(
        (report.delivered, report.failed, report.undelivered),
        (2, 1, 0)
    );
    let events = logged("panics-marker-conversion-13");
    assert_eq!(events.len(), 1, "{events:#?}");
    assert!(events[0].contains("PanicsPicky") && events[0].contains(&a.id().to_string()));
    assert_eq!(current_id(), None);

    // Both mailboxes still work.
    engine.post(a.id(), "PanicsWhoAmI", vec![]).expect("post");
    engine.post(b.id(), "PanicsWhoAmI", vec![]).expect("post");
    assert_eq!(engine.dispatch().delivered, 2);
}

/// A return type whose conversion to a `Value` panics: a user's bug, run by the trampoline
/// after the function returned.
struct Loud;

impl sessions_core::IntoValue for Loud {
    fn into_value(self) -> Value {
        panic!("panics-marker-into-value")
    }
}

/// Returns a `Loud`.
#[export_method(name = "PanicsLoud", session = none)]
fn panics_loud() -> Loud {
    Loud
}

/// Takes a `Picky`, asynchronously.
#[export_method(name = "PanicsPickyAsync", session = none)]
async fn panics_picky_async(_picky: Picky) {}

/// Polls a future to completion on this thread (the methods here never wait).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
            return output;
        }
    }
}

#[test]
fn a_panic_in_a_user_types_conversion_is_an_outcome_not_an_unwind() {
    init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    let cases: [(&str, Vec<Value>, &str); 2] = [
        (
            "PanicsPicky",
            vec![Value::from(14)],
            "panics-marker-conversion-14",
        ),
        ("PanicsLoud", vec![], "panics-marker-into-value"),
    ];
    for (method, args, marker) in cases {
        let before = logged(marker).len();
        let outcome = catch_unwind(AssertUnwindSafe(|| methods().call(method, args)))
            .expect("the panic does not reach the host")
            .expect("the call was made");
        let error = outcome.error.expect("the outcome reports the panic");
        assert!(
            error.starts_with("panicked: ") && error.contains(marker),
            "{error}"
        );
        assert_eq!(logged(marker).len(), before + 1, "logged once");
        assert_eq!(current_id(), Some(session.id()), "the context is intact");
    }
}

#[test]
fn a_panic_in_an_async_calls_conversion_is_an_outcome_not_an_unwind() {
    init();
    let marker = "panics-marker-conversion-15";
    let before = logged(marker).len();
    let call = catch_unwind(AssertUnwindSafe(|| {
        methods().call_async("PanicsPickyAsync", vec![Value::from(15)])
    }))
    .expect("making the call does not unwind");
    let outcome = block_on(call).expect("the call was made");
    assert!(
        outcome.error.as_deref().is_some_and(|e| e.contains(marker)),
        "{outcome:?}"
    );
    assert_eq!(logged(marker).len(), before + 1, "logged once");
    let fine = block_on(methods().call_async("PanicsPickyAsync", vec![Value::from(1)]))
        .expect("the call was made");
    assert_eq!(fine.error, None);
}
