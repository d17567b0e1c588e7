//! The one carrier of context: what a thread, a future, a task, a timer or a host call takes
//! along so that its work runs in the right session ([`Carrier`]), and the future wrapper
//! that enters it at every poll ([`InSession`]), like `tracing::Instrument` enters a span.
//!
//! An async task is polled on whichever thread its executor picks, and between two polls
//! that thread runs other tasks. So a context entered *inside* a future with
//! [`Session::enter`] would be held across `.await` on a thread that moves on to other
//! users' tasks. [`InSession`] instead pushes the context just for the duration of each
//! `poll` and pops it before returning, so the context is right on every executor thread and
//! never bleeds into the other tasks that thread polls.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::context::{self, SessionGuard};
use crate::{current, Session, SessionError, SessionId, WeakSession};

/// What a carrier takes along: the context its work runs in.
#[derive(Clone, Debug)]
pub(crate) enum Carrier {
    /// This session, held strongly: the work runs in it even if it is closed meanwhile (a
    /// host call holds its session as a synchronous call holds its guard).
    Session(Session),
    /// This session while it is open: work that outlives its caller (a spawned thread or
    /// task, a timer, `in_session`) does not keep its session alive, and stops when it closes.
    Weak(WeakSession),
    /// No session, even where the work runs inside another session's context.
    Hidden,
}

impl Carrier {
    /// The session current now, held weakly, or [`Hidden`](Self::Hidden) when none is.
    pub(crate) fn current_weak() -> Carrier {
        current().map_or(Carrier::Hidden, |session| {
            Carrier::Weak(session.downgrade())
        })
    }

    /// The session current now, held strongly, or [`Hidden`](Self::Hidden) when none is.
    pub(crate) fn current_strong() -> Carrier {
        current().map_or(Carrier::Hidden, Carrier::Session)
    }

    /// Makes this context current until the guard drops; `Err` when a weakly held session
    /// has been closed.
    pub(crate) fn enter(&self) -> Result<SessionGuard, SessionClosed> {
        match self {
            Carrier::Session(session) => Ok(context::push(session.clone())),
            Carrier::Weak(weak) => match weak.upgrade() {
                Some(session) => Ok(context::push(session)),
                None => Err(SessionClosed(weak.id())),
            },
            Carrier::Hidden => Ok(context::push_none()),
        }
    }

    /// Runs `f` in this context; `Err` (and `f` not run) when its weakly held session was
    /// closed. The context is left when `f` returns or unwinds.
    pub(crate) fn run<T>(&self, f: impl FnOnce() -> T) -> Result<T, SessionClosed> {
        let _guard = self.enter()?;
        Ok(f())
    }

    /// Whether the work can still run: its session is open (always, with none carried).
    pub(crate) fn is_open(&self) -> bool {
        match self {
            Carrier::Session(session) => session.is_open(),
            Carrier::Weak(weak) => weak.upgrade().is_some(),
            Carrier::Hidden => true,
        }
    }

    /// The id of the session carried, if one is.
    pub(crate) fn session_id(&self) -> Option<SessionId> {
        match self {
            Carrier::Session(session) => Some(session.id()),
            Carrier::Weak(weak) => Some(weak.id()),
            Carrier::Hidden => None,
        }
    }
}

/// The session a carrier (a thread, a future, a task) was bound to was closed before the
/// work could run, or before it could finish: the work was not run (further).
///
/// It is the error of [`InSession`] and of `sessions_core::task`, and converts into
/// [`SessionError::NotFound`] for code that returns a [`SessionError`].
///
/// ```
/// use sessions_core::{SessionClosed, SessionError, SessionId};
///
/// let id = SessionId::random();
/// let error = SessionClosed(id);
/// assert_eq!(error.to_string(), format!("session {id} was closed: the work carried into it did not run to completion"));
/// assert_eq!(SessionError::from(error), SessionError::NotFound(id));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[error("session {0} was closed: the work carried into it did not run to completion")]
pub struct SessionClosed(pub SessionId);

impl SessionClosed {
    /// The id of the session that was closed.
    pub fn id(&self) -> SessionId {
        self.0
    }
}

impl From<SessionClosed> for SessionError {
    fn from(closed: SessionClosed) -> SessionError {
        SessionError::NotFound(closed.0)
    }
}

/// Binds a future to a session: see [`InSession`].
///
/// Implemented for every [`Future`].
///
/// ```
/// use sessions_core::{current_id, Engine, SessionFutureExt};
///
/// let engine = Engine::new();
/// let session = engine.open()?;
/// let work = async { current_id() }.in_session(&session);
/// // Give it to any executor; here, a trivial one.
/// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
/// #     let mut future = std::pin::pin!(future);
/// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
/// #     loop {
/// #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
/// #             return output;
/// #         }
/// #     }
/// # }
/// assert_eq!(block_on(work), Ok(Some(session.id())));
/// assert_eq!(current_id(), None); // nothing leaked out of the poll
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
pub trait SessionFutureExt: Future + Sized {
    /// Runs this future in `session`'s context at every poll.
    ///
    /// The wrapper holds a [`WeakSession`]: a pending future does not keep its session
    /// alive. If the session is closed, the next poll drops this future and resolves to
    /// `Err(`[`SessionClosed`]`)`.
    fn in_session(self, session: &Session) -> InSession<Self> {
        InSession::carrying(Carrier::Weak(session.downgrade()), self)
    }

    /// Runs this future at every poll in the context of the session current now.
    ///
    /// With no current session, the wrapper carries "no session": at every poll the future
    /// sees `None`, even when the polling thread is inside a session (a `block_on` under a
    /// guard), and it never resolves to `Err`.
    fn in_current_session(self) -> InSession<Self> {
        InSession::carrying(Carrier::current_weak(), self)
    }
}

impl<F: Future> SessionFutureExt for F {}

pin_project! {
    /// A future that runs its inner future in a session's context: made by
    /// [`SessionFutureExt::in_session`] and [`SessionFutureExt::in_current_session`].
    ///
    /// At every poll it enters the context it carries (upgrading its [`WeakSession`]), polls
    /// the inner future, and restores the thread's previous context before returning, also
    /// when the poll panics. It depends on no executor.
    ///
    /// Output: `Ok` with the inner future's output, or `Err(`[`SessionClosed`]`)` when the
    /// session was found closed at a poll. In that case the inner future is not polled
    /// again: it is dropped at that poll, outside any session (its session is gone).
    ///
    /// When the wrapper is dropped before completion (a task aborted, a `select!` branch
    /// lost), the inner future is dropped inside the session, while the session is open, so
    /// its destructors see the same context as its body.
    ///
    /// The inner future is stored in place (no heap allocation); `InSession` is `Send` when
    /// the inner future is, and `Unpin` when it is.
    ///
    /// # Panics
    /// Polling it again after it returned `Ready(Ok(_))` panics, as most futures do. After
    /// `Ready(Err(_))` it answers the same error again.
    #[must_use = "futures do nothing unless polled"]
    pub struct InSession<F> {
        carrier: Carrier,
        // `None` once the future completed, or was dropped because its session closed.
        #[pin]
        inner: Option<F>,
        // Set when the future was dropped because its session closed.
        closed: Option<SessionId>,
    }

    impl<F> PinnedDrop for InSession<F> {
        fn drop(this: Pin<&mut Self>) {
            let mut this = this.project();
            if this.inner.is_some() {
                // A closed session's future is dropped seeing none.
                let _guard = this.carrier.enter().unwrap_or_else(|_| context::push_none());
                this.inner.set(None);
            }
        }
    }
}

impl<F: Future> InSession<F> {
    /// Runs `future` in `carrier`'s context at every poll.
    pub(crate) fn carrying(carrier: Carrier, future: F) -> InSession<F> {
        InSession {
            carrier,
            inner: Some(future),
            closed: None,
        }
    }

    /// The id of the session this future runs in, or `None` when it carries no session.
    pub fn session_id(&self) -> Option<SessionId> {
        self.carrier.session_id()
    }
}

impl<F: Future> Future for InSession<F> {
    type Output = Result<F::Output, SessionClosed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        if let Some(id) = *this.closed {
            return Poll::Ready(Err(SessionClosed(id)));
        }
        let guard = match this.carrier.enter() {
            Ok(guard) => guard,
            Err(closed) => {
                // Dropped now, seeing no session: its session is gone for good.
                let _hidden = context::push_none();
                this.inner.set(None);
                *this.closed = Some(closed.0);
                return Poll::Ready(Err(closed));
            }
        };
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            panic!("an InSession future was polled after it completed");
        };
        let poll = inner.poll(cx);
        if poll.is_ready() {
            // The finished future is dropped inside the session too.
            this.inner.set(None);
        }
        drop(guard);
        poll.map(Ok)
    }
}

impl<F> fmt::Debug for InSession<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InSession")
            .field("session", &self.carrier.session_id())
            .field("running", &self.inner.is_some())
            .finish()
    }
}
