//! [`FromValue`] for the standard types; the rules are on the trait.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;
use std::num::IntErrorKind;

use super::{FromValue, Value, ValueError};
use crate::SessionId;

fn out_of_range(expected: &'static str, value: &Value) -> ValueError {
    ValueError::new(expected, value).because(format_args!("out of range for {expected}"))
}

macro_rules! from_value_int {
    ($($t:ident)*) => {$(
        impl FromValue for $t {
            #[inline]
            fn from_value(value: Value) -> Result<Self, ValueError> {
                let converted = match &value {
                    Value::Int(n) => $t::try_from(*n).ok(),
                    Value::UInt(n) => $t::try_from(*n).ok(),
                    _ => return Err(ValueError::new(stringify!($t), &value)),
                };
                converted.ok_or_else(|| out_of_range(stringify!($t), &value))
            }
        }
    )*};
}

from_value_int!(i8 i16 i32 i64 isize u8 u16 u32 u64 usize);

/// A decimal integer read from a string, before it is narrowed to `i128` or `u128`.
enum Wide {
    Signed(i128),
    Unsigned(u128),
}

/// Reads a decimal integer of up to 128 bits, or says why the text is not one.
fn parse_wide(text: &str) -> Result<Wide, &'static str> {
    let signed = match text.parse::<i128>() {
        Ok(n) => return Ok(Wide::Signed(n)),
        Err(err) => err,
    };
    match text.parse::<u128>() {
        Ok(n) => Ok(Wide::Unsigned(n)),
        Err(err) if *err.kind() == IntErrorKind::PosOverflow => Err("out of range"),
        Err(_) if *signed.kind() == IntErrorKind::NegOverflow => Err("out of range"),
        Err(_) => Err("not a decimal integer"),
    }
}

macro_rules! from_value_wide_int {
    ($($t:ident)*) => {$(
        impl FromValue for $t {
            #[inline]
            fn from_value(value: Value) -> Result<Self, ValueError> {
                let converted = match &value {
                    Value::Int(n) => $t::try_from(*n).ok(),
                    Value::UInt(n) => $t::try_from(*n).ok(),
                    Value::String(text) => match parse_wide(text) {
                        Ok(Wide::Signed(n)) => $t::try_from(n).ok(),
                        Ok(Wide::Unsigned(n)) => $t::try_from(n).ok(),
                        Err(reason) => {
                            return Err(ValueError::new(stringify!($t), &value).because(
                                format_args!("{reason} for {}", stringify!($t)),
                            ))
                        }
                    },
                    _ => return Err(ValueError::new(stringify!($t), &value)),
                };
                converted.ok_or_else(|| out_of_range(stringify!($t), &value))
            }
        }
    )*};
}

from_value_wide_int!(i128 u128);

impl FromValue for f64 {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Float(x) => Ok(x),
            // Rounds beyond 2^53, as the trait documents.
            Value::Int(n) => Ok(n as f64),
            Value::UInt(n) => Ok(n as f64),
            other => Err(ValueError::new("f64", &other)),
        }
    }
}

impl FromValue for f32 {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Float(x) => {
                let narrowed = x as f32;
                if x.is_finite() && narrowed.is_infinite() {
                    Err(out_of_range("f32", &value))
                } else {
                    Ok(narrowed)
                }
            }
            // Every i64 and u64 is within f32's range; only precision is lost.
            Value::Int(n) => Ok(n as f32),
            Value::UInt(n) => Ok(n as f32),
            other => Err(ValueError::new("f32", &other)),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Bool(b) => Ok(b),
            other => Err(ValueError::new("bool", &other)),
        }
    }
}

impl FromValue for String {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::String(s) => Ok(s),
            other => Err(ValueError::new("String", &other)),
        }
    }
}

impl FromValue for char {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        if let Value::String(s) = &value {
            let mut chars = s.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                return Ok(c);
            }
            return Err(ValueError::new("char", &value).because("not exactly one character"));
        }
        Err(ValueError::new("char", &value))
    }
}

impl FromValue for () {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Null => Ok(()),
            other => Err(ValueError::new("()", &other)),
        }
    }
}

impl FromValue for Value {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        Ok(value)
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl<T: FromValue> FromValue for Vec<T> {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        let element = |(i, item)| T::from_value(item).map_err(|err| err.at_index(i));
        match value {
            Value::Array(items) => items.into_iter().enumerate().map(element).collect(),
            Value::Bytes(bytes) => bytes
                .into_iter()
                .map(|b| Value::Int(i64::from(b)))
                .enumerate()
                .map(element)
                .collect(),
            other => Err(ValueError::new("Vec<_>", &other)),
        }
    }
}

/// Converts every entry of a map, naming the key of the first that fails.
fn map_entries<T: FromValue, M: FromIterator<(String, T)>>(
    value: Value,
    expected: &'static str,
) -> Result<M, ValueError> {
    match value {
        Value::Map(map) => map
            .into_iter()
            .map(|(key, item)| match T::from_value(item) {
                Ok(item) => Ok((key, item)),
                Err(err) => Err(err.at_key(&key)),
            })
            .collect(),
        other => Err(ValueError::new(expected, &other)),
    }
}

impl<T: FromValue> FromValue for BTreeMap<String, T> {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        map_entries(value, "BTreeMap<String, _>")
    }
}

impl<T: FromValue, S: BuildHasher + Default> FromValue for HashMap<String, T, S> {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        map_entries(value, "HashMap<String, _>")
    }
}

impl FromValue for SessionId {
    fn from_value(value: Value) -> Result<Self, ValueError> {
        match &value {
            Value::String(text) => text
                .parse()
                .map_err(|err| ValueError::new("SessionId", &value).because(err)),
            _ => Err(ValueError::new("SessionId", &value)),
        }
    }
}

#[cfg(test)]
mod tests;
