//! [`Call`]: one call as a host decodes it from its wire.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::block_on::block_on;
use crate::engine::call::CallInSession;
use crate::engine::carrier::Carrier;
use crate::methods::Answer;
use crate::{methods, Args, Session};

/// One call, as a host decodes it from its wire: the method's name, its arguments, and the
/// session of the connection it came on (none for a request that names none, such as a
/// POST without the `Sessions-Session` header).
///
/// It runs in that session's context (or with no session current), under the method's
/// session rule, exactly as [`Session::call_async`] or
/// [`MethodTable::call_async`](crate::MethodTable::call_async) would: every host runs
/// calls through here, so every host behaves alike.
#[derive(Debug)]
#[must_use = "a call does nothing until it is run"]
pub struct Call<'a> {
    method: &'a str,
    args: Args,
    session: Option<&'a Session>,
}

impl<'a> Call<'a> {
    /// A call of `method` with `args` (a `Vec<Value>` by position, or [`Args::named`]), with
    /// no session until [`in_session`](Self::in_session) gives one.
    pub fn new(method: &'a str, args: impl Into<Args>) -> Call<'a> {
        Call {
            method,
            args: args.into(),
            session: None,
        }
    }

    /// Runs the call in `session` (the connection's), or with no session current for
    /// `None`.
    pub fn in_session(mut self, session: Option<&'a Session>) -> Call<'a> {
        self.session = session;
        self
    }

    /// The method's name.
    pub fn method(&self) -> &str {
        self.method
    }

    /// The session the call runs in, if any.
    pub fn session(&self) -> Option<&Session> {
        self.session
    }

    /// Runs the call from async code: a plain `fn` at the first poll, an `async fn` across
    /// polls. The future is `Send` and `'static`: spawn it to keep a slow method from
    /// holding up the connection.
    pub fn run(self) -> impl Future<Output = Answer> + Send + 'static {
        let call = match self.session {
            Some(session) => session.start_call(self.method, self.args),
            None => methods().start(self.method, self.args, Carrier::Hidden),
        };
        Running { call }
    }

    /// Runs the call on this thread, blocking it until an `async fn` is done: for a host
    /// that serves each connection on a thread of its own.
    pub fn run_blocking(self) -> Answer {
        block_on(self.run())
    }
}

pin_project! {
    /// A call running: the engine's call future, its output read as an [`Answer`]. A named
    /// type, not an `async` block, so that it is no larger than the call it wraps (a host
    /// keeps one per call in flight).
    struct Running {
        #[pin]
        call: CallInSession,
    }
}

impl Future for Running {
    type Output = Answer;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answer> {
        self.project().call.poll(cx).map(Answer::from)
    }
}
