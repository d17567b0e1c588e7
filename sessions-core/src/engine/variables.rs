//! Exported variables: an engine exports a variable under a path
//! ([`Engine::export_variable`]), so that hosts read, write and watch it by that path
//! ([`Engine::variable`]); the returned handle unexports it when dropped. An exported
//! object's `Variable` fields are exported with it (`objects.rs`), as `<path>/<field>`.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};

use super::paths::path_problem;
use super::{Engine, EngineEvent, EngineShared};
use crate::lock::lock;
use crate::model::{AnyVariable, ToAnyVariable, VariableError};

/// The variables an engine exports, by path.
#[derive(Default)]
pub(crate) struct Variables {
    by_path: Mutex<BTreeMap<String, Arc<dyn AnyVariable>>>,
}

/// What [`Engine::variables`] lists of each exported variable.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct VariableInfo {
    /// Its path: what a host names it by.
    pub path: String,
    /// The Rust type of its value (`std::any::type_name`).
    pub type_name: &'static str,
    /// The role a user needs to write it, if any.
    pub write_role: Option<String>,
    /// The JSON Schema of its values (feature `schema`): the type's own when known,
    /// otherwise an open schema naming the Rust type.
    #[cfg(feature = "schema")]
    pub schema: schemars::Schema,
}

/// An exported variable: unexported when this is dropped (or
/// [`unexport`](Self::unexport)ed). The variable itself lives on while other handles do.
#[must_use = "the variable is unexported when its handle is dropped"]
pub struct VariableHandle {
    engine: Weak<EngineShared>,
    path: String,
}

impl VariableHandle {
    /// The path the variable is exported at.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Unexports the variable now: hosts no longer find it by its path.
    pub fn unexport(self) {}
}

impl Drop for VariableHandle {
    fn drop(&mut self) {
        if let Some(engine) = self.engine.upgrade() {
            let removed = lock(&engine.variables.by_path).remove(&self.path);
            if removed.is_some() {
                engine
                    .observers
                    .tell(EngineEvent::VariableDropped { path: &self.path });
            }
        }
    }
}

impl fmt::Debug for VariableHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VariableHandle")
            .field("path", &self.path)
            .finish()
    }
}

impl Engine {
    /// Exports `variable` under `path`: hosts read, write and watch it by that path
    /// ([`Engine::variable`]), and [`Engine::variables`] lists it. The returned handle
    /// unexports it when dropped.
    ///
    /// A path is one or more `/`-separated segments (`Line1/Oven/Target`), each non-empty,
    /// without `.`, whitespace or control characters, as an object's.
    ///
    /// ```
    /// use sessions_core::{Engine, Variable, Value};
    ///
    /// let engine = Engine::new();
    /// let target = Variable::builder(180.0).write_role("operator").build();
    /// let handle = engine.export_variable("Line1/Oven/Target", &target)?;
    /// let listed = engine.variables();
    /// assert_eq!(listed[0].path, "Line1/Oven/Target");
    /// assert_eq!(listed[0].write_role.as_deref(), Some("operator"));
    ///
    /// // What a host does: find it by path, write in a session, read it back.
    /// let found = engine.variable("Line1/Oven/Target").expect("exported");
    /// let _root = engine.impersonate_root();
    /// assert_eq!(found.write(Value::Float(200.0))?, 1);
    /// assert_eq!(target.get(), 200.0);
    ///
    /// drop(handle);
    /// assert!(engine.variable("Line1/Oven/Target").is_none());
    /// # Ok::<(), sessions_core::VariableError>(())
    /// ```
    ///
    /// # Errors
    /// [`VariableError::InvalidPath`], or [`VariableError::PathTaken`] when another live
    /// variable has the path on this engine.
    pub fn export_variable<V: ToAnyVariable + ?Sized>(
        &self,
        path: &str,
        variable: &V,
    ) -> Result<VariableHandle, VariableError> {
        self.export_any_variable(path, variable.to_any_variable())
    }

    /// [`export_variable`](Self::export_variable) of an erased variable.
    pub(crate) fn export_any_variable(
        &self,
        path: &str,
        variable: Arc<dyn AnyVariable>,
    ) -> Result<VariableHandle, VariableError> {
        if let Some(why) = path_problem(path) {
            return Err(VariableError::InvalidPath {
                path: path.to_owned(),
                why,
            });
        }
        {
            let mut by_path = lock(&self.shared.variables.by_path);
            if by_path.contains_key(path) {
                return Err(VariableError::PathTaken(path.to_owned()));
            }
            by_path.insert(path.to_owned(), variable);
        }
        self.shared
            .observers
            .tell(EngineEvent::VariableExported { path });
        Ok(VariableHandle {
            engine: Arc::downgrade(&self.shared),
            path: path.to_owned(),
        })
    }

    /// The variable exported at `path` on this engine, for a host to read, write (in the
    /// session it entered) and watch.
    pub fn variable(&self, path: &str) -> Option<Arc<dyn AnyVariable>> {
        lock(&self.shared.variables.by_path).get(path).cloned()
    }

    /// The exported variables themselves, by path (sorted), in one look: for a host that
    /// keeps a node per variable (the OPC UA host's address space).
    #[cfg_attr(not(feature = "opcua"), allow(dead_code))]
    pub(crate) fn exported_variables(&self) -> Vec<(String, Arc<dyn AnyVariable>)> {
        lock(&self.shared.variables.by_path)
            .iter()
            .map(|(path, variable)| (path.clone(), variable.clone()))
            .collect()
    }

    /// The variables this engine exports, sorted by path.
    pub fn variables(&self) -> Vec<VariableInfo> {
        let by_path = lock(&self.shared.variables.by_path).clone();
        by_path
            .into_iter()
            .map(|(path, variable)| VariableInfo {
                path,
                type_name: variable.type_name(),
                write_role: variable.write_role().map(str::to_owned),
                #[cfg(feature = "schema")]
                schema: variable.schema(),
            })
            .collect()
    }
}
