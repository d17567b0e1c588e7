//! What an OPC UA client gets back for a call: the status code of a refusal
//! ([`CallError`]) or of an outcome: the table below is the whole mapping.
//!
//! | what happened | status | outputs |
//! | --- | --- | --- |
//! | the method ran (succeeded or failed) | Good | return value, then out parameters (sentinels on failure; the failure is logged by the core) |
//! | an argument of the wrong type | BadInvalidArgument | none; per-argument results name it |
//! | too few arguments | BadArgumentsMissing | none |
//! | too many arguments | BadTooManyArguments | none |
//! | no such method (or object) | BadMethodInvalid | none |
//! | the user lacks the method's role | BadUserAccessDenied | none |
//! | the method panicked | BadInternalError | none |
//! | the session was closed by the application | BadSessionClosed | none |
//! | two methods share the name | BadConfigurationError | none |

use opcua::types::StatusCode;

use crate::{CallError, CallOutcome, SessionError};

/// Why a call was answered without outputs: a status, and for a bad argument the
/// per-argument results.
#[derive(Debug, PartialEq)]
pub(super) enum Refusal {
    Status(StatusCode),
    Arguments(Vec<StatusCode>),
}

/// The refusal of a call the core did not run. `given` is the number of arguments sent and
/// `index_of` finds an in parameter's position by name.
pub(super) fn refusal(
    error: &CallError,
    given: usize,
    index_of: impl Fn(&str) -> Option<usize>,
) -> Refusal {
    Refusal::Status(match error {
        CallError::UnknownMethod(_) | CallError::NeedsObject { .. } => StatusCode::BadMethodInvalid,
        CallError::Arity { expected, got, .. } if got < expected => StatusCode::BadArgumentsMissing,
        CallError::Arity { .. } => StatusCode::BadTooManyArguments,
        CallError::MissingArgument { .. } => StatusCode::BadArgumentsMissing,
        CallError::ArgType { param, .. } => {
            let mut results = vec![StatusCode::Good; given];
            match index_of(param).and_then(|index| results.get_mut(index)) {
                Some(result) => *result = StatusCode::BadInvalidArgument,
                // Not one of the arguments sent (cannot happen by position): every one
                // is suspect.
                None => results.fill(StatusCode::BadInvalidArgument),
            }
            return Refusal::Arguments(results);
        }
        CallError::Session(SessionError::NotFound(_)) => StatusCode::BadSessionClosed,
        CallError::Ambiguous { .. } => StatusCode::BadConfigurationError,
        CallError::UnknownArgument { .. }
        | CallError::RepeatedArgument { .. }
        | CallError::Session(_)
        | CallError::NeedsAsync { .. } => StatusCode::BadInternalError,
    })
}

/// The refusal that a call that ran stands for: a panic (BadInternalError) or the role check
/// at the boundary (BadUserAccessDenied); `None` for a success or an ordinary failure, which
/// answer Good with the outputs.
pub(super) fn outcome_refusal(outcome: &CallOutcome, role: Option<&str>) -> Option<StatusCode> {
    let error = outcome.error.as_deref()?;
    // Every host call reports a panic with this text (see `methods/outcome.rs`).
    if error.starts_with("panicked: ") {
        return Some(StatusCode::BadInternalError);
    }
    let forbidden = role.is_some_and(|role| {
        error
            == SessionError::Forbidden {
                role: role.to_owned(),
            }
            .to_string()
    });
    forbidden.then_some(StatusCode::BadUserAccessDenied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arity(expected: usize, got: usize) -> CallError {
        CallError::Arity {
            method: "m".into(),
            expected,
            got,
        }
    }

    #[test]
    fn refusals_have_their_status_codes() {
        let none = |_: &str| None;
        assert_eq!(
            refusal(&CallError::UnknownMethod("x".into()), 0, none),
            Refusal::Status(StatusCode::BadMethodInvalid)
        );
        assert_eq!(
            refusal(&arity(2, 1), 1, none),
            Refusal::Status(StatusCode::BadArgumentsMissing)
        );
        assert_eq!(
            refusal(&arity(1, 2), 2, none),
            Refusal::Status(StatusCode::BadTooManyArguments)
        );
        let wrong = CallError::ArgType {
            method: "m".into(),
            param: "b".into(),
            expected: "u8".into(),
            got: "300 (out of range)".into(),
        };
        let index_of = |name: &str| ["a", "b"].iter().position(|p| *p == name);
        assert_eq!(
            refusal(&wrong, 2, index_of),
            Refusal::Arguments(vec![StatusCode::Good, StatusCode::BadInvalidArgument])
        );
    }

    #[test]
    fn a_panic_and_a_forbidden_call_are_not_good() {
        let failed = |error: &str| CallOutcome {
            value: crate::Value::Null,
            outs: Vec::new(),
            error: Some(error.to_owned()),
        };
        assert_eq!(
            outcome_refusal(&failed("panicked: boom"), None),
            Some(StatusCode::BadInternalError)
        );
        let forbidden = SessionError::Forbidden {
            role: "admin".into(),
        }
        .to_string();
        assert_eq!(
            outcome_refusal(&failed(&forbidden), Some("admin")),
            Some(StatusCode::BadUserAccessDenied)
        );
        assert_eq!(outcome_refusal(&failed("disk full"), Some("admin")), None);
    }
}
