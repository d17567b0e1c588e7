//! The handle to one session, [`Session`], and what it holds. Its typed state is in
//! `state.rs`, the handle that does not keep it alive in `weak.rs`, and calling exported
//! methods in it in `call.rs`.

mod state;
mod weak;

use std::any::{Any, TypeId};
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use crate::clock::Clock;

pub use weak::WeakSession;

use super::mailbox::Mailbox;
use super::{Engine, EngineShared};
use crate::lock::lock;
use crate::{ClientId, SessionId, User};

/// A cheap `Clone` handle to one session of an [`Engine`].
///
/// What a Xojo `Session` subclass keeps in properties is kept here as typed state
/// ([`insert`](Session::insert), [`get`](Session::get)); what an Optix `UISession` says about
/// its user is [`user`](Session::user).
///
/// Code that holds on to a session in the background (a struct field, a queue, a timer)
/// should hold a [`WeakSession`] or the [`SessionId`] instead: a `Session` handle keeps the
/// session's memory alive after it is closed, though a closed session can no longer be
/// entered.
///
/// ```
/// use sessions_core::{Engine, User};
///
/// struct Cart(Vec<String>);
///
/// let engine = Engine::new();
/// let session = engine.open()?;
/// session.set_user(Some(User::new("alice")));
/// session.insert(Cart(vec!["apple".into()]));
/// assert_eq!(session.get::<Cart>().map(|cart| cart.0.len()), Some(1));
/// assert_eq!(engine.active_count(), 1);
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
#[derive(Clone)]
pub struct Session {
    pub(crate) inner: Arc<SessionInner>,
}

pub(crate) struct SessionInner {
    pub(crate) id: SessionId,
    pub(super) engine: Weak<EngineShared>,
    client: Option<ClientId>,
    /// The engine's clock, which dates the session (times are nanoseconds from its epoch:
    /// eight bytes each, where an `Instant` takes sixteen).
    clock: Clock,
    created: u64,
    /// When the session was last touched.
    last_active: AtomicU64,
    /// Also serialises log-in, log-out and close, so the engine's count of sessions with
    /// a user is changed exactly once per transition.
    user: Mutex<Option<User>>,
    open: AtomicBool,
    root: bool,
    state: Mutex<Vec<(TypeId, Arc<dyn Any + Send + Sync>)>>,
    /// Calls posted to this session and not yet dispatched.
    pub(crate) mailbox: Mailbox,
}

impl Session {
    pub(crate) fn new(
        id: SessionId,
        engine: Weak<EngineShared>,
        client: Option<ClientId>,
        root: bool,
        clock: Clock,
    ) -> Session {
        let now = clock.nanos();
        Session {
            inner: Arc::new(SessionInner {
                id,
                engine,
                client,
                clock,
                created: now,
                last_active: AtomicU64::new(now),
                user: Mutex::new(None),
                open: AtomicBool::new(true),
                root,
                state: Mutex::new(Vec::new()),
                mailbox: Mailbox::default(),
            }),
        }
    }

    /// The session's id.
    #[inline]
    pub fn id(&self) -> SessionId {
        self.inner.id
    }

    /// The user logged in to this session, or `None` while it is anonymous.
    pub fn user(&self) -> Option<User> {
        lock(&self.inner.user).clone()
    }

    /// The name of the user logged in, without copying the user's roles (for an audit
    /// record, on the path of every call).
    pub(crate) fn user_name(&self) -> Option<String> {
        lock(&self.inner.user)
            .as_ref()
            .map(|user| user.name().to_owned())
    }

    /// Logs a user in (`Some`) or out (`None`), and keeps the engine's
    /// [`active_count`](Engine::active_count) in step (and, when the engine has joined a
    /// farm, the farm's).
    pub fn set_user(&self, user: Option<User>) {
        let mut slot = lock(&self.inner.user);
        let was_active = slot.is_some();
        let now_active = user.is_some();
        let previous = std::mem::replace(&mut *slot, user);
        let engine = match self.is_open() && !self.inner.root {
            true => self.inner.engine.upgrade(),
            false => None,
        };
        if let Some(engine) = &engine {
            if was_active != now_active {
                engine.user_changed(now_active);
            }
        }
        drop(slot);
        drop(previous);
        // After the lock is released: an observer reads the user it needs itself.
        if let Some(engine) = engine {
            engine.tell_user_changed(self);
        }
    }

    /// Whether this is its engine's root session, the one used for impersonation.
    pub fn is_root(&self) -> bool {
        self.inner.root
    }

    /// Whether the session is still open: `false` once its engine closed it.
    #[inline]
    pub fn is_open(&self) -> bool {
        self.inner.open.load(Ordering::Acquire)
    }

    /// The browser this session came from, when it was opened with
    /// [`Engine::open_for_client`].
    pub fn client(&self) -> Option<ClientId> {
        self.inner.client.clone()
    }

    pub(crate) fn inner_client(&self) -> Option<&ClientId> {
        self.inner.client.as_ref()
    }

    /// When the session was opened, on its engine's clock.
    pub fn created(&self) -> Instant {
        self.inner.clock.instant(self.inner.created)
    }

    /// When [`touch`](Session::touch) was last called (at first, when the session opened),
    /// on its engine's clock.
    pub fn last_active(&self) -> Instant {
        let nanos = self.inner.last_active.load(Ordering::Relaxed);
        self.inner.clock.instant(nanos)
    }

    /// Marks the session as active now, so [`Engine::expire_idle`] leaves it open.
    ///
    /// A host calls this on every request from the session's browser;
    /// [`Session::call`] calls it too. Entering a session does not: a timer or a background
    /// thread working in a session does not keep it alive.
    pub fn touch(&self) {
        let now = self.inner.clock.nanos();
        self.inner.last_active.fetch_max(now, Ordering::Relaxed);
    }

    /// How long the session has been idle, on its engine's clock.
    pub fn idle_for(&self) -> Duration {
        let idle = self
            .inner
            .clock
            .nanos()
            .saturating_sub(self.inner.last_active.load(Ordering::Relaxed));
        Duration::from_nanos(idle)
    }

    /// The clock of the session's engine.
    pub(crate) fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The engine this session belongs to, while that engine exists.
    pub fn engine(&self) -> Option<Engine> {
        self.inner.engine.upgrade().map(Engine::from_shared)
    }

    /// A handle that does not keep the session alive.
    pub fn downgrade(&self) -> WeakSession {
        WeakSession {
            id: self.inner.id,
            inner: Arc::downgrade(&self.inner),
        }
    }

    /// Marks the session closed; returns `false` if it already was. Keeps the engine's
    /// count of sessions with a user in step.
    pub(crate) fn mark_closed(&self, engine: &EngineShared) -> bool {
        let user = lock(&self.inner.user);
        if !self.inner.open.swap(false, Ordering::AcqRel) {
            return false;
        }
        if user.is_some() && !self.inner.root {
            engine.user_changed(false);
        }
        true
    }

    /// Sets the user of a session being opened (not registered nor told yet), keeping the
    /// engine's count of sessions with a user in step; no observer is told (the opening is).
    #[cfg_attr(not(all(feature = "farm", feature = "web")), allow(dead_code))]
    pub(crate) fn set_user_quietly(&self, user: Option<User>) {
        let mut slot = lock(&self.inner.user);
        let was_active = slot.is_some();
        let now_active = user.is_some();
        *slot = user;
        if was_active != now_active && !self.inner.root {
            if let Some(engine) = self.inner.engine.upgrade() {
                engine.user_changed(now_active);
            }
        }
    }

    /// Marks the session closed without touching any engine (the engine is being dropped).
    pub(crate) fn mark_closed_orphaned(&self) {
        let _user = lock(&self.inner.user);
        self.inner.open.store(false, Ordering::Release);
    }
}

impl PartialEq for Session {
    fn eq(&self, other: &Session) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

impl Eq for Session {}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.inner.id)
            .field("user", &self.user().as_ref().map(User::name))
            .field("client", &self.inner.client)
            .field("root", &self.inner.root)
            .field("open", &self.is_open())
            .finish()
    }
}
