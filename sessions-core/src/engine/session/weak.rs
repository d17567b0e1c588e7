//! [`WeakSession`]: a handle that does not keep its session alive.

use std::fmt;
use std::sync::Weak;

use super::{Session, SessionInner};
use crate::SessionId;

/// A handle that does not keep its session alive.
///
/// This is what to keep in a struct field, a queue or a background job (Xojo's advice:
/// "don't hold hard references to sessions"). [`upgrade`](WeakSession::upgrade) gives the
/// session back while it is open.
///
/// ```
/// use sessions_core::Engine;
///
/// let engine = Engine::new();
/// let session = engine.open()?;
/// let weak = session.downgrade();
/// assert!(weak.upgrade().is_some());
/// engine.close(session.id())?;
/// assert!(weak.upgrade().is_none());
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
#[derive(Clone)]
pub struct WeakSession {
    pub(super) id: SessionId,
    pub(super) inner: Weak<SessionInner>,
}

impl WeakSession {
    /// The session, while it is open; `None` once it is closed.
    pub fn upgrade(&self) -> Option<Session> {
        let inner = self.inner.upgrade()?;
        let session = Session { inner };
        session.is_open().then_some(session)
    }

    /// The id of the session, open or not.
    pub fn id(&self) -> SessionId {
        self.id
    }
}

impl fmt::Debug for WeakSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("WeakSession").field(&self.id).finish()
    }
}
