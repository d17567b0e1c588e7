//! Writing sessions' notifications to Redis before they may leave (`engine/carry.rs`), so
//! that the node that adopts a session sends its tab what it did not receive, and nothing
//! it did. Each session's list `b:ID` keeps its last notifications, numbered.
//!
//! A notification queued while the inbox thread runs a message is written with that
//! message's acknowledgement, in the same script (`ACK`): either the message is
//! acknowledged and its notifications are kept, or neither is, and the message runs again
//! on the adopter (its notifications had not left). Any other notification is written by
//! this node's notifications thread at once, with those that came meanwhile.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use super::keys::GROUP;
use super::node::Node;
use super::outgoing::{add_args, running_messages, Entry, Kept, Outgoing};
use super::scripts;
use crate::engine::{CarriedNotification, NotificationWriter};
use crate::{Session, Value};

/// The name of the thread that writes notifications.
pub(crate) const THREAD: &str = "sessions-farm-notifications";
/// How long the thread waits for a notification before it looks whether to stop.
const IDLE: Duration = Duration::from_millis(250);
/// The longest a failed write waits before the next try.
const RETRY: Duration = Duration::from_millis(100);

/// The `ACK` script's call for this node: it acknowledges the inbox entries `ids` and, in
/// the same step, writes `notifications`.
pub(crate) fn ack_command(node: &Node, ids: &[String], notifications: &[Entry]) -> redis::Cmd {
    let mut cmd = scripts::ACK.call();
    cmd.arg(node.keys.prefix())
        .arg(&node.name)
        .arg(GROUP)
        .arg(kept_per_session(node))
        .arg(ids.len());
    for id in ids {
        cmd.arg(id);
    }
    add_args(&mut cmd, notifications);
    cmd
}

/// How many notifications a session's list keeps: as many as a host sends again to a
/// resuming tab, and as many as its outbox may hold unsent.
fn kept_per_session(node: &Node) -> usize {
    crate::engine::CARRIED_SENT + node.engine.outbox_capacity()
}

/// The notifications a session's list held (`LRANGE` of `b:ID`), by number, each once
/// (a write made again after a lost answer may have added one twice).
pub(crate) fn carried(entries: &[String]) -> Vec<CarriedNotification> {
    let mut carried: Vec<CarriedNotification> = entries
        .iter()
        .filter_map(|json| match serde_json::from_str::<Kept>(json) {
            Ok(kept) => Some(CarriedNotification {
                number: kept.number,
                topic: kept.topic,
                payload: kept.payload,
            }),
            Err(error) => {
                tracing::error!(%error, "a session's notification in the farm does not parse; it is not sent again (do all nodes run the same version?)");
                None
            }
        })
        .collect();
    carried.sort_by_key(|c| c.number);
    carried.dedup_by_key(|c| c.number);
    carried
}

/// The engine's notification writer while it is in a farm: weak, so it does not keep the
/// node alive.
struct Writer {
    node: Weak<Node>,
}

impl NotificationWriter for Writer {
    fn queued(&self, session: &Session, number: u64, topic: &str, payload: &Value) {
        let Some(node) = self.node.upgrade() else {
            return;
        };
        let kept = Kept {
            number,
            topic: topic.to_owned(),
            payload: payload.clone(),
        };
        let json = match serde_json::to_string(&kept) {
            Ok(json) => json,
            Err(error) => {
                // Not written, it never leaves, and is counted when its session closes.
                tracing::error!(session = %session.id(), topic, %error, "a notification could not be written as JSON for the farm; it is not sent");
                return;
            }
        };
        node.outgoing.push(Entry {
            session: session.clone(),
            number,
            json,
            from_message: running_messages(),
        });
    }
}

/// Makes the notification writer of `node`.
pub(crate) fn writer(node: &Arc<Node>) -> Arc<dyn NotificationWriter> {
    Arc::new(Writer {
        node: Arc::downgrade(node),
    })
}

/// The notifications thread: writes what waits, until the node stops.
pub(crate) fn run(node: &Arc<Node>) {
    let mut trouble: Option<Instant> = None;
    loop {
        if node.stop.load(Ordering::Acquire) {
            return;
        }
        if !node.outgoing.wait(IDLE) {
            continue;
        }
        match write(node) {
            Ok(()) => {
                if let Some(since) = trouble.take() {
                    tracing::info!(node = %node.name, after_ms = since.elapsed().as_millis() as u64, "the farm takes this node's notifications again");
                }
            }
            Err(error) => {
                if trouble.is_none() {
                    trouble = Some(Instant::now());
                    tracing::warn!(node = %node.name, %error, "notifications could not be written to the farm; they wait (their tabs do not get them yet), trying again every {} ms", RETRY.as_millis());
                }
                std::thread::sleep(RETRY);
            }
        }
    }
}

/// Writes the notifications that wait (not the inbox's: those go with its acks). After a
/// release they are not written: the sessions are other nodes' to adopt, and what was not
/// written never leaves (it is counted when its session closes).
pub(crate) fn write(node: &Node) -> Result<(), super::FarmError> {
    // A new session's announcement first: the script writes only a session of this node.
    node.flush_if_dirty(node.link.deadline())?;
    let (_one_writer, entries) = node.outgoing.take(false);
    if entries.is_empty() || node.released.load(Ordering::Acquire) {
        return Ok(());
    }
    let cmd = ack_command(node, &[], &entries);
    // Repeatable: an entry written twice is read once (`carried`).
    match node
        .link
        .run("writing notifications", true, node.link.deadline(), |con| {
            cmd.query::<redis::Value>(con)
        }) {
        Ok(_) => {
            Outgoing::written(entries);
            Ok(())
        }
        Err(error) => {
            node.outgoing.put_back(entries);
            Err(error)
        }
    }
}
