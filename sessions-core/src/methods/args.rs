//! [`Args`]: a host's arguments, taken one in parameter at a time by a method's trampoline.
//!
//! The count is checked before any conversion, and each conversion error names the
//! parameter, so a bad call is refused before the function runs.

use super::CallError;
use crate::{Value, ValueError};

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
