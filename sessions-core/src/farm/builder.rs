//! Settings for joining a farm: [`FarmBuilder`].

use std::fmt;
use std::time::Duration;

use super::keys::{check_name, Keys, DEFAULT_NAMESPACE};
use super::link::Link;
use super::node::Node;
use super::{Farm, FarmError};
use crate::Engine;

/// The default lease of a node: a node that stops renewing it (killed, hung, cut off)
/// loses its sessions this long after its last renewal at most.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(10);
/// The default capacity of a node's inbox, in messages.
pub const DEFAULT_INBOX_CAPACITY: u64 = 10_000;
/// The default largest message, in bytes of JSON arguments plus the method name.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// The default longest wait of one farm call for Redis (connecting, reading, writing).
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(5);
/// The default adoption grace: how long after a node's lease ended its sessions may still
/// be adopted by another node (see [`FarmBuilder::adoption_grace`]).
pub const DEFAULT_ADOPTION_GRACE: Duration = Duration::from_secs(30);
/// The shortest lease taken: shorter ones are raised to it.
pub const MIN_LEASE: Duration = Duration::from_millis(300);

/// Settings for joining a farm: made with [`Farm::builder`], finished with
/// [`join`](FarmBuilder::join).
#[must_use = "a FarmBuilder does nothing until `join` is called"]
pub struct FarmBuilder {
    engine: Engine,
    url: String,
    node: String,
    namespace: String,
    lease: Duration,
    grace: Duration,
    inbox_capacity: u64,
    max_message_bytes: usize,
    io_timeout: Duration,
    failover: bool,
}

impl FarmBuilder {
    pub(super) fn new(engine: &Engine, url: &str, node: &str) -> FarmBuilder {
        FarmBuilder {
            engine: engine.clone(),
            url: url.to_owned(),
            node: node.to_owned(),
            namespace: DEFAULT_NAMESPACE.to_owned(),
            lease: DEFAULT_LEASE,
            grace: DEFAULT_ADOPTION_GRACE,
            inbox_capacity: DEFAULT_INBOX_CAPACITY,
            max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
            io_timeout: DEFAULT_IO_TIMEOUT,
            failover: true,
        }
    }

    /// The prefix of every key the farm writes (default `sessions`), so several farms can
    /// share one Redis: 1 to 64 of `A-Z a-z 0-9 _ . -`.
    pub fn namespace(mut self, namespace: impl Into<String>) -> FarmBuilder {
        self.namespace = namespace.into();
        self
    }

    /// How long the node's sessions outlive its last renewal (default
    /// [`DEFAULT_LEASE`], at least [`MIN_LEASE`]). The node renews three times per lease,
    /// so a live node keeps it while it reaches Redis at least once in a third of it.
    pub fn lease(mut self, lease: Duration) -> FarmBuilder {
        self.lease = lease.max(MIN_LEASE);
        self
    }

    /// How long after a node's lease ended its sessions may still be adopted by another node
    /// on their tabs' reconnect (default [`DEFAULT_ADOPTION_GRACE`], as the web host's
    /// resume grace): meanwhile posts to them wait in the dead node's inbox and go with each
    /// session to its adopter; after it, what is left is counted undelivered
    /// ([`FarmReport::undelivered`](super::FarmReport::undelivered)). Every node of a farm
    /// should use the same grace.
    pub fn adoption_grace(mut self, grace: Duration) -> FarmBuilder {
        self.grace = grace;
        self
    }

    /// Whether this node's sessions outlive it (default `true`): each session's user,
    /// client, registered state ([`EngineBuilder::persist`](crate::EngineBuilder::persist)),
    /// resume verifier and last notifications are written to Redis, and a notification
    /// leaves for its tab only once written, so that another node adopts the session when
    /// this one dies or drains, and sends its tab what it did not receive. With `false`,
    /// none of that is written (a notification leaves at once), nothing is adopted here,
    /// and a session ends with its node; every node of a farm should say the same.
    pub fn failover(mut self, failover: bool) -> FarmBuilder {
        self.failover = failover;
        self
    }

    /// How many messages this node's inbox holds (waiting, or being run) before a post to
    /// one of its sessions fails with [`FarmError::InboxFull`]. Default
    /// [`DEFAULT_INBOX_CAPACITY`]; at least 1.
    pub fn inbox_capacity(mut self, capacity: u64) -> FarmBuilder {
        self.inbox_capacity = capacity.max(1);
        self
    }

    /// The largest message this node's inbox takes, in bytes of JSON arguments plus the
    /// method name; posting a larger one to a session here fails with
    /// [`FarmError::MessageTooLarge`] (a message to a session on this node's own engine
    /// does not cross Redis, and is not limited). Default [`DEFAULT_MAX_MESSAGE_BYTES`].
    /// With the inbox capacity, it bounds what the inbox can take of Redis's memory.
    pub fn max_message_bytes(mut self, bytes: usize) -> FarmBuilder {
        self.max_message_bytes = bytes;
        self
    }

    /// The longest a farm call waits for Redis, in all (default [`DEFAULT_IO_TIMEOUT`]):
    /// one deadline covers everything the call does (waiting for this node's announcements
    /// to be written, connecting, loading the scripts, a try made again after a broken
    /// connection), so a stalled Redis fails the call with [`FarmError::Redis`] after this
    /// long, never two or three times it. At least 10 ms.
    pub fn io_timeout(mut self, timeout: Duration) -> FarmBuilder {
        self.io_timeout = timeout.max(Duration::from_millis(10));
        self
    }

    /// Joins the farm: registers the node, announces every session the engine has, and
    /// starts the node's two threads (its inbox, and its keeper: lease, announcements,
    /// reaping of dead nodes).
    ///
    /// # Errors
    /// [`FarmError::InvalidName`], [`FarmError::Url`], [`FarmError::Redis`] when Redis
    /// cannot be reached, [`FarmError::NodeTaken`] when a live process has this node name,
    /// [`FarmError::AlreadyJoined`] when this engine is in a farm already,
    /// [`FarmError::Thread`].
    pub fn join(self) -> Result<Farm, FarmError> {
        check_name("node name", &self.node)?;
        check_name("namespace", &self.namespace)?;
        let link = Link::new(&self.url, self.io_timeout)?;
        let node = Node::new(
            self.engine,
            self.node,
            Keys::new(&self.namespace),
            link,
            self.lease,
            self.grace,
            self.inbox_capacity,
            self.max_message_bytes,
            self.failover,
        );
        Farm::start(node)
    }
}

impl fmt::Debug for FarmBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FarmBuilder")
            .field("url", &super::keys::redact(&self.url))
            .field("node", &self.node)
            .field("namespace", &self.namespace)
            .field("lease", &self.lease)
            .field("adoption_grace", &self.grace)
            .field("inbox_capacity", &self.inbox_capacity)
            .field("max_message_bytes", &self.max_message_bytes)
            .field("io_timeout", &self.io_timeout)
            .field("failover", &self.failover)
            .finish()
    }
}
