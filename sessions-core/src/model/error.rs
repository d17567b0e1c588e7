//! What can go wrong exporting, reading or writing a variable.

use crate::{SessionError, ValueError};

/// Why a variable could not be exported, read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VariableError {
    /// The session rule refused a write: [`SessionError::NoContext`] outside any session
    /// context, [`SessionError::Forbidden`] for a user without the variable's write role.
    /// Nothing changed.
    #[error("the variable was not written: {0}")]
    Session(#[from] SessionError),
    /// A host's value is not one of the variable's type. Nothing changed.
    #[error("the value is not a `{expected}`: {error}; write a value of that type")]
    WrongType {
        /// The variable's Rust type.
        expected: &'static str,
        /// Why the value did not convert.
        error: ValueError,
    },
    /// The variable's value could not be written as a `Value` (its `Serialize` failed).
    #[error("the value of a `{type_name}` cannot be written as a value: {error}")]
    Unreadable {
        /// The variable's Rust type.
        type_name: &'static str,
        /// Why.
        error: ValueError,
    },
    /// The variable is shared beyond this process (on a farm), and the write could not
    /// reach where it is shared: what [`SessionError::Unavailable`] says to
    /// `Variable::set`. Nothing changed on this node.
    #[error("the shared variable was not written: {reason}; nothing changed on this node: write again once the farm's Redis answers")]
    Unavailable {
        /// What the farm met (names the variable's path and what Redis said).
        reason: String,
    },
    /// The path is not one a host can name.
    #[error("cannot export a variable at {path:?}: {why}")]
    InvalidPath {
        /// The path given.
        path: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Another live variable has this path on this engine.
    #[error(
        "a variable is already exported at {0:?}: drop its handle first, or choose another path"
    )]
    PathTaken(String),
}
