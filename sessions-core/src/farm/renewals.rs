//! The node's lease renewals, and the length of its inbox that each renewal read: what the
//! metrics report of a node's health without a Redis round trip of their own.

use std::sync::atomic::{AtomicU64, Ordering};

/// Not read yet: no renewal has happened since the node joined.
const UNREAD: u64 = u64::MAX;

/// The count of renewals and the last inbox length, shared by the keeper and the handles.
pub(crate) struct Renewals {
    count: AtomicU64,
    inbox: AtomicU64,
}

impl Default for Renewals {
    fn default() -> Renewals {
        Renewals {
            count: AtomicU64::new(0),
            inbox: AtomicU64::new(UNREAD),
        }
    }
}

impl Renewals {
    /// Counts a renewal that found `inbox` messages waiting in the node's inbox.
    pub(crate) fn record(&self, inbox: u64) {
        // A length of u64::MAX cannot come from Redis (XLEN is a signed 64-bit count).
        self.inbox.store(inbox.min(UNREAD - 1), Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Renewals since the node joined.
    pub(crate) fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The inbox's length at the last renewal; `None` before the first.
    pub(crate) fn inbox(&self) -> Option<u64> {
        match self.inbox.load(Ordering::Relaxed) {
            UNREAD => None,
            inbox => Some(inbox),
        }
    }
}
