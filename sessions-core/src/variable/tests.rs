//! Unit tests of the variable's bounds: the state a watcher keeps, and the wakers a writer
//! leaves.

use std::task::{Context, Poll, Waker};

#[cfg(feature = "farm")]
use std::sync::Arc;

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

/// A store that gives the versions it is told to, or refuses: what a farm does.
#[cfg(feature = "farm")]
struct Store {
    versions: std::sync::Mutex<Vec<u64>>,
}

#[cfg(feature = "farm")]
impl Sharing<u64> for Store {
    fn write(
        &self,
        _value: &u64,
        _by: &crate::model::WrittenBy,
        _floor: u64,
    ) -> Result<Stamp<u64>, String> {
        match crate::lock::lock(&self.versions).pop() {
            Some(version) => Ok(Stamp {
                version,
                at: SystemTime::UNIX_EPOCH,
                replaced: Some(version),
            }),
            None => Err("the store is down".to_owned()),
        }
    }
}

#[cfg(feature = "farm")]
#[test]
fn a_shared_variable_takes_the_versions_its_store_gives_and_never_goes_back() {
    let engine = Engine::new();
    let variable = Variable::new(0_u64);
    let store: Arc<dyn Sharing<u64>> = Arc::new(Store {
        versions: std::sync::Mutex::new(vec![9, 5]),
    });
    assert!(variable.share(store.clone()));
    assert!(!variable.share(store.clone()), "shared once");
    let mut watch = variable.watch();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(watch.poll_changed(&mut cx).is_pending());
    {
        let _root = engine.impersonate_root();
        // The store gives version 5 (skipping 1 to 4: changes this node never saw).
        assert_eq!(
            variable.replace(1),
            Ok(5),
            "the value before it in the store"
        );
        assert_eq!((variable.get(), variable.version()), (1, 5));
    }
    // Changes from elsewhere: an older one is not taken, a newer one is and wakes watchers.
    let change = |value, version| Change {
        value,
        version,
        at: SystemTime::now(),
        by: None,
    };
    assert!(!variable.apply(change(2, 4)));
    assert!(!variable.apply(change(2, 5)));
    assert!(variable.apply(change(3, 7)));
    match watch.poll_changed(&mut cx) {
        Poll::Ready(Some(got)) => assert_eq!((got.value, got.version), (3, 7)),
        other => panic!("expected the newer change, got {other:?}"),
    }
    {
        let _root = engine.impersonate_root();
        // The store gives 9; then it is down: refused, nothing changed.
        variable.set(4).expect("written");
        assert_eq!(variable.version(), 9);
        assert_eq!(
            variable.set(6),
            Err(SessionError::Unavailable {
                reason: "the store is down".to_owned()
            })
        );
        assert_eq!((variable.get(), variable.version()), (4, 9));
    }
    // Outside a session the rule refuses before the store is asked.
    assert_eq!(variable.set(8), Err(SessionError::NoContext));
    // Unshared, writes are local again, from the last version on.
    variable.unshare(&store);
    let _root = engine.impersonate_root();
    variable.set(10).expect("written here");
    assert_eq!((variable.get(), variable.version()), (10, 10));
}
