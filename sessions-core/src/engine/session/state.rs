//! A session's typed state: what a Xojo `Session` subclass keeps in properties, one value of
//! each type.

use std::any::{Any, TypeId};
use std::sync::Arc;

use super::Session;
use crate::lock::lock;

impl Session {
    /// Stores `value` as this session's state of type `T`, returning the value it replaces.
    ///
    /// When `T` is registered with [`EngineBuilder::persist`](crate::EngineBuilder::persist)
    /// and the engine is in a farm, the new value is written to the farm (batched).
    pub fn insert<T: Any + Send + Sync>(&self, value: T) -> Option<Arc<T>> {
        let previous = self.insert_quietly(value);
        self.state_changed::<T>();
        previous
    }

    /// [`insert`](Self::insert), without telling the engine's observers.
    pub(crate) fn insert_quietly<T: Any + Send + Sync>(&self, value: T) -> Option<Arc<T>> {
        let value: Arc<dyn Any + Send + Sync> = Arc::new(value);
        let mut state = lock(&self.inner.state);
        let previous = match state.iter_mut().find(|(ty, _)| *ty == TypeId::of::<T>()) {
            Some((_, slot)) => Some(std::mem::replace(slot, value)),
            None => {
                state.push((TypeId::of::<T>(), value));
                None
            }
        };
        drop(state);
        previous.and_then(|previous| previous.downcast::<T>().ok())
    }

    /// This session's state of type `T`, if any was inserted.
    pub fn get<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let state = lock(&self.inner.state);
        let value = state
            .iter()
            .find(|(ty, _)| *ty == TypeId::of::<T>())?
            .1
            .clone();
        drop(state);
        value.downcast::<T>().ok()
    }

    /// This session's state of type `T`, inserted by `init` first if there is none: one
    /// lock, so two threads asking at once get the same value.
    pub(crate) fn get_or_insert_with<T: Any + Send + Sync>(
        &self,
        init: impl FnOnce() -> T,
    ) -> Arc<T> {
        let mut state = lock(&self.inner.state);
        let found = state
            .iter()
            .find(|(ty, _)| *ty == TypeId::of::<T>())
            .map(|(_, value)| value.clone());
        let value = match found.and_then(|value| value.downcast::<T>().ok()) {
            Some(value) => value,
            None => {
                let value = Arc::new(init());
                state.push((TypeId::of::<T>(), value.clone()));
                value
            }
        };
        drop(state);
        value
    }

    /// Removes and returns this session's state of type `T`.
    pub fn remove<T: Any + Send + Sync>(&self) -> Option<Arc<T>> {
        let mut state = lock(&self.inner.state);
        let index = state.iter().position(|(ty, _)| *ty == TypeId::of::<T>())?;
        let (_, value) = state.swap_remove(index);
        drop(state);
        self.state_changed::<T>();
        value.downcast::<T>().ok()
    }
}
