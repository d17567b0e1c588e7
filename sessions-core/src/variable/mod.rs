//! [`Variable<T>`]: a typed value that code reads anywhere and writes under the session
//! rule (Optix's `InformationModel.GetVariable(…).Value = …`, checked), watched by any number
//! of watchers, each of which gets the latest value when it polls.
//!
//! `cell.rs` holds the state every handle and watcher shares, `builder.rs` the settings,
//! `rule.rs` who may write, `watch.rs` the typed watcher, `erased.rs` the view a host holds
//! ([`AnyVariable`](crate::AnyVariable)), `share.rs` the hook a farm shares it through
//! (feature `farm`).

mod builder;
mod cell;
mod erased;
mod field;
mod rule;
#[cfg(feature = "farm")]
mod share;
mod watch;

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

use serde::de::DeserializeOwned;
use serde::Serialize;

pub use builder::VariableBuilder;
use cell::Cell;
#[doc(hidden)]
pub use field::{field, VariableType};
#[cfg(feature = "schema")]
#[doc(hidden)]
pub use field::{FieldHasSchema, FieldNoSchema, FieldOpenSchema, FieldProbe};
#[cfg(feature = "farm")]
pub(crate) use share::{Sharing, Stamp};
pub use watch::Watch;

use crate::model::{AnyVariable, Change, ToAnyVariable};
use crate::SessionError;

/// The bounds of a variable's value: written to and read from hosts as a `Value`, cloned
/// to each reader, shared between threads.
pub trait VariableValue: Serialize + DeserializeOwned + Clone + Send + Sync + 'static {}

impl<T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static> VariableValue for T {}

/// A cheap `Clone` handle to a typed value: read anywhere, written under the session rule,
/// watched, and exported by an engine for hosts to read, write and watch
/// ([`Engine::export_variable`](crate::Engine::export_variable)).
///
/// - [`get`](Self::get) works anywhere.
/// - [`set`](Self::set) needs a session context: outside one it is
///   [`SessionError::NoContext`]; with a write role ([`VariableBuilder::write_role`]), a
///   user without the role gets [`SessionError::Forbidden`]; a root session may write
///   everything. Refused, nothing changes.
/// - Each change has a [`version`](Self::version) one more than the last, a time, and who
///   wrote it ([`last_change`](Self::last_change)).
/// - [`watch`](Self::watch) gives a [`Watch`]: a slow watcher gets the latest value, never a
///   queue, and never blocks a writer.
/// - Shared on a farm (`Farm::share`, feature `farm`), it is one value on every node: a
///   write goes to Redis first, which gives its version, and comes back to every node's
///   watchers; `set` then also fails with [`SessionError::Unavailable`] when Redis does not
///   take the write within the farm's I/O timeout (nothing changes then).
///
/// ```
/// use sessions_core::{Engine, SessionError, User, Variable};
///
/// let target = Variable::builder(180.0).write_role("operator").build();
/// assert_eq!(target.set(200.0), Err(SessionError::NoContext)); // no session: refused
///
/// let engine = Engine::new();
/// let session = engine.open()?;
/// session.set_user(Some(User::new("ada").with_roles(["operator"])));
/// {
///     let _in_session = session.enter()?;
///     target.set(200.0)?;
/// }
/// assert_eq!((target.get(), target.version()), (200.0, 1));
/// let by = target.last_change().by.expect("a change has a writer");
/// assert_eq!(by.user.map(|user| user.name().to_owned()).as_deref(), Some("ada"));
/// # Ok::<(), SessionError>(())
/// ```
pub struct Variable<T: VariableValue> {
    cell: Arc<Cell<T>>,
}

impl<T: VariableValue> Variable<T> {
    /// A variable holding `initial` (version 0) that any session may write.
    pub fn new(initial: T) -> Variable<T> {
        Variable::builder(initial).build()
    }

    /// Settings for a variable holding `initial`: a write role, a JSON Schema.
    pub fn builder(initial: T) -> VariableBuilder<T> {
        VariableBuilder::new(initial)
    }

    fn from_cell(cell: Cell<T>) -> Variable<T> {
        Variable {
            cell: Arc::new(cell),
        }
    }

    /// The current value (a clone of it).
    pub fn get(&self) -> T {
        self.cell.read().value.clone()
    }

    /// The version of the current value: 0 for the initial value, one more for each change.
    /// It never goes back. A variable shared on a farm has the versions Redis gives, one
    /// more for each change on any node; a node that was cut off skips to the newest.
    pub fn version(&self) -> u64 {
        self.cell.version()
    }

    /// The current value with its version, time and writer.
    pub fn last_change(&self) -> Change<T> {
        self.cell.read().clone()
    }

    /// The role a user needs to write it, if any.
    pub fn write_role(&self) -> Option<&str> {
        self.cell.write_role.as_deref()
    }

    /// Writes `value` in the current session context, as the next version.
    ///
    /// A variable shared on a farm (feature `farm`) is written in Redis first, which gives
    /// the version; the call then blocks for one Redis round trip, never longer than the
    /// farm's I/O timeout, off an async worker (as every farm call).
    ///
    /// # Errors
    /// [`SessionError::NoContext`] outside any session context;
    /// [`SessionError::Forbidden`] when the variable has a write role that the current
    /// session's user lacks (a root session may write everything). Nothing changes then.
    /// On a shared variable, [`SessionError::Unavailable`] when Redis did not take the
    /// write (it did not answer within the farm's I/O timeout, or the node left the farm):
    /// nothing changed on this node, and nothing is queued.
    pub fn set(&self, value: T) -> Result<(), SessionError> {
        self.write(value).map(drop)
    }

    /// [`set`](Self::set), returning the value it replaced (in one step: no other write
    /// comes between; on a shared variable, the value before it in Redis's order).
    ///
    /// # Errors
    /// As [`set`](Self::set).
    pub fn replace(&self, value: T) -> Result<T, SessionError> {
        self.write(value).map(|written| written.replaced)
    }

    /// [`set`](Self::set), returning the version written.
    pub(crate) fn set_versioned(&self, value: T) -> Result<u64, SessionError> {
        self.write(value).map(|written| written.version)
    }

    /// Writes `value` under the session rule: here, or, when the variable is shared, where
    /// it is shared first.
    fn write(&self, value: T) -> Result<Written<T>, SessionError> {
        let by = rule::writer(self.write_role())?;
        #[cfg(feature = "farm")]
        if let Some(sharing) = self.cell.sharing() {
            return self.write_shared(&*sharing, value, by);
        }
        let old = self.cell.replace(|version| Change {
            value,
            version,
            at: SystemTime::now(),
            by: Some(by),
        });
        Ok(Written {
            version: old.version + 1,
            replaced: old.value,
        })
    }

    /// Writes `value` where the variable is shared, then takes it here with the version it
    /// was given there (unless a newer change came in meanwhile: versions never go back).
    #[cfg(feature = "farm")]
    fn write_shared(
        &self,
        sharing: &dyn Sharing<T>,
        value: T,
        by: crate::model::WrittenBy,
    ) -> Result<Written<T>, SessionError> {
        let stamp = sharing
            .write(&value, &by, self.cell.version())
            .map_err(|reason| SessionError::Unavailable { reason })?;
        let here = self.cell.apply(Change {
            value,
            version: stamp.version,
            at: stamp.at,
            by: Some(by),
        });
        // The value before it in Redis's order; when Redis held none of this type, the one
        // it replaced here (or, when a newer change came first, the one held now).
        let replaced = match (stamp.replaced, here) {
            (Some(replaced), _) => replaced,
            (None, Some(old)) => old.value,
            (None, None) => self.get(),
        };
        Ok(Written {
            version: stamp.version,
            replaced,
        })
    }

    /// Takes `change`, made elsewhere with a version given there (a farm's Redis), when its
    /// version is newer than the current one: the watchers get it. Returns whether it was
    /// taken.
    #[cfg(feature = "farm")]
    pub(crate) fn apply(&self, change: Change<T>) -> bool {
        self.cell.apply(change).is_some()
    }

    /// Sends this variable's writes through `sharing` first; `false` (nothing done) when it
    /// is shared already.
    #[cfg(feature = "farm")]
    pub(crate) fn share(&self, sharing: Arc<dyn Sharing<T>>) -> bool {
        self.cell.share(sharing)
    }

    /// Stops sending writes through `sharing` (if it is the one): they are local again,
    /// their versions going on from the last one.
    #[cfg(feature = "farm")]
    pub(crate) fn unshare(&self, sharing: &Arc<dyn Sharing<T>>) {
        self.cell.unshare(sharing);
    }

    /// A watcher of the changes after now: see [`Watch`].
    pub fn watch(&self) -> Watch<T> {
        Watch::new(self.cell.clone())
    }

    /// The view of this variable that a host holds ([`AnyVariable`]): reads, writes and
    /// watches with `Value`s. It is a handle too: the variable lives while it does.
    pub fn erased(&self) -> Arc<dyn AnyVariable> {
        let schema = self.cell.schema.unwrap_or_else(builder::open_schema::<T>);
        Arc::new(erased::Erased::new(self.clone(), schema))
    }

    /// Whether `self` and `other` are handles to the same variable.
    pub fn ptr_eq(&self, other: &Variable<T>) -> bool {
        Arc::ptr_eq(&self.cell, &other.cell)
    }
}

/// What a write did: the version written and the value it replaced.
struct Written<T> {
    version: u64,
    replaced: T,
}

impl<T: VariableValue> ToAnyVariable for Variable<T> {
    fn to_any_variable(&self) -> Arc<dyn AnyVariable> {
        self.erased()
    }
}

impl<T: VariableValue> Clone for Variable<T> {
    fn clone(&self) -> Self {
        self.cell.add_handle();
        Variable {
            cell: self.cell.clone(),
        }
    }
}

impl<T: VariableValue> Drop for Variable<T> {
    fn drop(&mut self) {
        self.cell.drop_handle();
    }
}

impl<T: VariableValue + fmt::Debug> fmt::Debug for Variable<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let current = self.cell.read();
        f.debug_struct("Variable")
            .field("value", &current.value)
            .field("version", &current.version)
            .field("write_role", &self.write_role())
            .finish()
    }
}

#[cfg(test)]
mod tests;
