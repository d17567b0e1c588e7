//! Calling an exported method in a session: [`Session::call`], [`Engine::call_as_root`],
//! and from async code, in the caller's context at every poll: [`Session::call_async`],
//! [`Engine::call_as_root_async`], [`MethodTable::call_async`], [`MethodInfo::call_async`];
//! the future they return.
//!
//! The method table knows functions, not sessions; what a call needs of the session graph
//! (entering a session, carrying the caller's context through `.await`) is here.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::audit::CallAudit;
use super::carrier::{Carrier, InSession};
use super::objects::{call_on_object, find_object_method};
use crate::audit::AuditHost;
use crate::methods::{
    methods, CallError, CallFn, CallFuture, CallOutcome, MethodInfo, MethodTable, Trampoline,
};
use crate::methods::{Args, Verdict};
use crate::{Engine, Session};

impl Engine {
    /// Calls the exported method `name` with `args` as this engine's root session, even
    /// on top of another session (Optix's `ImpersonateRootTemporary`).
    pub fn call_as_root(
        &self,
        name: &str,
        args: impl Into<Args>,
    ) -> Result<CallOutcome, CallError> {
        let _guard = self.impersonate_root();
        methods().call(name, args)
    }

    /// Calls the exported method `name` with `args` from async code as this engine's root
    /// session: the root is current at every poll of the call, whatever the polling thread
    /// has. See [`MethodTable::call_async`](crate::MethodTable::call_async).
    pub fn call_as_root_async(
        &self,
        name: &str,
        args: impl Into<Args>,
    ) -> impl Future<Output = Result<CallOutcome, CallError>> + Send + 'static {
        methods().start(name, args, Carrier::Session(self.root()))
    }
}

/// Calling an exported method in a session.
impl Session {
    /// Calls the exported method `name` with `args` in this session's context.
    ///
    /// The session is entered first, under the usual rules: when it is closed the call is
    /// [`CallError::Session`]`(`[`SessionError::NotFound`](crate::SessionError::NotFound)`)`,
    /// and when another session is current it is `CallError::Session(Mismatch { .. })`. In
    /// both cases the method does not run. An `async fn` is
    /// [`CallError::NeedsAsync`]: use [`call_async`](Self::call_async).
    ///
    /// A call is activity: it [`touch`](Session::touch)es the session, so
    /// [`Engine::expire_idle`](crate::Engine::expire_idle) leaves it open.
    ///
    /// When the engine keeps an audit trail
    /// ([`EngineBuilder::audit`](crate::EngineBuilder::audit)), the call leaves one
    /// record, from host [`AuditHost::Rust`], also when it is refused or invalid.
    pub fn call(&self, name: &str, args: impl Into<Args>) -> Result<CallOutcome, CallError> {
        let args = args.into();
        let audit = self.audit_rust(name, &args);
        let result = self.enter().map_err(CallError::from).and_then(|_guard| {
            self.touch();
            methods().call(name, args)
        });
        if let Some(audit) = audit {
            audit.finish(Verdict::of_result(&result));
        }
        result
    }

    /// Calls the exported method `name` with `args` from async code, in this session's
    /// context at every poll of the call, whichever thread polls it; any method, `async fn`
    /// or not. See [`MethodTable::call_async`](crate::MethodTable::call_async).
    ///
    /// The rules of [`call`](Self::call) are checked now, when the call is made: a closed
    /// session is `Err(CallError::Session(NotFound))` and another current session
    /// `Err(CallError::Session(Mismatch { .. }))`, as the future's output, and the method
    /// does not run. Like `call`, it [`touch`](Session::touch)es the session, and leaves
    /// one audit record when it ends (none when dropped before).
    pub fn call_async(
        &self,
        name: &str,
        args: impl Into<Args>,
    ) -> impl Future<Output = Result<CallOutcome, CallError>> + Send + 'static {
        let args = args.into();
        let audit = self.audit_rust(name, &args);
        let found = methods().lookup(name);
        Audited::new(self.start_call(name, found, args), audit)
    }

    /// The start of the audit record of Rust code's call in this session, when its engine
    /// keeps an audit trail.
    fn audit_rust(&self, name: &str, args: &Args) -> Option<CallAudit> {
        let engine = self.engine()?;
        CallAudit::begin(&engine, AuditHost::Rust, None, Some(self), name, args)
    }

    /// The future of [`call_async`](Self::call_async), as its own type, without its
    /// audit record: [`host::Call`](crate::host::Call) records the calls it starts here.
    /// `found` is what `methods().lookup(name)` gave: the host looked it up already.
    pub(crate) fn start_call(
        &self,
        name: &str,
        found: Result<&'static MethodInfo, CallError>,
        args: impl Into<Args>,
    ) -> CallInSession {
        if let Err(error) = self.enter() {
            return refused(error.into());
        }
        self.touch();
        methods().start_found(name, found, args, Carrier::Session(self.clone()))
    }
}

impl MethodTable {
    /// Calls the method `name` with `args`, in the current context (the caller's session,
    /// if any). Use [`Session::call`](crate::Session::call) to call in a given session, and
    /// [`Engine::call_as_root`](crate::Engine::call_as_root) to impersonate a root session.
    ///
    /// A name that no method has, of the form `"<path>.<method>"`, calls that method on the
    /// object exported at `path` (see [`Engine::export_object`](crate::Engine::export_object))
    /// by the engine of the current session, or by the global engine when none is current.
    ///
    /// `Err` means the method was not run: unknown or ambiguous name, wrong number of
    /// arguments, or an argument of the wrong type. A method that ran returns `Ok`, with
    /// [`CallOutcome::error`] set if it failed.
    ///
    /// An `async fn` cannot run here: it is [`CallError::NeedsAsync`] (call it with
    /// [`call_async`](Self::call_async)).
    #[inline]
    pub fn call(&self, name: &str, args: impl Into<Args>) -> Result<CallOutcome, CallError> {
        match self.lookup(name) {
            Ok(method) if !method.is_instance() => method.call(args),
            // An object's path is never shadowed by a type-level name: a `&self` method's
            // entry by its type's name only says to call it on an object.
            Ok(method) => call_on_object(name, args.into()).unwrap_or_else(|| {
                Err(CallError::NeedsObject {
                    method: method.name().to_owned(),
                })
            }),
            Err(CallError::UnknownMethod(unknown)) => {
                call_on_object(name, args.into()).unwrap_or(Err(CallError::UnknownMethod(unknown)))
            }
            Err(error) => Err(error),
        }
    }

    /// Calls the method `name` with `args` from async code, in the caller's context: the
    /// session current now (or no session, when none is) is current at every poll of the
    /// call, on whichever executor thread polls it, and the method's session policy is
    /// applied at the first poll, in that context. Works for every method, `async fn` or
    /// not. Nothing runs until the future is polled.
    ///
    /// The future is `Send` and `'static`: it can be spawned. Its output is what
    /// [`call`](Self::call) returns: `Err` when the method was not run (unknown or ambiguous
    /// name; for an `async fn`, the arguments are checked now, before anything is started),
    /// `Ok` with [`CallOutcome::error`] set when it ran and failed, returned `Err`, or
    /// panicked (sentinels written, one event logged).
    ///
    /// The call holds its session until it completes or is dropped, as a synchronous call
    /// holds its guard: if the session is closed meanwhile, the call still finishes in it.
    /// Drop the future to cancel the call.
    ///
    /// ```
    /// use sessions_core::{current_id, export_method, methods, Engine, SessionError, Value};
    ///
    /// /// The id of the caller's session, after waiting for something.
    /// #[export_method]
    /// async fn whoami() -> Result<String, SessionError> {
    ///     std::future::ready(()).await; // a real method awaits I/O
    ///     Ok(sessions_core::require()?.id().to_string())
    /// }
    ///
    /// let engine = Engine::new();
    /// let session = engine.open()?;
    /// let call = {
    ///     let _guard = session.enter()?;
    ///     methods().call_async("whoami", vec![]) // captures the session
    /// };
    /// // Poll it anywhere: a tokio runtime, or here, a trivial executor.
    /// # fn block_on<F: std::future::Future>(future: F) -> F::Output {
    /// #     let mut future = std::pin::pin!(future);
    /// #     let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    /// #     loop {
    /// #         if let std::task::Poll::Ready(output) = future.as_mut().poll(&mut cx) {
    /// #             return output;
    /// #         }
    /// #     }
    /// # }
    /// let outcome = block_on(call)?;
    /// assert_eq!(outcome.value, Value::from(session.id().to_string()));
    /// assert_eq!(current_id(), None);
    ///
    /// // `call` cannot run an `async fn`:
    /// assert_eq!(
    ///     methods().call("whoami", vec![]).unwrap_err().to_string(),
    ///     "`whoami` is async: call it with `call_async`"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn call_async(
        &self,
        name: &str,
        args: impl Into<Args>,
    ) -> impl Future<Output = Result<CallOutcome, CallError>> + Send + 'static {
        self.start(name, args, Carrier::current_strong())
    }

    /// The call of the method `name` with `args`, run in `carrier`'s context at every poll,
    /// or refused when there is no such method.
    pub(crate) fn start(
        &self,
        name: &str,
        args: impl Into<Args>,
        carrier: Carrier,
    ) -> CallInSession {
        self.start_found(name, self.lookup(name), args, carrier)
    }

    /// [`start`](Self::start), with `name` looked up already: `found` is what
    /// [`lookup`](Self::lookup) gave for it.
    pub(crate) fn start_found(
        &self,
        name: &str,
        found: Result<&'static MethodInfo, CallError>,
        args: impl Into<Args>,
        carrier: Carrier,
    ) -> CallInSession {
        // An object's method runs at the first poll, in the carried context, where the
        // object is looked up on that context's engine; `otherwise` answers when there is
        // none. An object's path is never shadowed by a type-level name.
        let otherwise = match found {
            Ok(method) if !method.is_instance() => return method.start(args, carrier),
            Ok(method) => CallError::NeedsObject {
                method: method.name().to_owned(),
            },
            Err(CallError::UnknownMethod(unknown)) if name.contains('.') => {
                CallError::UnknownMethod(unknown)
            }
            Err(error) => return refused(error),
        };
        CallInSession {
            inner: InSession::carrying(
                carrier,
                Call::Object {
                    name: name.to_owned(),
                    otherwise,
                    args: args.into(),
                },
            ),
        }
    }
}

impl MethodInfo {
    /// Calls this method with `args` from async code, in the context current now: that
    /// session (or no session, when none is current) is current at every poll of the call,
    /// on whichever thread polls it, and the session policy is applied at the first poll.
    /// Works for every method: a plain `fn` runs at the first poll.
    ///
    /// The arguments of an `async fn` are converted now: a wrong count or type is the
    /// future's `Err` and nothing ran. See [`MethodTable::call_async`](crate::MethodTable::call_async).
    pub fn call_async(
        &self,
        args: impl Into<Args>,
    ) -> impl Future<Output = Result<CallOutcome, CallError>> + Send + 'static {
        self.start(args, Carrier::current_strong())
    }

    /// The call of this method with `args`, run in `carrier`'s context at every poll.
    pub(crate) fn start(&self, args: impl Into<Args>, carrier: Carrier) -> CallInSession {
        let args = args.into();
        let call = match self.call {
            Trampoline::Sync(call) => Call::Sync { call, args },
            Trampoline::Instance(_) | Trampoline::AsyncInstance(_) => {
                Call::Refused(CallError::NeedsObject {
                    method: self.name().to_owned(),
                })
            }
            // The arguments are converted now; the trampoline catches a panic there.
            Trampoline::Async(call) => match call(args) {
                Ok(future) => Call::Async(future),
                Err(error) => Call::Refused(error),
            },
        };
        CallInSession {
            inner: InSession::carrying(carrier, call),
        }
    }
}

/// A call of an exported method, before it runs in its session.
enum Call {
    /// Refused before anything ran (unknown name, arity, argument type, session).
    Refused(CallError),
    /// A plain `fn`: its trampoline runs at the first poll, in the carried context.
    Sync { call: CallFn, args: Args },
    /// An `async fn`, its arguments converted; its policy is resolved at its first poll.
    Async(CallFuture),
    /// `"<path>.<method>"`: an object's method, looked up and run at the first poll;
    /// `otherwise` when there is no such object or method.
    Object {
        name: String,
        otherwise: CallError,
        args: Args,
    },
}

impl Future for Call {
    type Output = Result<CallOutcome, CallError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this {
            Call::Refused(error) => Poll::Ready(Err(error.clone())),
            Call::Sync { call, args } => Poll::Ready(call(std::mem::take(args))),
            Call::Async(future) => future.as_mut().poll(cx).map(Ok),
            Call::Object {
                name,
                otherwise,
                args,
            } => {
                let args = std::mem::take(args);
                let Some(found) = find_object_method(name) else {
                    return Poll::Ready(Err(otherwise.clone()));
                };
                if !found.method.is_async() {
                    return Poll::Ready(found.call(args));
                }
                let method = found.method;
                match found.start(args) {
                    // From now on, this call is the `async` method's future.
                    Some(Ok(future)) => {
                        *this = Call::Async(future);
                        Pin::new(this).poll(cx)
                    }
                    Some(Err(error)) => Poll::Ready(Err(error)),
                    None => Poll::Ready(Err(CallError::NeedsObject {
                        method: method.name().to_owned(),
                    })),
                }
            }
        }
    }
}

pin_project! {
    /// The future of a call made from async code: the call, in the caller's context (or
    /// the session it was made through) at every poll.
    #[must_use = "futures do nothing unless polled"]
    pub(crate) struct CallInSession {
        #[pin]
        inner: InSession<Call>,
    }
}

impl Future for CallInSession {
    type Output = Result<CallOutcome, CallError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // A call carries its session strongly; a weakly carried one closed is refused like
        // a closed session at `Session::call`.
        self.project()
            .inner
            .poll(cx)
            .map(|result| result.unwrap_or_else(|closed| Err(CallError::Session(closed.into()))))
    }
}

/// A call refused before it started, as the same kind of future as the others.
pub(crate) fn refused(error: CallError) -> CallInSession {
    CallInSession {
        inner: InSession::carrying(Carrier::Hidden, Call::Refused(error)),
    }
}

pin_project! {
    /// A call running, and the start of its audit record, finished when the call ends (none
    /// when the future is dropped before). A named type, not an `async` block, so that it
    /// is one pointer larger than the call it wraps: the record is boxed, and only when the
    /// engine keeps an audit trail.
    pub(crate) struct Audited {
        #[pin]
        call: CallInSession,
        audit: Option<Box<CallAudit>>,
    }
}

impl Audited {
    /// `call`, recorded by `audit` when it ends.
    pub(crate) fn new(call: CallInSession, audit: Option<CallAudit>) -> Audited {
        Audited {
            call,
            audit: audit.map(Box::new),
        }
    }
}

impl Future for Audited {
    type Output = Result<CallOutcome, CallError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        let result = match this.call.poll(cx) {
            Poll::Ready(result) => result,
            Poll::Pending => return Poll::Pending,
        };
        if let Some(audit) = this.audit.take() {
            audit.finish(Verdict::of_result(&result));
        }
        Poll::Ready(result)
    }
}
