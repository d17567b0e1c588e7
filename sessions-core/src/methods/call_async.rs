//! Calling an exported method from async code, in the caller's context at every poll:
//! the future behind [`MethodTable::call_async`](super::MethodTable::call_async),
//! [`MethodInfo::call_async`], `Session::call_async` and `Engine::call_as_root_async`.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use super::boundary::{escaped_panic, guarded};
use super::info::Trampoline;
use super::{CallError, CallFn, CallFuture, CallOutcome, MethodInfo, MethodTable};
use crate::__private::{CallScope, Scoped};
use crate::Value;

/// The call, before it is run in its scope.
pub(crate) enum Pending {
    /// Refused before anything ran (unknown name, arity, argument type, session).
    Failed(CallError),
    /// A plain `fn`: its trampoline runs at the first poll, inside the scope.
    Sync {
        method: &'static str,
        call: CallFn,
        args: Vec<Value>,
    },
    /// An `async fn`, arguments converted; its policy is applied at its first poll.
    Async {
        method: &'static str,
        future: CallFuture,
    },
    /// Ended by a panic that escaped the method's own catch: the outcome reporting it.
    Panicked(CallOutcome),
}

impl Future for Pending {
    type Output = Result<CallOutcome, CallError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        match this {
            Pending::Failed(error) => Poll::Ready(Err(error.clone())),
            Pending::Panicked(outcome) => Poll::Ready(Ok(outcome.clone())),
            Pending::Sync { method, call, args } => {
                let args = std::mem::take(args);
                Poll::Ready(guarded(method, || call(args)))
            }
            Pending::Async { method, future } => {
                match catch_unwind(AssertUnwindSafe(|| future.as_mut().poll(cx))) {
                    Ok(poll) => poll.map(Ok),
                    Err(payload) => {
                        // Not polled again: the future is dropped here, replaced by the report.
                        let outcome = escaped_panic(method, payload);
                        *this = Pending::Panicked(outcome.clone());
                        Poll::Ready(Ok(outcome))
                    }
                }
            }
        }
    }
}

/// A call refused before it started, as the same kind of future as the others.
pub(crate) fn failed(error: CallError) -> Scoped<Pending> {
    CallScope::Hidden.run(Pending::Failed(error))
}

impl MethodTable {
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
        args: Vec<Value>,
    ) -> impl Future<Output = Result<CallOutcome, CallError>> + Send + 'static {
        match self.lookup(name) {
            Ok(method) => method.start(args, CallScope::current()),
            Err(error) => failed(error),
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
        args: Vec<Value>,
    ) -> impl Future<Output = Result<CallOutcome, CallError>> + Send + 'static {
        self.start(args, CallScope::current())
    }

    /// The call of this method with `args`, run in `scope` at every poll.
    pub(crate) fn start(&self, args: Vec<Value>, scope: CallScope) -> Scoped<Pending> {
        let method = self.name;
        let pending = match self.call {
            Trampoline::Sync(call) => Pending::Sync { method, call, args },
            // The arguments are converted now, by the user's `FromValue` impls: guarded too.
            Trampoline::Async(call) => match catch_unwind(AssertUnwindSafe(|| call(args))) {
                Ok(Ok(future)) => Pending::Async { method, future },
                Ok(Err(error)) => Pending::Failed(error),
                Err(payload) => Pending::Panicked(escaped_panic(method, payload)),
            },
        };
        scope.run(pending)
    }
}
