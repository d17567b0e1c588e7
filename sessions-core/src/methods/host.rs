//! Calling an exported method by name in a given context: [`Session::call`] and
//! [`Engine::call_as_root`].

use super::{methods, CallError, CallOutcome};
use crate::{Engine, Session, Value};

impl Session {
    /// Calls the exported method `name` with `args` in this session's context.
    ///
    /// The session is entered first, under the usual rules: when it is closed the call is
    /// [`CallError::Session`]`(`[`SessionError::NotFound`](crate::SessionError::NotFound)`)`,
    /// and when another session is current it is `CallError::Session(Mismatch { .. })`. In
    /// both cases the method does not run.
    pub fn call(&self, name: &str, args: Vec<Value>) -> Result<CallOutcome, CallError> {
        let _guard = self.enter()?;
        methods().call(name, args)
    }
}

impl Engine {
    /// Calls the exported method `name` with `args` as this engine's root session, even
    /// on top of another session (Optix's `ImpersonateRootTemporary`).
    pub fn call_as_root(&self, name: &str, args: Vec<Value>) -> Result<CallOutcome, CallError> {
        let _guard = self.impersonate_root();
        methods().call(name, args)
    }
}
