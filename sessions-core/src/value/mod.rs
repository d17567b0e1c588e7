//! The dynamic [`Value`] that crosses the host boundary, and the two traits that convert
//! Rust values from it ([`FromValue`]) and into it ([`IntoValue`]), implemented for every
//! serde type.
//!
//! The conversions themselves are a serde `Deserializer` of a `Value` (`de.rs`,
//! [`from_value`]) and a `Serializer` into one (`ser.rs`, [`to_value`]); `From<T> for Value`
//! is in `into.rs`, `SessionId`'s serde form in `session_id.rs`, the error in `error.rs`, the
//! text form in `display.rs` and JSON in `json.rs`. With the feature `schema`, `schema.rs`
//! describes each type as JSON Schema (`no_schema.rs` stands in for it without).

use serde::de::DeserializeOwned;
use serde::Serialize;

mod de;
mod display;
mod error;
mod into;
mod json;
mod map;
#[cfg(not(feature = "schema"))]
mod no_schema;
mod scalar;
#[cfg(feature = "schema")]
pub(crate) mod schema;
mod ser;
mod session_id;

pub use de::from_value;
pub use error::ValueError;
pub use map::{ValueMap, ValueMapIter};
#[cfg(not(feature = "schema"))]
pub use no_schema::TypeSchema;
#[cfg(feature = "schema")]
pub use schema::{HasJsonSchema, NoJsonSchema, SchemaProbe, TypeSchema};
pub use ser::to_value;

/// A dynamic value: what a host passes to an exported method and gets back from it.
///
/// # Canonical integers
/// Every conversion in this crate writes an integer as [`Value::Int`] when it fits in an
/// `i64` (an `i32` of -1 is `Int(-1)`, a `u8` of 255 is `Int(255)`), and as
/// [`Value::UInt`] only when it is larger than `i64::MAX`. Equality is structural, so a
/// hand-built `UInt(1)` is not equal to `Int(1)`; reading either back with [`FromValue`]
/// gives the same number.
///
/// # Text form
/// [`Display`](std::fmt::Display) writes compact JSON-like text: `null`, `true`, `-3`,
/// `1.5` (a float always shows a fraction or an exponent, so `1.0` stays apart from `1`),
/// `"a \"quoted\" string"` with JSON escapes, `[1,2]`, `{"key":"value"}`. Two things are
/// not JSON: bytes are written as `b"` + two lowercase hex digits per byte + `"` (so
/// `Bytes(vec![0xca, 0xfe])` is `b"cafe"`), and non-finite floats as `NaN`, `inf`, `-inf`.
/// For real JSON use [`to_json_string`](Value::to_json_string).
///
/// ```
/// use sessions_core::Value;
///
/// let value = Value::Array(vec![Value::from(1), Value::from("two"), Value::Float(3.0)]);
/// assert_eq!(value.to_string(), r#"[1,"two",3.0]"#);
/// assert_eq!(value.kind(), "array");
/// assert_eq!(Value::from(u64::MAX), Value::UInt(u64::MAX));
/// ```
#[derive(Clone, Debug, PartialEq, Default)]
pub enum Value {
    /// No value: what `()` and `None` become.
    #[default]
    Null,
    /// A boolean.
    Bool(bool),
    /// A signed integer; every integer that fits in an `i64` is written this way.
    Int(i64),
    /// An unsigned integer larger than `i64::MAX` (see "Canonical integers").
    UInt(u64),
    /// A floating-point number, possibly NaN or infinite.
    Float(f64),
    /// A UTF-8 string.
    String(String),
    /// Raw bytes.
    Bytes(Vec<u8>),
    /// An ordered list of values.
    Array(Vec<Value>),
    /// String keys to values, in key order (see [`ValueMap`]).
    Map(ValueMap),
}

impl Value {
    /// The name of this value's variant, in lowercase: `"null"`, `"bool"`, `"int"`,
    /// `"uint"`, `"float"`, `"string"`, `"bytes"`, `"array"` or `"map"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::UInt(_) => "uint",
            Value::Float(_) => "float",
            Value::String(_) => "string",
            Value::Bytes(_) => "bytes",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
        }
    }

    /// Whether this is [`Value::Null`].
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The boolean, if this is a [`Value::Bool`].
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer, if this is an `Int`, or a `UInt` of at most `i64::MAX`.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            Value::UInt(n) => i64::try_from(*n).ok(),
            _ => None,
        }
    }

    /// The integer, if this is a `UInt`, or an `Int` that is not negative.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::UInt(n) => Some(*n),
            Value::Int(n) => u64::try_from(*n).ok(),
            _ => None,
        }
    }

    /// The number as an `f64`, if this is a `Float`, `Int` or `UInt`; an integer beyond
    /// 2^53 in magnitude is rounded to the nearest `f64`, as [`f64`'s `FromValue`](FromValue)
    /// does.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Float(x) => Some(*x),
            Value::Int(n) => Some(*n as f64),
            Value::UInt(n) => Some(*n as f64),
            _ => None,
        }
    }

    /// The string, if this is a [`Value::String`].
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes, if this is a [`Value::Bytes`].
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// The elements, if this is a [`Value::Array`].
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The entries, if this is a [`Value::Map`].
    pub fn as_map(&self) -> Option<&ValueMap> {
        match self {
            Value::Map(map) => Some(map),
            _ => None,
        }
    }

    /// The entry under `key`, if this is a [`Value::Map`] that has one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.as_map()?.get(key)
    }
}

/// Converts a [`Value`] that a host passed in into a Rust value.
///
/// Every *in* parameter of an `#[export_method]` function must implement it: the generated
/// wrapper calls `T::from_value` on the host's argument, and a failure becomes
/// `CallError::ArgType` before the function runs. It is implemented for every
/// `T: serde::Deserialize` (through [`from_value`]), so a user type needs only
/// `#[derive(serde::Deserialize)]`.
///
/// # What each type accepts
/// - **Integers** (`i8` … `i128`, `u8` … `u128`, `isize`, `usize`): an `Int` or a `UInt`
///   whose number is in the type's range. Anything out of range is an error (300 into a
///   `u8`, -1 into a `u32`), never a wrap or a truncating cast. Floats are rejected, even
///   integral ones, and so are strings, except that `i128` and `u128` also accept a
///   decimal `String`, which is how [`IntoValue`] writes them beyond 64 bits.
/// - **`f64`**: a `Float`, or an `Int`/`UInt`; an integer beyond 2^53 in magnitude is
///   rounded to the nearest `f64`.
/// - **`f32`**: the same, rounded to the nearest `f32`; a finite number beyond `f32`'s
///   range is an error rather than an infinity. NaN and infinities pass through.
/// - **`bool`**: a `Bool`. **`String`**: a `String`. **`char`**: a `String` of exactly one
///   character. **`()`**: `Null`.
/// - **`Option<T>`**: `Null` is `None`; anything else must be a `T`.
/// - **`Vec<T>`**, sets, tuples and arrays (`[T; N]`, `(A, B)`: exactly N elements): an
///   `Array` whose every element is a `T`, or `Bytes`, read as an array of the byte values
///   (so a `Vec<u8>` accepts both).
/// - **Maps** (`BTreeMap<K, T>`, `HashMap<K, T>`): a `Map` whose every value is a `T`; a
///   key is read from its string, also as a number, `bool` or `char` when `K` is one.
/// - **Structs**: a `Map` from field names to values (or an `Array` in field order);
///   **enums**: as serde tags them, by default a unit variant's name as a `String`, or a
///   one-entry `Map` from the variant's name to its content.
/// - Types that read themselves from text (`chrono`'s dates, `uuid`'s `Uuid`, …): a
///   `String` in their text form.
/// - **`SessionId`**: a `String` holding its 32 lowercase hex digits.
/// - **`Value`**: anything, unchanged, except that a hand-built `UInt` small enough to be
///   an `Int` comes back as that `Int` (see "Canonical integers" on [`Value`]).
///
/// A refused value is a [`ValueError`] that names what was expected and what was found,
/// and where inside the value: `at .points[1].x: expected i64, got float 1.5`.
///
/// ```
/// use serde::Deserialize;
/// use sessions_core::{FromValue, Value};
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct Point { x: i64, y: i64 }
///
/// let point = Point::from_value(Value::from_json_str(r#"{"x": 1, "y": 2}"#)?)?;
/// assert_eq!(point, Point { x: 1, y: 2 });
/// let err = Point::from_value(Value::from_json_str(r#"{"x": 1, "y": "two"}"#)?).unwrap_err();
/// assert_eq!(err.to_string(), r#"at .y: expected i64, got string "two""#);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Implementing it by hand
/// A type that does not implement `Deserialize` may implement `FromValue` itself: convert
/// through a type that already implements it, then check what is left; [`ValueError::new`]
/// describes the value that was refused.
///
/// ```
/// use sessions_core::{FromValue, IntoValue, Value, ValueError};
///
/// /// A temperature, never below absolute zero.
/// #[derive(Debug, PartialEq)]
/// struct Celsius(f64);
///
/// impl FromValue for Celsius {
///     fn from_value(value: Value) -> Result<Self, ValueError> {
///         let degrees = f64::from_value(value)?;
///         if degrees < -273.15 {
///             return Err(ValueError::new("Celsius", &Value::Float(degrees))
///                 .because("below absolute zero"));
///         }
///         Ok(Celsius(degrees))
///     }
/// }
///
/// impl IntoValue for Celsius {
///     fn into_value(self) -> Value {
///         Value::Float(self.0)
///     }
/// }
///
/// assert_eq!(Celsius::from_value(Value::Int(20)), Ok(Celsius(20.0)));
/// let err = Celsius::from_value(Value::Float(-300.0)).unwrap_err();
/// assert_eq!(err.to_string(), "expected Celsius, got float -300.0 (below absolute zero)");
/// assert_eq!(Celsius(21.5).into_value(), Value::Float(21.5));
/// ```
///
/// A type that implements neither does not convert:
///
/// ```compile_fail
/// use sessions_core::{FromValue, Value};
///
/// struct NotConvertible;
/// let _ = NotConvertible::from_value(Value::Null);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be passed in by a host: it does not implement `serde::Deserialize`",
    label = "a host's `Value` cannot be converted into `{Self}`",
    note = "add `#[derive(serde::Deserialize)]` to `{Self}` (for a type from another crate, see whether the crate has a `serde` feature), or implement `sessions_core::FromValue` for it",
    note = "a borrowed parameter such as `&str` or `&[T]` cannot come from a host: take `String` or `Vec<T>`; a `&mut T` parameter is an out parameter and needs `T: Serialize + Default` instead"
)]
pub trait FromValue: Sized {
    /// Converts `value`, or says what was expected and what was found.
    fn from_value(value: Value) -> Result<Self, ValueError>;

    /// A fast path for a host's argument that is an `Int`, a `Float` or a `Bool`: `Some`
    /// only when it is exactly what [`from_value`](Self::from_value) would return. The
    /// default is `None` (always take `from_value`); the impl for serde types overrides it.
    #[doc(hidden)]
    #[inline]
    fn from_scalar(value: &Value) -> Option<Self> {
        let _ = value;
        None
    }
}

// `do_not_recommend`: an error names `FromValue` (and its instructions), not serde's
// `DeserializeOwned`, with a list of every type that implements it.
#[diagnostic::do_not_recommend]
impl<T: DeserializeOwned> FromValue for T {
    #[inline]
    fn from_value(value: Value) -> Result<Self, ValueError> {
        from_value(value)
    }

    #[inline]
    fn from_scalar(value: &Value) -> Option<Self> {
        scalar::from_scalar(value)
    }
}

/// Converts a Rust value into a [`Value`] for a host.
///
/// The return value (or the `Ok` value) of an `#[export_method]` function and every out
/// parameter (`&mut T`) must implement it. It is implemented for every
/// `T: serde::Serialize` (through [`to_value`]), so a user type needs only
/// `#[derive(serde::Serialize)]`:
///
/// - integers become `Int` when they fit in an `i64`, else `UInt` when they fit in a
///   `u64`; an `i128`/`u128` that fits neither becomes a decimal `String` (which their
///   [`FromValue`] reads back);
/// - `f32` and `f64` become `Float`; `bool` becomes `Bool`;
/// - `String`, `&str` and `char` become `String`; a `SessionId` becomes the `String` of its
///   32 hex digits; types that write themselves as text (dates, UUIDs) become that text;
/// - `()` and `None` become `Null`, `Some(x)` becomes `x`'s value;
/// - sequences, sets, tuples and arrays become an `Array` (a `Vec<u8>` too: build
///   `Value::Bytes` yourself for raw bytes, or use `serde_bytes`); maps and structs become
///   a `Map` (a map key that is a number, `bool` or `char` becomes its text); enums as
///   serde tags them (by default a unit variant is its name, any other variant a one-entry
///   `Map` from its name to its content);
/// - a `Value` stays as it is (a hand-built `UInt` that fits in an `i64` becomes `Int`).
///
/// Writing fails only when a type's `Serialize` impl fails, or for a map key of another
/// kind (a tuple, a struct). A host call reports such a failure as the call's failure
/// (sentinels written, one log event, `CallOutcome::error` says why); [`to_value`] and
/// [`try_into_value`](Self::try_into_value) return it; [`into_value`](Self::into_value)
/// panics with it.
///
/// `Value` also implements `From` for the standard types, so `Value::from(x)` and
/// `x.into()` work too.
///
/// See [`FromValue`] for an implementation by hand, for a type that does not implement
/// `Serialize`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be given back to a host (as a return value or an out parameter): it does not implement `serde::Serialize`",
    label = "`{Self}` cannot be converted into a `Value`",
    note = "add `#[derive(serde::Serialize)]` to `{Self}` (for a type from another crate, see whether the crate has a `serde` feature), or implement `sessions_core::IntoValue` for it"
)]
pub trait IntoValue {
    /// Converts `self` into a [`Value`].
    ///
    /// # Panics
    /// For a serde type, panics when its `Serialize` impl fails (or a map key is neither a
    /// string nor a number, `bool` or `char`), as `serde_json::json!` does. Use
    /// [`try_into_value`](Self::try_into_value) or [`to_value`] to get the error instead.
    fn into_value(self) -> Value;

    /// Converts `self` into a [`Value`], or says why it cannot be written. The host call
    /// of an exported method uses this one.
    fn try_into_value(self) -> Result<Value, ValueError>
    where
        Self: Sized,
    {
        Ok(self.into_value())
    }
}

#[diagnostic::do_not_recommend]
impl<T: Serialize> IntoValue for T {
    #[inline]
    fn into_value(self) -> Value {
        match to_value(&self) {
            Ok(value) => value,
            Err(err) => panic!("{err} (use `sessions_core::to_value` to handle this error)"),
        }
    }

    #[inline]
    fn try_into_value(self) -> Result<Value, ValueError> {
        to_value(&self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_null() {
        assert_eq!(Value::default(), Value::Null);
        assert!(Value::default().is_null());
        assert!(!Value::Bool(false).is_null());
    }

    #[test]
    fn kind_names_each_variant() {
        let all = [
            (Value::Null, "null"),
            (Value::Bool(true), "bool"),
            (Value::Int(1), "int"),
            (Value::UInt(u64::MAX), "uint"),
            (Value::Float(1.0), "float"),
            (Value::String("s".into()), "string"),
            (Value::Bytes(vec![1]), "bytes"),
            (Value::Array(vec![]), "array"),
            (Value::Map(ValueMap::new()), "map"),
        ];
        for (value, kind) in all {
            assert_eq!(value.kind(), kind);
        }
    }

    #[test]
    fn accessors_read_only_their_variant() {
        assert_eq!(Value::Bool(true).as_bool(), Some(true));
        assert_eq!(Value::Int(1).as_bool(), None);

        assert_eq!(Value::Int(-5).as_i64(), Some(-5));
        assert_eq!(Value::UInt(7).as_i64(), Some(7));
        assert_eq!(Value::UInt(u64::MAX).as_i64(), None);
        assert_eq!(Value::Float(1.0).as_i64(), None);

        assert_eq!(Value::Int(5).as_u64(), Some(5));
        assert_eq!(Value::Int(-1).as_u64(), None);
        assert_eq!(Value::UInt(u64::MAX).as_u64(), Some(u64::MAX));

        assert_eq!(Value::Float(0.5).as_f64(), Some(0.5));
        assert_eq!(Value::Int(-2).as_f64(), Some(-2.0));
        assert_eq!(Value::String("1".into()).as_f64(), None);

        assert_eq!(Value::String("hi".into()).as_str(), Some("hi"));
        assert_eq!(Value::Bytes(b"hi".to_vec()).as_str(), None);
        assert_eq!(Value::Bytes(vec![1, 2]).as_bytes(), Some(&[1u8, 2][..]));
        assert_eq!(
            Value::Array(vec![Value::Null]).as_array(),
            Some(&[Value::Null][..])
        );
    }

    #[test]
    fn get_reads_a_map_entry() {
        let mut map = ValueMap::new();
        map.insert("a", Value::Int(1));
        let value = Value::Map(map);
        assert_eq!(value.get("a"), Some(&Value::Int(1)));
        assert_eq!(value.get("b"), None);
        assert_eq!(Value::Int(1).get("a"), None);
        assert_eq!(value.as_map().map(ValueMap::len), Some(1));
    }
}
