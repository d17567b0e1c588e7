//! [`Answer`]: what a host gets back for one [`Call`](crate::host::Call), and its
//! [`Verdict`].

use std::fmt;

use crate::{CallError, CallOutcome, Failure};

/// What a host gets back for one call: the method ran, or it could not be called at all.
///
/// A host maps it to its wire in one exhaustive `match`:
///
/// ```
/// # use sessions_core::host::Answer;
/// # use sessions_core::Failure;
/// fn code(answer: &Answer) -> i32 {
///     match answer {
///         Answer::Ran(outcome) => match outcome.failure() {
///             None => 0,
///             Some(Failure::Refused(_)) => -32004,
///             Some(Failure::Method(_)) => -32000,
///             Some(Failure::Panicked(_) | Failure::Unsendable(_)) => -32603,
///             Some(_) => -32000, // a kind of failure added later
///         },
///         Answer::NotRun(error) => error.code(),
///     }
/// }
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// The call reached the method's boundary: it succeeded, or the outcome's
    /// [`failure`](CallOutcome::failure) says why not (refused by the session rule or a role,
    /// failed, panicked).
    Ran(CallOutcome),
    /// The method could not be called (unknown name, wrong arguments, a session gone):
    /// nothing ran.
    NotRun(CallError),
}

/// The five ways a call ends, as logs, audit records and metrics count them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Verdict {
    /// The method ran and succeeded.
    Ok,
    /// The method ran and returned an error (or its result could not be sent).
    Failed,
    /// The session rule or the method's role refused the call before its body ran.
    Refused,
    /// The method panicked (caught and logged).
    Panicked,
    /// The call could not be made: unknown method, wrong arguments, a session gone.
    Invalid,
}

impl Answer {
    /// Which of the five ways the call ended.
    pub fn verdict(&self) -> Verdict {
        match self {
            Answer::Ran(outcome) => Verdict::of_outcome(outcome),
            Answer::NotRun(_) => Verdict::Invalid,
        }
    }

    /// The outcome, when the call ran.
    pub fn outcome(&self) -> Option<&CallOutcome> {
        match self {
            Answer::Ran(outcome) => Some(outcome),
            Answer::NotRun(_) => None,
        }
    }
}

impl From<Result<CallOutcome, CallError>> for Answer {
    fn from(result: Result<CallOutcome, CallError>) -> Answer {
        match result {
            Ok(outcome) => Answer::Ran(outcome),
            Err(error) => Answer::NotRun(error),
        }
    }
}

impl From<Answer> for Result<CallOutcome, CallError> {
    fn from(answer: Answer) -> Self {
        match answer {
            Answer::Ran(outcome) => Ok(outcome),
            Answer::NotRun(error) => Err(error),
        }
    }
}

impl Verdict {
    /// How a call that ran ended.
    pub(crate) fn of_outcome(outcome: &CallOutcome) -> Verdict {
        match outcome.failure() {
            None => Verdict::Ok,
            Some(Failure::Refused(_)) => Verdict::Refused,
            Some(Failure::Panicked(_)) => Verdict::Panicked,
            Some(Failure::Method(_) | Failure::Unsendable(_)) => Verdict::Failed,
        }
    }

    /// How a call ended, from what [`Session::call`](crate::Session::call) returns
    /// (the verdict of its [`Answer`], without making one).
    pub(crate) fn of_result(result: &Result<CallOutcome, CallError>) -> Verdict {
        match result {
            Ok(outcome) => Verdict::of_outcome(outcome),
            Err(_) => Verdict::Invalid,
        }
    }

    /// `ok`, `failed`, `refused`, `panicked` or `invalid`: the name audit records and
    /// metrics' `outcome` label use.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Failed => "failed",
            Verdict::Refused => "refused",
            Verdict::Panicked => "panicked",
            Verdict::Invalid => "invalid",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
