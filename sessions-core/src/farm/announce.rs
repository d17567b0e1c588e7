//! Which sessions this node must announce again: the engine tells the farm of every open,
//! close and change of user (the engine's events), and the farm writes the state each
//! session has *when it is written*, so the latest state wins whatever the order of events.
//!
//! What waits is a set of ids, at most one per session: however long Redis is away, the
//! memory it takes is bounded by the number of sessions.

use std::collections::HashSet;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use crate::host::EngineEvent;
use crate::lock::lock;
use crate::SessionId;

/// The observer registered with the engine; also what wakes the farm's keeper thread.
#[derive(Default)]
pub(crate) struct Announcer {
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    dirty: HashSet<SessionId>,
    /// Set to make the keeper run a round now (a stop, or a resync to do).
    nudged: bool,
}

impl Announcer {
    fn mark(&self, id: SessionId) {
        let mut state = lock(&self.state);
        let was_empty = state.dirty.is_empty();
        state.dirty.insert(id);
        drop(state);
        if was_empty {
            self.wake.notify_all();
        }
    }

    /// Marks every id in `ids` to be written again.
    pub(crate) fn mark_all(&self, ids: impl IntoIterator<Item = SessionId>) {
        let mut state = lock(&self.state);
        state.dirty.extend(ids);
        drop(state);
        self.wake.notify_all();
    }

    /// Takes the ids waiting to be written.
    pub(crate) fn take(&self) -> HashSet<SessionId> {
        std::mem::take(&mut lock(&self.state).dirty)
    }

    /// Whether any id waits to be written.
    pub(crate) fn is_dirty(&self) -> bool {
        !lock(&self.state).dirty.is_empty()
    }

    /// Makes the keeper run a round now.
    pub(crate) fn nudge(&self) {
        lock(&self.state).nudged = true;
        self.wake.notify_all();
    }

    /// Waits until an id waits to be written (unless `only_nudge`), a nudge, or `timeout`.
    pub(crate) fn wait(&self, timeout: Duration, only_nudge: bool) {
        let state = lock(&self.state);
        let (mut state, _) = self
            .wake
            .wait_timeout_while(state, timeout, |state| {
                !state.nudged && (only_nudge || state.dirty.is_empty())
            })
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.nudged = false;
    }
}

impl Announcer {
    /// What the engine tells the farm: a session to announce again. A change of its
    /// registered state only when the farm writes state (`failover`).
    pub(crate) fn heard(&self, event: &EngineEvent<'_>, failover: bool) {
        match event {
            EngineEvent::SessionOpened(session)
            | EngineEvent::SessionClosed(session)
            | EngineEvent::UserChanged(session) => self.mark(session.id()),
            EngineEvent::StateChanged(session) if failover => self.mark(session.id()),
            _ => {}
        }
    }
}
