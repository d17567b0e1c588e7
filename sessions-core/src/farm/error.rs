//! What can go wrong in a farm.

use crate::{SessionError, SessionId};

/// Why a farm operation failed. Every message names what was being done and what was
/// found, so it can be logged as it is; none carries a password from the Redis URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FarmError {
    /// The Redis URL could not be read.
    #[error("the Redis URL {url:?} cannot be used: {reason}")]
    Url {
        /// The URL, its password (if any) replaced by `***`.
        url: String,
        /// Why redis-rs refused it.
        reason: String,
    },
    /// A node name or a namespace is not 1 to 64 of `A-Z a-z 0-9 _ . -`.
    #[error("the {what} {name:?} is not 1 to 64 characters among A-Z a-z 0-9 _ . -")]
    InvalidName {
        /// `"node name"` or `"namespace"`.
        what: &'static str,
        /// The name given.
        name: String,
    },
    /// Redis could not be reached, or a command failed. When the command was a `post`, the
    /// message may or may not have been queued (the answer was lost).
    #[error("Redis at {url} failed while {doing}: {reason}")]
    Redis {
        /// What the farm was doing (`"counting sessions"`, `"queuing a message"`…).
        doing: &'static str,
        /// The URL, its password (if any) replaced by `***`.
        url: String,
        /// What redis-rs or the server said.
        reason: String,
    },
    /// Redis answered something the farm's scripts never answer: another program writes
    /// the farm's keys, or the server is not Redis ≥ 7.
    #[error("Redis answered {what} with something unexpected: {found}")]
    Protocol {
        /// What was asked.
        what: &'static str,
        /// What came back, shortened.
        found: String,
    },
    /// Another live process holds this node name in the farm.
    #[error("node {node:?} is live in the farm (its lease ends in {lease_left_ms} ms): another process has joined with this name")]
    NodeTaken {
        /// The node name.
        node: String,
        /// How long the other holder's lease still runs, if it stops renewing it.
        lease_left_ms: u64,
    },
    /// This engine has joined a farm already, and still is in it.
    #[error("this engine has joined a farm already (as node {node:?})")]
    AlreadyJoined {
        /// The name the engine has in that farm.
        node: String,
    },
    /// No live node announces a session with this id: it never existed, it closed, its
    /// node's lease ended, or it was opened so recently that its node has not announced it
    /// yet (a node announces within about one Redis round trip; `Farm::flush` waits).
    #[error("no session with id {0} is open on any live node of the farm")]
    NotFound(SessionId),
    /// The inbox of the node that owns the session is full: the message was not queued.
    #[error("the inbox of node {node:?} holds {capacity} messages already: the message to session {session} was not queued")]
    InboxFull {
        /// The session the message was for.
        session: SessionId,
        /// Its node.
        node: String,
        /// The node's inbox capacity.
        capacity: u64,
    },
    /// The message (its arguments as JSON, and the method name) is larger than the node
    /// that owns the session takes.
    #[error("the message {method:?} is {bytes} bytes, more than node {node:?} takes ({limit}): it was not queued")]
    MessageTooLarge {
        /// The method the message calls.
        method: String,
        /// Its size: the arguments as JSON, and the method name.
        bytes: usize,
        /// The node that refused it.
        node: String,
        /// That node's `FarmBuilder::max_message_bytes`.
        limit: usize,
    },
    /// The session is on this node, and the engine refused the message (its mailbox is
    /// full, or it closed).
    #[error(transparent)]
    Session(#[from] SessionError),
    /// A variable could not be shared ([`Farm::share`](super::Farm::share)) at this path:
    /// the path is not one a host can name, this node shares another variable there, the
    /// variable is shared already, or its value is not JSON the farm takes.
    #[error("cannot share a variable at {path:?}: {why}")]
    CannotShare {
        /// The path given.
        path: String,
        /// What is wrong, and what to do.
        why: String,
    },
    /// The farm was left (`Farm::leave`, or the last handle dropped).
    #[error("this node has left the farm")]
    Left,
    /// The farm's background thread could not be started.
    #[error("cannot start the farm's {thread} thread: {reason}")]
    Thread {
        /// Which thread.
        thread: &'static str,
        /// What the operating system said.
        reason: String,
    },
}
