//! Behaviour chosen by type, not by the macro reading tokens: what a return type does on
//! success and failure, how parameters cross the host boundary, and what a `require`
//! method returns without a session. Each trait's `on_unimplemented` turns a rule into an
//! instruction at the user's own type. Beside them, the identity functions through which
//! generated code states a type rule of an `async fn` (its output type, `Send`).

use std::fmt::Display;
use std::future::Future;
use std::marker::PhantomData;

use crate::{FromValue, IntoValue, SessionError, Value, ValueError};

/// The kind of a return type that is not a `Result`: its value is given to the host.
#[derive(Clone, Copy, Debug)]
pub struct ValueReturn;

/// The kind of a `Result` return type: `Ok`'s value is given to the host, `Err` is the
/// method's failure.
#[derive(Clone, Copy, Debug)]
pub struct ResultReturn;

/// Chooses the kind of the return type `R` by method resolution, since every
/// `Result<T: Serialize, E: Serialize>` is itself a serde type: generated code calls
/// `(&ReturnKind::<R>::new()).kind()` with [`ResultKind`] and [`ValueKind`] in scope, and the
/// `Result` impl, one autoref closer, wins for a `Result`.
pub struct ReturnKind<R>(PhantomData<fn() -> R>);

impl<R> ReturnKind<R> {
    /// The chooser for `R`.
    #[inline(always)]
    pub const fn new() -> Self {
        ReturnKind(PhantomData)
    }
}

impl<R> Default for ReturnKind<R> {
    fn default() -> Self {
        Self::new()
    }
}

/// The kind of a `Result` return type (see [`ReturnKind`]).
pub trait ResultKind {
    /// The type of the value a host receives: `T` of `Result<T, E>`.
    type Value;
    /// [`ResultReturn`].
    fn kind(&self) -> ResultReturn;
    /// A marker of [`Value`](Self::Value), from which generated code finds its schema.
    fn value_type(&self) -> PhantomData<fn() -> PhantomData<Self::Value>> {
        PhantomData
    }
}

impl<T, E> ResultKind for ReturnKind<Result<T, E>> {
    type Value = T;

    #[inline(always)]
    fn kind(&self) -> ResultReturn {
        ResultReturn
    }
}

/// The kind of any other return type (see [`ReturnKind`]).
pub trait ValueKind {
    /// The type of the value a host receives: the return type itself.
    type Value;
    /// [`ValueReturn`].
    fn kind(&self) -> ValueReturn;
    /// A marker of [`Value`](Self::Value), from which generated code finds its schema.
    fn value_type(&self) -> PhantomData<fn() -> PhantomData<Self::Value>> {
        PhantomData
    }
}

impl<R> ValueKind for &ReturnKind<R> {
    type Value = R;

    #[inline(always)]
    fn kind(&self) -> ValueReturn {
        ValueReturn
    }
}

/// A type an exported method may return, of kind `K` ([`ValueReturn`] or [`ResultReturn`],
/// chosen by [`ReturnKind`]): `T: Serialize` (or a hand-written `IntoValue`), or
/// `Result<T, E>` with such a `T` and `E: Display`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned by an exported method",
    label = "not a host value",
    note = "return `()`, a type that implements `serde::Serialize` (add `#[derive(serde::Serialize)]` to your type), or `Result<T, E>` with `T: Serialize` and `E: Display`"
)]
pub trait ExportReturn<K>: Sized {
    /// The error to log and turn into sentinels, if this is a failure.
    fn failure(&self, kind: K) -> Option<&dyn Display>;
    /// `(value, error message)` for a host: `(Null, Some(message))` on failure; `Err` when
    /// the value cannot be written as a `Value` (its `Serialize` impl failed).
    fn into_outcome(self, kind: K) -> Result<(Value, Option<String>), ValueError>;
}

// `do_not_recommend`: an error names `ExportReturn` (and its instructions), not the
// bound of this impl that failed.
#[diagnostic::do_not_recommend]
impl<T: IntoValue> ExportReturn<ValueReturn> for T {
    #[inline]
    fn failure(&self, _: ValueReturn) -> Option<&dyn Display> {
        None
    }

    #[inline]
    fn into_outcome(self, _: ValueReturn) -> Result<(Value, Option<String>), ValueError> {
        Ok((self.try_into_value()?, None))
    }
}

#[diagnostic::do_not_recommend]
impl<T: IntoValue, E: Display> ExportReturn<ResultReturn> for Result<T, E> {
    #[inline]
    fn failure(&self, _: ResultReturn) -> Option<&dyn Display> {
        match self {
            Ok(_) => None,
            Err(error) => Some(error),
        }
    }

    #[inline]
    fn into_outcome(self, _: ResultReturn) -> Result<(Value, Option<String>), ValueError> {
        match self {
            Ok(value) => Ok((value.try_into_value()?, None)),
            Err(error) => Ok((Value::Null, Some(error.to_string()))),
        }
    }
}

/// What a method returns when its boundary refuses the call: `session = require` with no
/// session current, `engine = "…"` naming no engine, `role = "…"` the user lacks.
#[diagnostic::on_unimplemented(
    message = "this exported method can be refused before it runs (`session = require`, `engine = …` or `role = …`), and `{Self}` cannot report that",
    label = "cannot carry a `SessionError`",
    note = "return `()`, or `Result<_, E>` with `E: From<SessionError>` (e.g. `Result<i64, SessionError>`); or, for `session = require` alone, use `session = impersonate` or `session = none`, which cannot fail"
)]
pub trait PolicyFailure {
    /// The value returned for `error` (`NoContext`, `UnknownEngine` or `Forbidden`).
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
    label = "needs `Default` and `serde::Serialize`",
    note = "a host call starts an out parameter at `T::default()` and gives its final value back with `serde::Serialize`: derive both (`#[derive(Default, serde::Serialize)]`), or use a type that has them (integers, floats, `bool`, `String`, `Option<T>`, `Vec<T>`, `Value`)"
)]
pub trait OutParam: Sized {
    /// The value a host call starts it at.
    fn initial() -> Self;
    /// Its final value, for `CallOutcome::outs`, taken out (`Default` is left in its place);
    /// `Err` when it cannot be written as a `Value`.
    fn take_out(&mut self) -> Result<Value, ValueError>;
}

impl<T: Default + IntoValue> OutParam for T {
    #[inline]
    fn initial() -> Self {
        T::default()
    }

    #[inline]
    fn take_out(&mut self) -> Result<Value, ValueError> {
        std::mem::take(self).try_into_value()
    }
}

/// The type of an in parameter, converted from a host's `Value`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an in parameter of an exported method: it does not implement `serde::Deserialize`",
    label = "a host passes a `Value`, converted with `serde::Deserialize`",
    note = "add `#[derive(serde::Deserialize)]` to `{Self}` (or implement `sessions_core::FromValue` for it); `&mut T` makes an out parameter, `&Session` the injected session"
)]
pub trait InParam: Sized {
    /// Converts a host's argument.
    fn from_arg(value: Value) -> Result<Self, ValueError>;
}

impl<T: FromValue> InParam for T {
    #[inline]
    fn from_arg(value: Value) -> Result<Self, ValueError> {
        if matches!(value, Value::Int(_) | Value::Float(_) | Value::Bool(_)) {
            if let Some(taken) = T::from_scalar(&value) {
                // A number or a `bool` owns nothing: forgetting it frees nothing, and skips
                // `Value`'s drop glue, a call the compiler cannot see is empty.
                std::mem::forget(value);
                return Ok(taken);
            }
        }
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
