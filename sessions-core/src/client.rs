//! Which browser a session came from.

use std::fmt;
use std::sync::Arc;

/// What a browser's cookie carries, so the sessions of one browser can be found together.
///
/// Every browser tab is its own session (as in Xojo Web); a host that sets a cookie on the
/// first visit opens the session of each later tab with
/// [`Engine::open_for_client`](crate::Engine::open_for_client), and
/// [`Engine::sessions_for_client`](crate::Engine::sessions_for_client) finds them all.
///
/// ```
/// use sessions_core::{ClientId, Engine};
///
/// let engine = Engine::new();
/// let browser = ClientId::new("cookie-7f3a");
/// let tab1 = engine.open_for_client(browser.clone())?;
/// let tab2 = engine.open_for_client(browser.clone())?;
/// engine.open()?; // another browser
/// assert_eq!(engine.sessions_for_client(&browser).len(), 2);
/// assert_eq!(tab1.client(), Some(browser));
/// # drop(tab2);
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ClientId(Arc<str>);

impl ClientId {
    /// A client id with this text, as read from the cookie.
    pub fn new(id: impl Into<String>) -> ClientId {
        ClientId(Arc::from(id.into()))
    }

    /// The text of the id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ClientId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientId({:?})", &*self.0)
    }
}
