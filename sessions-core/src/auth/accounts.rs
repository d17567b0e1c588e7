//! [`Accounts`]: a store of users with the throttling of failed attempts around it; what
//! the hosts log users in with.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

use crate::auth::{AccountStore, AccountsError, AccountsFile, AuthError, Throttle};
use crate::User;

/// The users a host logs in: an [`AccountStore`] (by default an [`AccountsFile`]) and a
/// [`Throttle`] of failed attempts. Cheap to clone: clones share the store and the throttle,
/// so a web host and an OPC UA host given clones of one `Accounts` throttle together.
///
/// [`verify`](Self::verify) is slow on purpose (one Argon2id hash, tens of milliseconds):
/// async code calls it inside `tokio::task::spawn_blocking`, never on a runtime worker.
///
/// ```no_run
/// use sessions_core::auth::{Accounts, AuthError};
///
/// let accounts = Accounts::load("accounts.toml")?;
/// match accounts.verify("alice", "her password", Some("192.0.2.7")) {
///     Ok(user) => println!("{user} logged in, roles {:?}", user.roles().collect::<Vec<_>>()),
///     Err(AuthError::Throttled { retry_after }) => println!("wait {retry_after:?}"),
///     Err(error) => println!("{error}"),
/// }
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct Accounts {
    store: Arc<dyn AccountStore>,
    throttle: Throttle,
}

impl Accounts {
    /// The users of the accounts file at `path` ([`AccountsFile::load`]), with the default
    /// throttle.
    pub fn load(path: impl AsRef<Path>) -> Result<Accounts, AccountsError> {
        Ok(Accounts::new(AccountsFile::load(path)?))
    }

    /// The users of `store`, with the default throttle ([`Throttle::builder`]).
    pub fn new(store: impl AccountStore) -> Accounts {
        Accounts {
            store: Arc::new(store),
            throttle: Throttle::default(),
        }
    }

    /// The same users, with this throttle (another clock or limits, or a throttle shared
    /// with another host).
    pub fn with_throttle(mut self, throttle: Throttle) -> Accounts {
        self.throttle = throttle;
        self
    }

    /// The user `name`, with the roles the store gives them, if `password` is theirs.
    ///
    /// `peer` is what the host knows the client by (its IP address, without the port):
    /// failed attempts are throttled per name and per peer. An attempt refused by the
    /// throttle is [`AuthError::Throttled`], without a check. An unknown name and a wrong
    /// password are both [`AuthError::Invalid`], after the same work (one hash).
    ///
    /// Blocks for one Argon2id hash: run it off an async runtime's workers.
    pub fn verify(
        &self,
        name: &str,
        password: &str,
        peer: Option<&str>,
    ) -> Result<User, AuthError> {
        let attempt = self.throttle.begin(name, peer)?;
        let answer = self.store.check(name, password);
        match &answer {
            Ok(_) => attempt.succeeded(),
            Err(AuthError::Invalid) => attempt.failed(),
            // The store could not answer (or gave an answer only a throttle gives): not the
            // client's failure.
            Err(_) => drop(attempt),
        }
        answer
    }

    /// [`verify`](Self::verify) on tokio's blocking pool (`spawn_blocking`), so that the hash
    /// never holds up a runtime worker: what an async host calls (feature `tokio`).
    ///
    /// A store that panics is [`AuthError::Unavailable`]; the attempt then counts as
    /// neither a failure nor a success.
    #[cfg(feature = "tokio")]
    pub async fn verify_async(
        &self,
        name: String,
        password: String,
        peer: Option<String>,
    ) -> Result<User, AuthError> {
        let accounts = self.clone();
        tokio::task::spawn_blocking(move || accounts.verify(&name, &password, peer.as_deref()))
            .await
            .unwrap_or_else(|error| {
                Err(AuthError::Unavailable {
                    source: format!("the password check did not finish: {error}").into(),
                })
            })
    }

    /// Reads the users again ([`AccountStore::reload`]). On an error, the users before stay.
    pub fn reload(&self) -> Result<(), AccountsError> {
        self.store.reload()
    }

    /// Reloads if the store's source changed ([`AccountStore::reload_if_changed`]), and
    /// says whether it did: cheap enough to call before each log-in, or from a timer.
    pub fn reload_if_changed(&self) -> Result<bool, AccountsError> {
        self.store.reload_if_changed()
    }

    /// The throttle of failed attempts, to share with another host or check by hand.
    pub fn throttle(&self) -> &Throttle {
        &self.throttle
    }
}

impl fmt::Debug for Accounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Accounts")
            .field("throttle", &self.throttle)
            .finish_non_exhaustive()
    }
}
