//! The result of a host call: [`CallOutcome`] when the method ran, [`CallError`] when it
//! could not be called at all.

use std::any::Any;

use super::Failure;
use super::{LogFailure, Severity};
use crate::{SessionError, Value, ValueError};

/// What a call that ran produced.
///
/// A call that ran may still have failed: the body returned `Err`, the session policy
/// refused it, or it panicked. Then [`failure`](Self::failure) says which, as a type (what a
/// host maps to its wire), [`error`](Self::error) holds its text (for display), `value` is
/// [`Value::Null`] and the out parameters hold their sentinels.
///
/// A host of an application's own builds one with [`ok`](Self::ok) or
/// [`failed`](Self::failed).
///
/// ```
/// use sessions_core::{export_method, methods, Engine, Failure, SessionError, Value};
///
/// /// Number of sessions with a logged-in user on the named engine.
/// #[export_method(name = "GetActiveWebSessionsNumber", sentinel = -1)]
/// pub fn get_active_web_sessions_number(
///     engine: String,
///     active: &mut i32,
/// ) -> Result<(), SessionError> {
///     let engine = Engine::find(&engine).ok_or(SessionError::UnknownEngine(engine))?;
///     *active = engine.active_count() as i32;
///     Ok(())
/// }
///
/// let engine = Engine::builder().name("main").build()?;
/// let session = engine.open()?;
///
/// // In a session: the count.
/// let outcome = session.call("GetActiveWebSessionsNumber", vec![Value::from("main")])?;
/// assert!(outcome.is_ok());
/// assert_eq!(outcome.out("active"), Some(&Value::from(0)));
///
/// // Without one (`session = require` is the default): the sentinel, and the error,
/// // which was also logged with `tracing::error!`.
/// let outcome = methods().call("GetActiveWebSessionsNumber", vec![Value::from("main")])?;
/// assert_eq!(outcome.out("active"), Some(&Value::from(-1)));
/// assert_eq!(outcome.failure(), Some(&Failure::Refused(SessionError::NoContext)));
/// assert_eq!(outcome.error, Some(SessionError::NoContext.to_string()));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CallOutcome {
    /// The returned value: `Null` for `()` and on failure, the `T` of `Ok(T)` otherwise.
    pub value: Value,
    /// The final value of each out parameter, by name, in parameter order.
    pub outs: Vec<(&'static str, Value)>,
    /// Why the call failed, as text (the [`failure`](Self::failure)'s), or `None` when it
    /// succeeded. For display and logs: decide with [`failure`](Self::failure).
    pub error: Option<String>,
    /// Boxed: a call that succeeded carries one null pointer, so the outcome (and every
    /// future that holds one) stays as small as it was before failures had a type.
    failure: FailureSlot,
}

/// An outcome's failure, if any: boxed, and dropped out of line, so that dropping a
/// successful outcome costs a null check more than it did before failures had a type.
#[derive(Clone, Debug, PartialEq)]
struct FailureSlot(Option<Box<Failure>>);

impl Drop for FailureSlot {
    #[inline]
    fn drop(&mut self) {
        #[cold]
        #[inline(never)]
        fn drop_failure(failure: Box<Failure>) {
            drop(failure);
        }
        if let Some(failure) = self.0.take() {
            drop_failure(failure);
        }
    }
}

impl CallOutcome {
    /// The outcome of a call that succeeded.
    pub fn ok(value: Value, outs: Vec<(&'static str, Value)>) -> CallOutcome {
        CallOutcome {
            value,
            outs,
            error: None,
            failure: FailureSlot(None),
        }
    }

    /// The outcome of a call that ran and failed: `value` is `Null`, `outs` the out
    /// parameters as they were left (their sentinels written), `error` the failure's text.
    pub fn failed(failure: Failure, outs: Vec<(&'static str, Value)>) -> CallOutcome {
        CallOutcome::stopped(Box::new(failure), outs)
    }

    /// Why the call failed, as a type, or `None` when it succeeded.
    pub fn failure(&self) -> Option<&Failure> {
        self.failure.0.as_deref()
    }

    /// The final value of the out parameter `name`.
    pub fn out(&self, name: &str) -> Option<&Value> {
        self.outs
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value)
    }

    /// Whether the call succeeded.
    pub fn is_ok(&self) -> bool {
        self.error.is_none()
    }
}

/// Why a method could not be called. In every case the function did not run, so nothing
/// it would have changed has changed.
///
/// Each error has a JSON-RPC 2.0 error code ([`code`](Self::code)), so a host answers with
/// the code its clients expect; it serializes (feature `serde`) as
/// `{"code": -32601, "kind": "UnknownMethod", "message": "no exported method named `x`", ...}`
/// with the variant's fields beside those three.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    /// No exported method has this name.
    #[error("no exported method named `{0}`")]
    UnknownMethod(String),
    /// Several exported methods share this name, so the call would be a guess.
    #[error("{} exported methods are named `{name}`: {}; give them distinct `name = \"…\"`", locations.len(), locations.join(", "))]
    Ambiguous {
        /// The name that was called.
        name: String,
        /// Where each method is defined: `path at file:line`.
        locations: Vec<String>,
    },
    /// The number of arguments is not the number of in parameters.
    #[error("`{method}` takes {expected} argument{}, got {got}", if *expected == 1 { "" } else { "s" })]
    Arity {
        /// The method's name.
        method: String,
        /// Its number of in parameters.
        expected: usize,
        /// The number of arguments passed.
        got: usize,
    },
    /// An argument could not be converted to its parameter's type.
    #[error("argument `{param}` of `{method}` expects {expected}, got {got}")]
    ArgType {
        /// The method's name.
        method: String,
        /// The parameter's name.
        param: String,
        /// The parameter's Rust type.
        expected: String,
        /// What was passed (and why it was refused, e.g. out of range).
        got: String,
    },
    /// An argument was given by a name that is not one of the method's in parameters.
    #[error("`{method}` has no parameter named `{param}` (its parameters: {})", params.join(", "))]
    UnknownArgument {
        /// The method's name.
        method: String,
        /// The name given.
        param: String,
        /// The names of its in parameters, in order.
        params: Vec<String>,
    },
    /// An argument was given twice by name.
    #[error("argument `{param}` of `{method}` is given twice")]
    RepeatedArgument {
        /// The method's name.
        method: String,
        /// The parameter's name.
        param: String,
    },
    /// Arguments given by name leave out a parameter that is not an `Option`. (By position,
    /// too few arguments are [`Arity`](Self::Arity).)
    #[error("argument `{param}` of `{method}` is missing")]
    MissingArgument {
        /// The method's name.
        method: String,
        /// The parameter's name.
        param: String,
    },
    /// The session could not be entered for the call (closed, or another is current).
    #[error("cannot call in this session: {0}")]
    Session(#[from] SessionError),
    /// The method is an `async fn`, and was called where nothing can await it
    /// ([`MethodTable::call`](crate::MethodTable::call), [`Session::call`](crate::Session::call),
    /// [`MethodInfo::call`](crate::MethodInfo::call)). Call it with
    /// [`MethodTable::call_async`](crate::MethodTable::call_async) or
    /// [`Session::call_async`](crate::Session::call_async).
    #[error("`{method}` is async: call it with `call_async`")]
    NeedsAsync {
        /// The method's name.
        method: String,
    },
    /// A `&self` method of an exported type was called by its type's name: it needs an
    /// object, called by the object's path (`"Line1/Oven.set_target"`).
    #[error("`{method}` is a method of exported objects: call it as `<object path>.<method>`, on an object exported with `Engine::export_object`")]
    NeedsObject {
        /// The name that was called.
        method: String,
    },
}

/// One out parameter as a trampoline gives it to [`outcome`]: its name, whether it has a
/// sentinel, and its final value (`Err` when it cannot be written as a `Value`).
pub type OutValue = (&'static str, bool, Result<Value, ValueError>);

/// The outcome of a call that ran to its end (`Ok(Ok((value, error)))`: the function's
/// result as a host sees it, `error` the text of the `Err` it returned), whose return value
/// could not be written as a `Value` (`Ok(Err(_))`), or that was stopped before or while
/// running (`Err(failure)`: the policy refused it, or it panicked; already logged). Generated trampolines build their outcome
/// with it.
///
/// `outs(failed)` takes the out parameters' final values, after writing their sentinels
/// when `failed`. A value that cannot be written (its `Serialize` impl failed) fails a call
/// that had not failed: logged once through `log`, the sentinels written, and the
/// outcome's `error` says which value and why. In a call that had already failed, such an
/// out parameter is `Null` (the error already says why the call failed).
#[inline]
pub fn outcome<const N: usize>(
    log: LogFailure,
    ran: Result<Result<(Value, Option<String>), ValueError>, Box<Failure>>,
    mut outs: impl FnMut(bool) -> [OutValue; N],
) -> CallOutcome {
    let (mut value, mut failure) = match ran {
        Ok(Ok((value, None))) => (value, None),
        Ok(Ok((_, Some(error)))) => (Value::Null, Some(Box::new(Failure::Method(error)))),
        Ok(Err(unwritable)) => {
            let message = format!("the return value cannot be sent to the host: {unwritable}");
            log(Severity::Failed, &message);
            (Value::Null, Some(Box::new(Failure::Unsendable(message))))
        }
        Err(failure) => (Value::Null, Some(failure)),
    };
    let failed = failure.is_some();
    // An array, not a vector: the out parameters cost one allocation, the outcome's.
    let mut taken = outs(failed);
    if N == 0 {
        // No out parameters (most methods): nothing to check or convert.
        return CallOutcome::with(value, Vec::new(), failure);
    }
    if failure.is_none() {
        if let Some(message) = unwritable_out(&taken) {
            log(Severity::Failed, &message);
            value = Value::Null;
            failure = Some(Box::new(Failure::Unsendable(message)));
            // Sentinels for the outs that have one; the others keep what was taken.
            let sentinels = outs(true);
            for (out, sentinel) in taken.iter_mut().zip(sentinels) {
                if sentinel.1 {
                    *out = sentinel;
                }
            }
        }
    }
    let mut outs = Vec::with_capacity(N);
    outs.extend(
        taken
            .into_iter()
            .map(|(name, _, value)| (name, value.unwrap_or(Value::Null))),
    );
    CallOutcome::with(value, outs, failure)
}

impl CallOutcome {
    /// `ok` or `failed`, as `failure` says.
    #[inline]
    fn with(value: Value, outs: Vec<(&'static str, Value)>, failure: Option<Box<Failure>>) -> Self {
        match failure {
            None => CallOutcome::ok(value, outs),
            Some(failure) => CallOutcome::stopped(failure, outs),
        }
    }

    /// [`failed`](Self::failed), with the failure already boxed.
    #[cold]
    pub(crate) fn stopped(failure: Box<Failure>, outs: Vec<(&'static str, Value)>) -> Self {
        CallOutcome {
            value: Value::Null,
            outs,
            error: Some(failure.to_string()),
            failure: FailureSlot(Some(failure)),
        }
    }
}

/// The message for the first out parameter that cannot be written, if any.
#[cold]
fn unwritable_out(outs: &[OutValue]) -> Option<String> {
    outs.iter().find_map(|(name, _, value)| {
        let err = value.as_ref().err()?;
        Some(format!(
            "out parameter `{name}` cannot be sent to the host: {err}"
        ))
    })
}

impl CallError {
    /// The JSON-RPC 2.0 error code of this error:
    ///
    /// | error | code | meaning in JSON-RPC |
    /// | --- | --- | --- |
    /// | [`UnknownMethod`](Self::UnknownMethod) | -32601 | method not found |
    /// | [`Arity`](Self::Arity), [`ArgType`](Self::ArgType), [`UnknownArgument`](Self::UnknownArgument), [`RepeatedArgument`](Self::RepeatedArgument), [`MissingArgument`](Self::MissingArgument) | -32602 | invalid params |
    /// | [`Session`](Self::Session) | -32001 | the session is gone (closed, or another is current) |
    /// | [`Ambiguous`](Self::Ambiguous) | -32002 | several methods share the name: the server's fault |
    /// | [`NeedsAsync`](Self::NeedsAsync) | -32003 | an `async fn` called where nothing awaits it: the host's fault |
    ///
    /// -32000 is left for a method that ran and failed (a [`CallOutcome`] with an error),
    /// which a host reports itself.
    ///
    /// ```
    /// use sessions_core::{methods, CallError};
    ///
    /// let error = methods().call("no_such_method", vec![]).unwrap_err();
    /// assert_eq!(error.code(), -32601);
    /// ```
    pub fn code(&self) -> i32 {
        match self {
            CallError::UnknownMethod(_) => -32601,
            CallError::Arity { .. }
            | CallError::ArgType { .. }
            | CallError::UnknownArgument { .. }
            | CallError::RepeatedArgument { .. }
            | CallError::MissingArgument { .. } => -32602,
            CallError::Session(_) => -32001,
            CallError::Ambiguous { .. } => -32002,
            CallError::NeedsAsync { .. } => -32003,
            CallError::NeedsObject { .. } => -32601,
        }
    }

    /// The variant's name (`"UnknownMethod"`, `"Arity"`, `"MissingArgument"`, …), as the
    /// error serializes it.
    pub fn kind(&self) -> &'static str {
        match self {
            CallError::UnknownMethod(_) => "UnknownMethod",
            CallError::Ambiguous { .. } => "Ambiguous",
            CallError::Arity { .. } => "Arity",
            CallError::ArgType { .. } => "ArgType",
            CallError::UnknownArgument { .. } => "UnknownArgument",
            CallError::RepeatedArgument { .. } => "RepeatedArgument",
            CallError::MissingArgument { .. } => "MissingArgument",
            CallError::Session(_) => "Session",
            CallError::NeedsAsync { .. } => "NeedsAsync",
            CallError::NeedsObject { .. } => "NeedsObject",
        }
    }
}

/// The failure of a call whose function panicked with `payload`. Every host call reports a
/// panic so; its text is `panicked: MESSAGE`.
pub(crate) fn panicked(payload: &(dyn Any + Send)) -> Failure {
    Failure::Panicked(crate::panic::panic_message(payload))
}
