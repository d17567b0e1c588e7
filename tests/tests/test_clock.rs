//! Time that tests control: an engine on a `ManualClock` dates its sessions, expires them
//! and runs their timers by that clock alone, so what happens at a given time, and what does
//! not, is exact.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sessions_core::{current_id, timer, Clock, Engine, ManualClock, SessionId};

const INTERVAL: Duration = Duration::from_millis(10);

/// When each run of a timer happened (from the start) and in which session.
type Runs = Arc<Mutex<Vec<(Duration, Option<SessionId>)>>>;

fn engine_on(clock: &ManualClock, idle_timeout: Duration) -> Engine {
    Engine::builder()
        .idle_timeout(idle_timeout)
        .clock(clock.clock())
        .build()
        .expect("build")
}

#[test]
fn a_session_expires_after_exactly_its_idle_timeout() {
    let clock = ManualClock::new();
    let engine = engine_on(&clock, Duration::from_secs(60));
    let session = engine.open().expect("open");
    clock.advance(Duration::from_secs(60));
    assert_eq!(session.idle_for(), Duration::from_secs(60));
    assert_eq!(engine.expire_idle(), 0, "idle for the timeout, not past it");
    assert!(session.is_open());
    clock.advance(Duration::from_nanos(1));
    assert_eq!(engine.expire_idle(), 1);
    assert!(!session.is_open());
    assert_eq!(engine.len(), 0);
}

#[test]
fn touch_and_calls_restart_the_idle_time_on_the_clock() {
    let clock = ManualClock::new();
    let engine = engine_on(&clock, Duration::from_secs(10));
    let session = engine.open().expect("open");
    let opened = session.created();
    assert_eq!(opened, clock.now());
    clock.advance(Duration::from_secs(8));
    session.touch();
    assert_eq!(session.last_active(), opened + Duration::from_secs(8));
    assert_eq!(session.idle_for(), Duration::ZERO);
    clock.advance(Duration::from_secs(8));
    assert_eq!(engine.expire_idle(), 0, "touched 8 s ago, timeout 10 s");
    clock.advance(Duration::from_secs(3));
    assert_eq!(engine.expire_idle(), 1);
}

#[test]
fn a_manual_clock_stands_still_until_advanced() {
    let clock = ManualClock::new();
    let start = clock.now();
    std::thread::yield_now();
    assert_eq!(clock.now(), start, "real time does not move it");
    clock.advance(Duration::from_millis(1500));
    assert_eq!(clock.now(), start + Duration::from_millis(1500));
    assert_eq!(clock.elapsed(), Duration::from_millis(1500));
    assert_eq!(
        clock.clock().now(),
        clock.now(),
        "its Clock reads the same time"
    );
    assert!(clock.clock().is_manual());
    assert!(!Clock::system().is_manual());
    assert!(
        Clock::system().now() >= start,
        "the system clock is real time"
    );
}

#[test]
fn an_every_timer_runs_once_per_interval_in_its_session_at_its_due_times() {
    let clock = ManualClock::new();
    let engine = engine_on(&clock, Duration::from_secs(60));
    let session = engine.open().expect("open");
    let start = clock.now();
    let runs: Runs = Arc::default();
    let handle = {
        let (runs, clock) = (Arc::clone(&runs), clock.clone());
        timer::every_in(&session, INTERVAL, move || {
            let at = clock.now() - start;
            runs.lock().expect("lock").push((at, current_id()));
        })
        .expect("timer")
    };
    clock.advance(INTERVAL * 3 + INTERVAL / 2);
    let id = Some(session.id());
    assert_eq!(
        *runs.lock().expect("lock"),
        [(INTERVAL, id), (INTERVAL * 2, id), (INTERVAL * 3, id)],
        "once per interval, each with the clock at its due time, in its session"
    );
    assert_eq!(clock.elapsed(), INTERVAL * 3 + INTERVAL / 2);
    assert_eq!(
        current_id(),
        None,
        "nothing leaked into the advancing thread"
    );
    drop(handle);
    clock.advance(INTERVAL * 10);
    assert_eq!(
        runs.lock().expect("lock").len(),
        3,
        "cancelled: no more runs"
    );
}

#[test]
fn an_after_timer_runs_at_its_delay_and_not_a_nanosecond_before() {
    let clock = ManualClock::new();
    let engine = engine_on(&clock, Duration::from_secs(60));
    let session = engine.open().expect("open");
    let fired = Arc::new(AtomicUsize::new(0));
    let handle = {
        let fired = Arc::clone(&fired);
        timer::after_in(&session, INTERVAL, move || {
            fired.fetch_add(1, Ordering::SeqCst);
        })
        .expect("timer")
    };
    clock.advance(INTERVAL - Duration::from_nanos(1));
    assert_eq!(fired.load(Ordering::SeqCst), 0);
    assert!(handle.is_active());
    clock.advance(Duration::from_nanos(1));
    assert_eq!(fired.load(Ordering::SeqCst), 1);
    assert!(!handle.is_active());
    clock.advance(INTERVAL * 10);
    assert_eq!(fired.load(Ordering::SeqCst), 1, "once");
}

#[test]
fn a_closed_sessions_timer_stops_and_drops_its_closure() {
    let clock = ManualClock::new();
    let engine = engine_on(&clock, Duration::from_secs(60));
    let session = engine.open().expect("open");
    let fired = Arc::new(AtomicUsize::new(0));
    let kept = Arc::new(());
    let handle = {
        let (fired, kept) = (Arc::clone(&fired), Arc::clone(&kept));
        timer::every_in(&session, INTERVAL, move || {
            let _kept = &kept;
            fired.fetch_add(1, Ordering::SeqCst);
        })
        .expect("timer")
    };
    clock.advance(INTERVAL * 2);
    assert_eq!(fired.load(Ordering::SeqCst), 2);
    engine.close(session.id()).expect("close");
    assert!(!handle.is_active());
    clock.advance(INTERVAL * 5);
    assert_eq!(fired.load(Ordering::SeqCst), 2, "no run after the close");
    assert_eq!(Arc::strong_count(&kept), 1, "the closure was dropped");
    // A closed session takes no new timer.
    assert!(timer::after_in(&session, INTERVAL, || {}).is_err());
}

#[test]
fn timers_in_several_sessions_and_engines_on_one_clock_run_in_due_order() {
    let clock = ManualClock::new();
    let (first, second) = (
        engine_on(&clock, Duration::from_secs(60)),
        engine_on(&clock, Duration::from_secs(60)),
    );
    let (a, b) = (first.open().expect("open"), second.open().expect("open"));
    let order: Arc<Mutex<Vec<&'static str>>> = Arc::default();
    let push = |label: &'static str| {
        let order = Arc::clone(&order);
        move || order.lock().expect("lock").push(label)
    };
    let _late = timer::after_in(&a, INTERVAL * 3, push("a at 3")).expect("timer");
    let _early = timer::after_in(&b, INTERVAL, push("b at 1")).expect("timer");
    let _middle = timer::after_in(&a, INTERVAL * 2, push("a at 2")).expect("timer");
    clock.advance(INTERVAL * 3);
    assert_eq!(*order.lock().expect("lock"), ["b at 1", "a at 2", "a at 3"]);
}

#[test]
fn a_timer_may_start_another_from_its_closure() {
    let clock = ManualClock::new();
    let engine = engine_on(&clock, Duration::from_secs(60));
    let session = engine.open().expect("open");
    let fired = Arc::new(AtomicUsize::new(0));
    let inner: Arc<Mutex<Option<timer::TimerHandle>>> = Arc::default();
    let _outer = {
        let (fired, inner) = (Arc::clone(&fired), Arc::clone(&inner));
        timer::after_in(&session, INTERVAL, move || {
            let fired = Arc::clone(&fired);
            // In the session: `after` finds it current.
            let next = timer::after(INTERVAL, move || {
                fired.fetch_add(1, Ordering::SeqCst);
            })
            .expect("the session is current in a timer");
            *inner.lock().expect("lock") = Some(next);
        })
        .expect("timer")
    };
    clock.advance(INTERVAL);
    assert_eq!(fired.load(Ordering::SeqCst), 0);
    assert!(inner.lock().expect("lock").is_some());
    clock.advance(INTERVAL);
    assert_eq!(
        fired.load(Ordering::SeqCst),
        1,
        "the timer it started ran on time"
    );
}

#[test]
fn advancing_from_two_threads_takes_turns() {
    let clock = ManualClock::new();
    let engine = engine_on(&clock, Duration::from_secs(60));
    let session = engine.open().expect("open");
    let fired = Arc::new(AtomicUsize::new(0));
    let _every = {
        let fired = Arc::clone(&fired);
        timer::every_in(&session, Duration::from_millis(1), move || {
            fired.fetch_add(1, Ordering::SeqCst);
        })
        .expect("timer")
    };
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let clock = clock.clone();
            std::thread::spawn(move || {
                for _ in 0..50 {
                    clock.advance(Duration::from_millis(1));
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("no panic");
    }
    assert_eq!(clock.elapsed(), Duration::from_millis(100));
    assert_eq!(fired.load(Ordering::SeqCst), 100, "each millisecond once");
}

#[test]
fn an_every_timer_below_the_minimum_interval_runs_at_the_minimum() {
    let clock = ManualClock::new();
    let engine = engine_on(&clock, Duration::from_secs(60));
    let session = engine.open().expect("open");
    let fired = Arc::new(AtomicUsize::new(0));
    let _zero = {
        let fired = Arc::clone(&fired);
        timer::every_in(&session, Duration::ZERO, move || {
            fired.fetch_add(1, Ordering::SeqCst);
        })
        .expect("a zero interval is raised, not refused")
    };
    clock.advance(timer::MIN_INTERVAL - Duration::from_nanos(1));
    assert_eq!(fired.load(Ordering::SeqCst), 0, "not before the minimum");
    clock.advance(Duration::from_nanos(1) + timer::MIN_INTERVAL * 2);
    assert_eq!(fired.load(Ordering::SeqCst), 3, "once per minimum interval");
}

#[test]
fn a_timer_may_advance_its_own_clock() {
    // Run on a thread of its own, so that a hang (an advance waiting for itself) fails the
    // test instead of stalling it.
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let clock = ManualClock::new();
        let engine = engine_on(&clock, Duration::from_secs(60));
        let session = engine.open().expect("open");
        let start = clock.now();
        let runs: Arc<Mutex<Vec<(&'static str, Duration)>>> = Arc::default();
        let record = |label: &'static str| {
            let (runs, clock) = (Arc::clone(&runs), clock.clone());
            move || {
                runs.lock()
                    .expect("lock")
                    .push((label, clock.now() - start))
            }
        };
        let _later = timer::after_in(&session, INTERVAL * 3, record("later")).expect("timer");
        let _outer = {
            let (clock, record, inner) = (clock.clone(), record("outer"), record("inner"));
            timer::after_in(&session, INTERVAL, move || {
                record();
                // Runs the timer due at 3 before it returns, and leaves the clock at 5.
                clock.advance(INTERVAL * 4);
                inner();
            })
            .expect("timer")
        };
        clock.advance(INTERVAL * 2);
        let runs = runs.lock().expect("lock").clone();
        let _ = done.send((clock.elapsed(), runs));
    });
    let (elapsed, runs) = finished
        .recv_timeout(Duration::from_secs(10))
        .expect("the advance from inside a timer returned");
    assert_eq!(
        runs,
        [
            ("outer", INTERVAL),
            ("later", INTERVAL * 3),
            ("inner", INTERVAL * 5)
        ]
    );
    assert_eq!(elapsed, INTERVAL * 5, "the later of the two advances");
}

#[test]
fn a_dropped_manual_clock_drops_the_closures_of_its_queued_timers() {
    let clock = ManualClock::new();
    let engine = engine_on(&clock, Duration::from_secs(60));
    let session = engine.open().expect("open");
    let kept = Arc::new(());
    {
        let kept = Arc::clone(&kept);
        timer::every_in(&session, INTERVAL, move || {
            let _kept = &kept;
        })
        .expect("timer")
        .detach();
    }
    clock.advance(INTERVAL * 2);
    assert_eq!(Arc::strong_count(&kept), 2, "queued, with its closure");
    drop((session, engine, clock));
    assert_eq!(
        Arc::strong_count(&kept),
        1,
        "freed with the clock, not leaked"
    );
}

#[test]
fn a_manual_clock_moves_nothing_of_an_engine_on_the_system_clock() {
    let clock = ManualClock::new();
    let engine = Engine::builder()
        .idle_timeout(Duration::from_secs(60 * 60))
        .build()
        .expect("build");
    let session = engine.open().expect("open");
    let fired = Arc::new(AtomicUsize::new(0));
    let _timer = {
        let fired = Arc::clone(&fired);
        timer::after_in(&session, Duration::from_secs(60 * 60), move || {
            fired.fetch_add(1, Ordering::SeqCst);
        })
        .expect("timer")
    };
    clock.advance(Duration::from_secs(2 * 60 * 60));
    assert_eq!(engine.expire_idle(), 0);
    assert!(session.is_open());
    assert!(session.idle_for() < Duration::from_secs(60 * 60));
    assert_eq!(fired.load(Ordering::SeqCst), 0, "its timers keep real time");
}

#[test]
fn advancing_past_the_maximum_stops_there_without_a_panic() {
    let clock = ManualClock::new();
    let engine = engine_on(&clock, Duration::from_secs(60));
    let session = engine.open().expect("open");
    let start = clock.now();
    let fired = Arc::new(AtomicUsize::new(0));
    let _once = {
        let fired = Arc::clone(&fired);
        timer::after_in(&session, Duration::MAX, move || {
            fired.fetch_add(1, Ordering::SeqCst);
        })
        .expect("a delay too long is clamped, not refused")
    };
    clock.advance(Duration::MAX);
    assert_eq!(clock.elapsed(), ManualClock::MAX_ELAPSED);
    assert_eq!(clock.now(), start + ManualClock::MAX_ELAPSED);
    clock.advance(Duration::MAX);
    assert_eq!(clock.elapsed(), ManualClock::MAX_ELAPSED, "it stays there");
    assert_eq!(fired.load(Ordering::SeqCst), 1, "clamped delays fall due");
    assert_eq!(session.idle_for(), ManualClock::MAX_ELAPSED);
    assert_eq!(engine.expire_idle(), 1);
}
