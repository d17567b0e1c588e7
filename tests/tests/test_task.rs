//! `sessions_core::task` (the `tokio` feature): tasks that carry the caller's session.

use std::time::Duration;

use sessions_core::{current_id, task, Engine, SessionClosed};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("tokio runtime")
}

#[test]
fn task_spawn_carries_the_callers_session_across_awaits_and_tokio_spawn_does_not() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let runtime = runtime();
    let _runtime_guard = runtime.enter();

    let (carried, plain) = {
        let _guard = session.enter().expect("enter");
        let carried = task::spawn(async {
            let before = current_id();
            tokio::time::sleep(Duration::from_millis(5)).await;
            tokio::task::yield_now().await;
            (before, current_id())
        });
        let plain = tokio::spawn(async {
            tokio::task::yield_now().await;
            current_id()
        });
        (carried, plain)
    };
    let id = Some(session.id());
    assert_eq!(runtime.block_on(carried).expect("no panic"), Ok((id, id)));
    assert_eq!(runtime.block_on(plain).expect("no panic"), None);
}

#[test]
fn spawn_in_runs_in_the_given_session() {
    let engine = Engine::new();
    let (a, b) = (
        engine.open().expect("open a"),
        engine.open().expect("open b"),
    );
    let runtime = runtime();
    let _runtime_guard = runtime.enter();
    let handle = {
        let _guard = a.enter().expect("enter a");
        task::spawn_in(&b, async { current_id() })
    };
    assert_eq!(
        runtime.block_on(handle).expect("no panic"),
        Ok(Some(b.id()))
    );
}

#[test]
fn a_task_of_a_closed_session_resolves_to_session_closed() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let runtime = runtime();
    let _runtime_guard = runtime.enter();
    engine.close(session.id()).expect("close");
    let handle = task::spawn_in(&session, async {
        unreachable!("never polled in a closed session")
    });
    let output: Result<(), SessionClosed> = runtime.block_on(handle).expect("no panic");
    assert_eq!(output, Err(SessionClosed(session.id())));
}

#[test]
fn spawn_blocking_carries_the_session_to_the_blocking_pool() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let runtime = runtime();
    let _runtime_guard = runtime.enter();
    let carried = {
        let _guard = session.enter().expect("enter");
        task::spawn_blocking(current_id)
    };
    assert_eq!(
        runtime.block_on(carried).expect("no panic"),
        Ok(Some(session.id()))
    );

    let other = engine.open().expect("open other");
    let refused = {
        let _guard = other.enter().expect("enter other");
        engine.close(other.id()).expect("close other");
        task::spawn_blocking(|| unreachable!("must not run for a closed session"))
    };
    let output: Result<(), SessionClosed> = runtime.block_on(refused).expect("no panic");
    assert_eq!(output, Err(SessionClosed(other.id())));
    // Nothing was left behind on the blocking pool's thread.
    let after = runtime.block_on(tokio::task::spawn_blocking(current_id));
    assert_eq!(after.expect("no panic"), None);
}
