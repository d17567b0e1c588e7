//! `From<T> for Value` for the standard types, forwarding to [`IntoValue`] (whose rules are
//! on the trait); none of these conversions can fail.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use super::{IntoValue, Value};
use crate::SessionId;

// `impl<T: IntoValue> From<T> for Value` would overlap the standard `From<Value> for Value`,
// so each type gets its own.
macro_rules! from_for_value {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            #[doc = concat!("Converts a `", stringify!($t), "` as [`IntoValue`] does.")]
            fn from(x: $t) -> Value {
                x.into_value()
            }
        }
    )*};
}

from_for_value!(
    i8,
    i16,
    i32,
    i64,
    i128,
    isize,
    u8,
    u16,
    u32,
    u64,
    u128,
    usize,
    f32,
    f64,
    bool,
    String,
    char,
    (),
    SessionId
);

impl From<&str> for Value {
    /// Converts a `&str` as [`IntoValue`] does.
    fn from(x: &str) -> Value {
        x.into_value()
    }
}

impl<T: IntoValue> From<Option<T>> for Value {
    /// Converts an `Option` as [`IntoValue`] does: `None` is `Null`.
    fn from(x: Option<T>) -> Value {
        x.map_or(Value::Null, T::into_value)
    }
}

impl<T: IntoValue> From<Vec<T>> for Value {
    /// Converts a `Vec` as [`IntoValue`] does: an `Array`.
    fn from(x: Vec<T>) -> Value {
        Value::Array(x.into_iter().map(T::into_value).collect())
    }
}

impl<T: IntoValue> From<BTreeMap<String, T>> for Value {
    /// Converts a map as [`IntoValue`] does: a `Map`.
    fn from(x: BTreeMap<String, T>) -> Value {
        Value::Map(x.into_iter().map(|(k, v)| (k, v.into_value())).collect())
    }
}

impl<T: IntoValue, S: BuildHasher> From<HashMap<String, T, S>> for Value {
    /// Converts a map as [`IntoValue`] does: a `Map`.
    fn from(x: HashMap<String, T, S>) -> Value {
        Value::Map(x.into_iter().map(|(k, v)| (k, v.into_value())).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ValueMap;

    #[test]
    fn integers_are_int_when_they_fit_in_i64() {
        assert_eq!((-1i32).into_value(), Value::Int(-1));
        assert_eq!(255u8.into_value(), Value::Int(255));
        assert_eq!(i64::MIN.into_value(), Value::Int(i64::MIN));
        assert_eq!(
            u64::try_from(i64::MAX).map(IntoValue::into_value),
            Ok(Value::Int(i64::MAX))
        );
        assert_eq!(usize::MIN.into_value(), Value::Int(0));
        assert_eq!(isize::MIN.into_value(), Value::Int(isize::MIN as i64));
        assert_eq!(i128::from(i64::MIN).into_value(), Value::Int(i64::MIN));
        assert_eq!(
            u128::from(u32::MAX).into_value(),
            Value::Int(u32::MAX.into())
        );
    }

    #[test]
    fn only_large_unsigned_values_are_uint() {
        assert_eq!(u64::MAX.into_value(), Value::UInt(u64::MAX));
        let just_past = i64::MAX as u64 + 1;
        assert_eq!(just_past.into_value(), Value::UInt(just_past));
        assert_eq!(usize::MAX.into_value(), Value::UInt(usize::MAX as u64));
        assert_eq!(u128::from(u64::MAX).into_value(), Value::UInt(u64::MAX));
        assert_eq!(i128::from(u64::MAX).into_value(), Value::UInt(u64::MAX));
    }

    #[test]
    fn wide_integers_beyond_64_bits_are_decimal_text() {
        assert_eq!(
            u128::MAX.into_value(),
            Value::String("340282366920938463463374607431768211455".into())
        );
        assert_eq!(
            i128::MIN.into_value(),
            Value::String("-170141183460469231731687303715884105728".into())
        );
        assert_eq!(
            (i128::from(i64::MIN) - 1).into_value(),
            Value::String("-9223372036854775809".into())
        );
    }

    #[test]
    fn other_types() {
        assert_eq!(1.5f32.into_value(), Value::Float(1.5));
        assert_eq!(f64::INFINITY.into_value(), Value::Float(f64::INFINITY));
        assert_eq!(true.into_value(), Value::Bool(true));
        assert_eq!("hé".into_value(), Value::String("hé".into()));
        assert_eq!(String::from("x").into_value(), Value::String("x".into()));
        assert_eq!('€'.into_value(), Value::String("€".into()));
        assert_eq!(().into_value(), Value::Null);
        assert_eq!(None::<u8>.into_value(), Value::Null);
        assert_eq!(Some(3u8).into_value(), Value::Int(3));
        assert_eq!(Value::Bytes(vec![1]).into_value(), Value::Bytes(vec![1]));
        assert_eq!(
            vec![Some(1u8), None].into_value(),
            Value::Array(vec![Value::Int(1), Value::Null])
        );
    }

    #[test]
    fn maps() {
        let mut tree = BTreeMap::new();
        tree.insert("b".to_string(), u64::MAX);
        tree.insert("a".to_string(), 1);
        let expected = Value::Map(ValueMap::from([
            ("a", Value::Int(1)),
            ("b", Value::UInt(u64::MAX)),
        ]));
        assert_eq!(tree.clone().into_value(), expected);
        let hash: HashMap<String, u64> = tree.into_iter().collect();
        assert_eq!(hash.into_value(), expected);
    }

    #[test]
    fn from_forwards_to_into_value() {
        assert_eq!(Value::from(-1i8), Value::Int(-1));
        assert_eq!(Value::from(u64::MAX), Value::UInt(u64::MAX));
        assert_eq!(Value::from("s"), Value::String("s".into()));
        assert_eq!(Value::from(None::<bool>), Value::Null);
        assert_eq!(Value::from(vec![1u16]), Value::Array(vec![Value::Int(1)]));
        assert_eq!(Value::from(()), Value::Null);
        let into: Value = 2.5f64.into();
        assert_eq!(into, Value::Float(2.5));
    }

    #[test]
    fn session_id_is_its_hex_text() {
        let text = "0123456789abcdef0123456789abcdef";
        let id: SessionId = text.parse().expect("a valid id");
        assert_eq!(id.into_value(), Value::String(text.into()));
        assert_eq!(Value::from(id), Value::String(text.into()));
    }
}
