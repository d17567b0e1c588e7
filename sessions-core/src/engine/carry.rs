//! Carrying a session's notifications to the node that adopts it. On a farm, a notification
//! may leave for the client only once the farm has written it to Redis with its number
//! (the session's count of notifications so far): a node that adopts the session after
//! this one died or drained then sends the tab again what it did not receive, and nothing
//! it did (the tab says how many it received). The farm sets the engine's writer when it
//! joins; without one, a notification may leave at once.

use super::{Engine, Session};
use crate::Value;

/// How many of its last sent notifications a host keeps to send again to a tab that
/// resumes (the web host's), and a farm keeps per session for the node that adopts it.
pub(crate) const CARRIED_SENT: usize = 256;

/// What writes a session's notifications before they may leave (the farm's).
pub(crate) trait NotificationWriter: Send + Sync {
    /// `session`'s notification `number` (`topic`, `payload`) was queued: write it, then
    /// call [`Session::notification_written`] with its number. One that is never written
    /// never leaves, and is counted undelivered when its session closes.
    fn queued(&self, session: &Session, number: u64, topic: &str, payload: &Value);
}

/// A notification the session's previous node wrote: its number, topic and payload.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct CarriedNotification {
    pub(crate) number: u64,
    pub(crate) topic: String,
    pub(crate) payload: Value,
}

impl Engine {
    /// Sets (or, with `None`, clears) the engine's notification writer.
    pub(crate) fn set_notification_writer(
        &self,
        writer: Option<std::sync::Arc<dyn NotificationWriter>>,
    ) {
        self.shared.notification_writer.set(writer);
    }

    /// How many notifications a session's outbox holds unsent.
    pub(crate) fn outbox_capacity(&self) -> usize {
        self.shared.outbox_capacity
    }
}
