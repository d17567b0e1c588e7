//! [`Failure`]: why a call that ran did not succeed, as a type, so that a host maps it to its
//! wire (a JSON-RPC code, an OPC UA status) without reading the message's text.

use std::fmt;

use crate::SessionError;

/// Why a call that ran failed: what [`CallOutcome::failure`](crate::CallOutcome::failure)
/// gives. A host maps it to its wire in one exhaustive `match` (with a `_` arm for variants
/// added later); the outcome's [`error`](crate::CallOutcome::error) is its text, for display.
///
/// ```
/// use sessions_core::{export_method, methods, Failure, SessionError, Value};
///
/// /// Runs only in a session whose user has the role `admin`.
/// #[export_method(role = "admin")]
/// fn purge() -> Result<(), SessionError> {
///     Ok(())
/// }
///
/// // No session is current here: refused before the body ran.
/// let outcome = methods().call("purge", Vec::<Value>::new())?;
/// assert_eq!(outcome.failure(), Some(&Failure::Refused(SessionError::NoContext)));
/// # Ok::<(), sessions_core::CallError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Failure {
    /// The session rule or the method's role refused the call before its body ran
    /// ([`SessionError::NoContext`], [`SessionError::Forbidden`],
    /// [`SessionError::UnknownEngine`]): nothing the body would change has changed.
    Refused(SessionError),
    /// The body returned an error: its text, with its cause chain
    /// (`reading config: No such file or directory`).
    Method(String),
    /// The body panicked (or a conversion around it did): the panic's message. The panic
    /// was caught and logged, and the context stack is intact.
    Panicked(String),
    /// The method ran, but its return value or an out parameter could not be written as a
    /// [`Value`](crate::Value) (its `Serialize` impl failed): a fault of the program, not of
    /// the caller. The text names the value and why.
    Unsendable(String),
}

impl Failure {
    /// Whether the body may have run: `false` only for [`Refused`](Self::Refused).
    pub fn body_ran(&self) -> bool {
        !matches!(self, Failure::Refused(_))
    }
}

impl fmt::Display for Failure {
    /// The outcome's error text: the refusal's or the method's own message,
    /// `panicked: MESSAGE` for a panic.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Refused(error) => error.fmt(f),
            Failure::Method(text) | Failure::Unsendable(text) => f.write_str(text),
            Failure::Panicked(message) => write!(f, "panicked: {message}"),
        }
    }
}
