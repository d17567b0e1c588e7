//! The typed watcher of a variable: one version number and a slot in the variable's set of
//! wakers, however many changes it misses.

use std::fmt;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{Cell, VariableValue};
use crate::model::Change;

/// A watcher of a [`Variable`](super::Variable)'s changes ([`Variable::watch`](super::Variable::watch)),
/// like tokio's `watch::Receiver`: [`changed`](Self::changed) returns the newest change
/// after the last one it returned (or after the watcher was made). A watcher that does not
/// poll holds nothing but the version it saw: a writer never waits for it, and when it
/// polls again it gets the latest value, not the ones in between.
///
/// ```
/// use sessions_core::{Engine, Variable};
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     let mut future = std::pin::pin!(future);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop {
/// #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
/// #             return output;
/// #         }
/// #     }
/// # }
///
/// let count = Variable::new(0_u32);
/// let mut watch = count.watch();
/// let engine = Engine::new();
/// let _root = engine.impersonate_root();
/// for n in 1..=1000 {
///     count.set(n)?;
/// }
/// let change = block_on(watch.changed()).expect("the variable is alive");
/// assert_eq!((change.value, change.version), (1000, 1000)); // the latest, not 1
/// drop(count);
/// assert!(block_on(watch.changed()).is_none()); // every handle is gone
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
pub struct Watch<T: VariableValue> {
    cell: Arc<Cell<T>>,
    /// The version of the last change returned.
    seen: u64,
    /// This watcher's key in the variable's set of wakers.
    number: u64,
}

impl<T: VariableValue> Watch<T> {
    pub(super) fn new(cell: Arc<Cell<T>>) -> Watch<T> {
        Watch {
            seen: cell.version(),
            number: cell.watcher_number(),
            cell,
        }
    }

    /// The next change: the newest one after the last returned, waiting until there is one.
    /// `None` once every `Variable` handle is gone. Any executor may await it.
    pub async fn changed(&mut self) -> Option<Change<T>> {
        poll_fn(|cx| self.poll_changed(cx)).await
    }

    /// [`changed`](Self::changed) as a poll, for a hand-written future or stream.
    pub fn poll_changed(&mut self, cx: &mut Context<'_>) -> Poll<Option<Change<T>>> {
        loop {
            if let Some(change) = self.newer() {
                return Poll::Ready(Some(change));
            }
            if self.cell.is_closed() {
                return Poll::Ready(None);
            }
            if self.cell.wait(self.number, self.seen, cx.waker()) {
                return Poll::Pending;
            }
        }
    }

    /// The current value, marked as seen: [`changed`](Self::changed) then waits for a newer
    /// one. What a host sends first, before the changes.
    pub fn latest(&mut self) -> Change<T> {
        let change = self.cell.read().clone();
        self.seen = change.version;
        change
    }

    /// Whether a change newer than the last returned is there now.
    pub fn has_changed(&self) -> bool {
        self.cell.version() > self.seen
    }

    /// The version of the last change returned (or of the value when the watcher was made).
    pub fn seen(&self) -> u64 {
        self.seen
    }

    /// The newest change, if newer than the one last returned.
    fn newer(&mut self) -> Option<Change<T>> {
        if self.cell.version() <= self.seen {
            return None;
        }
        let change = self.cell.read().clone();
        self.seen = change.version;
        Some(change)
    }

    /// The shared state, for the tests of its bounds.
    #[cfg(test)]
    pub(super) fn cell(&self) -> &Cell<T> {
        &self.cell
    }
}

impl<T: VariableValue> Drop for Watch<T> {
    fn drop(&mut self) {
        self.cell.forget(self.number);
    }
}

impl<T: VariableValue> fmt::Debug for Watch<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Watch").field("seen", &self.seen).finish()
    }
}
