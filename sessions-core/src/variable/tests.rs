//! Unit tests of the variable's bounds: the state a watcher keeps, and the wakers a writer
//! leaves.

use std::task::{Context, Poll, Waker};

use super::*;
use crate::Engine;

#[test]
fn a_watcher_that_does_not_poll_costs_one_waker_at_most() {
    let engine = Engine::new();
    let _root = engine.impersonate_root();
    let variable = Variable::new(0_u64);
    let mut watch = variable.watch();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(watch.poll_changed(&mut cx).is_pending());
    assert_eq!(watch.cell().waiting_watchers(), 1);
    for n in 1..=100_000 {
        variable.set(n).expect("root may write");
    }
    // The first write took the waker; nothing was queued for the others.
    assert_eq!(watch.cell().waiting_watchers(), 0);
    assert_eq!(watch.seen(), 0);
    match watch.poll_changed(&mut cx) {
        Poll::Ready(Some(change)) => assert_eq!((change.value, change.version), (100_000, 100_000)),
        other => panic!("expected the latest change, got {other:?}"),
    }
    // Polling again while nothing changed registers the one waker again, replaced in place.
    assert!(watch.poll_changed(&mut cx).is_pending());
    assert!(watch.poll_changed(&mut cx).is_pending());
    assert_eq!(watch.cell().waiting_watchers(), 1);
    drop(watch);
    assert_eq!(variable.cell.waiting_watchers(), 0);
}

#[test]
fn the_last_handle_ends_the_watchers_but_a_clone_keeps_it_alive() {
    let variable = Variable::new("a".to_owned());
    let copy = variable.clone();
    let mut watch = variable.watch();
    let mut cx = Context::from_waker(Waker::noop());
    drop(variable);
    assert!(watch.poll_changed(&mut cx).is_pending());
    drop(copy);
    assert!(matches!(watch.poll_changed(&mut cx), Poll::Ready(None)));
}
