//! Settings for a new engine.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use super::{Engine, Hook};
use crate::audit::AuditSink;
use crate::clock::Clock;
use crate::{Session, SessionError};

/// The default capacity of each session's mailbox (see [`EngineBuilder::mailbox_capacity`]).
pub const DEFAULT_MAILBOX_CAPACITY: usize = 1024;

/// Settings for a new [`Engine`]: made with [`Engine::builder`], finished with
/// [`build`](EngineBuilder::build).
///
/// ```
/// use std::time::Duration;
/// use sessions_core::{current_id, Engine};
///
/// let engine = Engine::builder()
///     .name("builder-doc-example")
///     .max_sessions(10_000)
///     .idle_timeout(Duration::from_secs(30 * 60))
///     .on_open(|session| assert_eq!(current_id(), Some(session.id())))
///     .build()?;
/// assert!(Engine::find("builder-doc-example").is_some());
/// # drop(engine);
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
#[must_use = "an EngineBuilder does nothing until `build` is called"]
pub struct EngineBuilder {
    pub(super) name: Option<Arc<str>>,
    pub(super) idle_timeout: Option<Duration>,
    pub(super) clock: Clock,
    pub(super) max_sessions: Option<usize>,
    pub(super) mailbox_capacity: usize,
    pub(super) outbox_capacity: usize,
    pub(super) on_open: Option<Hook>,
    pub(super) on_close: Option<Hook>,
    pub(super) audit: Option<Arc<dyn AuditSink>>,
    pub(super) persisted: Vec<super::persist::Persisted>,
}

impl Default for EngineBuilder {
    fn default() -> EngineBuilder {
        EngineBuilder {
            name: None,
            idle_timeout: None,
            clock: Clock::system(),
            max_sessions: None,
            mailbox_capacity: DEFAULT_MAILBOX_CAPACITY,
            outbox_capacity: super::DEFAULT_OUTBOX_CAPACITY,
            on_open: None,
            on_close: None,
            audit: None,
            persisted: Vec::new(),
        }
    }
}

impl EngineBuilder {
    /// Names the engine, so [`Engine::find`] finds it while it lives. Two live engines
    /// cannot share a name: [`build`](EngineBuilder::build) refuses the second.
    pub fn name(mut self, name: impl Into<String>) -> EngineBuilder {
        self.name = Some(Arc::from(name.into()));
        self
    }

    /// How long a session may go without [`Session::touch`] before
    /// [`Engine::expire_idle`] closes it. Without one, sessions never expire.
    pub fn idle_timeout(mut self, timeout: Duration) -> EngineBuilder {
        self.idle_timeout = Some(timeout);
        self
    }

    /// The clock the engine dates its sessions by, decides which are idle by, and runs
    /// their timers by: [`Clock::system`] (the default), or a
    /// [`ManualClock`](crate::ManualClock)'s for a test or a simulation.
    pub fn clock(mut self, clock: Clock) -> EngineBuilder {
        self.clock = clock;
        self
    }

    /// The most sessions open at once (the root session is not counted); opening one
    /// more fails with [`SessionError::Capacity`]. Without one, there is no limit.
    pub fn max_sessions(mut self, max: usize) -> EngineBuilder {
        self.max_sessions = Some(max);
        self
    }

    /// How many messages each session's mailbox holds before posting to it fails with
    /// [`SessionError::MailboxFull`]. Defaults to [`DEFAULT_MAILBOX_CAPACITY`].
    pub fn mailbox_capacity(mut self, capacity: usize) -> EngineBuilder {
        self.mailbox_capacity = capacity;
        self
    }

    /// How many notifications each session's outbox holds before
    /// [`Session::notify`](crate::Session::notify) fails with [`SessionError::OutboxFull`].
    /// Defaults to [`DEFAULT_OUTBOX_CAPACITY`](crate::DEFAULT_OUTBOX_CAPACITY).
    pub fn outbox_capacity(mut self, capacity: usize) -> EngineBuilder {
        self.outbox_capacity = capacity;
        self
    }

    /// Runs `hook` for each new session, inside that session's context (so
    /// [`current_id`](crate::current_id) is the new session's id there). A panic in the
    /// hook is caught and logged; the session stays open.
    pub fn on_open(mut self, hook: impl Fn(&Session) + Send + Sync + 'static) -> EngineBuilder {
        self.on_open = Some(Box::new(hook));
        self
    }

    /// Runs `hook` for each session being closed, inside that session's context, before
    /// it is marked closed. A panic in the hook is caught and logged; the session is
    /// closed all the same.
    ///
    /// Work the hook hands to a carrier ([`thread::spawn`](crate::thread::spawn), a timer,
    /// a posted message) finds the session closed by the time it runs, and does not run:
    /// finish what the session needs inside the hook itself.
    pub fn on_close(mut self, hook: impl Fn(&Session) + Send + Sync + 'static) -> EngineBuilder {
        self.on_close = Some(Box::new(hook));
        self
    }

    /// Keeps an audit trail: one [`AuditRecord`](crate::audit::AuditRecord) for each call
    /// of an exported method in a session of this engine (and, for a host's call with no
    /// session, of the engine the host serves), from every host, handed to `sink` when the
    /// call ends. Without one (the default), nothing is recorded and a call costs nothing
    /// more.
    ///
    /// The sink is called on the caller's path, right after the call: a sink that writes
    /// to a disk or a network must be put behind an
    /// [`AuditQueue`](crate::audit::AuditQueue), which hands records to it on a thread of
    /// its own and never blocks (a full queue drops, counted and logged). Pass an `Arc` of
    /// the queue to keep a handle on its counters.
    ///
    /// ```no_run
    /// use std::sync::Arc;
    /// use sessions_core::audit::{AuditQueue, FlushPolicy, JsonLinesFile};
    /// use sessions_core::Engine;
    ///
    /// let file = JsonLinesFile::builder("audit.jsonl").flush(FlushPolicy::Batch).open()?;
    /// let queue = Arc::new(AuditQueue::builder(file).spawn()?);
    /// let engine = Engine::builder().audit(Arc::clone(&queue)).build()?;
    /// # drop(engine);
    /// println!("{} audit records dropped so far", queue.dropped());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn audit(mut self, sink: impl AuditSink + 'static) -> EngineBuilder {
        self.audit = Some(Arc::new(sink));
        self
    }

    /// Registers `T` as durable session state: on an engine in a farm, a session's value
    /// of type `T` ([`Session::insert`]) is written to Redis with the session (batched, off
    /// the caller's path), and travels with the session when another node adopts it (its
    /// node died or drained: see the farm's module docs). State of a type not registered
    /// here stays on the node that holds the session, and is lost with it.
    ///
    /// A value is written when it is inserted or removed: a change made inside it through
    /// interior mutability (a `Mutex` field) is written at its next `insert`. A type is
    /// known by its name (`std::any::type_name`), so every node of a farm must register
    /// the same types from the same program. A session's registered state is at most
    /// 64 KiB of JSON; a larger one is not written (logged).
    ///
    /// ```
    /// use serde::{Deserialize, Serialize};
    /// use sessions_core::Engine;
    ///
    /// #[derive(Serialize, Deserialize)]
    /// struct Cart(Vec<String>);
    ///
    /// let engine = Engine::builder().persist::<Cart>().build()?;
    /// let session = engine.open()?;
    /// session.insert(Cart(vec!["apple".into()]));
    /// # Ok::<(), sessions_core::SessionError>(())
    /// ```
    pub fn persist<T>(mut self) -> EngineBuilder
    where
        T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    {
        let persisted = super::persist::Persisted::of::<T>();
        if !self
            .persisted
            .iter()
            .any(|p| p.type_id == persisted.type_id)
        {
            self.persisted.push(persisted);
        }
        self
    }

    /// Makes the engine.
    ///
    /// # Errors
    /// [`SessionError::NameTaken`] when a live engine already has this name.
    pub fn build(self) -> Result<Engine, SessionError> {
        Engine::from_builder(self)
    }
}

impl fmt::Debug for EngineBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineBuilder")
            .field("name", &self.name)
            .field("idle_timeout", &self.idle_timeout)
            .field("clock", &self.clock)
            .field("max_sessions", &self.max_sessions)
            .field("mailbox_capacity", &self.mailbox_capacity)
            .field("outbox_capacity", &self.outbox_capacity)
            .field("on_open", &self.on_open.is_some())
            .field("on_close", &self.on_close.is_some())
            .field("audit", &self.audit.is_some())
            .field(
                "persisted",
                &self.persisted.iter().map(|p| p.name).collect::<Vec<_>>(),
            )
            .finish()
    }
}
