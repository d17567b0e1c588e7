//! Messages to a session wherever it lives: [`Farm::post`].

use super::blocking::off_worker;
use super::reply::{list, text, unexpected};
use super::report::Counters;
use super::wire::encode_args;
use super::{scripts, Farm, FarmError};
use crate::{Args, SessionError, SessionId};

impl Farm {
    /// Queues a call of the exported method `method` with `args` (by position, a
    /// `Vec<Value>`, or by name) for session `id`, on whichever node of the farm owns it.
    ///
    /// Without failover ([`FarmBuilder::failover`](super::FarmBuilder::failover)`(false)`),
    /// a session on this node gets it in its mailbox ([`Engine::post`](crate::Engine::post):
    /// it runs at the engine's next dispatch). Otherwise, and for a session on another
    /// node, it goes through the owner's inbox (so it survives its node: a message waiting
    /// for a node that dies or drains runs on the node that adopts its session), a Redis Stream that the node reads as it comes and runs in the
    /// session's context, in the order queued; a message is acknowledged only after it
    /// ran, and one that Redis hands over again is not run twice. A message whose session
    /// closed before it ran is counted undelivered and logged, never dropped silently
    /// ([`FarmReport`](super::FarmReport)).
    ///
    /// This blocks for one Redis round trip (none for a session on this node without
    /// failover), at
    /// most the I/O timeout; on a worker of a multi-threaded tokio runtime it blocks off
    /// the worker (see the module's docs).
    ///
    /// # Errors
    /// [`FarmError::NotFound`] when no live node announces the session;
    /// [`FarmError::InboxFull`] when the owner's inbox holds its capacity (checked and
    /// added in one step in Redis: the message is queued or refused, never dropped);
    /// [`FarmError::MessageTooLarge`] when it is larger than the owner takes;
    /// [`FarmError::Session`] when the session is here and
    /// its mailbox is full; [`FarmError::Redis`] when Redis cannot be reached (if the
    /// connection failed mid-call, the message may or may not have been queued).
    pub fn post(
        &self,
        id: SessionId,
        method: &str,
        args: impl Into<Args>,
    ) -> Result<(), FarmError> {
        const DOING: &str = "queuing a message";
        let node = self.node();
        node.check_live()?;
        let args = args.into();
        let here = node.engine.get(id).is_some();
        if here && !node.failover {
            return node
                .engine
                .post(id, method, args)
                .map_err(|error| match error {
                    SessionError::NotFound(id) => FarmError::NotFound(id),
                    other => FarmError::Session(other),
                });
        }
        let (kind, json) = encode_args(&args);
        let reply = off_worker(|| {
            if here {
                // A session opened a moment ago may not be announced yet.
                node.flush_if_dirty(node.link.deadline())?;
            }
            node.script(
                DOING,
                false,
                &scripts::POST,
                &[
                    &id.to_string(),
                    &node.name,
                    method,
                    kind,
                    &json,
                    &node.grace_ms().to_string(),
                ],
            )
        })?;
        let items = list(&reply).ok_or_else(|| unexpected(DOING, &reply))?;
        match items.first().and_then(text).as_deref() {
            Some("ok") => {
                Counters::add(&node.counters.sent, 1);
                Ok(())
            }
            Some("gone") => Err(FarmError::NotFound(id)),
            Some("full") => Err(FarmError::InboxFull {
                session: id,
                node: items.get(1).and_then(text).unwrap_or_default(),
                capacity: items
                    .get(2)
                    .and_then(text)
                    .and_then(|cap| cap.parse().ok())
                    .unwrap_or(0),
            }),
            Some("large") => Err(FarmError::MessageTooLarge {
                method: method.to_owned(),
                bytes: json.len() + method.len(),
                node: items.get(1).and_then(text).unwrap_or_default(),
                limit: items
                    .get(2)
                    .and_then(text)
                    .and_then(|max| max.parse().ok())
                    .unwrap_or(0),
            }),
            _ => Err(unexpected(DOING, &reply)),
        }
    }
}
