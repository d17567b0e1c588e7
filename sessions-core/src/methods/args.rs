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

impl Args {
    /// The arguments a JSON-RPC `params` holds, the one form in which every host carries
    /// them on its wire (the web host's requests, the farm's messages): an array is by
    /// position, an object by name (a key given twice keeps its last value, as in a
    /// [`ValueMap`]); `None` for anything else.
    pub fn from_params(params: Value) -> Option<Args> {
        match params {
            Value::Array(values) => Some(Args::Positional(values)),
            Value::Map(named) => Some(named.into()),
            _ => None,
        }
    }

    /// These arguments as JSON-RPC `params`: by position an array, by name an object (in
    /// the order given). [`from_params`](Self::from_params) reads it back.
    pub fn to_params_json(&self) -> String {
        let text = match self {
            Args::Positional(values) => serde_json::to_string(values),
            Args::Named(pairs) => serde_json::to_string(&NamedParams(pairs)),
        };
        // A `Value` always serializes (see `Value::to_json_string`).
        text.unwrap_or_else(|_| "[]".to_owned())
    }
}

/// Arguments by name, written as one JSON object in the order given.
struct NamedParams<'a>(&'a [(Cow<'static, str>, Value)]);

impl serde::Serialize for NamedParams<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            map.serialize_entry(name, value)?;
        }
        map.end()
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
