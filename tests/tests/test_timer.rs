//! Timers run in their session, stop when it closes or their handle drops, and survive a
//! panicking closure.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use sessions_core::timer::{self, TimerHandle};
use sessions_core::{current, current_id, Engine, ManualClock, SessionError};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

const TICK: Duration = Duration::from_millis(5);
const PATIENCE: Duration = Duration::from_secs(5);

fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Counts how often it is dropped (the closure that captured it is dropped with it).
struct DropCount(Arc<AtomicUsize>);

impl Drop for DropCount {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

fn counter() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

#[test]
fn after_fires_once_in_its_session() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    let (tx, rx) = mpsc::channel();
    let once = timer::after(TICK, move || {
        tx.send(current_id()).expect("receiver alive");
    })
    .expect("timer");
    assert_eq!(once.session_id(), session.id());
    assert_eq!(rx.recv_timeout(PATIENCE), Ok(Some(session.id())));
    // The sender was dropped with the closure after its one run.
    assert_eq!(
        rx.recv_timeout(PATIENCE),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );
    assert!(!once.is_active());
}

#[test]
fn timers_need_an_open_session() {
    assert_eq!(
        timer::after(TICK, || {}).err(),
        Some(SessionError::NoContext)
    );
    assert_eq!(
        timer::every(TICK, || {}).err(),
        Some(SessionError::NoContext)
    );
    let engine = Engine::new();
    let session = engine.open().expect("open");
    engine.close(session.id()).expect("close");
    assert_eq!(
        timer::every_in(&session, TICK, || {}).err(),
        Some(SessionError::NotFound(session.id()))
    );
    assert_eq!(
        timer::after_in(&session, TICK, || {}).err(),
        Some(SessionError::NotFound(session.id()))
    );
}

#[test]
fn every_fires_repeatedly_and_only_in_its_own_session() {
    let engine = Engine::new();
    let sessions = [engine.open().expect("open"), engine.open().expect("open")];
    let wrong = counter();
    let fired = [counter(), counter()];
    let handles: Vec<TimerHandle> = sessions
        .iter()
        .zip(&fired)
        .map(|(session, fired)| {
            let (id, fired, wrong) = (session.id(), Arc::clone(fired), Arc::clone(&wrong));
            let _guard = session.enter().expect("enter");
            timer::every(TICK, move || {
                if current_id() != Some(id) || current().map(|s| s.id()) != Some(id) {
                    wrong.fetch_add(1, Ordering::SeqCst);
                }
                fired.fetch_add(1, Ordering::SeqCst);
            })
            .expect("timer")
        })
        .collect();
    wait_until("both timers fired 10 times", || {
        fired.iter().all(|n| n.load(Ordering::SeqCst) >= 10)
    });
    assert!(handles.iter().all(TimerHandle::is_active));
    assert_eq!(wrong.load(Ordering::SeqCst), 0);
    // Nothing leaked into this thread either.
    assert_eq!(current_id(), None);
}

#[test]
fn dropping_the_handle_cancels_and_drops_the_closure() {
    // Manual time: "it does not fire again" is checked after ten more intervals have
    // passed for certain, not after a wait that a busy machine may cut short.
    let clock = ManualClock::new();
    let engine = Engine::builder()
        .clock(clock.clock())
        .build()
        .expect("build");
    let session = engine.open().expect("open");
    let (fired, drops) = (counter(), counter());
    let handle = {
        let (fired, guard) = (Arc::clone(&fired), DropCount(Arc::clone(&drops)));
        timer::every_in(&session, TICK, move || {
            let _keep = &guard;
            fired.fetch_add(1, Ordering::SeqCst);
        })
        .expect("timer")
    };
    clock.advance(TICK * 2);
    assert!(fired.load(Ordering::SeqCst) >= 2, "it fired");
    drop(handle);
    assert_eq!(drops.load(Ordering::SeqCst), 1, "the closure was dropped");
    let after_drop = fired.load(Ordering::SeqCst);
    clock.advance(TICK * 10);
    assert_eq!(fired.load(Ordering::SeqCst), after_drop);
}

#[test]
fn a_timer_stops_when_its_session_closes_and_keeps_nothing_alive() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let weak = session.downgrade();
    let (fired, drops) = (counter(), counter());
    let handle = {
        let (fired, guard) = (Arc::clone(&fired), DropCount(Arc::clone(&drops)));
        let _enter = session.enter().expect("enter");
        timer::every(TICK, move || {
            let _keep = &guard;
            fired.fetch_add(1, Ordering::SeqCst);
        })
        .expect("timer")
    };
    wait_until("it fired", || fired.load(Ordering::SeqCst) >= 2);
    engine.close(session.id()).expect("close");
    let at_close = fired.load(Ordering::SeqCst);
    assert!(weak.upgrade().is_none(), "the timer keeps nothing alive");
    assert!(!handle.is_active());
    wait_until("the closure was dropped", || {
        drops.load(Ordering::SeqCst) == 1
    });
    // At most the run that was under way when the session closed.
    assert!(fired.load(Ordering::SeqCst) <= at_close + 1);
    drop(handle);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
}

#[test]
fn an_after_timer_whose_session_closed_does_not_run() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let (fired, drops) = (counter(), counter());
    let handle = {
        let (fired, guard) = (Arc::clone(&fired), DropCount(Arc::clone(&drops)));
        timer::after_in(&session, TICK * 4, move || {
            let _keep = guard;
            fired.fetch_add(1, Ordering::SeqCst);
        })
        .expect("timer")
    };
    handle.detach();
    engine.close(session.id()).expect("close");
    wait_until("the closure was dropped", || {
        drops.load(Ordering::SeqCst) == 1
    });
    assert_eq!(fired.load(Ordering::SeqCst), 0);
}

#[test]
fn a_timer_may_drop_its_own_handle_from_its_closure() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let (fired, drops, cancelled_at) = (counter(), counter(), counter());
    let slot: Arc<Mutex<Option<TimerHandle>>> = Arc::new(Mutex::new(None));
    let handle = {
        let (fired, guard, slot, cancelled_at) = (
            Arc::clone(&fired),
            DropCount(Arc::clone(&drops)),
            Arc::clone(&slot),
            Arc::clone(&cancelled_at),
        );
        timer::every_in(&session, TICK, move || {
            let _keep = &guard;
            let run = fired.fetch_add(1, Ordering::SeqCst) + 1;
            if run >= 3 {
                let own = slot.lock().expect("lock").take();
                if own.is_some() {
                    cancelled_at.store(run, Ordering::SeqCst);
                }
                drop(own); // cancels this very timer while it runs
            }
        })
        .expect("timer")
    };
    *slot.lock().expect("lock") = Some(handle);
    wait_until("the closure was dropped", || {
        drops.load(Ordering::SeqCst) == 1
    });
    let cancelled_at = cancelled_at.load(Ordering::SeqCst);
    assert!(cancelled_at >= 3);
    assert_eq!(fired.load(Ordering::SeqCst), cancelled_at);

    // The timer thread is still serving.
    let (tx, rx) = mpsc::channel();
    let _next =
        timer::after_in(&session, TICK, move || tx.send(()).expect("receiver")).expect("timer");
    assert_eq!(rx.recv_timeout(PATIENCE), Ok(()));
}

/// One `tracing` event: its fields (and its level) rendered to text.
type Event = Vec<(String, String)>;

/// Every `tracing` event.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<Event>>>);

struct Fields<'a>(&'a mut Vec<(String, String)>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Captured {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let mut fields = vec![("level".to_owned(), event.metadata().level().to_string())];
        event.record(&mut Fields(&mut fields));
        self.0.lock().expect("lock").push(fields);
    }
}

/// The timer thread logs on its own thread: only a global subscriber sees it.
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(captured.clone());
        tracing::subscriber::set_global_default(subscriber).expect("only subscriber");
        captured
    })
}

#[test]
fn a_panicking_closure_is_logged_and_the_timers_go_on() {
    let captured = captured();
    let engine = Engine::new();
    let (bad, good) = (engine.open().expect("open"), engine.open().expect("open"));
    let (panics, fired) = (counter(), counter());
    let _bad = {
        let panics = Arc::clone(&panics);
        timer::every_in(&bad, TICK, move || {
            panics.fetch_add(1, Ordering::SeqCst);
            panic!("timer boom");
        })
        .expect("timer")
    };
    let _good = {
        let fired = Arc::clone(&fired);
        timer::every_in(&good, TICK, move || {
            fired.fetch_add(1, Ordering::SeqCst);
        })
        .expect("timer")
    };
    wait_until("the panicking timer fired 3 times", || {
        panics.load(Ordering::SeqCst) >= 3
    });
    let good_then = fired.load(Ordering::SeqCst);
    wait_until("the other timer fired 3 more times", || {
        fired.load(Ordering::SeqCst) >= good_then + 3
    });

    let bad_id = bad.id().to_string();
    let events = captured.0.lock().expect("lock").clone();
    let logged: Vec<_> = events
        .iter()
        .filter(|fields| fields.iter().any(|(k, v)| k == "session" && *v == bad_id))
        .collect();
    assert!(logged.len() >= 3, "one event per panic: {logged:?}");
    let event = logged[0];
    let field = |name: &str| {
        event
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    assert_eq!(field("level"), Some("ERROR"));
    let message = field("message").expect("a message");
    assert!(message.contains("timer boom"), "{message}");
    assert!(message.contains(&bad_id), "{message}");
}
