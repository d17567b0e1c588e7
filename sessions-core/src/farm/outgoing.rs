//! The notifications of this node's sessions that wait to be written to Redis, and which
//! of them wait for an inbox acknowledgement (see `carry.rs`).

use std::cell::Cell;
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::lock::lock;
use crate::{Session, SessionId, Value};

thread_local! {
    /// Set while this thread runs inbox messages: their notifications wait for the ack.
    static RUNNING_MESSAGES: Cell<bool> = const { Cell::new(false) };
}

/// Whether the current thread runs inbox messages now.
pub(crate) fn running_messages() -> bool {
    RUNNING_MESSAGES.with(Cell::get)
}

/// Marks the current thread as running inbox messages while it lives.
pub(crate) struct RunningMessages(());

impl RunningMessages {
    pub(crate) fn start() -> RunningMessages {
        RUNNING_MESSAGES.with(|running| running.set(true));
        RunningMessages(())
    }
}

impl Drop for RunningMessages {
    fn drop(&mut self) {
        RUNNING_MESSAGES.with(|running| running.set(false));
    }
}

/// One notification as the list `b:ID` keeps it.
#[derive(Serialize, Deserialize)]
pub(crate) struct Kept {
    #[serde(rename = "n")]
    pub(crate) number: u64,
    #[serde(rename = "t")]
    pub(crate) topic: String,
    #[serde(rename = "p")]
    pub(crate) payload: Value,
}

/// A notification to write.
pub(crate) struct Entry {
    pub(crate) session: Session,
    pub(crate) number: u64,
    pub(crate) json: String,
    /// Queued by a message the inbox thread ran: written with its acknowledgement.
    pub(crate) from_message: bool,
}

/// The notifications that wait to be written, and the lock that lets one writer at a time
/// write them (so a session's entries reach Redis in the order they were taken).
#[derive(Default)]
pub(crate) struct Outgoing {
    pending: Mutex<Pending>,
    wake: Condvar,
    writing: Mutex<()>,
}

#[derive(Default)]
struct Pending {
    free: Vec<Entry>,
    held: Vec<Entry>,
}

impl Outgoing {
    pub(crate) fn push(&self, entry: Entry) {
        let mut pending = lock(&self.pending);
        if entry.from_message {
            pending.held.push(entry);
        } else {
            pending.free.push(entry);
            self.wake.notify_one();
        }
    }

    /// Takes what waits to be written (with the inbox's, `with_held`), and the lock of the
    /// one writer, held until the caller has written them or put them back.
    pub(crate) fn take(&self, with_held: bool) -> (MutexGuard<'_, ()>, Vec<Entry>) {
        let writing = lock(&self.writing);
        let mut pending = lock(&self.pending);
        let mut entries = std::mem::take(&mut pending.free);
        if with_held {
            entries.append(&mut pending.held);
        }
        (writing, entries)
    }

    /// `entries` are in Redis: they may leave.
    pub(crate) fn written(entries: Vec<Entry>) {
        for entry in entries {
            entry.session.notification_written(entry.number);
        }
    }

    /// `entries` could not be written: they wait for the next write, before newer ones.
    pub(crate) fn put_back(&self, entries: Vec<Entry>) {
        let mut pending = lock(&self.pending);
        let (mut held, mut free): (Vec<Entry>, Vec<Entry>) =
            entries.into_iter().partition(|entry| entry.from_message);
        held.append(&mut pending.held);
        free.append(&mut pending.free);
        pending.held = held;
        pending.free = free;
    }

    /// Waits up to `timeout` for a notification to write; whether one waits.
    pub(crate) fn wait(&self, timeout: Duration) -> bool {
        let pending = lock(&self.pending);
        let (pending, _) = self
            .wake
            .wait_timeout_while(pending, timeout, |pending| pending.free.is_empty())
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        !pending.free.is_empty()
    }

    /// Wakes the thread, to see that the node stops.
    pub(crate) fn wake(&self) {
        self.wake.notify_all();
    }
}

/// Adds `entries` to an `ACK` call, by session: its id, how many, then each of them in
/// the order of their numbers (one append per session, not per notification).
pub(crate) fn add_args(cmd: &mut redis::Cmd, entries: &[Entry]) {
    let mut by_session: BTreeMap<SessionId, Vec<&Entry>> = BTreeMap::new();
    for entry in entries {
        by_session
            .entry(entry.session.id())
            .or_default()
            .push(entry);
    }
    for (id, mut entries) in by_session {
        entries.sort_by_key(|entry| entry.number);
        // Lua's `unpack` takes a few thousand values at most: a long run goes in parts.
        for part in entries.chunks(APPEND_AT_ONCE) {
            cmd.arg(id.to_string()).arg(part.len());
            for entry in part {
                cmd.arg(&entry.json);
            }
        }
    }
}

/// The most notifications of one session appended by one `RPUSH` of the script.
const APPEND_AT_ONCE: usize = 1000;
