//! Accounts (feature `auth`): users with roles and Argon2id password hashes, from a TOML
//! file or a store of the application's own, verified with throttling of failed attempts.
//!
//! - [`Accounts`]: what a host logs users in with: [`Accounts::verify`]`(name, password,
//!   peer)`, [`reload`](Accounts::reload), [`reload_if_changed`](Accounts::reload_if_changed).
//! - [`AccountsFile`]: the users of a TOML file (`[[user]] name, password_hash, roles`), the
//!   [`AccountStore`] that ships; [`AccountsFile::add`] makes an entry.
//! - [`Throttle`]: failed attempts per user name and per peer, for any store and any host.
//! - [`hash_password`]: the PHC string for an entry (the examples' `accounts add` program
//!   uses it).
//!
//! Passwords are never stored: only their Argon2id hashes, with OWASP's parameters by
//! default ([`HashParams::OWASP`]). Checking one costs a full hash on purpose (tens of
//! milliseconds and 19 MiB), so async code calls [`Accounts::verify`] and
//! [`hash_password`] inside `tokio::task::spawn_blocking`, never on a runtime worker
//! (`Accounts::verify_async`, with the `tokio` feature, does that).
//!
//! ```
//! use sessions_core::auth::{hash_password_with, Accounts, AccountsFile, AuthError, HashParams};
//!
//! # let dir = std::env::temp_dir().join(format!("sessions-auth-doc-{}", std::process::id()));
//! # std::fs::create_dir_all(&dir)?;
//! let path = dir.join("accounts.toml");
//! # let _ = std::fs::remove_file(&path);
//! let fast = HashParams::new(64, 1, 1)?; // tests only: the default is HashParams::OWASP
//! AccountsFile::add(&path, "alice", &["admin"], &hash_password_with("wonderland", fast)?)?;
//!
//! let accounts = Accounts::load(&path)?;
//! let alice = accounts.verify("alice", "wonderland", Some("192.0.2.7"))?;
//! assert!(alice.has_role("admin"));
//! assert!(matches!(
//!     accounts.verify("alice", "guess", Some("192.0.2.7")),
//!     Err(AuthError::Invalid)
//! ));
//! assert!(matches!(
//!     accounts.verify("mallory", "guess", Some("192.0.2.7")),
//!     Err(AuthError::Invalid)
//! ));
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod accounts;
mod error;
mod file;
mod hash;
mod store;
mod throttle;

pub use accounts::Accounts;
pub use error::{AccountsError, AuthError};
pub use file::AccountsFile;
pub use hash::{dummy_hash, hash_password, hash_password_with, verify_password, HashParams};
pub use store::AccountStore;
pub use throttle::{Attempt, Throttle, ThrottleBuilder};
