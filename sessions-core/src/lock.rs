//! The crate's one way to lock a mutex.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// Locks a mutex whatever happened to an earlier holder: every value guarded in this crate
/// is consistent between statements, so a panic elsewhere cannot leave it half-written.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
