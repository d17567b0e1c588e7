//! [`to_value`]: a `serde::Serializer` whose output is a [`Value`].
//!
//! Serde's data model maps onto `Value` as serde_json maps it onto JSON: structs and maps
//! become `Map`, sequences, tuples and arrays `Array`, `None` and `()` `Null`, a unit variant
//! its name, any other variant a one-entry `Map` from its name to its content (serde's
//! external tagging; `#[serde(tag = …)]` and `untagged` work as they do with JSON). Integers
//! are canonical (see [`Value`]); bytes become `Bytes`; map keys must be strings, or
//! integers, `bool`s, `char`s or unit variants, written as their text.

use std::borrow::Cow;
use std::fmt::Display;

use serde::ser::{self, Impossible, Serialize};

use super::{Value, ValueError, ValueMap};

/// Converts any `T: Serialize` into a [`Value`], like `serde_json::to_value`.
///
/// Fails when `T`'s `Serialize` impl fails, or when a map key is neither a string nor a
/// number, `bool`, `char` or unit variant; the error names the type and where in it.
///
/// ```
/// use std::collections::BTreeMap;
/// use serde::Serialize;
/// use sessions_core::{to_value, Value, ValueMap};
///
/// #[derive(Serialize)]
/// struct Point { x: i64, y: i64 }
///
/// let value = to_value(&Point { x: 1, y: -2 })?;
/// assert_eq!(value, Value::Map(ValueMap::from([
///     ("x", Value::Int(1)),
///     ("y", Value::Int(-2)),
/// ])));
/// assert_eq!(to_value(&u64::MAX)?, Value::UInt(u64::MAX));
///
/// // A map key that is not a string or a number cannot be written.
/// let err = to_value(&BTreeMap::from([((1, 2), "a")])).unwrap_err();
/// assert!(err.to_string().starts_with("cannot convert BTreeMap<(i32, i32), &str> into a Value"), "{err}");
/// # Ok::<(), sessions_core::ValueError>(())
/// ```
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<Value, ValueError> {
    value
        .serialize(ValueSerializer)
        .map_err(|err| err.top_level(std::any::type_name::<T>()))
}

impl ser::Error for ValueError {
    fn custom<T: Display>(msg: T) -> Self {
        ValueError::to_value(msg)
    }
}

/// `Int` when it fits in an `i64`, else `UInt`.
pub(super) fn canonical_u64(n: u64) -> Value {
    i64::try_from(n).map_or(Value::UInt(n), Value::Int)
}

/// `Int`, else `UInt`, else decimal text.
pub(super) fn canonical_i128(n: i128) -> Value {
    if let Ok(n) = i64::try_from(n) {
        Value::Int(n)
    } else if let Ok(n) = u64::try_from(n) {
        Value::UInt(n)
    } else {
        Value::String(n.to_string())
    }
}

/// `Int`, else `UInt`, else decimal text.
pub(super) fn canonical_u128(n: u128) -> Value {
    match u64::try_from(n) {
        Ok(n) => canonical_u64(n),
        Err(_) => Value::String(n.to_string()),
    }
}

/// The serializer [`to_value`] runs.
struct ValueSerializer;

impl ser::Serializer for ValueSerializer {
    type Ok = Value;
    type Error = ValueError;
    type SerializeSeq = SeqSerializer;
    type SerializeTuple = SeqSerializer;
    type SerializeTupleStruct = SeqSerializer;
    type SerializeTupleVariant = VariantSerializer<SeqSerializer>;
    type SerializeMap = MapSerializer;
    type SerializeStruct = MapSerializer;
    type SerializeStructVariant = VariantSerializer<MapSerializer>;

    fn serialize_bool(self, v: bool) -> Result<Value, ValueError> {
        Ok(Value::Bool(v))
    }

    fn serialize_i8(self, v: i8) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i16(self, v: i16) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i32(self, v: i32) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_i64(self, v: i64) -> Result<Value, ValueError> {
        Ok(Value::Int(v))
    }

    fn serialize_i128(self, v: i128) -> Result<Value, ValueError> {
        Ok(canonical_i128(v))
    }

    fn serialize_u8(self, v: u8) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u16(self, v: u16) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u32(self, v: u32) -> Result<Value, ValueError> {
        Ok(Value::Int(v.into()))
    }

    fn serialize_u64(self, v: u64) -> Result<Value, ValueError> {
        Ok(canonical_u64(v))
    }

    fn serialize_u128(self, v: u128) -> Result<Value, ValueError> {
        Ok(canonical_u128(v))
    }

    fn serialize_f32(self, v: f32) -> Result<Value, ValueError> {
        Ok(Value::Float(v.into()))
    }

    fn serialize_f64(self, v: f64) -> Result<Value, ValueError> {
        Ok(Value::Float(v))
    }

    fn serialize_char(self, v: char) -> Result<Value, ValueError> {
        Ok(Value::String(v.to_string()))
    }

    fn serialize_str(self, v: &str) -> Result<Value, ValueError> {
        Ok(Value::String(v.to_owned()))
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<Value, ValueError> {
        Ok(Value::Bytes(v.to_vec()))
    }

    fn serialize_none(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Value, ValueError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_unit_struct(self, _name: &'static str) -> Result<Value, ValueError> {
        Ok(Value::Null)
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Value, ValueError> {
        Ok(Value::String(variant.to_owned()))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Value, ValueError> {
        let inner = value
            .serialize(ValueSerializer)
            .map_err(|err| err.at_key(variant))?;
        Ok(Value::Map(ValueMap::from([(
            Cow::Borrowed(variant),
            inner,
        )])))
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<SeqSerializer, ValueError> {
        Ok(SeqSerializer::with_capacity(len.unwrap_or(0)))
    }

    fn serialize_tuple(self, len: usize) -> Result<SeqSerializer, ValueError> {
        Ok(SeqSerializer::with_capacity(len))
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqSerializer, ValueError> {
        Ok(SeqSerializer::with_capacity(len))
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSerializer<SeqSerializer>, ValueError> {
        Ok(VariantSerializer {
            variant,
            inner: SeqSerializer::with_capacity(len),
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<MapSerializer, ValueError> {
        Ok(MapSerializer::with_capacity(len.unwrap_or(0)))
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<MapSerializer, ValueError> {
        Ok(MapSerializer::with_capacity(len))
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<VariantSerializer<MapSerializer>, ValueError> {
        Ok(VariantSerializer {
            variant,
            inner: MapSerializer::with_capacity(len),
        })
    }
}

/// The elements of a sequence, tuple or tuple struct.
struct SeqSerializer {
    items: Vec<Value>,
}

impl SeqSerializer {
    fn with_capacity(len: usize) -> Self {
        // A length hint comes from the value itself, but cap it all the same.
        SeqSerializer {
            items: Vec::with_capacity(len.min(4096)),
        }
    }

    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let index = self.items.len();
        let item = value
            .serialize(ValueSerializer)
            .map_err(|err| err.at_index(index))?;
        self.items.push(item);
        Ok(())
    }
}

impl ser::SerializeSeq for SeqSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Array(self.items))
    }
}

impl ser::SerializeTuple for SeqSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Array(self.items))
    }
}

impl ser::SerializeTupleStruct for SeqSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        self.push(value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Array(self.items))
    }
}

/// The entries of a map or struct.
#[derive(Default)]
struct MapSerializer {
    /// In the order written; sorted once, at the end (inserting one by one into the map
    /// would be quadratic).
    entries: Vec<(Cow<'static, str>, Value)>,
    /// A key written by `serialize_key`, waiting for its value.
    key: Option<Cow<'static, str>>,
}

impl MapSerializer {
    /// Room for `len` entries, as the `Serialize` impl announced (at most 1024: the
    /// announcement is a hint, and a wrong one must not reserve gigabytes).
    fn with_capacity(len: usize) -> MapSerializer {
        MapSerializer {
            entries: Vec::with_capacity(len.min(1024)),
            key: None,
        }
    }

    fn insert<T: Serialize + ?Sized>(
        &mut self,
        key: Cow<'static, str>,
        value: &T,
    ) -> Result<(), ValueError> {
        let item = value
            .serialize(ValueSerializer)
            .map_err(|err| err.at_key(&key))?;
        self.entries.push((key, item));
        Ok(())
    }
}

impl ser::SerializeMap for MapSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ValueError> {
        self.key = Some(Cow::Owned(key.serialize(KeySerializer)?));
        Ok(())
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let Some(key) = self.key.take() else {
            return Err(ser::Error::custom(
                "a map value was written without a key (a bug in a `Serialize` impl)",
            ));
        };
        self.insert(key, value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Map(ValueMap::from_unsorted(self.entries)))
    }
}

impl ser::SerializeStruct for MapSerializer {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        // A field name is static: the key is borrowed, not allocated.
        self.insert(Cow::Borrowed(key), value)
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Value::Map(ValueMap::from_unsorted(self.entries)))
    }
}

/// A tuple or struct variant: its content, under its name.
struct VariantSerializer<S> {
    variant: &'static str,
    inner: S,
}

impl<S> VariantSerializer<S> {
    fn wrap(variant: &'static str, inner: Value) -> Value {
        Value::Map(ValueMap::from([(Cow::Borrowed(variant), inner)]))
    }
}

impl ser::SerializeTupleVariant for VariantSerializer<SeqSerializer> {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ValueError> {
        let variant = self.variant;
        self.inner.push(value).map_err(|err| err.at_key(variant))
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Self::wrap(self.variant, Value::Array(self.inner.items)))
    }
}

impl ser::SerializeStructVariant for VariantSerializer<MapSerializer> {
    type Ok = Value;
    type Error = ValueError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ValueError> {
        let variant = self.variant;
        self.inner
            .insert(Cow::Borrowed(key), value)
            .map_err(|err| err.at_key(variant))
    }

    fn end(self) -> Result<Value, ValueError> {
        Ok(Self::wrap(
            self.variant,
            Value::Map(ValueMap::from_unsorted(self.inner.entries)),
        ))
    }
}

/// A map key: a string, or a number, `bool`, `char` or unit variant written as its text
/// (as serde_json writes them).
struct KeySerializer;

/// The error for a key of another kind.
fn bad_key(kind: &str) -> ValueError {
    ser::Error::custom(format_args!(
        "a map key must be a string, a number, a bool or a char, not {kind}"
    ))
}

impl ser::Serializer for KeySerializer {
    type Ok = String;
    type Error = ValueError;
    type SerializeSeq = Impossible<String, ValueError>;
    type SerializeTuple = Impossible<String, ValueError>;
    type SerializeTupleStruct = Impossible<String, ValueError>;
    type SerializeTupleVariant = Impossible<String, ValueError>;
    type SerializeMap = Impossible<String, ValueError>;
    type SerializeStruct = Impossible<String, ValueError>;
    type SerializeStructVariant = Impossible<String, ValueError>;

    fn serialize_bool(self, v: bool) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i8(self, v: i8) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i16(self, v: i16) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i32(self, v: i32) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i64(self, v: i64) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_i128(self, v: i128) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u8(self, v: u8) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u16(self, v: u16) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u32(self, v: u32) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u64(self, v: u64) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_u128(self, v: u128) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_f32(self, v: f32) -> Result<String, ValueError> {
        self.serialize_f64(v.into())
    }

    fn serialize_f64(self, v: f64) -> Result<String, ValueError> {
        if v.is_finite() {
            Ok(format!("{v:?}"))
        } else {
            Err(bad_key("a float that is not finite"))
        }
    }

    fn serialize_char(self, v: char) -> Result<String, ValueError> {
        Ok(v.to_string())
    }

    fn serialize_str(self, v: &str) -> Result<String, ValueError> {
        Ok(v.to_owned())
    }

    fn serialize_bytes(self, _v: &[u8]) -> Result<String, ValueError> {
        Err(bad_key("bytes"))
    }

    fn serialize_none(self) -> Result<String, ValueError> {
        Err(bad_key("None"))
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<String, ValueError> {
        value.serialize(self)
    }

    fn serialize_unit(self) -> Result<String, ValueError> {
        Err(bad_key("()"))
    }

    fn serialize_unit_struct(self, name: &'static str) -> Result<String, ValueError> {
        Err(bad_key(&format!("the unit struct {name}")))
    }

    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<String, ValueError> {
        Ok(variant.to_owned())
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<String, ValueError> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _value: &T,
    ) -> Result<String, ValueError> {
        Err(bad_key(&format!("the variant {name}::{variant}")))
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, ValueError> {
        Err(bad_key("a sequence"))
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, ValueError> {
        Err(bad_key("a tuple"))
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, ValueError> {
        Err(bad_key(&format!("the tuple struct {name}")))
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, ValueError> {
        Err(bad_key(&format!("the variant {name}::{variant}")))
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Self::SerializeMap, ValueError> {
        Err(bad_key("a map"))
    }

    fn serialize_struct(
        self,
        name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStruct, ValueError> {
        Err(bad_key(&format!("the struct {name}")))
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, ValueError> {
        Err(bad_key(&format!("the variant {name}::{variant}")))
    }
}
