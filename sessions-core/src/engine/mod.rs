//! The engine: a registry of open sessions (Optix's `PresentationEngine`, Xojo's `App`).

//!
//! The engine owns the session graph: the sessions (`session/`), the context stack of each
//! thread (`context.rs`), the registry and names of engines, mailboxes and their dispatch
//! (`mailbox.rs`, `messages.rs`, `dispatcher.rs`), and what running code in a session needs
//! (the method boundary `boundary.rs`, the carrier of context `carrier.rs`, calls `call.rs`,
//! and their audit records `audit.rs`).

pub(crate) mod audit;
pub(crate) mod boundary;
mod builder;
pub(crate) mod call;
pub(crate) mod carrier;
pub(crate) mod context;
mod decide;
mod dispatcher;
mod mailbox;
mod messages;
mod names;
mod notify;
pub(crate) mod objects;
#[cfg_attr(not(feature = "farm"), allow(dead_code))]
mod observe;
mod paths;
#[cfg_attr(not(all(feature = "farm", feature = "web")), allow(dead_code))]
mod persist;
mod registry;
mod session;
mod variables;

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

pub use builder::{EngineBuilder, DEFAULT_MAILBOX_CAPACITY};
pub use context::{current, current_id, require, with_current, SessionGuard};
pub(crate) use decide::may_act_as;
pub use dispatcher::{Dispatcher, MIN_INTERVAL};
#[cfg_attr(not(feature = "farm"), allow(unused_imports))]
pub(crate) use messages::Delivery;
pub use messages::DispatchReport;
use messages::PostOffice;
pub use notify::{NextNotification, Notification, DEFAULT_OUTBOX_CAPACITY};
pub use objects::{ObjectError, ObjectHandle, ObjectInfo};
pub use observe::{EngineEvent, EngineObserver, ObserverHandle};
#[cfg(feature = "farm")]
pub(crate) use paths::path_problem;
#[cfg_attr(not(feature = "farm"), allow(unused_imports))]
pub(crate) use persist::{Adopter, Adoption};
use registry::Registry;
pub use session::{Session, WeakSession};
pub use variables::{VariableHandle, VariableInfo};

use crate::audit::AuditSink;
use crate::clock::Clock;
use crate::panic::panic_message;
use crate::{ClientId, SessionError, SessionId};

pub(crate) type Hook = Box<dyn Fn(&Session) + Send + Sync>;

/// A cheap `Clone` handle to a registry of sessions.
///
/// Several engines may live in one process (tests make their own); [`Engine::global`] is
/// the process-wide default. Every engine has one root session ([`root`](Engine::root)),
/// never counted and never closed, which code outside any session impersonates with
/// [`impersonate_root`](Engine::impersonate_root).
///
/// ```
/// use sessions_core::{current_id, Engine, User};
///
/// let engine = Engine::new();
/// let session = engine.open()?;
/// session.set_user(Some(User::new("alice")));
/// assert_eq!((engine.len(), engine.active_count()), (1, 1));
///
/// let _guard = engine.enter(session.id())?;
/// assert_eq!(current_id(), Some(session.id()));
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
#[derive(Clone)]
pub struct Engine {
    shared: Arc<EngineShared>,
}

pub(crate) struct EngineShared {
    name: Option<Arc<str>>,
    idle_timeout: Option<Duration>,
    clock: Clock,
    max_sessions: Option<usize>,
    mailbox_capacity: usize,
    on_open: Option<Hook>,
    on_close: Option<Hook>,
    registry: Registry,
    /// Open sessions, root excluded (slots being opened count already).
    len: AtomicUsize,
    /// Open sessions with a user: changed on each log-in, log-out and close.
    active: AtomicUsize,
    root: Session,
    post_office: PostOffice,
    objects: objects::Objects,
    outbox_capacity: usize,
    /// Notifications left queued when their sessions closed.
    undelivered_notifications: AtomicUsize,
    /// Told of every open, close and change of user (the farm's announcer).
    observers: observe::Observers,
    /// The variables it exports, by path.
    variables: variables::Variables,
    /// Where each call's audit record goes (`EngineBuilder::audit`); none: no records.
    audit: Option<Arc<dyn AuditSink>>,
    /// The state types that travel with a session to another node (`persist.rs`).
    persisted: Vec<persist::Persisted>,
    /// What adopts a session of another node of the farm (set by the farm).
    adopter: persist::AdopterSlot,
}

impl EngineShared {
    /// Tells the engine's observers that `session`'s user changed.
    pub(crate) fn tell_user_changed(&self, session: &Session) {
        self.observers.tell(EngineEvent::UserChanged(session));
    }

    /// Called by a session when a user logs in (`true`) or out or its session closes.
    pub(crate) fn user_changed(&self, now_active: bool) {
        if now_active {
            self.active.fetch_add(1, Ordering::Relaxed);
        } else {
            self.active.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

impl Engine {
    /// An unnamed engine with default settings.
    pub fn new() -> Engine {
        EngineBuilder::default()
            .build()
            .unwrap_or_else(|_| unreachable!("only a name can be refused, and there is none"))
    }

    /// Settings for a new engine.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// The process-wide engine, created with default settings on first use. Exported
    /// methods with `session = impersonate` impersonate its root.
    pub fn global() -> &'static Engine {
        static GLOBAL: OnceLock<Engine> = OnceLock::new();
        GLOBAL.get_or_init(Engine::new)
    }

    /// The live engine with this name.
    pub fn find(name: &str) -> Option<Engine> {
        names::find(name).map(Engine::from_shared)
    }

    pub(crate) fn from_shared(shared: Arc<EngineShared>) -> Engine {
        Engine { shared }
    }

    pub(crate) fn post_office(&self) -> &PostOffice {
        &self.shared.post_office
    }

    pub(crate) fn downgrade(&self) -> Weak<EngineShared> {
        Arc::downgrade(&self.shared)
    }

    fn from_builder(builder: EngineBuilder) -> Result<Engine, SessionError> {
        let clock = builder.clock;
        let shared = Arc::new_cyclic(|weak| EngineShared {
            name: builder.name.clone(),
            idle_timeout: builder.idle_timeout,
            clock: clock.clone(),
            max_sessions: builder.max_sessions,
            mailbox_capacity: builder.mailbox_capacity,
            on_open: builder.on_open,
            on_close: builder.on_close,
            registry: Registry::new(),
            len: AtomicUsize::new(0),
            active: AtomicUsize::new(0),
            root: Session::new(SessionId::random(), weak.clone(), None, true, clock),
            post_office: PostOffice::default(),
            objects: objects::Objects::default(),
            outbox_capacity: builder.outbox_capacity,
            undelivered_notifications: AtomicUsize::new(0),
            observers: observe::Observers::default(),
            variables: variables::Variables::default(),
            audit: builder.audit,
            persisted: builder.persisted,
            adopter: persist::AdopterSlot::default(),
        });
        if let Some(name) = &builder.name {
            names::claim(name, &shared)?;
        }
        Ok(Engine { shared })
    }

    /// The engine's name, if it was given one.
    pub fn name(&self) -> Option<&str> {
        self.shared.name.as_deref()
    }

    /// How long a session may be idle before [`expire_idle`](Engine::expire_idle) closes it.
    pub fn idle_timeout(&self) -> Option<Duration> {
        self.shared.idle_timeout
    }

    /// The most sessions open at once, if limited.
    pub fn max_sessions(&self) -> Option<usize> {
        self.shared.max_sessions
    }

    /// How many messages each session's mailbox holds.
    pub fn mailbox_capacity(&self) -> usize {
        self.shared.mailbox_capacity
    }

    /// The root session: never counted, never closed; see
    /// [`impersonate_root`](Engine::impersonate_root).
    pub fn root(&self) -> Session {
        self.shared.root.clone()
    }

    /// Opens a new anonymous session.
    ///
    /// The engine's `on_open` hook runs inside the new session's context before this returns.
    ///
    /// # Errors
    /// [`SessionError::Capacity`] when `max_sessions` sessions are open already.
    pub fn open(&self) -> Result<Session, SessionError> {
        self.open_with(None)
    }

    /// Opens a new session for a browser, so it can be found with the other tabs of that
    /// browser ([`sessions_for_client`](Engine::sessions_for_client)).
    ///
    /// # Errors
    /// [`SessionError::Capacity`] when `max_sessions` sessions are open already.
    pub fn open_for_client(&self, client: ClientId) -> Result<Session, SessionError> {
        self.open_with(Some(client))
    }

    fn open_with(&self, client: Option<ClientId>) -> Result<Session, SessionError> {
        let opened = self.open_with_id(None, client, |_| {})?;
        // A random id is drawn again until it is free: there is always a session.
        opened.ok_or(SessionError::Capacity { max: 0 })
    }

    /// Opens a session with `id` (a random one when `None`), `init` run on it before it is
    /// registered and told. `Ok(None)` when `id` is given and a session has it already.
    fn open_with_id(
        &self,
        id: Option<SessionId>,
        client: Option<ClientId>,
        init: impl FnOnce(&Session),
    ) -> Result<Option<Session>, SessionError> {
        let shared = &self.shared;
        let reserved = shared
            .len
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |len| {
                shared
                    .max_sessions
                    .is_none_or(|max| len < max)
                    .then_some(len + 1)
            });
        if reserved.is_err() {
            let max = shared.max_sessions.unwrap_or(usize::MAX);
            return Err(SessionError::Capacity { max });
        }
        let mut init = Some(init);
        let session = loop {
            let session = Session::new(
                id.unwrap_or_else(SessionId::random),
                self.downgrade(),
                client.clone(),
                false,
                self.shared.clock.clone(),
            );
            if let Some(init) = init.take() {
                init(&session);
            }
            // 128 random bits do not collide in practice; if they ever do, draw again.
            if shared.registry.insert(&session) {
                break session;
            }
            if id.is_some() {
                session.mark_closed(shared);
                shared.len.fetch_sub(1, Ordering::AcqRel);
                return Ok(None);
            }
        };
        shared.observers.tell(EngineEvent::SessionOpened(&session));
        if let Some(hook) = &shared.on_open {
            self.run_hook("on_open", hook, &session);
        }
        Ok(Some(session))
    }

    /// The open session with this id.
    ///
    /// The root session is not among them: reach it with [`root`](Engine::root).
    pub fn get(&self, id: SessionId) -> Option<Session> {
        self.shared.registry.get(id)
    }

    /// Closes the session with this id.
    ///
    /// The `on_close` hook runs inside the session's context first; then the session is
    /// marked closed: it can no longer be entered, [`WeakSession::upgrade`] gives `None`,
    /// and it no longer counts in [`len`](Engine::len) or
    /// [`active_count`](Engine::active_count).
    ///
    /// [`WeakSession::upgrade`]: crate::WeakSession::upgrade
    ///
    /// # Errors
    /// [`SessionError::NotFound`] when no open session has this id (closing twice is an
    /// error the second time).
    pub fn close(&self, id: SessionId) -> Result<(), SessionError> {
        let session = self
            .shared
            .registry
            .remove(id)
            .ok_or(SessionError::NotFound(id))?;
        if let Some(hook) = &self.shared.on_close {
            self.run_hook("on_close", hook, &session);
        }
        session.mark_closed(&self.shared);
        self.shared
            .observers
            .tell(EngineEvent::SessionClosed(&session));
        // After `mark_closed`: a post that sees the session open is counted here.
        self.shared.post_office.session_closed(&session);
        notify::session_closed(&self.shared, &session);
        self.shared.len.fetch_sub(1, Ordering::AcqRel);
        Ok(())
    }

    /// Runs a hook inside `session`'s context; a panic in it is logged, not propagated.
    fn run_hook(&self, hook_name: &'static str, hook: &Hook, session: &Session) {
        let _guard = context::push(session.clone());
        if let Err(payload) = catch_unwind(AssertUnwindSafe(|| hook(session))) {
            tracing::error!(
                engine = self.name().unwrap_or(""),
                session = %session.id(),
                hook = hook_name,
                "the {hook_name} hook panicked: {}",
                panic_message(payload.as_ref())
            );
        }
    }

    /// How many sessions are open, the root session not counted.
    pub fn len(&self) -> usize {
        self.shared.len.load(Ordering::Acquire)
    }

    /// Whether no session is open (the root session not counted).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many open sessions have a user logged in: the Optix
    /// `Sessions.Where(s => s.User != null).Count()`, kept by the engine as users log in
    /// and out, so it costs the same at any number of sessions.
    pub fn active_count(&self) -> usize {
        self.shared.active.load(Ordering::Relaxed)
    }

    /// The open sessions, in no particular order. Sessions opened or closed while this
    /// runs may or may not be in it.
    pub fn sessions(&self) -> Vec<Session> {
        self.shared.registry.collect(|_| true)
    }

    /// The open sessions of one browser.
    pub fn sessions_for_client(&self, client: &ClientId) -> Vec<Session> {
        self.shared
            .registry
            .collect(|session| session.inner_client() == Some(client))
    }

    /// Closes every session idle for longer than the engine's `idle_timeout` (idle: no
    /// [`Session::touch`] since), and returns how many it closed. Without an
    /// `idle_timeout`, it closes none.
    pub fn expire_idle(&self) -> usize {
        let Some(timeout) = self.shared.idle_timeout else {
            return 0;
        };
        let idle = self
            .shared
            .registry
            .collect(|session| session.idle_for() > timeout);
        idle.iter()
            .filter(|session| self.close(session.id()).is_ok())
            .count()
    }

    /// Makes the open session with this id current on this thread, under the rules of
    /// [`Session::enter`]; an id that no open session has is [`SessionError::NotFound`].
    /// This is Xojo's `New WebSessionContext(id)`.
    pub fn enter(&self, id: SessionId) -> Result<SessionGuard, SessionError> {
        if current_id() == Some(id) {
            // The current session (closed or not) is judged by `Session::enter`'s rules.
            if let Some(session) = current() {
                return session.enter();
            }
        }
        self.get(id).ok_or(SessionError::NotFound(id))?.enter()
    }

    /// Makes this engine's root session current until the guard drops, even on top of
    /// another session: Optix's `ImpersonateRootTemporary`, for code that runs outside any
    /// user's session (start-up, background work) and must still run in one.
    ///
    /// ```
    /// use sessions_core::{current, Engine};
    ///
    /// let engine = Engine::new();
    /// std::thread::spawn(move || {
    ///     assert!(current().is_none());
    ///     let _root = engine.impersonate_root();
    ///     assert!(current().is_some_and(|s| s.is_root()));
    /// })
    /// .join()
    /// .unwrap();
    /// ```
    #[inline]
    pub fn impersonate_root(&self) -> SessionGuard {
        context::push(self.shared.root.clone())
    }
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
}

impl PartialEq for Engine {
    fn eq(&self, other: &Engine) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}

impl Eq for Engine {}

impl fmt::Debug for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Engine")
            .field("name", &self.name())
            .field("len", &self.len())
            .field("active_count", &self.active_count())
            .field("audited", &self.shared.audit.is_some())
            .finish()
    }
}

impl Drop for EngineShared {
    /// The last handle is gone: every session still registered is closed (without hooks:
    /// the engine they would see is half gone), and the name is free again.
    fn drop(&mut self) {
        for session in self.registry.drain() {
            session.mark_closed_orphaned();
            notify::session_closed(self, &session);
        }
        self.root.mark_closed_orphaned();
        if let Some(name) = &self.name {
            names::release(name, self);
        }
    }
}
