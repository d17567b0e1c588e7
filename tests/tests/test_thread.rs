//! `thread::spawn` carries the caller's session; `std::thread::spawn` does not; a closed
//! session is not run in and not kept alive.

use std::sync::{Arc, Barrier};

use sessions_core::thread::{self, JoinError};
use sessions_core::{current, current_id, Engine};

#[test]
fn thread_spawn_runs_in_the_callers_session_and_std_spawn_does_not() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");

    let carried = thread::spawn(|| (current_id(), current().map(|s| s.id())));
    assert_eq!(carried.session_id(), Some(session.id()));
    let seen = carried.join().expect("thread ran");
    assert_eq!(seen, (Some(session.id()), Some(session.id())));

    let plain = std::thread::spawn(current_id).join().expect("no panic");
    assert_eq!(plain, None);
}

#[test]
fn with_no_current_session_it_behaves_like_std() {
    assert_eq!(current_id(), None);
    let handle = thread::spawn(current_id);
    assert_eq!(handle.session_id(), None);
    assert_eq!(handle.join(), Ok(None));
}

#[test]
fn spawn_in_uses_the_given_session_whatever_is_current() {
    let engine = Engine::new();
    let (a, b) = (
        engine.open().expect("open a"),
        engine.open().expect("open b"),
    );
    let _guard = a.enter().expect("enter a");
    let seen = thread::spawn_in(&b, current_id).join();
    assert_eq!(seen, Ok(Some(b.id())));
    // The caller's context is untouched.
    assert_eq!(current_id(), Some(a.id()));
}

#[test]
fn a_session_closed_before_the_thread_starts_does_not_run_f() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    engine.close(session.id()).expect("close");

    let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = Arc::clone(&ran);
    let joined = thread::spawn_in(&session, move || {
        flag.store(true, std::sync::atomic::Ordering::SeqCst);
    })
    .join();
    assert_eq!(joined, Err(JoinError::SessionClosed(session.id())));
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    let message = JoinError::SessionClosed(session.id()).to_string();
    assert!(message.contains(&session.id().to_string()), "{message}");
}

#[test]
fn spawning_from_inside_a_session_that_was_closed_does_not_run_f() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    // Closing does not pop this thread's context: the session is still current here, but
    // closed, so a thread carrying it must not run.
    engine.close(session.id()).expect("close");
    assert_eq!(current_id(), Some(session.id()));

    let joined = thread::spawn(|| unreachable!("must not run for a closed session")).join();
    assert_eq!(joined, Err::<(), _>(JoinError::SessionClosed(session.id())));
}

#[test]
fn a_panic_in_f_is_reported_with_its_message() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let joined = thread::spawn_in(&session, || -> u8 { panic!("disk on fire") }).join();
    assert_eq!(joined, Err(JoinError::Panicked("disk on fire".to_owned())));
    assert_eq!(
        JoinError::Panicked("disk on fire".to_owned()).to_string(),
        "the thread panicked: disk on fire"
    );
}

#[test]
fn a_running_thread_does_not_keep_its_session_alive() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let weak = session.downgrade();
    let started = Arc::new(Barrier::new(2));
    let closed = Arc::new(Barrier::new(2));

    let handle = {
        let (started, closed) = (Arc::clone(&started), Arc::clone(&closed));
        thread::spawn_in(&session, move || {
            let inside = current_id();
            started.wait();
            closed.wait();
            // The context stays while f runs; the session knows it is closed.
            (inside, current_id(), current().map(|s| s.is_open()))
        })
    };
    started.wait();
    engine.close(session.id()).expect("close");
    assert!(
        weak.upgrade().is_none(),
        "closed, though the thread still runs in it"
    );
    assert!(!handle.is_finished());
    closed.wait();

    let id = Some(session.id());
    assert_eq!(handle.join(), Ok((id, id, Some(false))));
}

#[test]
fn the_builder_names_the_thread() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let handle = thread::Builder::new()
        .name("carrier".to_owned())
        .spawn_in(&session, || {
            std::thread::current().name().map(str::to_owned)
        })
        .expect("spawned");
    assert_eq!(handle.thread().name(), Some("carrier"));
    assert_eq!(handle.join(), Ok(Some("carrier".to_owned())));
}
