//! What a node did with the farm's messages: [`FarmReport`].

use std::sync::atomic::{AtomicU64, Ordering};

/// What this node did with messages that crossed Redis, since it joined. Messages to a
/// session on this node posted through [`Farm::post`](super::Farm::post) go to the
/// engine's mailbox and are counted by its dispatch ([`DispatchReport`](crate::DispatchReport)), not here.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FarmReport {
    /// Messages this node queued in another node's inbox.
    pub sent: u64,
    /// Messages from this node's inbox whose method ran in its session and succeeded.
    pub delivered: u64,
    /// Messages from this node's inbox whose method failed, panicked or could not be called
    /// (unknown method, wrong arguments, an entry that is not a message). Each was logged.
    pub failed: u64,
    /// Messages that reached no session, each logged: from this node's inbox, for a session
    /// that had closed; and messages left in the inbox of a node whose lease ended, counted
    /// by the node that reaped it (or by this node, for its own inbox when it left).
    pub undelivered: u64,
    /// Messages Redis handed to this node again after a read or an acknowledgement was lost
    /// with a connection, which had already run here: acknowledged, not run twice.
    pub redelivered: u64,
}

impl FarmReport {
    /// Every message this node took from an inbox, whatever became of it (`sent` aside).
    pub fn total(&self) -> u64 {
        self.delivered + self.failed + self.undelivered
    }
}

/// The counters behind a [`FarmReport`].
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) sent: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) undelivered: AtomicU64,
    pub(crate) redelivered: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn report(&self) -> FarmReport {
        FarmReport {
            sent: self.sent.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            undelivered: self.undelivered.load(Ordering::Relaxed),
            redelivered: self.redelivered.load(Ordering::Relaxed),
        }
    }
}
