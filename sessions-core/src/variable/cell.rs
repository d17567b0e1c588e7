//! What every handle and watcher of one variable shares: the latest change, its version,
//! and the wakers of the watchers waiting for the next one. A writer replaces the change
//! and wakes the waiting watchers; it never waits for one, and nothing queues: a watcher
//! reads the latest change when it polls.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
#[cfg(feature = "farm")]
use std::sync::Arc;
use std::sync::{Mutex, PoisonError, RwLock, RwLockReadGuard};
use std::task::Waker;

#[cfg(feature = "farm")]
use super::share::Sharing;

use crate::lock::lock;
use crate::model::Change;
use crate::value::TypeSchema;

/// The state of one variable.
pub(super) struct Cell<T> {
    /// The latest change.
    current: RwLock<Change<T>>,
    /// Its version, readable without the lock (written under it, after the change).
    version: AtomicU64,
    /// The role a writer needs.
    pub(super) write_role: Option<Box<str>>,
    /// The schema of `T`, when the builder was given it.
    pub(super) schema: Option<TypeSchema>,
    /// The wakers of the watchers waiting for a version newer than the one they saw: at
    /// most one per watcher, keyed by the watcher's number.
    wakers: Mutex<HashMap<u64, Waker>>,
    /// Whether `wakers` may be non-empty: the one load a write pays when nobody watches.
    waiting: AtomicBool,
    /// The number the next watcher gets.
    next_watcher: AtomicU64,
    /// The live `Variable` handles (watchers excluded).
    handles: AtomicUsize,
    /// Set when the last handle is gone: watchers end.
    closed: AtomicBool,
    /// Where writes go first while the variable is shared (on a farm).
    #[cfg(feature = "farm")]
    sharing: Mutex<Option<Arc<dyn Sharing<T>>>>,
    /// Whether `sharing` may be set: the one load a write of a variable not shared pays.
    #[cfg(feature = "farm")]
    shared: AtomicBool,
}

impl<T: Clone> Cell<T> {
    /// A variable holding `initial` as version 0, with one handle.
    pub(super) fn new(
        initial: Change<T>,
        write_role: Option<Box<str>>,
        schema: Option<TypeSchema>,
    ) -> Self {
        Cell {
            version: AtomicU64::new(initial.version),
            current: RwLock::new(initial),
            write_role,
            schema,
            wakers: Mutex::new(HashMap::new()),
            waiting: AtomicBool::new(false),
            next_watcher: AtomicU64::new(0),
            handles: AtomicUsize::new(1),
            closed: AtomicBool::new(false),
            #[cfg(feature = "farm")]
            sharing: Mutex::new(None),
            #[cfg(feature = "farm")]
            shared: AtomicBool::new(false),
        }
    }

    /// The latest change, locked for reading (briefly: clone what is needed).
    pub(super) fn read(&self) -> RwLockReadGuard<'_, Change<T>> {
        self.current.read().unwrap_or_else(PoisonError::into_inner)
    }

    /// The latest version.
    pub(super) fn version(&self) -> u64 {
        self.version.load(Ordering::SeqCst)
    }

    /// Replaces the value with the change `make(version)` builds for the next version, and
    /// wakes the waiting watchers. Versions are given under the lock, so they follow the
    /// order the changes were made in.
    /// Returns the change replaced.
    pub(super) fn replace(&self, make: impl FnOnce(u64) -> Change<T>) -> Change<T> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        let version = current.version + 1;
        let old = std::mem::replace(&mut *current, make(version));
        self.version.store(version, Ordering::SeqCst);
        drop(current);
        self.wake_all();
        old
    }

    /// Takes `change` when its version is newer than the current one (a version given
    /// elsewhere: a shared variable's store), and wakes the waiting watchers. Returns the
    /// change replaced, or `None` (nothing changed) when the current version is as new.
    #[cfg(feature = "farm")]
    pub(super) fn apply(&self, change: Change<T>) -> Option<Change<T>> {
        let mut current = self.current.write().unwrap_or_else(PoisonError::into_inner);
        if change.version <= current.version {
            return None;
        }
        let version = change.version;
        let old = std::mem::replace(&mut *current, change);
        self.version.store(version, Ordering::SeqCst);
        drop(current);
        self.wake_all();
        Some(old)
    }

    /// Where writes go first, while the variable is shared.
    #[cfg(feature = "farm")]
    pub(super) fn sharing(&self) -> Option<Arc<dyn Sharing<T>>> {
        if !self.shared.load(Ordering::Acquire) {
            return None;
        }
        lock(&self.sharing).clone()
    }

    /// Shares the variable through `sharing`; `false` when it is shared already.
    #[cfg(feature = "farm")]
    pub(super) fn share(&self, sharing: Arc<dyn Sharing<T>>) -> bool {
        let mut slot = lock(&self.sharing);
        if slot.is_some() {
            return false;
        }
        *slot = Some(sharing);
        self.shared.store(true, Ordering::Release);
        true
    }

    /// Stops sharing through `sharing` (another sharing is left alone).
    #[cfg(feature = "farm")]
    pub(super) fn unshare(&self, sharing: &Arc<dyn Sharing<T>>) {
        let mut slot = lock(&self.sharing);
        if slot.as_ref().is_some_and(|held| Arc::ptr_eq(held, sharing)) {
            *slot = None;
            self.shared.store(false, Ordering::Release);
        }
    }

    /// Wakes every waiting watcher: taken out of the set first, so none is woken twice and
    /// no lock is held while they run.
    fn wake_all(&self) {
        // SeqCst pairs with `wait`'s: either this sees the flag, or the watcher sees the
        // new version (or `closed`) after setting it.
        if !self.waiting.load(Ordering::SeqCst) {
            return;
        }
        let wakers = {
            let mut wakers = lock(&self.wakers);
            self.waiting.store(false, Ordering::SeqCst);
            std::mem::take(&mut *wakers)
        };
        for waker in wakers.into_values() {
            waker.wake();
        }
    }

    /// A number for a new watcher.
    pub(super) fn watcher_number(&self) -> u64 {
        self.next_watcher.fetch_add(1, Ordering::Relaxed)
    }

    /// Records that watcher `number` waits for a version newer than `seen`; `false` when
    /// there is one already (or the variable is closed), so it need not wait.
    pub(super) fn wait(&self, number: u64, seen: u64, waker: &Waker) -> bool {
        {
            let mut wakers = lock(&self.wakers);
            match wakers.get_mut(&number) {
                Some(old) => old.clone_from(waker),
                None => {
                    wakers.insert(number, waker.clone());
                }
            }
            self.waiting.store(true, Ordering::SeqCst);
        }
        self.version() == seen && !self.is_closed()
    }

    /// Forgets watcher `number`'s waker (it was dropped).
    pub(super) fn forget(&self, number: u64) {
        lock(&self.wakers).remove(&number);
    }

    /// How many watchers wait now.
    #[cfg(test)]
    pub(super) fn waiting_watchers(&self) -> usize {
        lock(&self.wakers).len()
    }

    /// One more handle.
    pub(super) fn add_handle(&self) {
        self.handles.fetch_add(1, Ordering::Relaxed);
    }

    /// One handle fewer: the last one closes the variable and ends its watchers.
    pub(super) fn drop_handle(&self) {
        if self.handles.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.closed.store(true, Ordering::SeqCst);
            self.waiting.store(true, Ordering::SeqCst);
            self.wake_all();
        }
    }

    /// Whether every handle is gone.
    pub(super) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::SeqCst)
    }
}
