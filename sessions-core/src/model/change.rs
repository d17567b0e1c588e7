//! One change of a variable: the value, its version, when and by whom.

use std::time::SystemTime;

use crate::{SessionId, User};

/// A variable's value as one change left it: what a watcher receives, and what
/// [`Variable::last_change`](crate::Variable::last_change) returns.
#[derive(Clone, Debug, PartialEq)]
pub struct Change<T> {
    /// The value.
    pub value: T,
    /// Its version: 0 for the initial value, one more for each change after it.
    pub version: u64,
    /// When it was written (when the variable was made, for version 0).
    pub at: SystemTime,
    /// Who wrote it; `None` for the initial value.
    pub by: Option<WrittenBy>,
}

impl<T> Change<T> {
    /// The same change with its value mapped (a host's `Value` of it, for instance).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Change<U> {
        Change {
            value: f(self.value),
            version: self.version,
            at: self.at,
            by: self.by,
        }
    }
}

/// Who wrote a change: the session it was written in, and that session's user then.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct WrittenBy {
    /// The session current when it was written (a root session for impersonated code).
    pub session: SessionId,
    /// Whether that session is an engine's root session.
    pub root: bool,
    /// The session's user then, if it had one (`user.name()`).
    pub user: Option<User>,
}
