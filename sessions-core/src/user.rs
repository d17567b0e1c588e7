//! The user logged in to a session.

use std::fmt;
use std::sync::Arc;

/// A user logged in to a session: a name and, optionally, roles.
///
/// `User` is a cheap `Clone` (one reference count); a session without a user is
/// anonymous, like an Optix `UISession` whose `User` is null.
///
/// ```
/// use sessions_core::User;
///
/// let alice = User::new("alice").with_roles(["operator", "admin"]);
/// assert_eq!(alice.name(), "alice");
/// assert!(alice.has_role("admin"));
/// assert!(!alice.has_role("guest"));
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct User(Arc<UserData>);

#[derive(PartialEq, Eq, Hash)]
struct UserData {
    name: Box<str>,
    roles: Box<[Box<str>]>,
}

impl User {
    /// A user with this name and no roles.
    pub fn new(name: impl Into<String>) -> User {
        User(Arc::new(UserData {
            name: name.into().into_boxed_str(),
            roles: Box::default(),
        }))
    }

    /// The same user with these roles (replacing any it had).
    pub fn with_roles<I, R>(self, roles: I) -> User
    where
        I: IntoIterator<Item = R>,
        R: Into<String>,
    {
        let roles = roles
            .into_iter()
            .map(|role| role.into().into_boxed_str())
            .collect();
        User(Arc::new(UserData {
            name: self.0.name.clone(),
            roles,
        }))
    }

    /// The user's name.
    pub fn name(&self) -> &str {
        &self.0.name
    }

    /// The user's roles, in the order they were given.
    pub fn roles(&self) -> impl ExactSizeIterator<Item = &str> {
        self.0.roles.iter().map(|role| &**role)
    }

    /// Whether the user has this role.
    pub fn has_role(&self, role: &str) -> bool {
        self.0.roles.iter().any(|have| &**have == role)
    }
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name())
            .field("roles", &self.0.roles)
            .finish()
    }
}

impl fmt::Display for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
