//! The fast path of an in parameter read from a number or a `bool` (most arguments): the
//! type's `Deserialize` is given the scalar alone, through a deserializer whose error
//! costs nothing. When the type takes it, no `Value` is moved or dropped and no error is
//! prepared; when it does not (a number out of range, a type that wants a string), the
//! full conversion runs and says why.

use std::fmt;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};

use super::Value;

/// `value` as a `T`, if it is an `Int`, a `Float` or a `Bool` that `T` takes as it is;
/// `None` sends the caller to [`from_value`](super::from_value), which gives the same
/// result for every value this accepts.
#[inline]
pub(crate) fn from_scalar<T: DeserializeOwned>(value: &Value) -> Option<T> {
    let scalar = match *value {
        Value::Int(n) => Scalar::Int(n),
        Value::Float(x) => Scalar::Float(x),
        Value::Bool(b) => Scalar::Bool(b),
        _ => return None,
    };
    T::deserialize(scalar).ok()
}

/// A scalar as a deserializer: every request is answered with what it is, except that an
/// `f32` out of range is refused (as `from_value` refuses it) and an `Option` is `Some`.
#[derive(Clone, Copy)]
enum Scalar {
    Int(i64),
    Float(f64),
    Bool(bool),
}

/// Refused; `from_value` will say why.
#[derive(Debug)]
pub(crate) struct NotTaken;

impl fmt::Display for NotTaken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("not taken on the fast path")
    }
}

impl std::error::Error for NotTaken {}

impl de::Error for NotTaken {
    #[inline]
    fn custom<T: fmt::Display>(_: T) -> Self {
        NotTaken
    }
}

impl<'de> Deserializer<'de> for Scalar {
    type Error = NotTaken;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotTaken> {
        match self {
            Scalar::Int(n) => visitor.visit_i64(n),
            Scalar::Float(x) => visitor.visit_f64(x),
            Scalar::Bool(b) => visitor.visit_bool(b),
        }
    }

    #[inline]
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotTaken> {
        match self {
            // A finite `f64` beyond `f32`'s range would become an infinity.
            Scalar::Float(x) if x.is_finite() && (x as f32).is_infinite() => Err(NotTaken),
            _ => self.deserialize_any(visitor),
        }
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, NotTaken> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::{from_value, ValueError};

    /// The fast path agrees with `from_value` wherever it answers (compared as debug
    /// text, so that NaN agrees with NaN).
    fn agrees<T: DeserializeOwned + fmt::Debug>(value: Value) {
        if let Some(fast) = from_scalar::<T>(&value) {
            let slow = from_value::<T>(value.clone());
            assert_eq!(
                format!("{:?}", Ok::<T, ValueError>(fast)),
                format!("{slow:?}"),
                "{value:?}"
            );
        }
    }

    #[test]
    fn takes_what_from_value_takes_and_nothing_else() {
        let values = [
            Value::Int(300),
            Value::Int(-1),
            Value::Int(i64::MIN),
            Value::Float(1.5),
            Value::Float(1e300),
            Value::Float(f64::NAN),
            Value::Bool(true),
        ];
        for value in values {
            agrees::<u8>(value.clone());
            agrees::<u32>(value.clone());
            agrees::<i64>(value.clone());
            agrees::<i128>(value.clone());
            agrees::<f32>(value.clone());
            agrees::<bool>(value.clone());
            agrees::<Option<i64>>(value.clone());
            agrees::<String>(value.clone());
            agrees::<Value>(value.clone());
        }
        assert_eq!(from_scalar::<u8>(&Value::Int(255)), Some(255));
        assert_eq!(from_scalar::<u8>(&Value::Int(256)), None);
        assert_eq!(from_scalar::<f32>(&Value::Float(1e300)), None);
        assert_eq!(from_scalar::<f64>(&Value::Int(3)), Some(3.0));
        assert_eq!(from_scalar::<Option<i64>>(&Value::Int(3)), Some(Some(3)));
        assert_eq!(from_scalar::<i64>(&Value::String("3".into())), None);
    }
}
