//! Calling an exported method in this session: [`Session::call`] and
//! [`Session::call_async`].

use std::future::Future;

use super::Session;
use crate::engine::call::{refused, CallInSession};
use crate::engine::carrier::Carrier;
use crate::methods::{methods, Args, CallError, CallOutcome};

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
    pub fn call(&self, name: &str, args: impl Into<Args>) -> Result<CallOutcome, CallError> {
        let _guard = self.enter()?;
        self.touch();
        methods().call(name, args)
    }

    /// Calls the exported method `name` with `args` from async code, in this session's
    /// context at every poll of the call, whichever thread polls it; any method, `async fn`
    /// or not. See [`MethodTable::call_async`](crate::MethodTable::call_async).
    ///
    /// The rules of [`call`](Self::call) are checked now, when the call is made: a closed
    /// session is `Err(CallError::Session(NotFound))` and another current session
    /// `Err(CallError::Session(Mismatch { .. }))`, as the future's output, and the method
    /// does not run. Like `call`, it [`touch`](Session::touch)es the session.
    pub fn call_async(
        &self,
        name: &str,
        args: impl Into<Args>,
    ) -> impl Future<Output = Result<CallOutcome, CallError>> + Send + 'static {
        self.start_call(name, args)
    }

    /// The future of [`call_async`](Self::call_async), as its own type.
    pub(crate) fn start_call(&self, name: &str, args: impl Into<Args>) -> CallInSession {
        if let Err(error) = self.enter() {
            return refused(error.into());
        }
        self.touch();
        methods().start(name, args, Carrier::Session(self.clone()))
    }
}
