//! The pushes a tab's sockets have sent, numbered, the last few kept: a socket can die
//! with pushes written to it that never reached the page (a dropped connection is noticed
//! only later), so a tab that resumes says how many it received (`?seen=N`) and the host
//! sends the rest again. Nothing is lost silently: a push too old to send again is counted
//! and logged.
//!
//! A push's number is its notification's, the session's count of notifications so far,
//! which goes on across nodes of a farm: a tab adopted from a node that died starts with
//! what that node wrote to Redis (its last pushes and those it had not sent).

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::extract::ws::Message;

use crate::lock::lock;

/// How many sent pushes a tab keeps for a reconnecting page.
pub(super) const KEPT: usize = crate::engine::CARRIED_SENT;

/// A tab's sent pushes.
#[derive(Default)]
pub(super) struct Replay(Mutex<Sent>);

#[derive(Default)]
struct Sent {
    /// The number of the last push sent (or carried).
    count: u64,
    /// The last [`KEPT`] of them, oldest first, with their numbers.
    kept: VecDeque<(u64, Message)>,
}

impl Sent {
    fn keep(&mut self, number: u64, message: Message) {
        self.count = self.count.max(number);
        if self.kept.len() == KEPT {
            self.kept.pop_front();
        }
        self.kept.push_back((number, message));
    }
}

impl Replay {
    /// The pushes a session's previous node wrote (numbered, oldest first), as if sent
    /// here: a resuming page gets those after what it received.
    pub fn carried(pushes: Vec<(u64, Message)>) -> Replay {
        let mut sent = Sent::default();
        for (number, message) in pushes {
            sent.keep(number, message);
        }
        Replay(Mutex::new(sent))
    }

    /// Keeps `message`, push `number`, about to be sent.
    pub fn sent(&self, number: u64, message: &Message) {
        lock(&self.0).keep(number, message.clone());
    }

    /// The pushes after the first `seen` (what a resuming page says it received), to send
    /// again, and how many of them are too old to be kept. A `seen` larger than what was
    /// sent is taken as everything.
    pub fn after(&self, seen: u64) -> (Vec<Message>, u64) {
        let sent = lock(&self.0);
        let again: Vec<Message> = sent
            .kept
            .iter()
            .filter(|(number, _)| *number > seen)
            .map(|(_, message)| message.clone())
            .collect();
        let missing = sent.count.saturating_sub(seen) - again.len() as u64;
        (again, missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(messages: &[Message]) -> Vec<String> {
        messages
            .iter()
            .map(|message| message.to_text().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn sends_again_what_the_page_did_not_see_and_counts_what_is_gone() {
        let replay = Replay::default();
        for n in 1..=3 {
            replay.sent(n, &Message::from(n.to_string()));
        }
        assert_eq!(texts(&replay.after(1).0), ["2", "3"]);
        assert_eq!(replay.after(3).0.len(), 0);
        assert_eq!(replay.after(99), (Vec::new(), 0));

        for n in 4..=(KEPT as u64 + 10) {
            replay.sent(n, &Message::from(n.to_string()));
        }
        let (again, missing) = replay.after(0);
        assert_eq!((again.len(), missing), (KEPT, 10));
        assert_eq!(texts(&again[..1]), ["11"]);
    }

    #[test]
    fn carried_pushes_are_sent_again_after_what_the_page_saw() {
        let pushes = (5..=8).map(|n| (n, Message::from(n.to_string()))).collect();
        let replay = Replay::carried(pushes);
        assert_eq!(texts(&replay.after(6).0), ["7", "8"]);
        // The page saw 2 of the session's pushes; 3 and 4 were not carried.
        assert_eq!(replay.after(2).1, 2);
        replay.sent(9, &Message::from("9"));
        assert_eq!(texts(&replay.after(8).0), ["9"]);
    }
}
