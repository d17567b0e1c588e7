//! Variables shared on the farm: [`Farm::share`] makes a [`Variable`] one value on every
//! node that shares it at the same path.
//!
//! A write (`Variable::set` under its session rule, or a host's write) goes to Redis first,
//! in one script (`VAR_WRITE`): the next version above what Redis and the writer hold, the
//! value, the time by Redis's clock and the writer, stored and published at once. Redis runs
//! one script at a time, so the versions of a variable follow one order that every node
//! sees. Every node (the writer too) takes a change when its version is newer than the one
//! it holds, so a version never goes back on a node, and a slow node skips to the newest.

use std::marker::PhantomData;
use std::sync::{Arc, Weak};
use std::time::{Duration, UNIX_EPOCH};

use super::node::Node;
use super::replica::{by_args, millis, Held, Remote, Replica};
use super::reply::{list, text, unexpected};
use super::{blocking, scripts, vars, Farm, FarmError};
use crate::engine::path_problem;
use crate::lock::lock;
use crate::model::{Change, WrittenBy};
use crate::variable::{Sharing, Stamp, VariableValue};
use crate::Variable;

/// A variable shared on the farm ([`Farm::share`]): it stays shared while this handle
/// lives. Dropped (or [`unshare`](Self::unshare)d), the variable is local again: it keeps
/// its value, and its writes stay on this node, their versions going on from the last.
#[must_use = "the variable is shared while its handle lives"]
pub struct SharedVariable {
    path: String,
    node: Weak<Node>,
    entry: Arc<dyn Replica>,
}

impl SharedVariable {
    /// The path it is shared at.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Stops sharing it now.
    pub fn unshare(self) {}
}

impl Drop for SharedVariable {
    fn drop(&mut self) {
        if let Some(node) = self.node.upgrade() {
            let mut shared = lock(&node.shared);
            if shared
                .get(&self.path)
                .is_some_and(|entry| Arc::ptr_eq(entry, &self.entry))
            {
                shared.remove(&self.path);
            }
        }
        self.entry.unshare();
    }
}

impl std::fmt::Debug for SharedVariable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedVariable")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl Farm {
    /// Shares `variable` on the farm at `path` (a path as `Engine::export_variable` takes,
    /// `Line1/Oven/Target`): on every node that shares a variable at this path, it is one
    /// value. Before this returns, the variable holds the farm's value (this node's, when
    /// no node has shared one at this path yet, or Redis lost it).
    ///
    /// - A write on any node ([`Variable::set`] under its session rule, unchanged, or a
    ///   host's write) goes to Redis first, which gives it the next version, and reaches
    ///   the watchers on every node. `set` blocks for that round trip, never longer than
    ///   the farm's I/O timeout ([`FarmBuilder::io_timeout`](super::FarmBuilder::io_timeout)),
    ///   off an async worker. A refused write (no context, a user without the write role)
    ///   goes nowhere.
    /// - With Redis down, `set` fails with [`SessionError::Unavailable`](crate::SessionError::Unavailable)
    ///   within that timeout, and nothing changes: nothing is queued, so nothing is lost
    ///   silently.
    /// - After a Redis restart or a lost connection, every node reads every shared value
    ///   again; a write made after the restart is kept, and every node takes it.
    /// - A value in Redis that is not of `T` (another program wrote the key, or two nodes
    ///   share one path with different types) is logged and counted
    ///   ([`FarmReport::shared_invalid`](super::FarmReport::shared_invalid)), never applied.
    ///
    /// Each change's writer crosses the farm with its session id and user name, not the
    /// user's roles. A value's JSON must fit in the farm's message limit
    /// ([`FarmBuilder::max_message_bytes`](super::FarmBuilder::max_message_bytes)). The
    /// variable is shared while the returned handle lives, or until the node leaves.
    ///
    /// ```no_run
    /// use sessions_core::farm::Farm;
    /// use sessions_core::{Engine, Variable};
    ///
    /// let engine = Engine::new();
    /// let farm = Farm::join(&engine, "redis://127.0.0.1:6379", "a")?;
    /// let target = Variable::builder(180.0).write_role("operator").build();
    /// let _shared = farm.share(&target, "Line1/Oven/Target")?;
    /// let _exported = engine.export_variable("Line1/Oven/Target", &target)?;
    /// // A write here, or on any node sharing `Line1/Oven/Target`, reaches every watcher.
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`FarmError::CannotShare`] when the path is not one a host can name, this node
    /// shares another variable at it, the variable is shared already, or its value is not
    /// JSON the farm takes; [`FarmError::Redis`] when Redis could not be read within the
    /// I/O timeout (the variable is not shared then); [`FarmError::Left`].
    pub fn share<T: VariableValue>(
        &self,
        variable: &Variable<T>,
        path: &str,
    ) -> Result<SharedVariable, FarmError> {
        let node = self.node();
        node.check_live()?;
        let cannot = |why: &str| FarmError::CannotShare {
            path: path.to_owned(),
            why: why.to_owned(),
        };
        if let Some(why) = path_problem(path) {
            return Err(cannot(why));
        }
        let sharing: Arc<dyn Sharing<T>> = Arc::new(Writer::<T> {
            path: path.to_owned(),
            node: self.weak_node(),
            _type: PhantomData,
        });
        let entry: Arc<dyn Replica> = Arc::new(Entry {
            variable: variable.clone(),
            sharing: sharing.clone(),
        });
        {
            let mut shared = lock(&node.shared);
            if shared.contains_key(path) {
                return Err(cannot(
                    "this node shares another variable at this path: drop its `SharedVariable` \
                     first, or choose another path",
                ));
            }
            if !variable.share(sharing) {
                return Err(cannot(
                    "the variable is shared already (at another path, or on another farm): \
                     share it once",
                ));
            }
            shared.insert(path.to_owned(), entry.clone());
        }
        let handle = SharedVariable {
            path: path.to_owned(),
            node: self.weak_node(),
            entry,
        };
        // Dropped on an error: the variable is local again.
        self.start_vars()?;
        blocking::off_worker(|| vars::seed(node, path, &*handle.entry, node.link.deadline()))?;
        Ok(handle)
    }
}

/// A shared variable as the farm's threads hold it.
struct Entry<T: VariableValue> {
    variable: Variable<T>,
    sharing: Arc<dyn Sharing<T>>,
}

impl<T: VariableValue> Replica for Entry<T> {
    fn held(&self) -> Result<Held, String> {
        let change = self.variable.last_change();
        let value = serde_json::to_string(&change.value).map_err(|error| {
            format!("its value cannot be written as JSON ({error}): share a type that can")
        })?;
        Ok(Held {
            value,
            version: change.version,
            at_ms: millis(change.at),
            by: change.by,
        })
    }

    fn apply(&self, remote: Remote) -> Result<bool, String> {
        let value: T = serde_json::from_str(&remote.value).map_err(|error| {
            format!(
                "the value is not a `{}`: {error}",
                std::any::type_name::<T>()
            )
        })?;
        Ok(self.variable.apply(Change {
            value,
            version: remote.version,
            at: remote.at,
            by: remote.by,
        }))
    }

    fn unshare(&self) {
        self.variable.unshare(&self.sharing);
    }
}

/// Where a shared variable's writes go: `VAR_WRITE`. Holds the node weakly (the node holds
/// the variable).
struct Writer<T> {
    path: String,
    node: Weak<Node>,
    _type: PhantomData<fn(&T)>,
}

impl<T: VariableValue> Sharing<T> for Writer<T> {
    fn write(&self, value: &T, by: &WrittenBy, floor: u64) -> Result<Stamp<T>, String> {
        const DOING: &str = "writing a shared variable";
        let path = &self.path;
        let Some(node) = self.node.upgrade() else {
            return Err(format!("variable {path:?}: {}", FarmError::Left));
        };
        node.check_live()
            .map_err(|error| format!("variable {path:?}: {error}"))?;
        let json = serde_json::to_string(value).map_err(|error| {
            format!("variable {path:?}: the value cannot be written as JSON: {error}")
        })?;
        if json.len() > node.max_message_bytes {
            return Err(format!(
                "variable {path:?}: the value is {} bytes as JSON, more than the farm takes \
                 ({} bytes, `FarmBuilder::max_message_bytes`)",
                json.len(),
                node.max_message_bytes
            ));
        }
        let [s, r, hu, u] = by_args(Some(by));
        let floor = floor.to_string();
        // Not repeatable: a write made twice would be two versions.
        let reply = blocking::off_worker(|| {
            node.script(
                DOING,
                false,
                &scripts::VAR_WRITE,
                &[path, &json, &floor, &s, &r, &hu, &u],
            )
        })
        .map_err(|error| match error {
            FarmError::Redis { .. } => format!(
                "variable {path:?}: {error} (if Redis got the write before it stopped \
                 answering, it may still make it: then every node takes it)"
            ),
            other => format!("variable {path:?}: {other}"),
        })?;
        let stamp = || -> Option<Stamp<T>> {
            let items = list(&reply)?;
            let field = |at: usize| items.get(at).and_then(text);
            let version = field(0)?.parse().ok()?;
            let at = UNIX_EPOCH + Duration::from_millis(field(1)?.parse().ok()?);
            let replaced = match field(2)?.as_str() {
                // The value it replaced, when it is of this type.
                "1" => serde_json::from_str(&field(3)?).ok(),
                _ => None,
            };
            Some(Stamp {
                version,
                at,
                replaced,
            })
        };
        stamp().ok_or_else(|| {
            format!(
                "variable {path:?}: {} (the write may have been made)",
                unexpected(DOING, &reply)
            )
        })
    }
}
