//! A call's arguments, by position or by name: [`Args`], JSON-RPC's two forms. A
//! trampoline reads them with `reader.rs`'s `ArgReader`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::{Value, ValueMap};

/// The arguments of a call of an exported method: by position, or by parameter name.
///
/// Every call function takes `impl Into<Args>`: a `Vec<Value>` (by position) or a
/// `BTreeMap<String, Value>` or a [`ValueMap`] (by name); [`Args::named`] keeps a name given twice, so the
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
    /// By parameter name, in the order given. A name is borrowed when it is a
    /// `&'static str` (written in the program), owned when it came from elsewhere.
    Named(Vec<(Cow<'static, str>, Value)>),
}

impl Args {
    /// Arguments by name, in the order given; a name given twice is kept, and refused by
    /// the call ([`CallError::RepeatedArgument`](crate::CallError::RepeatedArgument)).
    ///
    /// A name is a `&'static str` (no allocation) or a `String`.
    pub fn named<K: Into<Cow<'static, str>>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Args {
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
        Args::Named(map.into_iter().map(|(k, v)| (Cow::Owned(k), v)).collect())
    }
}

impl From<ValueMap> for Args {
    /// The entries of a [`Value::Map`] (a JSON-RPC `params` object) as arguments by name.
    fn from(map: ValueMap) -> Args {
        Args::Named(map.into_iter().collect())
    }
}
