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
    /// The model holds as many variables as it may ([`MAX_VARIABLES`](crate::model::MAX_VARIABLES)):
    /// a new one was not added.
    TooManyVariables(usize),
    /// A text is longer than the application takes.
    TooLong {
        /// What the text is (`"variable name"`, `"notice"`).
        what: &'static str,
        /// Its length in bytes.
        bytes: usize,
        /// The most bytes taken.
        limit: usize,
    },
    /// A counter would pass `u64::MAX`: it was not changed.
    Overflow {
        /// The count before.
        count: u64,
        /// What was to be added.
        added: u64,
    },
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppError::Session(error) => error.fmt(f),
            AppError::EmptyUserName => f.write_str("the user name is empty"),
            AppError::UnknownVariable(name) => write!(f, "the model has no variable {name:?}"),
            AppError::Farm(error) => error.fmt(f),
            AppError::TooManyVariables(limit) => write!(
                f,
                "the model holds {limit} variables, as many as it may: set an existing one"
            ),
            AppError::TooLong { what, bytes, limit } => {
                write!(
                    f,
                    "the {what} is {bytes} bytes, more than the {limit} taken"
                )
            }
            AppError::Overflow { count, added } => write!(
                f,
                "adding {added} to the count {count} would pass {}: the count is unchanged",
                u64::MAX
            ),
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
