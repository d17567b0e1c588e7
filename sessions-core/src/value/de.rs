//! [`from_value`]: a `serde::Deserializer` that reads a [`Value`], with the range checks
//! and messages of [`FromValue`](super::FromValue).
//!
//! Type checks are made here, before serde's visitor sees the value, so that an error names
//! the Rust type (`expected u8, got int 300 (out of range for u8)`) and describes the value
//! found; each array element and map entry adds its place to the error's path.

use std::borrow::Cow;
use std::num::IntErrorKind;
use std::str::FromStr;

use serde::de::{
    self, DeserializeOwned, DeserializeSeed, EnumAccess, IntoDeserializer, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};

use super::error::{describe, expecting, mismatch, out_of_range, quoted};
use super::{Value, ValueError};

/// Converts a [`Value`] into any `T: Deserialize`, like `serde_json::from_value`.
///
/// Integers are range-checked (300 into a `u8`, -1 into a `u32` and 1.5 into an `i64` are
/// errors, never a wrap or a truncation); structs come from a `Map`, sequences, tuples and
/// arrays from an `Array`, enums as serde's external tagging writes them (a unit variant's
/// name, or a one-entry `Map` from the variant's name to its content). The error says where
/// inside the value the conversion failed, what was expected and what was found.
///
/// ```
/// use serde::Deserialize;
/// use sessions_core::{from_value, Value};
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct Point { x: i64, y: i64 }
///
/// let value = Value::from_json_str(r#"{"x": 1, "y": -2}"#)?;
/// assert_eq!(from_value::<Point>(value)?, Point { x: 1, y: -2 });
///
/// let value = Value::from_json_str(r#"[{"x": 1, "y": 2}, {"x": 1.5, "y": 2}]"#)?;
/// let err = from_value::<Vec<Point>>(value).unwrap_err();
/// assert_eq!(err.path(), "[1].x");
/// assert_eq!(err.to_string(), "at [1].x: expected i64, got float 1.5");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn from_value<T: DeserializeOwned>(value: Value) -> Result<T, ValueError> {
    deserialize_seed(std::marker::PhantomData::<T>, value)
        .map_err(|err| err.top_level(std::any::type_name::<T>()))
}

/// Fills in, on an error a visitor raised with only a message, what was found.
fn fill<T>(result: Result<T, ValueError>, found: impl FnOnce() -> String) -> Result<T, ValueError> {
    result.map_err(|err| {
        let err = if err.lacks_found() {
            err.with_found(found())
        } else {
            err
        };
        err.or_expected(|| "a valid value".to_owned())
    })
}

/// `n` as a `T`, if it is in `T`'s range.
#[inline(always)]
fn in_range<T: TryFrom<i64>>(n: i64) -> Option<T> {
    T::try_from(n).ok()
}

/// An `Int` or `UInt` whose number is in `T`'s range.
#[inline]
fn int<T: TryFrom<i64> + TryFrom<u64>>(value: &Value, name: &'static str) -> Result<T, ValueError> {
    let converted = match value {
        Value::Int(n) => T::try_from(*n).ok(),
        Value::UInt(n) => T::try_from(*n).ok(),
        _ => return Err(ValueError::new(name, value)),
    };
    converted.ok_or_else(|| out_of_range(name, value))
}

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

/// An `Int`, `UInt` or decimal `String` whose number is in `T`'s range (`i128`, `u128`).
fn wide_int<T>(value: &Value, name: &'static str) -> Result<T, ValueError>
where
    T: TryFrom<i64> + TryFrom<u64> + TryFrom<i128> + TryFrom<u128>,
{
    let converted = match value {
        Value::Int(n) => T::try_from(*n).ok(),
        Value::UInt(n) => T::try_from(*n).ok(),
        Value::String(text) => match parse_wide(text) {
            Ok(Wide::Signed(n)) => T::try_from(n).ok(),
            Ok(Wide::Unsigned(n)) => T::try_from(n).ok(),
            Err(reason) => {
                return Err(
                    ValueError::new(name, value).because(format_args!("{reason} for {name}"))
                )
            }
        },
        _ => return Err(ValueError::new(name, value)),
    };
    converted.ok_or_else(|| out_of_range(name, value))
}

/// What a value was, kept while it is consumed, to describe it when a `Deserialize` impl
/// refuses it after reading it (`let s = String::deserialize(d)?; s.parse()…`). Costs no
/// allocation, and is `Copy`, so keeping it costs no drop either.
#[derive(Clone, Copy)]
enum Summary {
    /// `null`.
    Null,
    /// A `bool`.
    Bool(bool),
    /// An `Int`.
    Int(i64),
    /// A `UInt`.
    UInt(u64),
    /// A `Float`.
    Float(f64),
    /// A string of this many bytes.
    Text(usize),
    /// Bytes, an array or a map: its kind and size.
    Sized(&'static str, usize, &'static str),
}

impl Summary {
    #[inline]
    fn of(value: &Value) -> Summary {
        match value {
            Value::Null => Summary::Null,
            Value::Bool(b) => Summary::Bool(*b),
            Value::Int(n) => Summary::Int(*n),
            Value::UInt(n) => Summary::UInt(*n),
            Value::Float(x) => Summary::Float(*x),
            Value::String(s) => Summary::Text(s.len()),
            Value::Bytes(b) => Summary::Sized("bytes", b.len(), "bytes"),
            Value::Array(items) => Summary::Sized("array", items.len(), "elements"),
            Value::Map(map) => Summary::Sized("map", map.len(), "entries"),
        }
    }

    /// Fills in what was found on an error that lacks it.
    #[cold]
    fn fill(self, err: ValueError) -> ValueError {
        if !err.lacks_found() {
            return err;
        }
        err.with_found(self.describe())
            .or_expected(|| "a valid value".to_owned())
    }

    /// What the value was, as an error says it.
    #[cold]
    fn describe(self) -> String {
        match self {
            Summary::Null => describe(&Value::Null),
            Summary::Bool(b) => describe(&Value::Bool(b)),
            Summary::Int(n) => describe(&Value::Int(n)),
            Summary::UInt(n) => describe(&Value::UInt(n)),
            Summary::Float(x) => describe(&Value::Float(x)),
            Summary::Text(len) => format!("string ({len} bytes)"),
            Summary::Sized(kind, len, unit) => format!("{kind} ({len} {unit})"),
        }
    }
}

/// Deserializes `value` with `seed`; an error that does not say what it found gets the
/// value's [`Summary`].
fn deserialize_seed<'de, T: DeserializeSeed<'de>>(
    seed: T,
    value: Value,
) -> Result<T::Value, ValueError> {
    let summary = Summary::of(&value);
    seed.deserialize(De(value)).map_err(|err| summary.fill(err))
}

/// The deserializer [`from_value`] runs: one `Value`, consumed.
struct De(Value);

impl De {
    /// An array's elements to `visitor`; elements it leaves unread are an error.
    fn visit_array<'de, V: Visitor<'de>>(
        items: Vec<Value>,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        let len = items.len();
        let mut seq = Seq {
            items: items.into_iter(),
            index: 0,
        };
        let output = fill(visitor.visit_seq(&mut seq), || {
            format!("array ({len} elements)")
        })?;
        if seq.items.len() > 0 {
            return Err(ValueError::found(
                format!("{} elements", seq.index),
                format!("array ({len} elements)"),
            ));
        }
        Ok(output)
    }

    /// A map's entries to `visitor`.
    fn visit_map<'de, V: Visitor<'de>>(
        map: super::ValueMap,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        let len = map.len();
        let mut entries = Map {
            entries: map.into_iter(),
            pending: None,
        };
        let output = fill(visitor.visit_map(&mut entries), || {
            format!("map ({len} entries)")
        })?;
        if entries.entries.len() > 0 {
            return Err(ValueError::found(
                "fewer entries",
                format!("map ({len} entries)"),
            ));
        }
        Ok(output)
    }

    /// Bytes as the array of their values.
    fn byte_values(bytes: Vec<u8>) -> Vec<Value> {
        bytes.into_iter().map(|b| Value::Int(b.into())).collect()
    }
}

macro_rules! deserialize_int {
    ($($method:ident $visit:ident $t:ident,)*) => {$(
        #[inline]
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            // The common case first: an `Int` in range. An `Int` owns nothing, so
            // forgetting the deserializer frees nothing; it skips `Value`'s drop glue,
            // a call the compiler cannot see is empty.
            if let Value::Int(n) = self.0 {
                if let Some(converted) = in_range::<$t>(n) {
                    std::mem::forget(self);
                    return fill(visitor.$visit(converted), || describe(&Value::Int(n)));
                }
            }
            match int::<$t>(&self.0, stringify!($t)) {
                Ok(n) => fill(visitor.$visit(n), || describe(&self.0)),
                Err(err) if self.0.as_i64().is_some() || self.0.as_u64().is_some() => {
                    De::out_of_range(self.0, visitor, err)
                }
                Err(err) => Err(err),
            }
        }
    )*};
}

impl De {
    /// An integer out of the range of the type a visitor asked for, which may stand for a
    /// wider one (serde reads an `isize` as an `i64`): the visitor decides, and its refusal
    /// is out of range for what it expects.
    #[cold]
    fn out_of_range<'de, V: Visitor<'de>>(
        value: Value,
        visitor: V,
        err: ValueError,
    ) -> Result<V::Value, ValueError> {
        let expected = expecting(&visitor);
        let read = match value {
            Value::Int(n) => visitor.visit_i64(n),
            Value::UInt(n) => visitor.visit_u64(n),
            _ => return Err(err),
        };
        read.map_err(|_: ValueError| {
            ValueError::new(expected.clone(), &value)
                .because(format_args!("out of range for {expected}"))
        })
    }
}

impl<'de> de::Deserializer<'de> for De {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Null => fill(visitor.visit_unit(), || "null".to_owned()),
            Value::Bool(b) => fill(visitor.visit_bool(b), || describe(&Value::Bool(b))),
            Value::Int(n) => fill(visitor.visit_i64(n), || describe(&Value::Int(n))),
            Value::UInt(n) => fill(visitor.visit_u64(n), || describe(&Value::UInt(n))),
            Value::Float(x) => fill(visitor.visit_f64(x), || describe(&Value::Float(x))),
            Value::String(s) => fill(visitor.visit_string(s), || "a string".to_owned()),
            Value::Bytes(b) => {
                let len = b.len();
                fill(visitor.visit_byte_buf(b), || format!("bytes ({len} bytes)"))
            }
            Value::Array(items) => De::visit_array(items, visitor),
            Value::Map(map) => De::visit_map(map, visitor),
        }
    }

    deserialize_int! {
        deserialize_i8 visit_i8 i8,
        deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64,
        deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64,
    }

    fn deserialize_i128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let n: i128 = wide_int(&self.0, "i128")?;
        fill(visitor.visit_i128(n), || describe(&self.0))
    }

    fn deserialize_u128<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let n: u128 = wide_int(&self.0, "u128")?;
        fill(visitor.visit_u128(n), || describe(&self.0))
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let x = match self.0 {
            Value::Float(x) => {
                let narrowed = x as f32;
                if x.is_finite() && narrowed.is_infinite() {
                    return Err(out_of_range("f32", &self.0));
                }
                narrowed
            }
            // Every i64 and u64 is within f32's range; only precision is lost.
            Value::Int(n) => n as f32,
            Value::UInt(n) => n as f32,
            _ => return Err(ValueError::new("f32", &self.0)),
        };
        let found = Summary::of(&self.0);
        // A number owns nothing: see `deserialize_int`.
        std::mem::forget(self);
        fill(visitor.visit_f32(x), || found.describe())
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let x = match self.0 {
            Value::Float(x) => x,
            // Rounds beyond 2^53, as `FromValue` documents.
            Value::Int(n) => n as f64,
            Value::UInt(n) => n as f64,
            _ => return Err(ValueError::new("f64", &self.0)),
        };
        let found = Summary::of(&self.0);
        // A number owns nothing: see `deserialize_int`.
        std::mem::forget(self);
        fill(visitor.visit_f64(x), || found.describe())
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Bool(b) => {
                // A `bool` owns nothing: see `deserialize_int`.
                std::mem::forget(self);
                fill(visitor.visit_bool(b), || describe(&Value::Bool(b)))
            }
            _ => Err(ValueError::new("bool", &self.0)),
        }
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        if let Value::String(s) = &self.0 {
            let mut chars = s.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                return fill(visitor.visit_char(c), || describe(&self.0));
            }
            return Err(ValueError::new("char", &self.0).because("not exactly one character"));
        }
        Err(ValueError::new("char", &self.0))
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match &self.0 {
            // Borrowed, so that a type parsed from text (a date, a UUID) that refuses it
            // gets the text in its error.
            Value::String(s) => {
                let expected = expecting(&visitor);
                let read = visitor
                    .visit_str(s)
                    .map_err(|err: ValueError| err.or_expected(|| expected));
                fill(read, || describe(&self.0))
            }
            _ => Err(mismatch(&visitor, &self.0)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::String(s) => fill(visitor.visit_string(s), || "a string".to_owned()),
            other => Err(mismatch(&visitor, &other)),
        }
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        self.deserialize_byte_buf(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Bytes(b) => {
                let len = b.len();
                fill(visitor.visit_byte_buf(b), || format!("bytes ({len} bytes)"))
            }
            Value::String(s) => fill(visitor.visit_string(s), || "a string".to_owned()),
            Value::Array(items) => De::visit_array(items, visitor),
            other => Err(mismatch(&visitor, &other)),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Null => fill(visitor.visit_none(), || "null".to_owned()),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Null => fill(visitor.visit_unit(), || "null".to_owned()),
            _ => Err(ValueError::new("()", &self.0)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Null => fill(visitor.visit_unit(), || "null".to_owned()),
            _ => Err(mismatch(&visitor, &self.0)),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Array(items) => De::visit_array(items, visitor),
            Value::Bytes(bytes) => De::visit_array(De::byte_values(bytes), visitor),
            other => Err(mismatch(&visitor, &other)),
        }
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        let items = match self.0 {
            Value::Array(items) => items,
            Value::Bytes(bytes) => De::byte_values(bytes),
            other => return Err(mismatch(&visitor, &other)),
        };
        if items.len() != len {
            let found = items.len();
            return Err(mismatch(&visitor, &Value::Array(items))
                .because(format_args!("{found} elements, not {len}")));
        }
        De::visit_array(items, visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        self.deserialize_tuple(len, visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Map(map) => De::visit_map(map, visitor),
            other => Err(mismatch(&visitor, &other)),
        }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::Map(map) => De::visit_map(map, visitor),
            Value::Array(items) => De::visit_array(items, visitor),
            other => Err(mismatch(&visitor, &other)),
        }
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::String(variant) => visitor.visit_enum(Enum {
                variant: Cow::Owned(variant),
                content: None,
            }),
            Value::Map(map) if map.len() == 1 => {
                let mut entries = map.into_iter();
                match entries.next() {
                    Some((variant, content)) => visitor.visit_enum(Enum {
                        variant,
                        content: Some(content),
                    }),
                    None => Err(ValueError::new(expecting(&visitor), &Value::Null)),
                }
            }
            other => Err(mismatch(&visitor, &other)
                .because("a variant is its name, or a map from its name to its content")),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        match self.0 {
            Value::String(s) => fill(visitor.visit_string(s), || "a string".to_owned()),
            Value::Int(_) | Value::UInt(_) => {
                let n: u64 = int(&self.0, "u64")?;
                fill(visitor.visit_u64(n), || describe(&self.0))
            }
            other => Err(mismatch(&visitor, &other)),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        drop(self);
        visitor.visit_unit()
    }
}

/// An array's elements, each deserialized with its index on its errors.
struct Seq {
    items: std::vec::IntoIter<Value>,
    index: usize,
}

impl<'de> SeqAccess<'de> for Seq {
    type Error = ValueError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, ValueError> {
        let Some(item) = self.items.next() else {
            return Ok(None);
        };
        let index = self.index;
        self.index += 1;
        deserialize_seed(seed, item)
            .map(Some)
            .map_err(|err| err.at_index(index))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.items.len())
    }
}

/// A map's entries, each value deserialized with its key on its errors.
struct Map {
    entries: std::vec::IntoIter<(Cow<'static, str>, Value)>,
    /// The entry whose key was just read.
    pending: Option<(Cow<'static, str>, Value)>,
}

impl<'de> MapAccess<'de> for Map {
    type Error = ValueError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, ValueError> {
        let Some((key, value)) = self.entries.next() else {
            return Ok(None);
        };
        let read = seed
            .deserialize(Key(&key))
            .map_err(|err| err.at_key(&key))?;
        self.pending = Some((key, value));
        Ok(Some(read))
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, ValueError> {
        let Some((key, value)) = self.pending.take() else {
            return Err(de::Error::custom(
                "a map value was read before its key (a bug in a `Deserialize` impl)",
            ));
        };
        deserialize_seed(seed, value).map_err(|err| err.at_key(&key))
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.entries.len())
    }
}

/// A map key: a string, also read as a number, `bool` or `char` (how `to_value` writes
/// such keys), or as a unit variant's name.
struct Key<'a>(&'a str);

impl Key<'_> {
    /// `string "text"`, for errors.
    fn found(&self) -> String {
        format!("string {}", quoted(self.0))
    }

    /// The key parsed as `T`, named `name`.
    fn parse<T: FromStr>(&self, name: &'static str) -> Result<T, ValueError> {
        self.0.parse().map_err(|_| {
            let reason = match self.0.parse::<f64>() {
                Ok(_) => format!("out of range for {name}"),
                Err(_) => format!("not a {name}"),
            };
            ValueError::found(name, self.found()).because(reason)
        })
    }
}

macro_rules! deserialize_key_number {
    ($($method:ident $visit:ident $t:ident,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
            let n: $t = self.parse(stringify!($t))?;
            fill(visitor.$visit(n), || self.found())
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Key<'_> {
    type Error = ValueError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        fill(visitor.visit_str(self.0), || self.found())
    }

    deserialize_key_number! {
        deserialize_i8 visit_i8 i8,
        deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64,
        deserialize_i128 visit_i128 i128,
        deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64,
        deserialize_u128 visit_u128 u128,
        deserialize_f32 visit_f32 f32,
        deserialize_f64 visit_f64 f64,
        deserialize_bool visit_bool bool,
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        let mut chars = self.0.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => fill(visitor.visit_char(c), || self.found()),
            _ => Err(ValueError::found("char", self.found()).because("not exactly one character")),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, ValueError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        let found = self.found();
        let key: de::value::StrDeserializer<'_, ValueError> = self.0.into_deserializer();
        fill(key.deserialize_enum(name, variants, visitor), || found)
    }

    serde::forward_to_deserialize_any! {
        str string bytes byte_buf unit unit_struct seq tuple tuple_struct map struct
        identifier ignored_any
    }
}

/// An enum: its variant's name, and its content unless it is a unit variant written as a
/// bare name.
struct Enum {
    variant: Cow<'static, str>,
    content: Option<Value>,
}

impl<'de> EnumAccess<'de> for Enum {
    type Error = ValueError;
    type Variant = Variant;

    fn variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<(T::Value, Variant), ValueError> {
        let read = seed.deserialize(Key(&self.variant))?;
        Ok((
            read,
            Variant {
                name: self.variant,
                content: self.content,
            },
        ))
    }
}

/// A variant's content, deserialized with the variant's name on its errors.
struct Variant {
    name: Cow<'static, str>,
    content: Option<Value>,
}

impl Variant {
    /// The content, or an error when there is none.
    fn content(self, expected: &'static str) -> Result<(Cow<'static, str>, Value), ValueError> {
        match self.content {
            Some(content) => Ok((self.name, content)),
            None => Err(ValueError::found(
                expected,
                format!("the bare variant name {}", quoted(&self.name)),
            )),
        }
    }
}

impl<'de> VariantAccess<'de> for Variant {
    type Error = ValueError;

    fn unit_variant(self) -> Result<(), ValueError> {
        match self.content {
            None | Some(Value::Null) => Ok(()),
            Some(other) => {
                Err(ValueError::new("a unit variant (no content)", &other).at_key(&self.name))
            }
        }
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(
        self,
        seed: T,
    ) -> Result<T::Value, ValueError> {
        let (name, content) = self.content("a variant with content")?;
        deserialize_seed(seed, content).map_err(|err| err.at_key(&name))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        let (name, content) = self.content("a tuple variant")?;
        de::Deserializer::deserialize_tuple(De(content), len, visitor)
            .map_err(|err| err.at_key(&name))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, ValueError> {
        let (name, content) = self.content("a struct variant")?;
        de::Deserializer::deserialize_struct(De(content), "", fields, visitor)
            .map_err(|err| err.at_key(&name))
    }
}

#[cfg(test)]
mod tests;
