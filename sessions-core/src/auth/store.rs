//! Where users are kept: the [`AccountStore`] trait, so an application can keep them in a
//! directory server or a database instead of the file that ships.

use crate::auth::{AccountsError, AuthError};
use crate::User;

/// A place that knows users, their roles and their passwords.
///
/// [`AccountsFile`](crate::auth::AccountsFile) is the one that ships. Another store (LDAP,
/// a database) implements [`check`](Self::check), and
/// [`Accounts::new`](crate::auth::Accounts::new) puts the throttling of failed attempts
/// around it, so every store is throttled alike.
///
/// `check` is called off the async runtime's workers (the hosts run it with
/// `spawn_blocking`): it may block, on a hash or on the network.
pub trait AccountStore: Send + Sync + 'static {
    /// The user `name`, with their roles, if `password` is theirs.
    ///
    /// An unknown name and a wrong password must give the same answer,
    /// [`AuthError::Invalid`], after the same work: a store that hashes passwords checks an
    /// unknown name's password against a dummy hash made with the same parameters
    /// ([`dummy_hash`](crate::auth::dummy_hash)). [`AuthError::Unavailable`] is for the
    /// store's own failures; [`AuthError::Throttled`] is not for stores to give.
    fn check(&self, name: &str, password: &str) -> Result<User, AuthError>;

    /// Reads the users again from where they are kept. On an error the store keeps the
    /// users it had. The default does nothing (a store that reads its source on each check).
    fn reload(&self) -> Result<(), AccountsError> {
        Ok(())
    }

    /// Reloads if the source changed since it was last read, and says whether it did. The
    /// default says no.
    fn reload_if_changed(&self) -> Result<bool, AccountsError> {
        Ok(false)
    }
}

/// A shared store: the application keeps a handle to it (to count, to close a connection).
impl<S: AccountStore + ?Sized> AccountStore for std::sync::Arc<S> {
    fn check(&self, name: &str, password: &str) -> Result<User, AuthError> {
        (**self).check(name, password)
    }

    fn reload(&self) -> Result<(), AccountsError> {
        (**self).reload()
    }

    fn reload_if_changed(&self) -> Result<bool, AccountsError> {
        (**self).reload_if_changed()
    }
}
