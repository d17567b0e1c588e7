//! The host boundary's last line: a panic that escapes a method's own trampoline becomes an
//! outcome, never an unwind into the host.
//!
//! The generated trampoline catches panics in the function itself. A panic can still come
//! from code it runs around the function: a user type's `FromValue`, `IntoValue` or
//! `Default` (for an out parameter). That is caught here, logged once like any failure, and
//! reported as [`CallOutcome::error`].

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{CallError, CallOutcome};
use crate::__private::log_failure;
use crate::panic::panic_message;
use crate::Value;

/// Runs a synchronous call; a panic from it becomes an outcome with the panic as its error.
#[inline]
pub(crate) fn guarded(
    method: &str,
    call: impl FnOnce() -> Result<CallOutcome, CallError>,
) -> Result<CallOutcome, CallError> {
    catch_unwind(AssertUnwindSafe(call))
        .unwrap_or_else(|payload| Ok(escaped_panic(method, payload)))
}

/// The outcome of a call that panicked outside the method's own catch: the function may or
/// may not have run, so no out parameter is reported.
pub(crate) fn escaped_panic(method: &str, payload: Box<dyn Any + Send>) -> CallOutcome {
    let error = format!("panicked: {}", panic_message(&*payload));
    log_failure(method, &error);
    CallOutcome {
        value: Value::Null,
        outs: Vec::new(),
        error: Some(error),
    }
}
