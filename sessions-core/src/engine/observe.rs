//! Watching an engine from outside it: [`EngineEvent`]s told to each [`EngineObserver`]
//! registered with [`Engine::observe`]: a session opened, closed or changed user; an object
//! or a variable exported or dropped. Hosts and the farm observe them; none polls.
//!
//! The engine calls each observer after the change, on the thread that made it, with the
//! session or the path: an observer reads whatever else it needs (`user()`, `client()`,
//! `is_open()`) itself, so two changes racing on two threads cannot leave it with the older
//! state, as long as it reads the state after it was called.
//!
//! The list lives on the engine, not on the sessions: a session costs no byte more. An
//! engine nobody observes pays one atomic load per open, close and `set_user`.

use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock, Weak};

use super::{Engine, EngineShared, Session};

/// Something that changed in an engine, as an [`EngineObserver`] is told of it.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum EngineEvent<'a> {
    /// A session was opened (before the engine's `on_open` hook runs in it).
    SessionOpened(&'a Session),
    /// A session was closed: it is marked closed and gone from the engine.
    SessionClosed(&'a Session),
    /// A session's user was set, changed or logged out ([`Session::set_user`]), while open.
    /// A session a farm node adopts from another node opens with its user: only
    /// [`SessionOpened`](EngineEvent::SessionOpened) tells of it (and the `on_open` hook
    /// sees it).
    UserChanged(&'a Session),
    /// A session's durable state changed: a value of a type registered with
    /// [`EngineBuilder::persist`](crate::EngineBuilder::persist) was inserted or removed,
    /// or a host set the session's resume verifier (the farm writes it again).
    StateChanged(&'a Session),
    /// An object was exported at this path ([`Engine::export_object`]): its methods can be
    /// called now.
    ObjectExported {
        /// Its path.
        path: &'a str,
    },
    /// The object at this path was unexported (its handle dropped).
    ObjectDropped {
        /// Its path.
        path: &'a str,
    },
    /// A variable was exported at this path.
    VariableExported {
        /// Its path.
        path: &'a str,
    },
    /// The variable at this path was unexported (its handle dropped).
    VariableDropped {
        /// Its path.
        path: &'a str,
    },
}

/// What is told of an engine's changes ([`EngineEvent`]). It runs on the thread that made
/// the change, inside `open`, `close`, `set_user` or an export: it must be quick and must not
/// block on anything that waits for the engine (queue the work and return). The root
/// session's changes are not told.
///
/// Any `Fn(&EngineEvent<'_>) + Send + Sync + 'static` is one.
pub trait EngineObserver: Send + Sync + 'static {
    /// `event` happened.
    fn event(&self, event: &EngineEvent<'_>);
}

impl<F: Fn(&EngineEvent<'_>) + Send + Sync + 'static> EngineObserver for F {
    fn event(&self, event: &EngineEvent<'_>) {
        self(event)
    }
}

/// An engine's observers.
#[derive(Default)]
pub(crate) struct Observers {
    /// Whether the list is non-empty: the one load an unobserved engine pays.
    any: AtomicBool,
    list: RwLock<Vec<(u64, Arc<dyn EngineObserver>)>>,
}

impl Observers {
    /// Tells every observer of `event`, unless there is none.
    #[inline]
    pub(crate) fn tell(&self, event: EngineEvent<'_>) {
        if !self.any.load(Ordering::Acquire) {
            return;
        }
        let list = self.list.read().unwrap_or_else(PoisonError::into_inner);
        for (_, observer) in list.iter() {
            observer.event(&event);
        }
    }

    fn remove(&self, id: u64) {
        let mut list = self.list.write().unwrap_or_else(PoisonError::into_inner);
        list.retain(|(other, _)| *other != id);
        self.any.store(!list.is_empty(), Ordering::Release);
    }
}

/// What [`Engine::observe`] returns: the observer is told of the engine's changes until
/// this is dropped (or [`stop`](Self::stop)ped).
#[must_use = "the observer stops being told when its handle is dropped"]
pub struct ObserverHandle {
    engine: Weak<EngineShared>,
    id: u64,
}

impl ObserverHandle {
    /// Stops telling the observer now.
    pub fn stop(self) {}
}

impl Drop for ObserverHandle {
    fn drop(&mut self) {
        if let Some(engine) = self.engine.upgrade() {
            engine.observers.remove(self.id);
        }
    }
}

impl fmt::Debug for ObserverHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObserverHandle")
            .field("id", &self.id)
            .finish()
    }
}

impl Engine {
    /// Starts telling `observer` of this engine's changes ([`EngineEvent`]): every open,
    /// close and change of user of its sessions (the root session excluded), every object
    /// and variable exported or dropped. It is told until the returned handle drops.
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    /// use sessions_core::host::EngineEvent;
    /// use sessions_core::{Engine, User};
    ///
    /// let engine = Engine::new();
    /// let heard = Arc::new(Mutex::new(Vec::new()));
    /// let log = heard.clone();
    /// let handle = engine.observe(move |event: &EngineEvent<'_>| {
    ///     let what = match event {
    ///         EngineEvent::SessionOpened(_) => "opened",
    ///         EngineEvent::UserChanged(_) => "user",
    ///         EngineEvent::SessionClosed(_) => "closed",
    ///         _ => "other",
    ///     };
    ///     log.lock().unwrap().push(what);
    /// });
    /// let session = engine.open()?;
    /// session.set_user(Some(User::new("ada")));
    /// engine.close(session.id())?;
    /// drop(handle);
    /// engine.open()?;
    /// assert_eq!(*heard.lock().unwrap(), ["opened", "user", "closed"]);
    /// # Ok::<(), sessions_core::SessionError>(())
    /// ```
    pub fn observe(&self, observer: impl EngineObserver) -> ObserverHandle {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        let observers = &self.shared.observers;
        let mut list = observers
            .list
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        list.push((id, Arc::new(observer)));
        observers.any.store(true, Ordering::Release);
        ObserverHandle {
            engine: Arc::downgrade(&self.shared),
            id,
        }
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

    impl EngineObserver for Arc<Log> {
        fn event(&self, event: &EngineEvent<'_>) {
            match event {
                EngineEvent::SessionOpened(session) => self.push("opened", session),
                EngineEvent::SessionClosed(session) => self.push("closed", session),
                EngineEvent::UserChanged(session) => self.push("user", session),
                _ => {}
            }
        }
    }

    #[test]
    fn observers_hear_of_opens_closes_and_users_until_they_stop() -> Result<(), crate::SessionError>
    {
        let engine = Engine::new();
        let log = Arc::new(Log::default());
        let handle = engine.observe(log.clone());
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
        handle.stop();
        engine.open()?;
        assert_eq!(log.take(), []);
        Ok(())
    }
}
