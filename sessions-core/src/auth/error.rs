//! What went wrong verifying a password, or loading or changing the accounts.

use std::error::Error;
use std::path::PathBuf;
use std::time::Duration;

/// Why [`Accounts::verify`](crate::auth::Accounts::verify) let nobody in.
///
/// A host shows [`Invalid`](AuthError::Invalid) and
/// [`Throttled`](AuthError::Throttled) to the client as they are: neither tells whether the
/// name exists. [`Unavailable`](AuthError::Unavailable) is the store's own failure (a
/// directory server that does not answer): log it, and tell the client to try later.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// The name or the password is wrong; which one is not said, on purpose.
    #[error("wrong user name or password")]
    Invalid,
    /// Too many failed attempts for this name or from this peer: the attempt was refused
    /// without checking the password. Try again after `retry_after`.
    #[error("too many failed log-in attempts: try again in {} s", retry_after.as_secs().max(1))]
    Throttled {
        /// How long until an attempt is checked again.
        retry_after: Duration,
    },
    /// The account store could not answer (its server is down, its database failed).
    #[error("the account store is unavailable: {source}")]
    Unavailable {
        /// The store's error.
        #[source]
        source: Box<dyn Error + Send + Sync>,
    },
}

/// What is wrong with an accounts file, a password hash or its parameters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccountsError {
    /// The file could not be read or written.
    #[error("accounts file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML, or not the shape of an accounts file
    /// (`[[user]]` tables with `name`, `password_hash` and `roles`).
    #[error("accounts file {}, line {line}, column {column}: {message}", path.display())]
    Toml {
        /// The file.
        path: PathBuf,
        /// The line of the error, from 1.
        line: usize,
        /// The column of the error, from 1.
        column: usize,
        /// What is wrong there.
        message: String,
    },
    /// Two `[[user]]` entries have the same name.
    #[error(
        "accounts file {}: user `{name}` is defined twice, on line {first_line} and on line \
         {line}: remove one",
        path.display()
    )]
    Duplicate {
        /// The file.
        path: PathBuf,
        /// The name.
        name: String,
        /// The line of the first entry, from 1.
        first_line: usize,
        /// The line of the second entry, from 1.
        line: usize,
    },
    /// A `[[user]]` entry is well-formed TOML but not a usable account: an empty name or
    /// role, or a `password_hash` that is not an Argon2id PHC string.
    #[error("accounts file {}, line {line}: user `{name}`: {reason}", path.display())]
    Entry {
        /// The file.
        path: PathBuf,
        /// The line of the entry, from 1.
        line: usize,
        /// The entry's name.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A user with this name is already in the file (adding an entry).
    #[error("accounts file {}: user `{name}` exists already (line {line})", path.display())]
    Exists {
        /// The file.
        path: PathBuf,
        /// The name.
        name: String,
        /// The line of the existing entry, from 1.
        line: usize,
    },
    /// No user with this name is in the file (removing an entry).
    #[error("accounts file {}: no user `{name}`", path.display())]
    NoSuchUser {
        /// The file.
        path: PathBuf,
        /// The name.
        name: String,
    },
    /// A name or a role that an entry cannot have (adding an entry).
    #[error("{what} {value:?} is not allowed: {reason}")]
    BadName {
        /// `user name` or `role`.
        what: &'static str,
        /// The name given.
        value: String,
        /// Why not.
        reason: &'static str,
    },
    /// A password hash that is not an Argon2id PHC string.
    #[error("not an Argon2id password hash: {reason}")]
    BadHash {
        /// What is wrong with it.
        reason: String,
    },
    /// Argon2 parameters out of range.
    #[error("invalid Argon2 parameters: {reason}")]
    BadParams {
        /// Argon2's message.
        reason: String,
    },
    /// The system had no randomness for a salt.
    #[error("no random salt could be made: {reason}")]
    Random {
        /// The system's message.
        reason: String,
    },
}
