//! The method boundary: where an exported method's session policy is resolved, once per
//! call, by the one implementation that a direct Rust call (the generated wrapper) and a host
//! call (the generated trampoline) share; the one failure event; and the one place a host
//! call catches a panic.
//!
//! A host call runs: table → trampoline → [`HostCall::run`] (or [`HostCall::start`] for an
//! `async fn`); inside it the trampoline converts the arguments and calls the function's
//! body through [`HostCall::call`] (or [`AsyncCall::resolve`] and [`AsyncCall::run`]), which
//! apply the policy and call the body directly, not its wrapper, so the policy is not
//! applied twice. A direct call runs the wrapper: [`enter`] (or [`resolve`] for an
//! `async fn`), then the same body.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use pin_project_lite::pin_project;

use super::carrier::{Carrier, InSession};
use super::decide::{decide, Decision};
use crate::methods::{
    panicked, CallError, CallFuture, CallOutcome, Failure, LogFailure, Policy, Rule, Severity,
};
use crate::{current, Session, SessionError, SessionGuard};

/// A refused call: logged once, here.
#[cold]
#[inline(never)]
fn refused(log: LogFailure, error: SessionError) -> SessionError {
    log(Severity::Refused, &error);
    error
}

/// The policy of a synchronous call, applied: impersonation holds the root session current
/// until this drops.
#[derive(Debug)]
#[must_use = "the policy holds only while the boundary is alive"]
pub struct Boundary {
    _guard: Option<SessionGuard>,
}

/// Applies `rule` for a synchronous call of the method that logs through `log`. `Err`
/// (logged once) when it refuses the call (`engine/decide.rs` says when): the function must not
/// run.
#[inline]
pub fn enter(log: LogFailure, rule: Rule) -> Result<Boundary, SessionError> {
    let guard = match decide(rule) {
        Decision::Current | Decision::Untouched => None,
        Decision::Root(engine) => Some(engine.impersonate_root()),
        Decision::Refused(error) => return Err(refused(log, error)),
    };
    Ok(Boundary { _guard: guard })
}

/// Resolves `rule` for an `async` call of the method that logs through `log`, once, in
/// the context current now (its first poll): the session its body then runs in at every
/// poll ([`run_in`]), or `None` to leave each poll's context untouched (`Policy::None`).
/// `Err` (logged once) when it refuses the call.
#[inline]
pub fn resolve(log: LogFailure, rule: Rule) -> Result<Option<Session>, SessionError> {
    match decide(rule) {
        Decision::Current => current()
            .map(Some)
            .ok_or_else(|| refused(log, SessionError::NoContext)),
        Decision::Root(engine) => Ok(Some(engine.root())),
        Decision::Untouched => Ok(None),
        Decision::Refused(error) => Err(refused(log, error)),
    }
}

/// Runs `body` in `session` at every poll (as [`resolve`] decided), or as it is with `None`.
///
/// The session is held strongly, as a synchronous call holds its guard: if it is closed
/// while the call is pending, the call still finishes in it.
pub async fn run_in<F: Future>(session: Option<Session>, body: F) -> F::Output {
    let Some(session) = session else {
        return body.await;
    };
    match InSession::carrying(Carrier::Session(session), body).await {
        Ok(output) => output,
        // A strongly held session is entered at every poll, closed or not: the carrier
        // reports a closed session only for a weak one.
        Err(closed) => unreachable!("a session held strongly was reported closed: {closed}"),
    }
}

/// One host call of an exported method, made by its trampoline: the policy applied once
/// and held until the call returns.
///
/// Every panic of a host call is caught once, by `catch` or `CatchUnwind` here, logged once
/// and reported as the outcome's error: a panic in the function by [`call`](Self::call) (or
/// [`AsyncCall::run`]), in
/// its context and with its out parameters kept (and their sentinels written); a panic in a
/// user type's conversion around it (`FromValue`, `Default`, `IntoValue`) by
/// [`run`](Self::run) or [`start`](Self::start), with no out parameter reported, since the
/// function may or may not have run.
#[derive(Debug)]
pub struct HostCall {
    log: LogFailure,
    rule: Rule,
    boundary: Option<Boundary>,
}

impl HostCall {
    /// Runs a synchronous trampoline's `call`: it converts the arguments, calls the function
    /// through [`call`](Self::call) and builds the outcome.
    #[inline]
    pub fn run(
        log: LogFailure,
        rule: Rule,
        call: impl FnOnce(&mut HostCall) -> Result<CallOutcome, CallError>,
    ) -> Result<CallOutcome, CallError> {
        let mut host = HostCall {
            log,
            rule,
            boundary: None,
        };
        catch(log, || call(&mut host)).unwrap_or_else(|error| Ok(failed(error)))
    }

    /// Starts an `async` trampoline's `call`: it converts the arguments now (a wrong count
    /// or type is `Err`, and nothing started) and returns the call's future, which calls the
    /// function through [`AsyncCall::resolve`] and [`AsyncCall::run`].
    pub fn start<F>(
        log: LogFailure,
        rule: Rule,
        call: impl FnOnce(AsyncCall) -> Result<F, CallError>,
    ) -> Result<CallFuture, CallError>
    where
        F: Future<Output = CallOutcome> + Send + 'static,
    {
        match catch(log, || call(AsyncCall { log, rule })) {
            Ok(Ok(future)) => Ok(Box::pin(async move {
                CatchUnwind::new(log, future).await.unwrap_or_else(failed)
            })),
            Ok(Err(error)) => Err(error),
            Err(error) => Ok(Box::pin(std::future::ready(failed(error)))),
        }
    }

    /// Applies the session policy ([`enter`], held until the call returns) and runs `f`, the
    /// function. `Err` when the policy refused the call (the function did not run) or the
    /// function panicked; logged once either way. Boxed: the `Err` is the cold path, and a
    /// call's result stays as small as a `String` error made it.
    #[inline]
    pub fn call<R>(&mut self, f: impl FnOnce() -> R) -> Result<R, Box<Failure>> {
        // `session = none` (which has no `engine` or `role`) resolves nothing: no boundary
        // to enter or drop.
        if self.rule.policy != Policy::None {
            self.enter()?;
        }
        catch(self.log, f)
    }

    /// [`call`](Self::call) for a function with an injected session: `f` gets the session
    /// the policy made current.
    pub fn call_injected<R>(&mut self, f: impl FnOnce(Session) -> R) -> Result<R, Box<Failure>> {
        self.enter()?;
        let session = current().ok_or_else(|| {
            Box::new(Failure::Refused(refused(self.log, SessionError::NoContext)))
        })?;
        catch(self.log, || f(session))
    }

    #[inline(always)]
    fn enter(&mut self) -> Result<(), Box<Failure>> {
        match enter(self.log, self.rule) {
            Ok(boundary) => {
                self.boundary = Some(boundary);
                Ok(())
            }
            Err(error) => Err(Box::new(Failure::Refused(error))),
        }
    }
}

/// The policy of one `async` host call, resolved at the call's first poll: what the future
/// made by [`HostCall::start`] holds (it is `Send`; a guard would not be).
#[derive(Clone, Copy, Debug)]
pub struct AsyncCall {
    log: LogFailure,
    rule: Rule,
}

impl AsyncCall {
    /// Resolves the session policy ([`resolve`]) at the call's first poll: the session the
    /// function runs in, or `None` for `Policy::None`. `Err` (logged once) when it refused
    /// the call: the function must not run.
    pub fn resolve(&self) -> Result<Option<Session>, Box<Failure>> {
        resolve(self.log, self.rule).map_err(|error| Box::new(Failure::Refused(error)))
    }

    /// [`resolve`](Self::resolve), and the session to inject into a `&Session` parameter.
    pub fn resolve_session(&self) -> Result<Session, Box<Failure>> {
        self.resolve()?
            .ok_or_else(|| Box::new(Failure::Refused(refused(self.log, SessionError::NoContext))))
    }

    /// Runs `body`, the function's future, in `session` (as resolved) at every poll. `Err`
    /// when it panicked, logged once in that session.
    pub async fn run<F: Future>(
        self,
        session: Option<Session>,
        body: F,
    ) -> Result<F::Output, Box<Failure>> {
        run_in(session, CatchUnwind::new(self.log, body)).await
    }
}

/// Runs `f`; a panic is caught, logged once (in the current context) and returned as
/// [`Failure::Panicked`]. The guards it unwound through have restored the context.
#[inline]
fn catch<R>(log: LogFailure, f: impl FnOnce() -> R) -> Result<R, Box<Failure>> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| {
        let failure = panicked(&*payload);
        log(Severity::Failed, &failure);
        Box::new(failure)
    })
}

/// The outcome of a call stopped by a panic outside the function (already logged).
#[cold]
fn failed(failure: Box<Failure>) -> CallOutcome {
    CallOutcome::stopped(failure, Vec::new())
}

pin_project! {
    /// [`catch`] for a future: a panic while polling is logged once and becomes the output
    /// `Err(Failure::Panicked(…))`; the future is dropped then, and not polled again.
    struct CatchUnwind<F> {
        log: LogFailure,
        #[pin]
        inner: Option<F>,
    }
}

impl<F: Future> CatchUnwind<F> {
    fn new(log: LogFailure, inner: F) -> Self {
        CatchUnwind {
            log,
            inner: Some(inner),
        }
    }
}

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<Failure>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut this = self.project();
        let Some(inner) = this.inner.as_mut().as_pin_mut() else {
            panic!("an exported method's call was polled after it completed");
        };
        let poll = match catch(*this.log, || inner.poll(cx)) {
            Ok(Poll::Pending) => return Poll::Pending,
            Ok(Poll::Ready(output)) => Ok(output),
            Err(error) => Err(error),
        };
        this.inner.set(None);
        Poll::Ready(poll)
    }
}
