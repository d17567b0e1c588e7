//! Notifications to a session's client: [`Session::notify`] queues one for whatever client
//! is attached to the session (a browser tab, through the web host), in order, in a
//! bounded outbox; the host takes them with [`Session::next_notification`] or
//! [`Session::take_notifications`]. Nothing is dropped silently: a full outbox refuses the
//! notification (`OutboxFull`), and those left when the session closes are counted
//! ([`Engine::undelivered_notifications`]) and logged.
//!
//! Each notification is numbered: the session's count of notifications so far, which a
//! farm carries to the node that adopts the session. On a farm with failover a
//! notification may leave only once the farm has written it to Redis (`carry.rs`); until
//! then the host's `next_notification` waits for it, and `take_notifications` leaves it.
//!
//! The outbox lives in the session's typed state, made at the first notification: a
//! session that is never notified pays nothing for it.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

use serde::Serialize;

use super::{Engine, EngineShared, Session};
use crate::lock::lock;
use crate::{to_value, SessionError, Value};

/// The default capacity of each session's outbox (see [`EngineBuilder::outbox_capacity`](crate::EngineBuilder::outbox_capacity)).
pub const DEFAULT_OUTBOX_CAPACITY: usize = 256;

/// One notification for a session's client: a topic and its payload.
#[derive(Clone, Debug, PartialEq)]
pub struct Notification {
    /// What it is about: the web host sends it as the JSON-RPC notification's `method`.
    pub topic: String,
    /// Its content, as the payload serialized.
    pub payload: Value,
}

/// A session's queued notifications, and the task waiting for the next one.
#[derive(Default)]
struct Outbox {
    state: Mutex<OutboxState>,
}

#[derive(Default)]
struct OutboxState {
    queue: VecDeque<Queued>,
    /// The number of the last notification queued: the session's count of notifications
    /// (carried over from the node a session was adopted from).
    numbered: u64,
    /// The task of [`Session::next_notification`] waiting for one.
    waiter: Option<Waker>,
    /// Set when the session closes: nothing more is queued, and a waiting task is told.
    closed: bool,
}

/// A queued notification, its number, and whether it may leave: at once without a
/// notification writer, else once the writer wrote it (`carry.rs`).
struct Queued {
    number: u64,
    notification: Notification,
    written: bool,
}

impl OutboxState {
    /// The front notification, when it may leave; else the waker is kept to be woken
    /// when it may (`None` also once the session is closed and nothing is left).
    fn poll_front(&mut self, cx: &Context<'_>) -> Poll<Option<(u64, Notification)>> {
        if self.queue.front().is_some_and(|queued| queued.written) {
            let front = self.queue.pop_front().map(|q| (q.number, q.notification));
            return Poll::Ready(front);
        }
        if self.closed {
            return Poll::Ready(None);
        }
        self.waiter = Some(cx.waker().clone());
        Poll::Pending
    }
}

impl Session {
    /// Queues a notification for whatever client is attached to this session: `topic` and
    /// `payload` (any `Serialize` value, written as a [`Value`]). Notifications keep their
    /// order. With no client attached, they wait until one takes them or the session
    /// closes (then they are counted and logged).
    ///
    /// A method run by [`Engine::post`] in another user's session calls this to reach that
    /// user's screen: Xojo's push, end to end.
    ///
    /// ```
    /// use sessions_core::Engine;
    ///
    /// let engine = Engine::new();
    /// let tab = engine.open()?;
    /// tab.notify("notice", "the oven is hot")?;
    /// let sent = tab.take_notifications();
    /// assert_eq!((sent[0].topic.as_str(), sent[0].payload.as_str()), ("notice", Some("the oven is hot")));
    /// # Ok::<(), sessions_core::SessionError>(())
    /// ```
    ///
    /// # Errors
    /// - [`SessionError::OutboxFull`]: the outbox holds as many notifications as the engine
    ///   allows ([`EngineBuilder::outbox_capacity`](crate::EngineBuilder::outbox_capacity));
    ///   this one was not queued.
    /// - [`SessionError::NotFound`]: the session is closed.
    /// - [`SessionError::InvalidPayload`]: the payload's `Serialize` impl failed.
    pub fn notify(&self, topic: &str, payload: impl Serialize) -> Result<(), SessionError> {
        let payload = to_value(&payload).map_err(|error| SessionError::InvalidPayload {
            topic: topic.to_owned(),
            reason: error.to_string(),
        })?;
        if !self.is_open() {
            return Err(SessionError::NotFound(self.id()));
        }
        let engine = self.engine();
        let capacity = engine.as_ref().map_or(DEFAULT_OUTBOX_CAPACITY, |engine| {
            engine.shared.outbox_capacity
        });
        let outbox = self.get_or_insert_with(Outbox::default);
        let mut state = lock(&outbox.state);
        if state.closed {
            return Err(SessionError::NotFound(self.id()));
        }
        if state.queue.len() >= capacity {
            return Err(SessionError::OutboxFull(self.id()));
        }
        let writer = engine.and_then(|engine| engine.shared.notification_writer.get());
        let for_writer = writer.as_ref().map(|_| payload.clone());
        state.numbered += 1;
        let number = state.numbered;
        state.queue.push_back(Queued {
            number,
            notification: Notification {
                topic: topic.to_owned(),
                payload,
            },
            written: writer.is_none(),
        });
        let waiter = if writer.is_none() {
            state.waiter.take()
        } else {
            None
        };
        drop(state);
        if let Some(waiter) = waiter {
            waiter.wake();
        }
        // The writer runs with no lock of the session held.
        if let (Some(writer), Some(payload)) = (writer, for_writer) {
            writer.queued(self, number, topic, &payload);
        }
        Ok(())
    }

    /// The notification `number` of this session was written where the session's next
    /// node finds it (`carry.rs`): it may leave, after those before it.
    #[cfg_attr(not(feature = "farm"), allow(dead_code))]
    pub(crate) fn notification_written(&self, number: u64) {
        let Some(outbox) = self.get::<Outbox>() else {
            return;
        };
        let mut state = lock(&outbox.state);
        let Some(front) = state.queue.front().map(|q| q.number) else {
            return;
        };
        let Some(at) = number.checked_sub(front) else {
            return;
        };
        if let Some(queued) = state.queue.get_mut(at as usize) {
            queued.written = true;
        }
        let waiter = (at == 0).then(|| state.waiter.take()).flatten();
        drop(state);
        if let Some(waiter) = waiter {
            waiter.wake();
        }
    }

    /// Starts this adopted session's outbox where its previous node's ended: its next
    /// notification is numbered after `last`, and `carried` (what that node wrote, the
    /// last ones sent and those not sent yet) waits for the host that attaches the
    /// session's client ([`take_carried`](Self::take_carried)).
    #[cfg_attr(not(all(feature = "farm", feature = "web")), allow(dead_code))]
    pub(crate) fn carry_on(&self, last: u64, carried: Vec<super::carry::CarriedNotification>) {
        let outbox = self.get_or_insert_with(Outbox::default);
        lock(&outbox.state).numbered = last;
        let carried = carried
            .into_iter()
            .map(|c| {
                let notification = Notification {
                    topic: c.topic,
                    payload: c.payload,
                };
                (c.number, notification)
            })
            .collect();
        self.insert_quietly(Carried(Mutex::new(carried)));
    }

    /// The notifications carried from the session's previous node, numbered, oldest
    /// first (once: a second call gets none). A host sends the client again those after
    /// the ones it says it received.
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) fn take_carried(&self) -> Vec<(u64, Notification)> {
        self.get::<Carried>()
            .map(|carried| std::mem::take(&mut *lock(&carried.0)))
            .unwrap_or_default()
    }

    /// Takes every queued notification that may leave, oldest first; empty when there is
    /// none. (On a farm with failover, one not yet written to Redis stays, with those after
    /// it: see `FarmBuilder::failover`, feature `farm`.)
    pub fn take_notifications(&self) -> Vec<Notification> {
        match self.get::<Outbox>() {
            Some(outbox) => {
                let mut state = lock(&outbox.state);
                let ready = state.queue.iter().take_while(|q| q.written).count();
                state.queue.drain(..ready).map(|q| q.notification).collect()
            }
            None => Vec::new(),
        }
    }

    /// The next notification, when one is queued and may leave (on a farm with failover:
    /// once written to Redis): what a host awaits to forward them to the client in order.
    /// `None` once the session is closed and nothing is left. One task at a time waits: a
    /// second waiting task takes the first one's place.
    pub fn next_notification(&self) -> NextNotification {
        NextNotification {
            outbox: self.get_or_insert_with(Outbox::default),
        }
    }

    /// [`next_notification`](Self::next_notification) with its number (the session's
    /// count of notifications up to it): what the web host numbers its pushes by.
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) fn next_numbered_notification(&self) -> NextNumbered {
        NextNumbered {
            outbox: self.get_or_insert_with(Outbox::default),
        }
    }
}

/// The notifications carried from an adopted session's previous node, for its host.
struct Carried(Mutex<Vec<(u64, Notification)>>);

/// The future of [`Session::next_numbered_notification`].
pub(crate) struct NextNumbered {
    outbox: Arc<Outbox>,
}

impl Future for NextNumbered {
    type Output = Option<(u64, Notification)>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        lock(&self.outbox.state).poll_front(cx)
    }
}

/// The future of [`Session::next_notification`].
#[must_use = "futures do nothing unless polled"]
pub struct NextNotification {
    outbox: Arc<Outbox>,
}

impl Future for NextNotification {
    type Output = Option<Notification>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        lock(&self.outbox.state)
            .poll_front(cx)
            .map(|next| next.map(|(_, notification)| notification))
    }
}

impl Engine {
    /// How many notifications were left queued when their sessions closed (each such
    /// close was logged).
    pub fn undelivered_notifications(&self) -> usize {
        self.shared
            .undelivered_notifications
            .load(Ordering::Acquire)
    }
}

/// `session` closed: its outbox takes nothing more, a waiting task is told, and what is
/// left is counted and logged.
pub(super) fn session_closed(engine: &EngineShared, session: &Session) {
    let Some(outbox) = session.get::<Outbox>() else {
        return;
    };
    let mut state = lock(&outbox.state);
    state.closed = true;
    let left = state.queue.len();
    state.queue.clear();
    let waiter = state.waiter.take();
    drop(state);
    if let Some(waiter) = waiter {
        waiter.wake();
    }
    if left > 0 {
        engine
            .undelivered_notifications
            .fetch_add(left, Ordering::AcqRel);
        tracing::warn!(
            session = %session.id(),
            notifications = left,
            "session closed with notifications no client took; they are counted as undelivered"
        );
    }
}
