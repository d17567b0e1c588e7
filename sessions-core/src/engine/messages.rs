//! Calls sent to another session: Xojo's push pattern (a queue of session id, method name
//! and parameters, drained by a timer that enters each target session), built in.
//!
//! Each session has a bounded mailbox. The engine remembers which sessions have mail, so a
//! dispatch costs time in proportion to the messages waiting, not to the sessions open.

use std::cell::Cell;
use std::collections::VecDeque;
use std::mem;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::audit::CallAudit;
use super::context;
use super::mailbox::{Message, Refused};
use super::{Engine, Session};
use crate::audit::AuditHost;
use crate::block_on::block_on;
use crate::lock::lock;
use crate::methods::{methods, Answer, Args, Verdict};
use crate::{SessionError, SessionId};

/// What an engine keeps for its mailboxes.
#[derive(Default)]
pub(crate) struct PostOffice {
    /// Sessions whose mailbox went from empty to non-empty since the last dispatch.
    with_mail: Mutex<Vec<SessionId>>,
    /// Messages left in mailboxes of sessions that closed since the last dispatch.
    undelivered: AtomicUsize,
    /// One dispatch at a time per engine, so each session's messages run in order.
    dispatching: Mutex<()>,
}

thread_local! {
    /// Set while this thread dispatches: a dispatched method that calls `dispatch` again
    /// must not wait for itself.
    static DISPATCHING: Cell<bool> = const { Cell::new(false) };
}

impl PostOffice {
    /// Counts and logs the messages a closing session leaves behind.
    pub(crate) fn session_closed(&self, session: &Session) {
        let left = session.inner.mailbox.take();
        if !left.is_empty() {
            self.undelivered.fetch_add(left.len(), Ordering::AcqRel);
            tracing::warn!(
                session = %session.id(),
                messages = left.len(),
                "session closed with messages not yet dispatched; they are counted as undelivered"
            );
        }
    }
}

/// What one [`Engine::dispatch`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct DispatchReport {
    /// Messages whose method ran and succeeded.
    pub delivered: usize,
    /// Messages whose method failed, panicked, or could not be called (unknown method,
    /// wrong arguments). Each was logged.
    pub failed: usize,
    /// Messages whose session closed before they could be delivered.
    pub undelivered: usize,
}

impl DispatchReport {
    /// Every message handled, whatever became of it.
    pub fn total(&self) -> usize {
        self.delivered + self.failed + self.undelivered
    }

    pub(crate) fn add(&mut self, other: DispatchReport) {
        self.delivered += other.delivered;
        self.failed += other.failed;
        self.undelivered += other.undelivered;
    }
}

impl Engine {
    /// Queues a call of the exported method `method` with `args` in the mailbox of session
    /// `id`. It runs in that session's context at the next [`dispatch`](Engine::dispatch),
    /// after the messages posted to that session before it.
    ///
    /// ```
    /// use sessions_core::{export_method, current_id, Engine, Value};
    ///
    /// /// Shows a notice to the user of the current session.
    /// #[export_method(session = none)]
    /// fn notify(text: String) {
    ///     println!("{:?} gets {text}", current_id());
    /// }
    ///
    /// let engine = Engine::new();
    /// let bob = engine.open()?;
    /// engine.post(bob.id(), "notify", vec![Value::from("the meeting moved")])?;
    /// assert_eq!(engine.dispatch().delivered, 1);
    /// # Ok::<(), sessions_core::SessionError>(())
    /// ```
    ///
    /// # Errors
    /// [`SessionError::NotFound`] when no open session has this id;
    /// [`SessionError::MailboxFull`] when its mailbox holds
    /// [`mailbox_capacity`](Engine::mailbox_capacity) messages already. A message is queued
    /// or refused, never dropped.
    pub fn post(
        &self,
        id: SessionId,
        method: &str,
        args: impl Into<Args>,
    ) -> Result<(), SessionError> {
        let session = self.get(id).ok_or(SessionError::NotFound(id))?;
        let message = Message {
            method: method.into(),
            args: args.into(),
        };
        // A session closed after the lookup has had its mail counted already.
        let was_empty = session
            .inner
            .mailbox
            .push(message, self.mailbox_capacity(), || session.is_open())
            .map_err(|refused| match refused {
                Refused::Full => SessionError::MailboxFull(id),
                Refused::Closed => SessionError::NotFound(id),
            })?;
        if was_empty {
            lock(&self.post_office().with_mail).push(id);
        }
        Ok(())
    }

    /// Delivers every queued message: each runs its exported method (through
    /// [`methods`](crate::methods)) inside its target session's context, in the order it
    /// was posted to that session. An `async` method is run to completion on this thread
    /// before the next message (so it must not need a particular runtime: a method that
    /// awaits a tokio timer fails here, and is counted and logged as failed). Failures are logged and counted; messages for sessions
    /// that closed are counted as undelivered.
    ///
    /// Messages posted while this runs are delivered by this dispatch if their session had
    /// not been reached yet, else by the next one. One dispatch runs at a time per engine;
    /// a dispatched method that calls `dispatch` on the same engine gets an empty report.
    pub fn dispatch(&self) -> DispatchReport {
        if DISPATCHING.with(Cell::get) {
            return DispatchReport::default();
        }
        let office = self.post_office();
        let _one_at_a_time = lock(&office.dispatching);
        DISPATCHING.with(|flag| flag.set(true));
        let _reset = ResetOnDrop;

        let mut report = DispatchReport::default();
        let with_mail = mem::take(&mut *lock(&office.with_mail));
        for id in with_mail {
            // A session that closed has had its mail counted as undelivered.
            if let Some(session) = self.get(id) {
                report.add(deliver(&session));
            }
        }
        report.undelivered += office.undelivered.swap(0, Ordering::AcqRel);
        report
    }
}

/// Clears the thread's dispatching flag, also when a dispatch unwinds.
struct ResetOnDrop;

impl Drop for ResetOnDrop {
    fn drop(&mut self) {
        DISPATCHING.with(|flag| flag.set(false));
    }
}

/// Runs the messages in `session`'s mailbox, oldest first, in its context.
fn deliver(session: &Session) -> DispatchReport {
    let mut report = DispatchReport::default();
    let batch: VecDeque<Message> = session.inner.mailbox.take();
    let _context = context::push(session.clone());
    let mut batch = batch.into_iter();
    while let Some(message) = batch.next() {
        if !session.is_open() {
            // A message before this one closed the session.
            report.undelivered += 1 + batch.len();
            break;
        }
        let Message { method, args } = message;
        match run_one(session, &method, args, AuditHost::Rust) {
            Delivery::Ran(Verdict::Ok) => report.delivered += 1,
            Delivery::Ran(_) => report.failed += 1,
            Delivery::Undelivered => report.undelivered += 1,
        }
    }
    report
}

/// What became of one message.
#[cfg_attr(not(feature = "farm"), allow(dead_code))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Delivery {
    /// Its method was called in its session: how that ended (a failure was logged).
    Ran(Verdict),
    /// Its session was closed or gone.
    Undelivered,
}

/// Runs one message's method in `session`, which the caller has made current, and leaves
/// its audit record as from `host` (a farm's inbox, or Rust code's post to the mailbox).
fn run_one(session: &Session, method: &str, args: Args, host: AuditHost) -> Delivery {
    // `call_async` runs plain and `async` methods alike, in this session; an `async` one
    // blocks this thread until it is done. A host call never unwinds (a panic becomes its
    // outcome), so one bad message cannot lose the rest of a batch.
    let audit = session
        .engine()
        .and_then(|engine| CallAudit::begin(&engine, host, None, Some(session), method, &args));
    let answer = Answer::from(block_on(methods().call_async(method, args)));
    if let Some(audit) = audit {
        audit.finish(answer.verdict());
    }
    // A method's own failure was logged where it happened; a call that could not be made
    // is logged here.
    if let Answer::NotRun(error) = &answer {
        tracing::error!(
            session = %session.id(),
            method,
            %error,
            "a posted message could not be delivered"
        );
    }
    Delivery::Ran(answer.verdict())
}

#[cfg_attr(not(feature = "farm"), allow(dead_code))]
impl Engine {
    /// Runs one message now, on this thread, in the context of the open session `id`: what
    /// a dispatch does for a message from the mailbox, for a message that came from
    /// elsewhere (the farm's inbox). It does not wait for a dispatch running elsewhere, so
    /// it keeps its own order only with the other messages delivered through it.
    pub(crate) fn deliver_now(&self, id: SessionId, method: &str, args: Args) -> Delivery {
        let Some(session) = self.get(id).filter(Session::is_open) else {
            return Delivery::Undelivered;
        };
        let _context = context::push(session.clone());
        run_one(&session, method, args, AuditHost::Farm)
    }
}
