//! What can go wrong with sessions and engines.

use crate::SessionId;

/// Why a session operation failed.
///
/// Every message names what was asked for and what was found, so it can be logged as it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// Code that needs a current session ran where none is current (a plain thread, a
    /// timer, start-up code). Enter one with [`Session::enter`](crate::Session::enter) or
    /// [`Engine::impersonate_root`](crate::Engine::impersonate_root).
    #[error("no session is current on this thread: enter a session or impersonate the root session first")]
    NoContext,
    /// No open session has this id: it never existed, or it has been closed.
    #[error("no open session has id {0}")]
    NotFound(SessionId),
    /// Another session is current, and entering a different one would mix two users'
    /// contexts on one thread.
    #[error("cannot enter session {requested}: session {current} is current on this thread")]
    Mismatch {
        /// The session that is current.
        current: SessionId,
        /// The session that was asked for.
        requested: SessionId,
    },
    /// The engine already has as many open sessions as its `max_sessions` allows.
    #[error("cannot open a session: the engine's limit of {max} open sessions is reached")]
    Capacity {
        /// The engine's `max_sessions`.
        max: usize,
    },
    /// The session's mailbox is full: the message was not queued.
    #[error("the mailbox of session {0} is full: the message was not queued")]
    MailboxFull(SessionId),
    /// No live engine has this name.
    #[error("no engine is named {0:?}")]
    UnknownEngine(String),
    /// The session's outbox is full: the notification was not queued.
    #[error("the outbox of session {0} is full: the notification was not queued")]
    OutboxFull(SessionId),
    /// A notification's payload could not be written as a `Value`.
    #[error("the payload of notification {topic:?} cannot be written: {reason}")]
    InvalidPayload {
        /// The notification's topic.
        topic: String,
        /// Why (its `Serialize` impl failed).
        reason: String,
    },
    /// A live engine already has this name.
    #[error("an engine named {0:?} already exists")]
    NameTaken(String),
    /// An exported method with `role = "…"` was called in a session whose user lacks the
    /// role (or that has no user); the method did not run. Also what
    /// [`Variable::set`](crate::Variable::set) answers for a variable with that write role:
    /// nothing was written.
    #[error("the method needs the role {role:?}, which the session's user does not have")]
    Forbidden {
        /// The role the method needs.
        role: String,
    },
    /// A variable shared beyond this process (on a farm: `Farm::share`, feature `farm`)
    /// could not be written where it is shared: its Redis did not answer within the farm's
    /// I/O timeout, refused, or the node has left. The value did not change on this node.
    /// When Redis stopped answering in the middle of the write, `reason` says the outcome
    /// is unknown: the write may have reached Redis, and then every node gets it.
    #[error("the shared variable was not written: {reason}; nothing changed on this node: write again once the farm's Redis answers")]
    Unavailable {
        /// What the farm met (names the variable's path and what Redis said).
        reason: String,
    },
}
