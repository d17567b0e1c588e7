//! The current session: absent by default, scoped by guards, restored on panic.

use std::panic::{catch_unwind, AssertUnwindSafe};

use sessions_core::{current, current_id, require, with_current, Engine, SessionError};

#[test]
fn nothing_is_current_outside_a_context() {
    assert!(current().is_none());
    assert_eq!(current_id(), None);
    assert_eq!(require().err(), Some(SessionError::NoContext));
    assert!(with_current(|session| session.is_none()));
}

#[test]
fn a_plain_std_thread_has_no_context() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    assert_eq!(current_id(), Some(session.id()));

    let seen = std::thread::spawn(|| (current_id(), current().is_some()))
        .join()
        .expect("thread");
    assert_eq!(seen, (None, false));
}

#[test]
fn with_current_sees_the_session_and_may_enter_others() {
    let engine = Engine::new();
    let a = engine.open().expect("open");
    let _guard = a.enter().expect("enter");
    let seen = with_current(|session| {
        let session = session.expect("a is current");
        // Re-entering from inside the closure must not deadlock or panic.
        let again = session.enter().expect("same session");
        (session.id(), again.changed_context())
    });
    assert_eq!(seen, (a.id(), false));
}

#[test]
fn nested_impersonation_restores_each_previous_session() {
    let engine = Engine::new();
    let other = Engine::new();
    let session = engine.open().expect("open");
    let root = engine.root();

    let _user = session.enter().expect("enter");
    {
        let _root = engine.impersonate_root();
        assert_eq!(current_id(), Some(root.id()));
        assert!(current().is_some_and(|s| s.is_root()));
        {
            let _other_root = other.impersonate_root();
            assert_eq!(current_id(), Some(other.root().id()));
        }
        assert_eq!(current_id(), Some(root.id()));
    }
    assert_eq!(current_id(), Some(session.id()));
}

#[test]
fn a_panic_inside_a_guard_leaves_the_stack_as_it_was() {
    let engine = Engine::new();
    let a = engine.open().expect("open");
    let b = engine.open().expect("open");
    let _outer = a.enter().expect("enter a");

    let result = catch_unwind(AssertUnwindSafe(|| {
        let _root = engine.impersonate_root();
        let _root_again = engine.impersonate_root();
        assert!(b.enter().is_err(), "root is current, b is refused");
        panic!("boom");
    }));
    assert!(result.is_err());
    assert_eq!(current_id(), Some(a.id()));
    assert_eq!(current(), Some(a.clone()));
}

#[test]
fn dropping_an_outer_guard_first_ends_the_inner_context_too() {
    let engine = Engine::new();
    let a = engine.open().expect("open");
    let outer = a.enter().expect("enter");
    let inner = engine.impersonate_root();
    drop(outer);
    assert_eq!(current_id(), None);
    // The inner guard's frame is gone already: dropping it later restores nothing stale.
    let b = engine.open().expect("open");
    let in_b = b.enter().expect("enter b");
    drop(inner);
    assert_eq!(current_id(), Some(b.id()));
    drop(in_b);
    assert_eq!(current_id(), None);
}

#[test]
fn a_session_closed_while_current_stays_current_until_its_guard_drops() {
    let engine = Engine::new();
    let a = engine.open().expect("open");
    let guard = a.enter().expect("enter");
    engine.close(a.id()).expect("close");
    assert_eq!(current_id(), Some(a.id()));
    assert!(current().is_some_and(|s| !s.is_open()));
    drop(guard);
    assert_eq!(current_id(), None);
}
