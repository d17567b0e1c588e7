//! Carrying a session through `.await`: a future wrapper that enters the session on every
//! poll, like `tracing::Instrument` enters a span.
//!
//! An async task is polled on whichever thread its executor picks, and between two polls
//! that thread runs other tasks. So a context entered *inside* a future with
//! [`Session::enter`] would be held across `.await` on a thread that moves on to other
//! users' tasks. [`InSession`] instead pushes the session just for the duration of each
//! `poll` and pops it before returning, so the context is right on every executor thread and
//! never bleeds into the other tasks that thread polls.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{context, current, Session, SessionError, SessionId, WeakSession};

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
        InSession::new(Some(session.downgrade()), self)
    }

    /// Runs this future at every poll in the context of the session current now.
    ///
    /// With no current session, the wrapper carries "no session": at every poll the future
    /// sees `None`, even when the polling thread is inside a session (a `block_on` under a
    /// guard), and it never resolves to `Err`.
    fn in_current_session(self) -> InSession<Self> {
        InSession::new(current().map(|session| session.downgrade()), self)
    }
}

impl<F: Future> SessionFutureExt for F {}

/// A future that runs its inner future in a session's context: made by
/// [`SessionFutureExt::in_session`] and [`SessionFutureExt::in_current_session`].
///
/// At every poll it upgrades its [`WeakSession`], makes the session current on the polling
/// thread (whatever was current there: the future belongs to that session), polls the inner
/// future, and restores the thread's previous context before returning, also when the poll
/// panics. It depends on no executor.
///
/// Output: `Ok` with the inner future's output, or `Err(`[`SessionClosed`]`)` when the
/// session was found closed at a poll. In that case the inner future is not polled again: it
/// is dropped at that poll, outside any session (its session is gone).
///
/// When the wrapper is dropped before completion (a task aborted, a `select!` branch lost),
/// the inner future is dropped inside the session, while the session is open, so its
/// destructors see the same context as its body.
///
/// The inner future is boxed once, when the wrapper is made, so that the wrapper can move it
/// around without `unsafe` pin projection; `InSession` is therefore `Unpin`, and `Send` when
/// the inner future is.
///
/// # Panics
/// Polling it again after it returned `Ready(Ok(_))` panics, as most futures do. After
/// `Ready(Err(_))` it answers the same error again.
#[must_use = "futures do nothing unless polled"]
pub struct InSession<F: Future> {
    /// `None` when made with no current session: each poll hides the thread's context.
    session: Option<WeakSession>,
    state: State<F>,
}

enum State<F> {
    Running(Pin<Box<F>>),
    /// Resolved to `SessionClosed`: polling again gives the same answer.
    Closed(SessionId),
    Done,
}

impl<F: Future> InSession<F> {
    fn new(session: Option<WeakSession>, future: F) -> InSession<F> {
        InSession {
            session,
            state: State::Running(Box::pin(future)),
        }
    }

    /// The id of the session this future runs in, or `None` when it carries no session.
    pub fn session_id(&self) -> Option<SessionId> {
        self.session.as_ref().map(WeakSession::id)
    }
}

impl<F: Future> Future for InSession<F> {
    type Output = Result<F::Output, SessionClosed>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // `InSession` is `Unpin` (the inner future is pinned in its box): no projection.
        let this = self.get_mut();
        let inner = match &mut this.state {
            State::Running(inner) => inner,
            State::Closed(id) => return Poll::Ready(Err(SessionClosed(*id))),
            State::Done => panic!("an InSession future was polled after it completed"),
        };
        let guard = match &this.session {
            // Carries no session: it must not see one the polling thread has.
            None => context::push_none(),
            Some(weak) => match weak.upgrade() {
                Some(session) => context::push(session),
                None => {
                    let id = weak.id();
                    // Drops the inner future now: its session is gone for good.
                    this.state = State::Closed(id);
                    return Poll::Ready(Err(SessionClosed(id)));
                }
            },
        };
        let poll = inner.as_mut().poll(cx);
        if poll.is_ready() {
            // The finished future is dropped inside the session too.
            this.state = State::Done;
        }
        drop(guard);
        poll.map(Ok)
    }
}

impl<F: Future> Drop for InSession<F> {
    fn drop(&mut self) {
        if let State::Running(inner) = std::mem::replace(&mut self.state, State::Done) {
            let _guard = match self.session.as_ref().map(WeakSession::upgrade) {
                Some(Some(session)) => context::push(session),
                // Its session is gone, or it never had one: it sees none.
                _ => context::push_none(),
            };
            drop(inner);
        }
    }
}

impl<F: Future> fmt::Debug for InSession<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InSession")
            .field("session", &self.session_id())
            .field("running", &matches!(self.state, State::Running(_)))
            .finish()
    }
}
