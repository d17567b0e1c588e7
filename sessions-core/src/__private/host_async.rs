//! The run-time half of the host trampoline of an `async fn`: the policy resolved once at
//! the call's first poll, the function's future run in that context with its panics caught,
//! and the boxed, `Send` future a host awaits.

use std::future::Future;
use std::pin::pin;

use super::catch::CatchUnwind;
use super::host::log_failure;
use super::scope::{impersonated, CallScope};
use crate::methods::{CallFuture, CallOutcome, Policy};
use crate::{current, Session, SessionError};

/// One async host call: the policy applied, and the context the function runs in.
///
/// Unlike [`HostCall`](super::HostCall) it holds no guard (a guard cannot cross an
/// `.await`): the context is entered again at every poll of [`run`](Self::run)'s future.
#[derive(Debug)]
pub struct AsyncHostCall {
    method: &'static str,
    scope: CallScope,
}

impl AsyncHostCall {
    /// Applies `policy` in the current context, for a call of `method`: `Require` with no
    /// current session logs the failure and `Err` holds its message (the function must not
    /// run); `Impersonate` takes the current session, or else the global engine's root;
    /// `None` leaves the context alone.
    pub fn enter(method: &'static str, policy: Policy) -> Result<AsyncHostCall, String> {
        let scope = match policy {
            Policy::Require => match current() {
                Some(session) => CallScope::Session(session),
                None => {
                    let error = SessionError::NoContext;
                    log_failure(method, &error);
                    return Err(error.to_string());
                }
            },
            Policy::Impersonate => CallScope::Session(impersonated()),
            Policy::None => CallScope::Inherit,
        };
        Ok(AsyncHostCall { method, scope })
    }

    /// [`enter`](Self::enter), and the session to inject into `&Session` parameters.
    pub fn enter_with_session(
        method: &'static str,
        policy: Policy,
    ) -> Result<(AsyncHostCall, Session), String> {
        let call = AsyncHostCall::enter(method, policy)?;
        match call.scope.session().cloned() {
            Some(session) => Ok((call, session)),
            None => {
                let error = SessionError::NoContext;
                log_failure(method, &error);
                Err(error.to_string())
            }
        }
    }

    /// Runs the function's future in this call's context at every poll. A panic is caught,
    /// logged in that context and returned as `Err("panicked: …")`.
    pub fn run<F: Future>(self, future: F) -> impl Future<Output = Result<F::Output, String>> {
        let method = self.method;
        let caught = async move {
            let future = pin!(future);
            CatchUnwind::new(future)
                .await
                .inspect_err(|message| log_failure(method, message))
        };
        self.scope.run(Box::pin(caught))
    }
}

/// Boxes the future of an async host call. It must be `Send`: hosts run calls on
/// multi-thread executors.
#[inline]
pub fn call_future<F>(call: F) -> CallFuture
where
    F: Future<Output = CallOutcome> + Send + 'static,
{
    Box::pin(call)
}

/// Returns `future`; the generated trampoline passes an exported `async fn`'s future
/// through it, so that a future that is not `Send` is reported at the function, with the
/// value the compiler found held across an `.await`. Exported `async fn`s must be `Send`:
/// hosts poll them on multi-thread executors.
#[inline(always)]
pub fn exported_async_fn_must_be_send<F: Future + Send>(future: F) -> F {
    future
}
