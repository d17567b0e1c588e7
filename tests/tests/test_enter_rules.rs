//! Xojo's four `WebSessionContext` rules, as `Session::enter` and `Engine::enter` apply them.

use sessions_core::{current_id, Engine, SessionError, SessionId};

#[test]
fn rule_1_entering_the_current_session_changes_nothing() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let outer = session.enter().expect("enter");
    assert!(outer.changed_context());

    let inner = session
        .enter()
        .expect("entering the current session again is allowed");
    assert!(!inner.changed_context());
    let by_id = engine.enter(session.id()).expect("by id too");
    assert!(!by_id.changed_context());

    // Dropping the no-op guards leaves the session current.
    drop(by_id);
    drop(inner);
    assert_eq!(current_id(), Some(session.id()));
    drop(outer);
    assert_eq!(current_id(), None);
}

#[test]
fn rule_2_unknown_or_closed_id_is_not_found() {
    let engine = Engine::new();
    let unknown = SessionId::random();
    assert_eq!(
        engine.enter(unknown).err(),
        Some(SessionError::NotFound(unknown))
    );

    let session = engine.open().expect("open");
    engine.close(session.id()).expect("close");
    assert_eq!(
        session.enter().err(),
        Some(SessionError::NotFound(session.id()))
    );
    assert_eq!(
        engine.enter(session.id()).err(),
        Some(SessionError::NotFound(session.id()))
    );
    assert_eq!(
        current_id(),
        None,
        "a failed enter leaves no context behind"
    );
}

#[test]
fn rule_3_another_current_session_is_a_mismatch() {
    let engine = Engine::new();
    let a = engine.open().expect("open a");
    let b = engine.open().expect("open b");
    let _in_a = a.enter().expect("enter a");

    let expected = SessionError::Mismatch {
        current: a.id(),
        requested: b.id(),
    };
    assert_eq!(b.enter().err(), Some(expected.clone()));
    assert_eq!(engine.enter(b.id()).err(), Some(expected));
    assert_eq!(current_id(), Some(a.id()), "a failed enter changes nothing");

    let message = b.enter().err().map(|e| e.to_string()).unwrap_or_default();
    assert!(message.contains(&a.id().to_string()) && message.contains(&b.id().to_string()));
}

#[test]
fn rule_4_the_session_is_current_until_the_guard_drops() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    assert_eq!(current_id(), None);
    {
        let guard = engine.enter(session.id()).expect("enter by id");
        assert!(guard.changed_context());
        assert_eq!(current_id(), Some(session.id()));
        assert_eq!(sessions_core::current(), Some(session.clone()));
    }
    assert_eq!(current_id(), None);
}

#[test]
fn a_session_of_another_engine_is_a_mismatch_too() {
    let (one, two) = (Engine::new(), Engine::new());
    let a = one.open().expect("open");
    let b = two.open().expect("open");
    let _in_a = a.enter().expect("enter");
    assert!(matches!(b.enter(), Err(SessionError::Mismatch { .. })));
}
