//! A call's arguments, by position or by name ([`Args`], JSON-RPC's two forms), and
//! [`ArgReader`], which a method's trampoline takes them from, one in parameter at a time.
//!
//! Everything wrong with the arguments is found before the function runs: too many, an
//! unknown or repeated name (when the reader is made), a missing one or one of the wrong
//! type (when its parameter is read, before any other code of the call runs).

use std::collections::BTreeMap;

use super::CallError;
use crate::{Value, ValueError};

/// The arguments of a call of an exported method: by position, or by parameter name.
///
/// Every call function takes `impl Into<Args>`: a `Vec<Value>` (by position) or a
/// `BTreeMap<String, Value>` (by name); [`Args::named`] keeps a name given twice, so the
/// call can refuse it. Trailing `Option` parameters may be left out by position, and any
/// `Option` parameter by name: they are `None`.
///
/// ```
/// use std::collections::BTreeMap;
/// use sessions_core::{export_method, methods, Args, Value};
///
/// /// Greets `name`, `times` times (once when left out).
/// #[export_method(session = none)]
/// fn greet(name: String, times: Option<u32>) -> String {
///     format!("hello {name}").repeat(times.unwrap_or(1) as usize)
/// }
///
/// let by_position = methods().call("greet", vec![Value::from("ada")])?;
/// let by_name = methods().call(
///     "greet",
///     BTreeMap::from([("name".to_owned(), Value::from("ada"))]),
/// )?;
/// assert_eq!(by_position, by_name);
/// assert_eq!(by_name.value, Value::from("hello ada"));
///
/// let twice = methods().call("greet", Args::named([("name", Value::from("a")), ("name", Value::from("b"))]));
/// assert_eq!(twice.unwrap_err().to_string(), "argument `name` of `greet` is given twice");
/// # Ok::<(), sessions_core::CallError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Args {
    /// In the order of the method's in parameters.
    Positional(Vec<Value>),
    /// By parameter name, in the order given.
    Named(Vec<(String, Value)>),
}

impl Args {
    /// Arguments by name, in the order given; a name given twice is kept, and refused by
    /// the call ([`CallError::RepeatedArgument`]).
    pub fn named<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Args {
        Args::Named(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// The number of arguments.
    pub fn len(&self) -> usize {
        match self {
            Args::Positional(values) => values.len(),
            Args::Named(pairs) => pairs.len(),
        }
    }

    /// Whether there is no argument.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Default for Args {
    /// No argument.
    fn default() -> Args {
        Args::Positional(Vec::new())
    }
}

impl From<Vec<Value>> for Args {
    fn from(values: Vec<Value>) -> Args {
        Args::Positional(values)
    }
}

impl From<BTreeMap<String, Value>> for Args {
    fn from(map: BTreeMap<String, Value>) -> Args {
        Args::Named(map.into_iter().collect())
    }
}

/// A call's arguments laid out by in parameter, taken one at a time by a trampoline.
pub struct ArgReader {
    method: &'static str,
    /// The number of in parameters.
    expected: usize,
    /// The arguments left to take, in parameter order: by position, the caller's own vector
    /// as it is (the common, fast case); by name, laid out by parameter, `null` where one
    /// was not given.
    values: std::vec::IntoIter<Value>,
    /// By name: which parameters were not given; `None` by position.
    missing: Option<Box<[bool]>>,
    /// How many arguments were given.
    given: usize,
}

impl ArgReader {
    /// Lays out `args` for the in parameters `params` of `method`: too many arguments, an
    /// unknown name or a repeated one is an error now.
    #[inline]
    pub fn new(
        method: &'static str,
        params: &'static [&'static str],
        args: Args,
    ) -> Result<ArgReader, CallError> {
        let (values, missing, given) = match args {
            Args::Positional(values) => {
                if values.len() > params.len() {
                    return Err(CallError::Arity {
                        method: method.to_owned(),
                        expected: params.len(),
                        got: values.len(),
                    });
                }
                let given = values.len();
                (values, None, given)
            }
            Args::Named(pairs) => {
                let given = pairs.len();
                let (values, missing) = by_name(method, params, pairs)?;
                (values, Some(missing.into_boxed_slice()), given)
            }
        };
        Ok(ArgReader {
            method,
            expected: params.len(),
            values: values.into_iter(),
            missing,
            given,
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
    ) -> Result<T, CallError> {
        let mut value = self.values.next();
        if self.missing.is_some() && !self.was_given() {
            value = None;
        }
        match value {
            Some(value) => convert(value).map_err(|error| self.wrong_type(param, ty, &error)),
            None => self.not_given(param, convert),
        }
    }

    /// By name: whether the parameter just taken was given (`null` stands in its place
    /// when it was not).
    #[cold]
    #[inline(never)]
    fn was_given(&self) -> bool {
        // The index of the parameter just taken: those before it are no longer in `values`.
        let index = self.expected.saturating_sub(self.values.len() + 1);
        let missing = self.missing.as_ref().and_then(|missing| missing.get(index));
        !missing.copied().unwrap_or(false)
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
        if self.missing.is_some() {
            CallError::MissingArgument {
                method: self.method.to_owned(),
                param: param.to_owned(),
            }
        } else {
            CallError::Arity {
                method: self.method.to_owned(),
                expected: self.expected,
                got: self.given,
            }
        }
    }

    /// `expected` is the parameter's type; `got` what was found, and where inside the
    /// argument when it is not the argument itself: `string "one" at .x (expected f64)`, or
    /// with the reason it was refused, `int 300 at .points[1].x (out of range for u8)`.
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

/// The named arguments laid out by parameter: the values (`null` where one is missing) and
/// which are missing.
fn by_name(
    method: &str,
    params: &[&str],
    pairs: Vec<(String, Value)>,
) -> Result<(Vec<Value>, Vec<bool>), CallError> {
    let mut slots: Vec<Option<Value>> = vec![None; params.len()];
    for (name, value) in pairs {
        let Some(index) = params.iter().position(|param| *param == name) else {
            return Err(CallError::UnknownArgument {
                method: method.to_owned(),
                param: name,
                params: params.iter().map(|p| (*p).to_owned()).collect(),
            });
        };
        if slots[index].is_some() {
            return Err(CallError::RepeatedArgument {
                method: method.to_owned(),
                param: name,
            });
        }
        slots[index] = Some(value);
    }
    let missing = slots.iter().map(Option::is_none).collect();
    let values = slots.into_iter().map(Option::unwrap_or_default).collect();
    Ok((values, missing))
}
