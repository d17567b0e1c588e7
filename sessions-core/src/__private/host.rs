//! The run-time half of a wrapped method: applying the session policy, logging a failure
//! once, and what the host trampoline does around the call (arguments, panics, outcome).

use std::fmt::Display;
use std::panic::{catch_unwind, AssertUnwindSafe};

use crate::panic::panic_message;
use crate::{current, current_id, CallError, CallOutcome, Engine, Policy, Session, SessionError};
use crate::{SessionGuard, Value, ValueError};

/// The tracing target of the failure events.
const TARGET: &str = "sessions_core::methods";

/// Logs the failure of the exported method `method`: one `tracing::error!` event with the
/// fields `method`, `session` (the current session's id, absent when there is none) and
/// `error`.
pub fn log_failure(method: &str, error: &dyn Display) {
    tracing::error!(
        target: TARGET,
        method,
        session = current_id().map(tracing::field::display),
        error = %error,
        "exported method failed",
    );
}

/// `session = require`: `Ok` when a session is current.
#[inline]
pub fn require_session() -> Result<(), SessionError> {
    match current_id() {
        Some(_) => Ok(()),
        None => Err(SessionError::NoContext),
    }
}

/// `session = impersonate`: nothing when a session is current, else the global engine's
/// root session until the guard drops.
#[inline]
pub fn impersonate() -> Option<SessionGuard> {
    match current_id() {
        Some(_) => None,
        None => Some(Engine::global().impersonate_root()),
    }
}

/// A host's arguments, taken one in parameter at a time.
pub struct Args {
    method: &'static str,
    expected: usize,
    values: std::vec::IntoIter<Value>,
}

impl Args {
    /// Checks that `args` has exactly `expected` values (one per in parameter).
    #[inline]
    pub fn new(method: &'static str, expected: usize, args: Vec<Value>) -> Result<Args, CallError> {
        if args.len() != expected {
            return Err(CallError::Arity {
                method: method.to_owned(),
                expected,
                got: args.len(),
            });
        }
        Ok(Args {
            method,
            expected,
            values: args.into_iter(),
        })
    }

    /// Converts the next argument for the parameter `param` of type `ty` with `convert`
    /// (the generated code passes `<T as InParam>::from_arg`, so a type without
    /// `FromValue` is reported at the user's type, by `InParam`).
    #[inline]
    pub fn next<T>(
        &mut self,
        param: &'static str,
        ty: &'static str,
        convert: fn(Value) -> Result<T, ValueError>,
    ) -> Result<T, CallError> {
        let Some(value) = self.values.next() else {
            // `new` checked the count; a miscount in generated code is still no panic.
            return Err(self.miscounted());
        };
        match convert(value) {
            Ok(converted) => Ok(converted),
            Err(error) => Err(self.wrong_type(param, ty, &error)),
        }
    }

    // The error paths are out of line, so the conversions of a good call stay small.
    #[cold]
    #[inline(never)]
    fn miscounted(&self) -> CallError {
        CallError::Arity {
            method: self.method.to_owned(),
            expected: self.expected,
            got: self.expected.saturating_sub(1),
        }
    }

    #[cold]
    #[inline(never)]
    fn wrong_type(&self, param: &str, ty: &str, error: &ValueError) -> CallError {
        CallError::ArgType {
            method: self.method.to_owned(),
            param: param.to_owned(),
            expected: ty.to_owned(),
            got: error.got().to_owned(),
        }
    }
}

/// One host call in progress: the policy applied (and held) for the call.
pub struct HostCall {
    method: &'static str,
    _guard: Option<SessionGuard>,
}

impl HostCall {
    /// Applies `policy` for a call of `method`. With `Require` and no current session, the
    /// failure is logged and `Err` holds its message: the function must not run.
    #[inline]
    pub fn enter(method: &'static str, policy: Policy) -> Result<HostCall, String> {
        let guard = match policy {
            Policy::Require => {
                if let Err(error) = require_session() {
                    log_failure(method, &error);
                    return Err(error.to_string());
                }
                None
            }
            Policy::Impersonate => impersonate(),
            Policy::None => None,
        };
        Ok(HostCall {
            method,
            _guard: guard,
        })
    }

    /// [`enter`](Self::enter), and the session to inject into `&Session` parameters.
    pub fn enter_with_session(
        method: &'static str,
        policy: Policy,
    ) -> Result<(HostCall, Session), String> {
        let call = HostCall::enter(method, policy)?;
        match current() {
            Some(session) => Ok((call, session)),
            None => {
                let error = SessionError::NoContext;
                log_failure(method, &error);
                Err(error.to_string())
            }
        }
    }

    /// Runs the wrapped function. A panic is caught, logged and returned as
    /// `Err("panicked: …")`; the guards it unwound through have restored the context.
    #[inline]
    pub fn run<R>(self, f: impl FnOnce() -> R) -> Result<R, String> {
        match catch_unwind(AssertUnwindSafe(f)) {
            Ok(value) => Ok(value),
            Err(payload) => {
                let message = format!("panicked: {}", panic_message(&*payload));
                // Logged while this call's policy guard still holds, like other failures.
                log_failure(self.method, &message);
                Err(message)
            }
        }
    }
}

/// The `CallOutcome` of a call that ran (`Ok((value, error))`) or failed before or
/// while running (`Err(message)`).
#[inline]
pub fn outcome(
    ran: Result<(Value, Option<String>), String>,
    outs: Vec<(&'static str, Value)>,
) -> CallOutcome {
    let (value, error) = ran.unwrap_or_else(|message| (Value::Null, Some(message)));
    CallOutcome { value, outs, error }
}
