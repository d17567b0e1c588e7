//! A variable seen by a host: any type, read, written and watched as [`Value`]s.

use std::any::Any;
use std::fmt;
use std::future::poll_fn;
use std::sync::Arc;
use std::task::{Context, Poll};

use super::{Change, VariableError};
use crate::Value;

/// A variable of any type, as a host holds it among others of other types: what
/// `Engine::variable` returns. [`Variable<T>`](crate::Variable) implements it.
///
/// Writes follow the variable's session rule in the context current on the calling thread:
/// a host enters the session of the tab or client first (`Session::enter`).
pub trait AnyVariable: Send + Sync + 'static {
    /// The Rust type of its value (`std::any::type_name`).
    fn type_name(&self) -> &'static str;

    /// The role a user needs to write it, if any.
    fn write_role(&self) -> Option<&str>;

    /// The version of its current value (0 for the initial value, +1 per change).
    fn version(&self) -> u64;

    /// The current value, with its version, time and writer.
    ///
    /// # Errors
    /// [`VariableError::Unreadable`] when the value cannot be written as a `Value`.
    fn read(&self) -> Result<Change<Value>, VariableError>;

    /// Writes `value` in the current session context, as `Variable::set` does: converted to
    /// the variable's type first. Returns the version written.
    ///
    /// # Errors
    /// [`VariableError::WrongType`] for a value of another type, and
    /// [`VariableError::Session`] when the session rule refuses (no context, or a user
    /// without the write role). Nothing changes on an error.
    fn write(&self, value: Value) -> Result<u64, VariableError>;

    /// A watcher of its changes as `Value`s: coalesced (a slow watcher gets the latest
    /// value), never blocking a writer.
    fn watch_values(&self) -> ValueWatch;

    /// The JSON Schema of its values (feature `schema`): the type's own when it is known,
    /// otherwise an open one naming the Rust type.
    #[cfg(feature = "schema")]
    fn schema(&self) -> schemars::Schema;

    /// The typed variable behind it: downcast to `Variable<T>`.
    fn as_any(&self) -> &dyn Any;
}

impl fmt::Debug for dyn AnyVariable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AnyVariable")
            .field("type_name", &self.type_name())
            .field("version", &self.version())
            .finish()
    }
}

/// The changes of one variable, as `Value`s: what a [`ValueWatch`] polls. Implemented by
/// the watcher of [`Variable<T>`](crate::Variable); a host implementing [`AnyVariable`] for
/// a variable of its own implements this too.
pub trait WatchValues: Send + 'static {
    /// A change newer than the last one returned (by this or [`latest`](Self::latest)):
    /// the newest there is, when several happened since. `Ready(None)` once every handle
    /// of the variable is gone.
    fn poll_change(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Change<Value>, VariableError>>>;

    /// The current value, marked as seen: [`poll_change`](Self::poll_change) then waits for
    /// a newer one.
    ///
    /// # Errors
    /// [`VariableError::Unreadable`] when the value cannot be written as a `Value`.
    fn latest(&mut self) -> Result<Change<Value>, VariableError>;
}

/// A watcher of one variable's changes as `Value`s ([`AnyVariable::watch_values`]). It holds
/// one version number: a watcher that does not poll costs nothing more however many changes
/// it misses, and gets the newest when it polls again.
pub struct ValueWatch {
    inner: Box<dyn WatchValues>,
}

impl ValueWatch {
    /// A watcher polling `inner`.
    pub fn new(inner: impl WatchValues) -> ValueWatch {
        ValueWatch {
            inner: Box::new(inner),
        }
    }

    /// The next change (the newest, when several happened since the last one returned);
    /// `None` once every handle of the variable is gone. Any executor may await it.
    pub async fn changed(&mut self) -> Option<Result<Change<Value>, VariableError>> {
        poll_fn(|cx| self.inner.poll_change(cx)).await
    }

    /// [`changed`](Self::changed) as a poll, for a host's own future or stream.
    pub fn poll_changed(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Change<Value>, VariableError>>> {
        self.inner.poll_change(cx)
    }

    /// The current value, marked as seen: what a host sends first, before the changes.
    ///
    /// # Errors
    /// [`VariableError::Unreadable`] when the value cannot be written as a `Value`.
    pub fn latest(&mut self) -> Result<Change<Value>, VariableError> {
        self.inner.latest()
    }
}

impl fmt::Debug for ValueWatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValueWatch").finish_non_exhaustive()
    }
}

/// What [`Engine::export_variable`](crate::Engine::export_variable) exports: a
/// [`Variable<T>`](crate::Variable), or a host's own `Arc<dyn AnyVariable>`.
pub trait ToAnyVariable {
    /// The erased view of it, sharing its value.
    fn to_any_variable(&self) -> Arc<dyn AnyVariable>;
}

impl ToAnyVariable for Arc<dyn AnyVariable> {
    fn to_any_variable(&self) -> Arc<dyn AnyVariable> {
        self.clone()
    }
}
