//! A session's mailbox: the bounded queue of calls posted to it and not yet dispatched.
//! The session holds one; posting and dispatching (`messages.rs`) use it.

use std::collections::VecDeque;
use std::sync::Mutex;

use crate::lock::lock;
use crate::methods::Args;

/// One posted call: an exported method's name and its arguments.
pub(crate) struct Message {
    pub(crate) method: Box<str>,
    pub(crate) args: Args,
}

/// The calls posted to one session, oldest first.
#[derive(Default)]
pub(crate) struct Mailbox {
    queue: Mutex<VecDeque<Message>>,
}

impl Mailbox {
    /// Appends `message` unless the mailbox holds `capacity` messages already, and unless
    /// `open()` (asked under the mailbox's lock) says the session is closed, so a message is
    /// never queued after the session's mail was counted at close. `Ok(true)` when the
    /// mailbox was empty before.
    pub(crate) fn push(
        &self,
        message: Message,
        capacity: usize,
        open: impl FnOnce() -> bool,
    ) -> Result<bool, Refused> {
        let mut queue = lock(&self.queue);
        if queue.len() >= capacity {
            return Err(Refused::Full);
        }
        if !open() {
            return Err(Refused::Closed);
        }
        let was_empty = queue.is_empty();
        queue.push_back(message);
        Ok(was_empty)
    }

    /// Takes every message, leaving the mailbox empty.
    pub(crate) fn take(&self) -> VecDeque<Message> {
        std::mem::take(&mut *lock(&self.queue))
    }
}

/// Why a message was not queued.
pub(crate) enum Refused {
    /// The mailbox holds as many messages as it may.
    Full,
    /// The session closed.
    Closed,
}
