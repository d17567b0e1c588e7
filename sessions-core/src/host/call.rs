//! [`Call`]: one call as a host decodes it from its wire.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use crate::audit::AuditHost;
use crate::block_on::block_on;
use crate::engine::audit::CallAudit;
use crate::engine::call::Audited;
use crate::engine::carrier::Carrier;
use crate::methods::Answer;
use crate::{methods, Args, Engine, Session};

/// One call, as a host decodes it from its wire: the method's name, its arguments, the
/// session of the connection it came on (none for a request that names none, such as a
/// POST without the `Sessions-Session` header), and where it came from.
///
/// It runs in that session's context (or with no session current), under the method's
/// session rule, exactly as [`Session::call_async`] or
/// [`MethodTable::call_async`](crate::MethodTable::call_async) would: every host runs
/// calls through here, so every host behaves alike.
///
/// **Audit.** When the engine keeps an audit trail
/// ([`EngineBuilder::audit`](crate::EngineBuilder::audit)), the call leaves exactly one
/// [`AuditRecord`](crate::audit::AuditRecord) when it ends: the host and peer given with
/// [`via`](Self::via) ([`AuditHost::Rust`] and no peer without it), the session and its
/// user when the call was made, the verdict as outcome, the duration, and the arguments
/// for a method marked `audit = "args"`. It goes to the engine of the call's session; a
/// call with no session goes to the engine given with [`audit_on`](Self::audit_on) (the
/// host's), else to [`Engine::global`]. A call dropped before it ends (its connection
/// gone) leaves none.
#[derive(Debug)]
#[must_use = "a call does nothing until it is run"]
pub struct Call<'a> {
    method: &'a str,
    args: Args,
    session: Option<&'a Session>,
    host: AuditHost,
    peer: Option<String>,
    engine: Option<&'a Engine>,
}

impl<'a> Call<'a> {
    /// A call of `method` with `args` (a `Vec<Value>` by position, or [`Args::named`]), with
    /// no session until [`in_session`](Self::in_session) gives one.
    pub fn new(method: &'a str, args: impl Into<Args>) -> Call<'a> {
        Call {
            method,
            args: args.into(),
            session: None,
            host: AuditHost::Rust,
            peer: None,
            engine: None,
        }
    }

    /// Runs the call in `session` (the connection's), or with no session current for
    /// `None`.
    pub fn in_session(mut self, session: Option<&'a Session>) -> Call<'a> {
        self.session = session;
        self
    }

    /// Says where the call came from, for its audit record: the `host` it came through
    /// and the `peer` (a client's address), when the host knows it.
    pub fn via(mut self, host: AuditHost, peer: Option<String>) -> Call<'a> {
        self.host = host;
        self.peer = peer;
        self
    }

    /// The engine whose audit trail records this call when it has no session: the engine
    /// the host serves. A call in a session is recorded by its session's engine.
    pub fn audit_on(mut self, engine: &'a Engine) -> Call<'a> {
        self.engine = Some(engine);
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
        let audit = self.audit();
        let call = match self.session {
            Some(session) => session.start_call(self.method, self.args),
            None => methods().start(self.method, self.args, Carrier::Hidden),
        };
        Running {
            call: Audited::new(call, audit),
        }
    }

    /// Runs the call on this thread, blocking it until an `async fn` is done: for a host
    /// that serves each connection on a thread of its own.
    pub fn run_blocking(self) -> Answer {
        block_on(self.run())
    }

    /// The start of the call's audit record, when the engine it belongs to keeps one.
    fn audit(&self) -> Option<CallAudit> {
        let begin = |engine: &Engine| {
            CallAudit::begin(
                engine,
                self.host,
                self.peer.as_deref(),
                self.session,
                self.method,
                &self.args,
            )
        };
        match (self.session, self.engine) {
            (Some(session), _) => session.engine().and_then(|engine| begin(&engine)),
            (None, Some(engine)) => begin(engine),
            (None, None) => begin(Engine::global()),
        }
    }
}

pin_project! {
    /// A call running: the engine's call future (with its audit record), its output read
    /// as an [`Answer`]. A named type, not an `async` block, so that it is no larger than
    /// the call it wraps (a host keeps one per call in flight).
    struct Running {
        #[pin]
        call: Audited,
    }
}

impl Future for Running {
    type Output = Answer;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Answer> {
        self.project().call.poll(cx).map(Answer::from)
    }
}
