//! Watching an engine's sessions from outside it: who opened, who closed, whose user changed.
//!
//! A part of this crate that mirrors the engine somewhere else (the farm announces every
//! session in Redis) registers an [`Observer`] with [`Engine::observe`]. The engine calls it
//! after each open, close and change of user, on the thread that made the change, with the
//! session: the observer reads whatever it needs (`user()`, `client()`, `is_open()`) itself,
//! so two changes racing on two threads cannot leave it with the older state, as long as it
//! reads the state after it was called.
//!
//! The list lives on the engine, not on the sessions: a session costs no byte more. An
//! engine nobody observes pays one relaxed atomic load per open, close and `set_user`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

use super::{Engine, Session};

/// What is told of an engine's sessions. Every method runs on the thread that changed the
/// session, inside `open`, `close` or `set_user`: it must be quick and must not block on
/// anything that waits for the engine (queue the work and return).
pub(crate) trait Observer: Send + Sync {
    /// `session` was opened (before the engine's `on_open` hook runs in it).
    fn opened(&self, session: &Session);
    /// `session` was closed: it is marked closed and gone from the engine.
    fn closed(&self, session: &Session);
    /// `session`'s user was set or changed or logged out (`Session::set_user`), while open.
    fn user_changed(&self, session: &Session);
}

/// An engine's observers.
#[derive(Default)]
pub(crate) struct Observers {
    /// Whether the list is non-empty: the one load an unobserved engine pays.
    any: AtomicBool,
    list: RwLock<Vec<(u64, Arc<dyn Observer>)>>,
}

/// What [`Engine::observe`] returns, to stop observing with [`Engine::unobserve`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ObserverId(u64);

impl Observers {
    /// Calls `f` for each observer, unless there is none.
    #[inline]
    pub(crate) fn each(&self, f: impl Fn(&dyn Observer)) {
        if !self.any.load(Ordering::Acquire) {
            return;
        }
        let list = self.list.read().unwrap_or_else(PoisonError::into_inner);
        for (_, observer) in list.iter() {
            f(observer.as_ref());
        }
    }
}

impl Engine {
    /// Starts telling `observer` of every open, close and change of user of this engine's
    /// sessions (the root session excluded), until [`unobserve`](Engine::unobserve).
    pub(crate) fn observe(&self, observer: Arc<dyn Observer>) -> ObserverId {
        static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let observers = &self.shared.observers;
        let mut list = observers
            .list
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        list.push((id, observer));
        observers.any.store(true, Ordering::Release);
        ObserverId(id)
    }

    /// Stops telling the observer registered as `id`; returns whether it was registered.
    pub(crate) fn unobserve(&self, id: ObserverId) -> bool {
        let observers = &self.shared.observers;
        let mut list = observers
            .list
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let before = list.len();
        list.retain(|(other, _)| *other != id.0);
        observers.any.store(!list.is_empty(), Ordering::Release);
        list.len() != before
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::User;

    /// One call: what, the session's id, its user then, whether it was open then.
    type Heard = (&'static str, crate::SessionId, Option<String>, bool);

    /// Every call.
    #[derive(Default)]
    struct Log(Mutex<Vec<Heard>>);

    impl Log {
        fn push(&self, what: &'static str, session: &Session) {
            let user = session.user().map(|u| u.name().to_owned());
            self.0.lock().unwrap_or_else(PoisonError::into_inner).push((
                what,
                session.id(),
                user,
                session.is_open(),
            ));
        }

        fn take(&self) -> Vec<Heard> {
            std::mem::take(&mut self.0.lock().unwrap_or_else(PoisonError::into_inner))
        }
    }

    impl Observer for Log {
        fn opened(&self, session: &Session) {
            self.push("opened", session);
        }
        fn closed(&self, session: &Session) {
            self.push("closed", session);
        }
        fn user_changed(&self, session: &Session) {
            self.push("user", session);
        }
    }

    #[test]
    fn observers_hear_of_opens_closes_and_users_until_they_stop() -> Result<(), crate::SessionError>
    {
        let engine = Engine::new();
        let log = Arc::new(Log::default());
        let id = engine.observe(log.clone());
        let s = engine.open()?;
        s.set_user(Some(User::new("ada")));
        s.set_user(Some(User::new("bob")));
        s.set_user(None);
        engine.root().set_user(Some(User::new("root")));
        engine.close(s.id())?;
        s.set_user(Some(User::new("late")));
        let sid = s.id();
        assert_eq!(
            log.take(),
            [
                ("opened", sid, None, true),
                ("user", sid, Some("ada".to_owned()), true),
                ("user", sid, Some("bob".to_owned()), true),
                ("user", sid, None, true),
                ("closed", sid, None, false),
            ]
        );
        assert!(engine.unobserve(id));
        assert!(!engine.unobserve(id));
        engine.open()?;
        assert_eq!(log.take(), []);
        Ok(())
    }
}
