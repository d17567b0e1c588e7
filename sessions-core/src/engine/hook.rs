//! A slot for one hook the farm sets on an engine when it joins (and clears when it
//! leaves): the engine and its hosts call the hook without knowing the farm, so `engine`
//! and `web` never import `farm`.

use std::sync::{Arc, PoisonError, RwLock};

/// One hook, or none.
pub(crate) struct HookSlot<T: ?Sized>(RwLock<Option<Arc<T>>>);

impl<T: ?Sized> Default for HookSlot<T> {
    fn default() -> Self {
        HookSlot(RwLock::new(None))
    }
}

impl<T: ?Sized> HookSlot<T> {
    /// Sets (or, with `None`, clears) the hook.
    pub(crate) fn set(&self, hook: Option<Arc<T>>) {
        *self.0.write().unwrap_or_else(PoisonError::into_inner) = hook;
    }

    /// The hook, when one is set.
    pub(crate) fn get(&self) -> Option<Arc<T>> {
        self.0
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}
