//! The application's error type: what its exported methods return on failure.

use std::fmt;

use sessions_core::farm::FarmError;
use sessions_core::SessionError;

/// Why an exported method of the example application failed.
///
/// Its message is what the method logs and what a host reads in `CallOutcome::error`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppError {
    /// The session rule or a session operation failed.
    Session(SessionError),
    /// A user name was empty.
    EmptyUserName,
    /// The model has no variable with this name.
    UnknownVariable(String),
    /// The farm of servers failed (Redis cannot be reached, an inbox is full).
    Farm(FarmError),
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Session(error) => error.fmt(f),
            AppError::EmptyUserName => f.write_str("the user name is empty"),
            AppError::UnknownVariable(name) => write!(f, "the model has no variable {name:?}"),
            AppError::Farm(error) => error.fmt(f),
        }
    }
}

impl std::error::Error for AppError {}

// `session = require` methods need it: a call outside any session becomes
// `AppError::Session(SessionError::NoContext)`.
impl From<SessionError> for AppError {
    fn from(error: SessionError) -> AppError {
        AppError::Session(error)
    }
}

impl From<FarmError> for AppError {
    fn from(error: FarmError) -> AppError {
        AppError::Farm(error)
    }
}
