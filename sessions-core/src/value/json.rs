//! JSON for [`Value`]: conversions to and from `serde_json::Value`, and
//! `Serialize`/`Deserialize` written by hand, since only `serde` itself is a dependency.
//!
//! What JSON cannot hold is converted, not refused: a non-finite float becomes `null`, and
//! bytes become an array of numbers (so they come back as a `Value::Array`).

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};
use serde_json::Value as Json;

use super::ser::{canonical_i128, canonical_u128, canonical_u64};
use super::Value;

impl Value {
    /// Parses JSON text. Numbers become `Int` when they fit in an `i64`, else `UInt` when
    /// they fit in a `u64`, else `Float`.
    ///
    /// ```
    /// use sessions_core::Value;
    ///
    /// let value = Value::from_json_str(r#"{"n": -1, "big": 18446744073709551615}"#)?;
    /// assert_eq!(value.get("n"), Some(&Value::Int(-1)));
    /// assert_eq!(value.get("big"), Some(&Value::UInt(u64::MAX)));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn from_json_str(text: &str) -> Result<Value, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// Writes compact JSON. A non-finite float is written as `null`, and bytes as an
    /// array of numbers.
    ///
    /// ```
    /// use sessions_core::Value;
    ///
    /// let value = Value::Array(vec![Value::Float(f64::NAN), Value::Bytes(vec![1, 2])]);
    /// assert_eq!(value.to_json_string(), "[null,[1,2]]");
    /// ```
    pub fn to_json_string(&self) -> String {
        match serde_json::to_string(self) {
            Ok(text) => text,
            // serde_json fails only on non-string map keys or an error raised by a
            // `Serialize` impl, and `Value` has neither; fall back to the JSON value.
            Err(_) => Json::from(self.clone()).to_string(),
        }
    }
}

impl From<Json> for Value {
    /// Converts JSON: numbers become `Int` when they fit in an `i64`, else `UInt` when
    /// they fit in a `u64`, else `Float`. (With serde_json's `arbitrary_precision` feature,
    /// a number that fits no `f64` becomes its decimal `String`.)
    fn from(json: Json) -> Value {
        match json {
            Json::Null => Value::Null,
            Json::Bool(b) => Value::Bool(b),
            Json::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Value::Int(i)
                } else if let Some(u) = n.as_u64() {
                    Value::UInt(u)
                } else if let Some(x) = n.as_f64() {
                    Value::Float(x)
                } else {
                    Value::String(n.to_string())
                }
            }
            Json::String(s) => Value::String(s),
            Json::Array(items) => Value::Array(items.into_iter().map(Value::from).collect()),
            Json::Object(map) => {
                Value::Map(map.into_iter().map(|(k, v)| (k, Value::from(v))).collect())
            }
        }
    }
}

impl From<Value> for Json {
    /// Converts to JSON: a non-finite float becomes `null`, and bytes an array of numbers.
    fn from(value: Value) -> Json {
        match value {
            Value::Null => Json::Null,
            Value::Bool(b) => Json::Bool(b),
            Value::Int(n) => Json::Number(n.into()),
            Value::UInt(n) => Json::Number(n.into()),
            Value::Float(x) => serde_json::Number::from_f64(x).map_or(Json::Null, Json::Number),
            Value::String(s) => Json::String(s),
            Value::Bytes(bytes) => Json::Array(bytes.into_iter().map(Json::from).collect()),
            Value::Array(items) => Json::Array(items.into_iter().map(Json::from).collect()),
            Value::Map(map) => Json::Object(
                map.into_iter()
                    .map(|(k, v)| (k.into_owned(), v.into()))
                    .collect(),
            ),
        }
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Null => serializer.serialize_unit(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            Value::Int(n) => serializer.serialize_i64(*n),
            Value::UInt(n) => serializer.serialize_u64(*n),
            Value::Float(x) => serializer.serialize_f64(*x),
            Value::String(s) => serializer.serialize_str(s),
            Value::Bytes(bytes) => serializer.serialize_bytes(bytes),
            Value::Array(items) => serializer.collect_seq(items),
            Value::Map(map) => serializer.collect_map(map),
        }
    }
}

impl<'de> Deserialize<'de> for Value {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

/// Builds a [`Value`] from whatever a self-describing format holds; integers follow the
/// `IntoValue` rules, so they come out canonical.
struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_bool<E>(self, b: bool) -> Result<Value, E> {
        Ok(Value::Bool(b))
    }

    fn visit_i64<E>(self, n: i64) -> Result<Value, E> {
        Ok(Value::Int(n))
    }

    fn visit_u64<E>(self, n: u64) -> Result<Value, E> {
        Ok(canonical_u64(n))
    }

    fn visit_i128<E>(self, n: i128) -> Result<Value, E> {
        Ok(canonical_i128(n))
    }

    fn visit_u128<E>(self, n: u128) -> Result<Value, E> {
        Ok(canonical_u128(n))
    }

    fn visit_f64<E>(self, x: f64) -> Result<Value, E> {
        Ok(Value::Float(x))
    }

    fn visit_str<E>(self, s: &str) -> Result<Value, E> {
        Ok(Value::String(s.to_owned()))
    }

    fn visit_string<E>(self, s: String) -> Result<Value, E> {
        Ok(Value::String(s))
    }

    fn visit_bytes<E>(self, bytes: &[u8]) -> Result<Value, E> {
        Ok(Value::Bytes(bytes.to_vec()))
    }

    fn visit_byte_buf<E>(self, bytes: Vec<u8>) -> Result<Value, E> {
        Ok(Value::Bytes(bytes))
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        Value::deserialize(deserializer)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Value::deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        // The hint comes from the input, so it is capped rather than trusted.
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(1024));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        // Collected, then sorted once: inserting one by one would be quadratic.
        let mut entries = Vec::new();
        while let Some(entry) = access.next_entry::<String, Value>()? {
            entries.push(entry);
        }
        Ok(Value::Map(entries.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use crate::ValueMap;

    use super::*;
    use serde_json::json;

    fn nested() -> Value {
        Value::Map(ValueMap::from([
            ("null", Value::Null),
            ("flag", Value::Bool(true)),
            ("neg", Value::Int(i64::MIN)),
            ("big", Value::UInt(u64::MAX)),
            ("pi", Value::Float(3.25)),
            ("text", Value::String("a\"\n€".into())),
            (
                "list",
                Value::Array(vec![
                    Value::Int(1),
                    Value::Map(ValueMap::from([("x", Value::Array(vec![]))])),
                ]),
            ),
        ]))
    }

    #[test]
    fn nested_value_round_trips_through_json_text() {
        let value = nested();
        let text = value.to_json_string();
        assert_eq!(Value::from_json_str(&text).ok(), Some(value.clone()));
        let json: Json = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(json["big"], json!(u64::MAX));
        assert_eq!(json["list"][1]["x"], json!([]));
    }

    #[test]
    fn nested_value_round_trips_through_serde_json_value() {
        let value = nested();
        let json = Json::from(value.clone());
        assert_eq!(json["neg"], json!(i64::MIN));
        assert_eq!(json["text"], json!("a\"\n€"));
        assert_eq!(Value::from(json), value);
    }

    #[test]
    fn numbers_become_the_narrowest_variant() {
        let value = Value::from(json!([
            0,
            -1,
            9223372036854775807u64,
            9223372036854775808u64,
            0.5
        ]));
        assert_eq!(
            value,
            Value::Array(vec![
                Value::Int(0),
                Value::Int(-1),
                Value::Int(i64::MAX),
                Value::UInt(1 << 63),
                Value::Float(0.5),
            ])
        );
        let parsed = Value::from_json_str("[9223372036854775807, 18446744073709551616, 1.0]");
        assert_eq!(
            parsed.ok(),
            Some(Value::Array(vec![
                Value::Int(i64::MAX),
                Value::Float(18446744073709551616.0),
                Value::Float(1.0),
            ]))
        );
    }

    #[test]
    fn lossy_spots_are_the_documented_ones() {
        for x in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(Json::from(Value::Float(x)), Json::Null);
        }
        assert_eq!(Value::Float(f64::NAN).to_json_string(), "null");
        let bytes = Value::Bytes(vec![0, 255]);
        assert_eq!(Json::from(bytes.clone()), json!([0, 255]));
        assert_eq!(bytes.to_json_string(), "[0,255]");
        assert_eq!(
            Value::from_json_str(&bytes.to_json_string()).ok(),
            Some(Value::Array(vec![Value::Int(0), Value::Int(255)]))
        );
    }

    #[test]
    fn malformed_json_is_an_error() {
        assert!(Value::from_json_str("{").is_err());
        assert!(Value::from_json_str("[1,]").is_err());
        assert!(Value::from_json_str("").is_err());
    }

    #[test]
    fn deserializes_from_other_serde_sources() {
        // serde_json::Value is itself a Deserializer: this goes through the visitor.
        let value = Value::deserialize(json!({"a": [null, false, "s"]})).ok();
        let expected = Value::Map(ValueMap::from([(
            "a",
            Value::Array(vec![
                Value::Null,
                Value::Bool(false),
                Value::String("s".into()),
            ]),
        )]));
        assert_eq!(value, Some(expected));
    }
}
