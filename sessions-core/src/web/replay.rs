//! The pushes a tab's sockets have sent, numbered, the last few kept: a socket can die
//! with pushes written to it that never reached the page (a dropped connection is noticed
//! only later), so a tab that resumes says how many it received (`?seen=N`) and the host
//! sends the rest again. Nothing is lost silently: a push too old to send again is counted
//! and logged.

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::extract::ws::Message;

use crate::lock::lock;

/// How many sent pushes a tab keeps for a reconnecting page.
pub(super) const KEPT: usize = 256;

/// A tab's sent pushes.
#[derive(Default)]
pub(super) struct Replay(Mutex<Sent>);

#[derive(Default)]
struct Sent {
    /// How many pushes the tab's sockets have sent; the last one's number.
    count: u64,
    /// The last [`KEPT`] of them, oldest first, with their numbers.
    kept: VecDeque<(u64, Message)>,
}

impl Replay {
    /// Keeps `message`, about to be sent as the next push.
    pub fn sent(&self, message: &Message) {
        let mut sent = lock(&self.0);
        sent.count += 1;
        let number = sent.count;
        if sent.kept.len() == KEPT {
            sent.kept.pop_front();
        }
        sent.kept.push_back((number, message.clone()));
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
            replay.sent(&Message::from(n.to_string()));
        }
        assert_eq!(texts(&replay.after(1).0), ["2", "3"]);
        assert_eq!(replay.after(3).0.len(), 0);
        assert_eq!(replay.after(99), (Vec::new(), 0));

        for n in 4..=(KEPT as u64 + 10) {
            replay.sent(&Message::from(n.to_string()));
        }
        let (again, missing) = replay.after(0);
        assert_eq!((again.len(), missing), (KEPT, 10));
        assert_eq!(texts(&again[..1]), ["11"]);
    }
}
