//! What a node did with the farm's messages: [`FarmReport`].

use std::sync::atomic::{AtomicU64, Ordering};

use crate::methods::Verdict;

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
    /// Messages from this node's inbox whose method ran and failed (or whose result could
    /// not be written). Each was logged.
    pub failed: u64,
    /// Messages from this node's inbox that the method's session rule or role refused
    /// before it ran. Each was logged.
    pub refused: u64,
    /// Messages from this node's inbox whose method panicked. Each was logged.
    pub panicked: u64,
    /// Messages from this node's inbox that could not be called (unknown method, wrong
    /// arguments) or were not messages at all. Each was logged.
    pub invalid: u64,
    /// Messages that reached no session, each logged: from this node's inbox, for a session
    /// that had closed; and messages left in the inbox of a node whose lease ended, counted
    /// by the node that reaped it (or by this node, for its own inbox when it left).
    pub undelivered: u64,
    /// Messages Redis handed to this node again after a read or an acknowledgement was lost
    /// with a connection, which had already run here: acknowledged, not run twice.
    pub redelivered: u64,
    /// Changes of shared variables ([`Farm::share`](super::Farm::share)) that this node
    /// took from Redis: written on another node (or found on a reconnect), newer than what
    /// it held. Its own writes, and changes it held already, are not counted.
    pub shared_changes: u64,
    /// Changes of shared variables that Redis held or sent and this node could not take:
    /// not a change the farm writes, or a value that is not of the variable's type (another
    /// program wrote the key, or two nodes share one path with different types). Each was
    /// logged; none was applied.
    pub shared_invalid: u64,
}

impl FarmReport {
    /// Every message this node took from an inbox, whatever became of it (`sent` aside).
    pub fn total(&self) -> u64 {
        self.delivered
            + self.failed
            + self.refused
            + self.panicked
            + self.invalid
            + self.undelivered
    }
}

/// The counters behind a [`FarmReport`].
#[derive(Default)]
pub(crate) struct Counters {
    pub(crate) sent: AtomicU64,
    pub(crate) delivered: AtomicU64,
    pub(crate) failed: AtomicU64,
    pub(crate) refused: AtomicU64,
    pub(crate) panicked: AtomicU64,
    pub(crate) invalid: AtomicU64,
    pub(crate) undelivered: AtomicU64,
    pub(crate) redelivered: AtomicU64,
    pub(crate) shared_changes: AtomicU64,
    pub(crate) shared_invalid: AtomicU64,
}

impl Counters {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The counter of messages whose call ended so.
    pub(crate) fn of(&self, verdict: Verdict) -> &AtomicU64 {
        match verdict {
            Verdict::Ok => &self.delivered,
            Verdict::Failed => &self.failed,
            Verdict::Refused => &self.refused,
            Verdict::Panicked => &self.panicked,
            Verdict::Invalid => &self.invalid,
        }
    }

    pub(crate) fn report(&self) -> FarmReport {
        FarmReport {
            sent: self.sent.load(Ordering::Relaxed),
            delivered: self.delivered.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            panicked: self.panicked.load(Ordering::Relaxed),
            invalid: self.invalid.load(Ordering::Relaxed),
            undelivered: self.undelivered.load(Ordering::Relaxed),
            redelivered: self.redelivered.load(Ordering::Relaxed),
            shared_changes: self.shared_changes.load(Ordering::Relaxed),
            shared_invalid: self.shared_invalid.load(Ordering::Relaxed),
        }
    }
}
