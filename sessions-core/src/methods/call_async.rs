//! Calling an exported method from async code, in the caller's context at every poll:
//! the future behind [`MethodTable::call_async`](super::MethodTable::call_async),
//! [`MethodInfo::call_async`], `Session::call_async` and `Engine::call_as_root_async`.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use super::info::Trampoline;
use super::{CallError, CallFn, CallFuture, CallOutcome, MethodInfo, MethodTable};
use crate::__private::{CallScope, Scoped};
use crate::Value;

/// The call, before it is run in its scope.
pub(crate) enum Pending {
    /// Refused before anything ran (unknown name, arity, argument type, session).
    Failed(CallError),
    /// A plain `fn`: its trampoline runs at the first poll, inside the scope.
    Sync { call: CallFn, args: Vec<Value> },
    /// An `async fn`, arguments converted; its policy is applied at its first poll.
    Async(CallFuture),
}

impl Future for Pending {
    type Output = Result<CallOutcome, CallError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match self.get_mut() {
            Pending::Failed(error) => Poll::Ready(Err(error.clone())),
            Pending::Sync { call, args } => Poll::Ready(call(std::mem::take(args))),
            Pending::Async(call) => call.as_mut().poll(cx).map(Ok),
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
        let pending = match self.call {
            Trampoline::Sync(call) => Pending::Sync { call, args },
            Trampoline::Async(call) => match call(args) {
                Ok(future) => Pending::Async(future),
                Err(error) => Pending::Failed(error),
            },
        };
        scope.run(pending)
    }
}
