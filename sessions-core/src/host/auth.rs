//! [`Credentials`] and [`Authenticate`]: one shape for telling who a client is, whatever
//! host it came through.

use std::fmt;
use std::net::IpAddr;

use crate::User;

/// What a client presented to be known by: a user name and password (an OPC UA user name
/// token), request headers (a web request: a proxy's header, a bearer token), and its
/// network address when the transport knows it.
#[derive(Clone, Copy)]
pub struct Credentials<'a> {
    password: Option<(&'a str, &'a str)>,
    header: Option<&'a HeaderLookup<'a>>,
    peer: Option<IpAddr>,
}

/// How [`Credentials`] read a request's headers: a name (case-insensitive) to its value as
/// text.
pub type HeaderLookup<'a> = dyn Fn(&str) -> Option<&'a str> + Sync + 'a;

impl<'a> Credentials<'a> {
    /// A user name and a password.
    pub fn password(user: &'a str, password: &'a str) -> Credentials<'a> {
        Credentials {
            password: Some((user, password)),
            header: None,
            peer: None,
        }
    }

    /// A request's headers, read through `header` (a name, case-insensitive, to its value
    /// as text).
    pub fn headers(header: &'a HeaderLookup<'a>) -> Credentials<'a> {
        Credentials {
            password: None,
            header: Some(header),
            peer: None,
        }
    }

    /// The same, from the client at `peer`.
    pub fn from_peer(mut self, peer: Option<IpAddr>) -> Credentials<'a> {
        self.peer = peer;
        self
    }

    /// The user name and password given, if any.
    pub fn user_and_password(&self) -> Option<(&'a str, &'a str)> {
        self.password
    }

    /// The value of the request header `name`, if the client sent one (web hosts only).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.header.and_then(|header| header(name))
    }

    /// The client's network address, when the transport knows it.
    pub fn peer(&self) -> Option<IpAddr> {
        self.peer
    }
}

impl fmt::Debug for Credentials<'_> {
    // Never the password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.password.map(|(user, _)| user))
            .field("headers", &self.header.is_some())
            .field("peer", &self.peer)
            .finish()
    }
}

/// A host's authentication hook: the [`User`] that `credentials` stand for, with their roles,
/// or `None` to leave the connection anonymous (a web tab) or refuse the log-in (an OPC UA
/// user name token).
///
/// It may be slow (a password hash): hosts call it off their async workers.
///
/// ```
/// use std::sync::Arc;
/// use sessions_core::host::{Authenticate, Credentials};
/// use sessions_core::User;
///
/// // The user a trusted reverse proxy names in a header.
/// let hook: Arc<Authenticate> = Arc::new(|credentials: &Credentials<'_>| {
///     credentials.header("x-forwarded-user").map(User::new)
/// });
/// let header = |name: &str| (name == "x-forwarded-user").then_some("ada");
/// assert_eq!(hook(&Credentials::headers(&header)).map(|u| u.name().to_owned()), Some("ada".to_owned()));
/// assert!(hook(&Credentials::password("ada", "secret")).is_none());
/// ```
pub type Authenticate = dyn Fn(&Credentials<'_>) -> Option<User> + Send + Sync;
