//! The context of an async call, resolved once when the call starts and entered again at
//! every poll, on whichever thread polls it: [`CallScope`] and the [`Scoped`] future.
//!
//! A call holds its session (a [`Session`], not a [`WeakSession`](crate::WeakSession))
//! until it returns or is dropped, as a synchronous call holds its guard: a session closed
//! while one of its calls is pending is no longer open (`is_open()` is `false`,
//! `WeakSession::upgrade()` is `None`), but the pending call finishes in it rather than
//! losing its context, or being cut off with no way to report it through a plain return
//! type. Work that outlives its caller (`InSession`, `task::spawn`) lets go instead.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::{context, current, Engine, Session, SessionError, SessionGuard};

/// The context a call runs in at every poll.
#[derive(Clone, Debug)]
pub enum CallScope {
    /// This session is current at every poll, whatever the polling thread has.
    Session(Session),
    /// No session is current at every poll, even where the polling thread is inside one.
    Hidden,
    /// The polling thread's context, untouched (`session = none`).
    Inherit,
}

impl CallScope {
    /// The context current now: its session, or [`Hidden`](Self::Hidden) when none is.
    pub fn current() -> CallScope {
        current().map_or(CallScope::Hidden, CallScope::Session)
    }

    /// The session this scope makes current, if it makes one current.
    pub fn session(&self) -> Option<&Session> {
        match self {
            CallScope::Session(session) => Some(session),
            CallScope::Hidden | CallScope::Inherit => None,
        }
    }

    /// Makes this context current until the guard drops (nothing for `Inherit`).
    pub fn enter(&self) -> Option<SessionGuard> {
        match self {
            CallScope::Session(session) => Some(context::push(session.clone())),
            CallScope::Hidden => Some(context::push_none()),
            CallScope::Inherit => None,
        }
    }

    /// Runs `future` in this context at every poll.
    pub fn run<F: Future + Unpin>(self, future: F) -> Scoped<F> {
        Scoped {
            scope: self,
            inner: Some(future),
        }
    }
}

/// `session = require` in an `async fn` wrapper: the current session, in which the body
/// then runs at every poll, or `NoContext`.
#[inline]
pub fn require_current() -> Result<Session, SessionError> {
    current().ok_or(SessionError::NoContext)
}

/// `session = impersonate` in an `async fn` wrapper: the current session, or else the
/// root session of `Engine::global()`.
#[inline]
pub fn impersonated() -> Session {
    current().unwrap_or_else(|| Engine::global().root())
}

/// Runs the body of an `async fn` wrapper in `session` at every poll. The body is boxed
/// once (it is not `Unpin`), as `InSession` does.
pub fn in_session<F: Future>(session: Session, body: F) -> Scoped<Pin<Box<F>>> {
    CallScope::Session(session).run(Box::pin(body))
}

/// Returns `body`; its only job is to give the body's `async` block its output type, so
/// that `?` and `return` inside it are checked against the function's return type.
#[inline(always)]
pub fn body<R, F: Future<Output = R>>(body: F) -> F {
    body
}

/// A future run in a [`CallScope`] at every poll: made by [`CallScope::run`].
///
/// The scope is entered for the duration of each `poll` and left before it returns (also
/// when the poll panics), so it never bleeds into other tasks polled on that thread, and no
/// guard is held across an `.await`. When it is dropped before completion, the inner future
/// is dropped inside the scope, so its destructors see the context its body saw.
#[must_use = "futures do nothing unless polled"]
#[derive(Debug)]
pub struct Scoped<F> {
    scope: CallScope,
    /// `None` once the inner future completed.
    inner: Option<F>,
}

impl<F: Future + Unpin> Future for Scoped<F> {
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        // `Scoped` is `Unpin` when `F` is: no projection.
        let this = self.get_mut();
        let Some(inner) = this.inner.as_mut() else {
            panic!("a session-scoped future was polled after it completed");
        };
        let guard = this.scope.enter();
        let poll = Pin::new(inner).poll(cx);
        if poll.is_ready() {
            // The finished future is dropped inside the scope too.
            this.inner = None;
        }
        drop(guard);
        poll
    }
}

impl<F> Drop for Scoped<F> {
    fn drop(&mut self) {
        if let Some(inner) = self.inner.take() {
            let _guard = self.scope.enter();
            drop(inner);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::current_id;
    use std::task::Waker;

    /// Pending once, then the current session's id.
    async fn id_after_a_yield() -> Option<crate::SessionId> {
        let mut yielded = false;
        std::future::poll_fn(|cx| {
            if yielded {
                Poll::Ready(())
            } else {
                yielded = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        })
        .await;
        current_id()
    }

    fn block_on<F: Future + Unpin>(mut future: F) -> F::Output {
        let mut cx = Context::from_waker(Waker::noop());
        loop {
            if let Poll::Ready(output) = Pin::new(&mut future).poll(&mut cx) {
                return output;
            }
        }
    }

    #[test]
    fn each_scope_at_every_poll() {
        let engine = Engine::new();
        let session = engine.open().expect("open");
        let other = engine.open().expect("open");
        let scoped = CallScope::Session(session.clone()).run(Box::pin(id_after_a_yield()));
        assert_eq!(block_on(scoped), Some(session.id()));

        let _guard = other.enter().expect("enter");
        let scoped = CallScope::Session(session.clone()).run(Box::pin(id_after_a_yield()));
        assert_eq!(block_on(scoped), Some(session.id()));
        let hidden = CallScope::Hidden.run(Box::pin(id_after_a_yield()));
        assert_eq!(block_on(hidden), None);
        let inherited = CallScope::Inherit.run(Box::pin(id_after_a_yield()));
        assert_eq!(block_on(inherited), Some(other.id()));
        assert_eq!(current_id(), Some(other.id()));
    }

    #[test]
    fn a_dropped_future_is_dropped_inside_its_scope() {
        struct Probe(std::sync::Arc<std::sync::Mutex<Option<crate::SessionId>>>);
        impl Drop for Probe {
            fn drop(&mut self) {
                if let Ok(mut seen) = self.0.lock() {
                    *seen = current_id();
                }
            }
        }
        let engine = Engine::new();
        let session = engine.open().expect("open");
        let seen = std::sync::Arc::default();
        let probe = Probe(std::sync::Arc::clone(&seen));
        let future = async move {
            let _probe = probe;
            std::future::pending::<()>().await;
        };
        drop(CallScope::Session(session.clone()).run(Box::pin(future)));
        assert_eq!(*seen.lock().expect("lock"), Some(session.id()));
        assert_eq!(current_id(), None);
    }

    #[test]
    fn the_policies_resolve_in_the_current_context() {
        assert_eq!(require_current().err(), Some(SessionError::NoContext));
        assert_eq!(impersonated().id(), Engine::global().root().id());
        let engine = Engine::new();
        let session = engine.open().expect("open");
        let _guard = session.enter().expect("enter");
        assert_eq!(require_current().map(|s| s.id()), Ok(session.id()));
        assert_eq!(impersonated().id(), session.id());
    }
}
