//! [`ArgReader`]: a call's arguments, taken by a method's trampoline one in parameter at a
//! time.
//!
//! Everything wrong with the arguments is found before the function runs: too many, an
//! unknown or repeated name (when the reader is made), a missing one or one of the wrong
//! type (when its parameter is read, before any other code of the call runs).
//!
//! Arguments by name stay in the caller's vector: each parameter finds its own by a scan,
//! which for the few parameters a function has costs less than laying them out in a new
//! vector (an allocation per call).

use std::borrow::Cow;

use super::{Args, CallError};
use crate::{Value, ValueError};

/// A call's arguments, for the in parameters of one method, in the order they are read.
pub struct ArgReader {
    method: &'static str,
    /// The number of in parameters.
    expected: usize,
    /// How many arguments were given.
    given: usize,
    source: Source,
}

/// Where the arguments come from.
enum Source {
    /// The caller's own vector, in parameter order (the common, fast case).
    Positional(std::vec::IntoIter<Value>),
    /// The caller's pairs, each name a parameter's, none twice (checked by `new`); a value
    /// taken is left `null`.
    Named(Vec<(Cow<'static, str>, Value)>),
}

impl ArgReader {
    /// Takes `args` for the in parameters `params` of `method`: too many arguments, an
    /// unknown name or a repeated one is an error now.
    #[inline]
    pub fn new(
        method: &'static str,
        params: &'static [&'static str],
        args: Args,
    ) -> Result<ArgReader, ArgError> {
        let given = args.len();
        let source = match args {
            Args::Positional(values) => {
                if values.len() > params.len() {
                    return Err(ArgError::from(CallError::Arity {
                        method: method.to_owned(),
                        expected: params.len(),
                        got: values.len(),
                    }));
                }
                Source::Positional(values.into_iter())
            }
            Args::Named(pairs) => {
                check_names(method, params, &pairs)?;
                Source::Named(pairs)
            }
        };
        Ok(ArgReader {
            method,
            expected: params.len(),
            given,
            source,
        })
    }

    /// Converts the next in parameter's argument, `param` of type `ty`, with `convert` (the
    /// generated code passes `<T as InParam>::from_arg`, so a type that cannot be one is
    /// reported at the user's type). A missing argument is `null` to `convert`: an `Option`
    /// takes it as `None`; any other type makes it a missing argument.
    #[inline]
    pub fn next<T>(
        &mut self,
        param: &'static str,
        ty: &'static str,
        convert: fn(Value) -> Result<T, ValueError>,
    ) -> Result<T, ArgError> {
        let value = match &mut self.source {
            Source::Positional(values) => values.next(),
            Source::Named(pairs) => pairs
                .iter_mut()
                .find(|(name, _)| same(name, param))
                .map(|(_, value)| std::mem::take(value)),
        };
        match value {
            Some(value) => {
                convert(value).map_err(|error| self.wrong_type(param, ty, &error).into())
            }
            None => self.not_given(param, convert).map_err(ArgError::from),
        }
    }

    /// A parameter with no argument (or a miscount in generated code, which is no panic
    /// either): `None` for an `Option`, else a missing argument.
    #[cold]
    #[inline(never)]
    fn not_given<T>(
        &self,
        param: &'static str,
        convert: fn(Value) -> Result<T, ValueError>,
    ) -> Result<T, CallError> {
        convert(Value::Null).map_err(|_| self.missing(param))
    }

    // The error paths are out of line, so the conversions of a good call stay small.
    #[cold]
    #[inline(never)]
    fn missing(&self, param: &str) -> CallError {
        match self.source {
            Source::Named(_) => CallError::MissingArgument {
                method: self.method.to_owned(),
                param: param.to_owned(),
            },
            Source::Positional(_) => CallError::Arity {
                method: self.method.to_owned(),
                expected: self.expected,
                got: self.given,
            },
        }
    }

    #[cold]
    #[inline(never)]
    fn wrong_type(&self, param: &str, ty: &str, error: &ValueError) -> CallError {
        let got = if error.path().is_empty() {
            error.got().to_owned()
        } else {
            let why = match error.reason() {
                Some(reason) => reason.to_owned(),
                None => format!("expected {}", error.expected()),
            };
            format!("{} at {} ({why})", error.found_text(), error.path())
        };
        CallError::ArgType {
            method: self.method.to_owned(),
            param: param.to_owned(),
            expected: ty.to_owned(),
            got,
        }
    }
}

/// A [`CallError`] found while reading the arguments, boxed so that the `Result` of each
/// argument read stays as small as the value read; generated code turns it back into the
/// `CallError` with `?`.
#[derive(Debug)]
pub struct ArgError(Box<CallError>);

impl From<CallError> for ArgError {
    #[cold]
    fn from(error: CallError) -> ArgError {
        ArgError(Box::new(error))
    }
}

impl From<ArgError> for CallError {
    #[cold]
    fn from(error: ArgError) -> CallError {
        *error.0
    }
}

/// Every name must be a parameter's, and none given twice: the first pair that breaks
/// either rule is the error. Costs one scan of the parameters per pair, and allocates only
/// for a function of more than 64 in parameters.
fn check_names(
    method: &str,
    params: &[&str],
    pairs: &[(Cow<'static, str>, Value)],
) -> Result<(), CallError> {
    let mut seen = Seen::new(params.len());
    for (name, _) in pairs {
        let Some(index) = params.iter().position(|param| same(param, name)) else {
            return Err(CallError::UnknownArgument {
                method: method.to_owned(),
                param: name.clone().into_owned(),
                params: params.iter().map(|p| (*p).to_owned()).collect(),
            });
        };
        if !seen.insert(index) {
            return Err(CallError::RepeatedArgument {
                method: method.to_owned(),
                param: name.clone().into_owned(),
            });
        }
    }
    Ok(())
}

/// Whether two names are equal, compared in line: a parameter's name is a few bytes, for
/// which a call to `memcmp` costs more than the comparison itself.
#[inline]
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).all(|(x, y)| x == y)
}

/// Which parameters were given a value.
enum Seen {
    /// Up to 64 parameters: one bit each.
    Bits(u64),
    /// More.
    Many(Vec<bool>),
}

impl Seen {
    fn new(params: usize) -> Seen {
        if params <= 64 {
            Seen::Bits(0)
        } else {
            Seen::Many(vec![false; params])
        }
    }

    /// Marks parameter `index`; `false` when it already was.
    fn insert(&mut self, index: usize) -> bool {
        match self {
            Seen::Bits(bits) => {
                let bit = 1u64 << index;
                let new = *bits & bit == 0;
                *bits |= bit;
                new
            }
            Seen::Many(seen) => !std::mem::replace(&mut seen[index], true),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seen_marks_each_index_once_below_and_above_64_parameters() {
        for params in [1, 64, 65, 200] {
            let mut seen = Seen::new(params);
            let mut indices = vec![0, params / 2, params - 1];
            indices.dedup();
            for index in indices {
                assert!(seen.insert(index), "{params}: {index} is new");
                assert!(!seen.insert(index), "{params}: {index} is seen");
            }
        }
    }
}
