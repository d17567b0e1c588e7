//! What an OPC UA client gets back for a call: the host's mapping of an
//! [`Answer`] to status codes, decided by the answer's types alone (never by its text).
//!
//! | what happened | status | outputs |
//! | --- | --- | --- |
//! | the method ran (succeeded or failed) | Good | return value, then out parameters (sentinels on failure; the failure is logged by the core, and its reason is the call's diagnostic info when the client asks for it) |
//! | an argument of the wrong type | BadInvalidArgument | none; per-argument results name it |
//! | too few arguments | BadArgumentsMissing | none |
//! | too many arguments | BadTooManyArguments | none |
//! | no such method (or object) | BadMethodInvalid | none |
//! | the user lacks the method's role | BadUserAccessDenied | none |
//! | the method panicked, or its result cannot be written | BadInternalError | none |
//! | the session was closed by the application | BadSessionClosed | none |
//! | two methods share the name | BadConfigurationError | none |

use opcua::types::StatusCode;

use crate::host::Answer;
use crate::{CallError, CallOutcome, Failure, SessionError};

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

/// What a call that ran answers: Good with its outputs (`Ok`; a failed method's sentinels
/// are in them), or a status without outputs (`Err`).
pub(super) fn ran(outcome: &CallOutcome) -> Result<(), StatusCode> {
    match outcome.failure() {
        None => Ok(()),
        // What an Optix client expects of a method that failed: Good, and the sentinels.
        Some(Failure::Method(_)) => Ok(()),
        Some(Failure::Refused(SessionError::Forbidden { .. } | SessionError::NoContext)) => {
            Err(StatusCode::BadUserAccessDenied)
        }
        // Refused for another reason (`engine = "…"` naming no engine): the method's failure
        // path, sentinels written.
        Some(Failure::Refused(_)) => Ok(()),
        Some(Failure::Panicked(_) | Failure::Unsendable(_)) => Err(StatusCode::BadInternalError),
    }
}

/// The refusal of a call that could not be made, or `None` when it ran: see [`refusal`]
/// and [`ran`].
pub(super) fn answer_refusal(
    answer: &Answer,
    given: usize,
    index_of: impl Fn(&str) -> Option<usize>,
) -> Option<Refusal> {
    match answer {
        Answer::Ran(outcome) => ran(outcome).err().map(Refusal::Status),
        Answer::NotRun(error) => Some(refusal(error, given, index_of)),
    }
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
    fn a_panic_and_a_forbidden_call_are_not_good_by_type_not_text() {
        let failed = |failure: Failure| CallOutcome::failed(failure, Vec::new());
        assert_eq!(
            ran(&failed(Failure::Panicked("boom".into()))),
            Err(StatusCode::BadInternalError)
        );
        let forbidden = SessionError::Forbidden {
            role: "admin".into(),
        };
        assert_eq!(
            ran(&failed(Failure::Refused(forbidden))),
            Err(StatusCode::BadUserAccessDenied)
        );
        assert_eq!(ran(&failed(Failure::Method("disk full".into()))), Ok(()));
        // A method's own error that reads like a panic is a method failure.
        assert_eq!(ran(&failed(Failure::Method("panicked: no".into()))), Ok(()));
    }
}
