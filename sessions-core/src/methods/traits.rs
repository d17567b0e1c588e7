//! Behaviour chosen by type, not by the macro reading tokens: what a return type does on
//! success and failure, how parameters cross the host boundary, and what a `require`
//! method returns without a session. Each trait's `on_unimplemented` turns a rule into an
//! instruction at the user's own type. Beside them, the identity functions through which
//! generated code states a type rule of an `async fn` (its output type, `Send`).

use std::fmt::Display;
use std::future::Future;

use crate::{FromValue, IntoValue, SessionError, Value, ValueError};

/// A type an exported method may return: `T: IntoValue` (never fails) or
/// `Result<T: IntoValue, E: Display>`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by an exported method",
    label = "not a host value",
    note = "return `()`, a type that implements `IntoValue` (e.g. `i64`, `String`, `Vec<T>`), or `Result<T, E>` with `T: IntoValue` and `E: Display`"
)]
pub trait ExportReturn: Sized {
    /// The error to log and turn into sentinels, if this is a failure.
    fn failure(&self) -> Option<&dyn Display>;
    /// `(value, error message)` for a host: `(Null, Some(message))` on failure.
    fn into_outcome(self) -> (Value, Option<String>);
}

impl<T: IntoValue> ExportReturn for T {
    #[inline]
    fn failure(&self) -> Option<&dyn Display> {
        None
    }

    #[inline]
    fn into_outcome(self) -> (Value, Option<String>) {
        (self.into_value(), None)
    }
}

// `do_not_recommend`: an error names `ExportReturn` (and its instructions), not the
// bound of this impl that failed.
#[diagnostic::do_not_recommend]
impl<T: IntoValue, E: Display> ExportReturn for Result<T, E> {
    #[inline]
    fn failure(&self) -> Option<&dyn Display> {
        match self {
            Ok(_) => None,
            Err(error) => Some(error),
        }
    }

    #[inline]
    fn into_outcome(self) -> (Value, Option<String>) {
        match self {
            Ok(value) => (value.into_value(), None),
            Err(error) => (Value::Null, Some(error.to_string())),
        }
    }
}

/// What a `session = require` method returns when no session is current.
#[diagnostic::on_unimplemented(
    message = "`session = require` needs a return type that can report a missing session, and `{Self}` cannot",
    label = "cannot carry `SessionError::NoContext`",
    note = "return `()`, or `Result<_, E>` with `E: From<SessionError>` (e.g. `Result<i64, SessionError>`), or use `session = impersonate` or `session = none`, which cannot fail"
)]
pub trait PolicyFailure {
    /// The value returned for `error` (always `SessionError::NoContext` today).
    fn policy_failure(error: SessionError) -> Self;
}

impl PolicyFailure for () {
    #[inline]
    fn policy_failure(_: SessionError) -> Self {}
}

// `do_not_recommend`: the error is "`session = require` needs…", not "`E: From<SessionError>`
// is not satisfied", which does not say what to do.
#[diagnostic::do_not_recommend]
impl<T, E: From<SessionError>> PolicyFailure for Result<T, E> {
    #[inline]
    fn policy_failure(error: SessionError) -> Self {
        Err(E::from(error))
    }
}

/// The `T` of an out parameter `&mut T`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the type of an exported method's out parameter",
    label = "needs `Default` and `IntoValue`",
    note = "a host call starts an out parameter at `T::default()` and returns its final value with `IntoValue`: implement both, or use a type that has them (integers, floats, `bool`, `String`, `Option<T>`, `Vec<T>`, `Value`)"
)]
pub trait OutParam: Sized {
    /// The value a host call starts it at.
    fn initial() -> Self;
    /// Its final value, for `CallOutcome::outs`.
    fn into_out(self) -> Value;
}

impl<T: Default + IntoValue> OutParam for T {
    #[inline]
    fn initial() -> Self {
        T::default()
    }

    #[inline]
    fn into_out(self) -> Value {
        self.into_value()
    }
}

/// The type of an in parameter, converted from a host's `Value`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an in parameter of an exported method: it does not implement `FromValue`",
    label = "a host passes a `Value`, converted with `FromValue`",
    note = "use a type that implements `FromValue` (integers, floats, `bool`, `String`, `SessionId`, `Option<T>`, `Vec<T>`, `Value`) or implement it; `&mut T` makes an out parameter, `&Session` the injected session"
)]
pub trait InParam: Sized {
    /// Converts a host's argument.
    fn from_arg(value: Value) -> Result<Self, ValueError>;
}

impl<T: FromValue> InParam for T {
    #[inline]
    fn from_arg(value: Value) -> Result<Self, ValueError> {
        T::from_value(value)
    }
}

/// Returns `body`; its only job is to give the body's `async` block its output type, so
/// that `?` and `return` inside it are checked against the function's return type.
#[inline(always)]
pub fn body<R, F: Future<Output = R>>(body: F) -> F {
    body
}

/// Returns `future`; the generated trampoline passes an exported `async fn`'s future
/// through it, so that a future that is not `Send` is reported at the function, with the
/// value the compiler found held across an `.await`. Exported `async fn`s must be `Send`:
/// hosts poll them on multi-thread executors.
#[inline(always)]
pub fn exported_async_fn_must_be_send<F: Future + Send>(future: F) -> F {
    future
}
