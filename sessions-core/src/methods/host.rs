//! Calling an exported method by name in a given context: [`Session::call`] and
//! [`Engine::call_as_root`], and their `async` forms.

use std::future::Future;

use super::call_async::failed;
use super::{methods, CallError, CallOutcome};
use crate::__private::CallScope;
use crate::{Engine, Session, Value};

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
    /// [`Engine::expire_idle`] leaves it open.
    pub fn call(&self, name: &str, args: Vec<Value>) -> Result<CallOutcome, CallError> {
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
        args: Vec<Value>,
    ) -> impl Future<Output = Result<CallOutcome, CallError>> + Send + 'static {
        if let Err(error) = self.enter() {
            return failed(error.into());
        }
        self.touch();
        match methods().lookup(name) {
            Ok(method) => method.start(args, CallScope::Session(self.clone())),
            Err(error) => failed(error),
        }
    }
}

impl Engine {
    /// Calls the exported method `name` with `args` as this engine's root session, even
    /// on top of another session (Optix's `ImpersonateRootTemporary`).
    pub fn call_as_root(&self, name: &str, args: Vec<Value>) -> Result<CallOutcome, CallError> {
        let _guard = self.impersonate_root();
        methods().call(name, args)
    }

    /// Calls the exported method `name` with `args` from async code as this engine's root
    /// session: the root is current at every poll of the call, whatever the polling thread
    /// has. See [`MethodTable::call_async`](crate::MethodTable::call_async).
    pub fn call_as_root_async(
        &self,
        name: &str,
        args: Vec<Value>,
    ) -> impl Future<Output = Result<CallOutcome, CallError>> + Send + 'static {
        match methods().lookup(name) {
            Ok(method) => method.start(args, CallScope::Session(self.root())),
            Err(error) => failed(error),
        }
    }
}
