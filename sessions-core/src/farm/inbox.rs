//! The inbox thread: reads this node's Redis Stream inbox as the consumer group's one
//! consumer, runs each message in its target session's context (in stream order, so in the
//! order it was queued), then acknowledges and deletes it.
//!
//! Acknowledging comes after running, so a message is never lost between the two; what
//! makes it run at most once is the position of the last message run here (the
//! watermark). After a lost connection the thread first reads what Redis still holds as
//! pending for it (read but unacknowledged): an entry at or before the watermark has run
//! already and is only acknowledged (counted `redelivered`); one after it is run.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::{Connection, Value as Reply};

use super::carry::ack_command;
use super::keys::GROUP;
use super::link::{is_broken, with_scripts};
use super::node::Node;
use super::outgoing::{Outgoing, RunningMessages};
use super::report::Counters;
use super::wire::{read_reply, Entry, EntryId};
use super::FarmError;
use crate::engine::Delivery;

/// How long one read waits for a message before it looks again (a leaving node wakes it
/// at once with `CLIENT UNBLOCK`).
const BLOCK: Duration = Duration::from_millis(1000);
/// The most entries one read takes.
const BATCH: usize = 128;
/// The longest a failed read waits before the next try.
const RETRY: Duration = Duration::from_millis(100);

struct Reader<'a> {
    node: &'a Node,
    con: Option<Connection>,
    /// The last entry run here (see the module's doc).
    watermark: EntryId,
    /// Whether to read what Redis holds as pending for this node before new entries.
    pending: bool,
    /// `Node::inbox_made` when the watermark was last valid.
    inbox_made: u64,
    /// When a run of failures began, to log it once.
    trouble: Option<Instant>,
}

/// Runs until the node stops, or, once it drains, until its inbox is empty.
pub(crate) fn run(node: &Arc<Node>) {
    let mut reader = Reader {
        node,
        con: None,
        watermark: EntryId::default(),
        pending: true,
        inbox_made: node.inbox_made.load(Ordering::Acquire),
        trouble: None,
    };
    loop {
        // A drained node's messages wait for the nodes that adopt its sessions.
        if node.stop.load(Ordering::Acquire) || node.released.load(Ordering::Acquire) {
            return;
        }
        match reader.round() {
            Ok(true) => {
                if let Some(since) = reader.trouble.take() {
                    tracing::info!(node = %node.name, after_ms = since.elapsed().as_millis() as u64, "the farm's inbox is read again");
                }
            }
            // Drained: nothing left and nothing pending.
            Ok(false) => return,
            Err(error) => {
                if reader.trouble.is_none() {
                    reader.trouble = Some(Instant::now());
                    tracing::warn!(node = %node.name, %error, "reading the farm's inbox failed; trying again every {} ms", RETRY.as_millis());
                }
                if node.draining.load(Ordering::Acquire) {
                    // A leaving node does not wait for Redis to come back.
                    return;
                }
                std::thread::sleep(RETRY);
            }
        }
    }
}

impl Reader<'_> {
    /// One read and what follows; `Ok(false)` when draining found the inbox empty.
    fn round(&mut self) -> Result<bool, FarmError> {
        let node = self.node;
        let draining = node.draining.load(Ordering::Acquire);
        let inbox = node.keys.inbox(&node.name);
        if self.con.is_none() {
            let read_timeout = BLOCK + node.link.io_timeout();
            let mut con = node.link.connect("reading the inbox", Some(read_timeout))?;
            let id: i64 = redis::cmd("CLIENT")
                .arg("ID")
                .query(&mut con)
                .map_err(|e| node.link.error("reading the inbox", &e))?;
            node.inbox_client.store(id, Ordering::Release);
            self.con = Some(con);
            self.pending = true;
        }
        let mut cmd = redis::cmd("XREADGROUP");
        cmd.arg("GROUP").arg(GROUP).arg(&node.name);
        cmd.arg("COUNT").arg(BATCH);
        if !self.pending && !draining {
            cmd.arg("BLOCK").arg(BLOCK.as_millis() as u64);
        }
        cmd.arg("STREAMS")
            .arg(&inbox)
            .arg(if self.pending { "0" } else { ">" });
        let read_timeout = BLOCK + node.link.io_timeout();
        let reply: Result<Reply, _> = match self.con.as_mut() {
            // Set for every read: reloading the scripts after an ack shortens it.
            Some(con) => con
                .set_read_timeout(Some(read_timeout))
                .and_then(|()| cmd.query(con)),
            None => return Ok(true),
        };
        let reply = match reply {
            Ok(reply) => reply,
            Err(error) if error.code() == Some("NOGROUP") => {
                // The inbox is gone (Redis restarted, or this node was reaped): make it again.
                node.ensure_group()?;
                self.pending = true;
                return Ok(true);
            }
            Err(error) => {
                // A wake-up from `CLIENT UNBLOCK` is an error too; the connection is fine.
                if error.code() == Some("UNBLOCKED") {
                    return Ok(true);
                }
                if self.con.as_ref().is_none_or(|con| is_broken(&error, con)) {
                    self.con = None;
                }
                return Err(node.link.error("reading the inbox", &error));
            }
        };
        // A new inbox (made here or by the keeper): nothing of the old one can come again,
        // and its entries' ids start over.
        let made = node.inbox_made.load(Ordering::Acquire);
        if made != self.inbox_made {
            self.inbox_made = made;
            self.watermark = EntryId::default();
        }
        let entries = read_reply(&reply)
            .map_err(|()| super::reply::unexpected("reading the inbox", &reply))?;
        if entries.is_empty() {
            if self.pending {
                self.pending = false;
                return Ok(true);
            }
            return Ok(!draining);
        }
        let acks = {
            // Their notifications are written with their acknowledgement (`carry.rs`).
            let _running = RunningMessages::start();
            self.run_entries(entries)
        };
        self.ack(&acks)?;
        Ok(true)
    }

    /// Runs each entry not run before; returns the ids to acknowledge (all of them).
    fn run_entries(&mut self, entries: Vec<Entry>) -> Vec<String> {
        let node = self.node;
        let counters = &node.counters;
        let mut acks = Vec::with_capacity(entries.len());
        for entry in entries {
            acks.push(entry.raw_id);
            if entry.id <= self.watermark {
                Counters::add(&counters.redelivered, 1);
                continue;
            }
            self.watermark = entry.id;
            let message = match entry.message {
                Ok(message) => message,
                Err(reason) => {
                    tracing::error!(node = %node.name, entry = %acks[acks.len() - 1], %reason, "an inbox entry is not a message: acknowledged, not run, counted invalid");
                    Counters::add(&counters.invalid, 1);
                    continue;
                }
            };
            // A session being adopted here may not be open yet: its message waits for it.
            let again = (node.adopting.load(Ordering::Acquire) > 0).then(|| message.args.clone());
            let mut delivery =
                node.engine
                    .deliver_now(message.session, &message.method, message.args);
            if let (Delivery::Undelivered, Some(args)) = (&delivery, again) {
                if node.wait_for_adoptions() {
                    delivery = node
                        .engine
                        .deliver_now(message.session, &message.method, args);
                }
            }
            match delivery {
                // The farm's mapping of an answer: one counter per verdict.
                Delivery::Ran(verdict) => Counters::add(counters.of(verdict), 1),
                Delivery::Undelivered => {
                    // Logged before it is counted: whoever sees the count finds the event.
                    tracing::warn!(
                        node = %node.name,
                        session = %message.session,
                        method = %message.method,
                        from = %message.from,
                        "a message for a session that is no longer open on this node was not delivered; counted undelivered"
                    );
                    Counters::add(&counters.undelivered, 1);
                }
            }
        }
        acks
    }

    /// Acknowledges and deletes `ids`. On a lost connection, the pending entries are read
    /// again first: the watermark keeps them from running twice.
    fn ack(&mut self, ids: &[String]) -> Result<(), FarmError> {
        let node = self.node;
        let (_one_writer, notifications) = node.outgoing.take(true);
        let cmd = ack_command(node, ids, &notifications);
        let Some(con) = self.con.as_mut() else {
            node.outgoing.put_back(notifications);
            return Ok(());
        };
        match with_scripts(con, node.link.deadline(), &mut |con| {
            cmd.query::<Reply>(con)
        }) {
            Ok(_) => {
                Outgoing::written(notifications);
                Ok(())
            }
            Err(error) => {
                node.outgoing.put_back(notifications);
                if is_broken(&error, con) {
                    self.con = None;
                }
                self.pending = true;
                Err(node.link.error("acknowledging messages", &error))
            }
        }
    }
}
