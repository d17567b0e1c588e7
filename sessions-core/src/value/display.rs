//! The compact JSON-like text form of a [`Value`], described on the type.

use std::fmt::{self, Display, Formatter};

use super::Value;

impl Display for Value {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::UInt(n) => write!(f, "{n}"),
            // `Debug` keeps the `.0` of an integral float and never prints 300 zeros.
            Value::Float(x) => write!(f, "{x:?}"),
            Value::String(s) => Quoted(s).fmt(f),
            Value::Bytes(bytes) => {
                f.write_str("b\"")?;
                for byte in bytes {
                    write!(f, "{byte:02x}")?;
                }
                f.write_str("\"")
            }
            Value::Array(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    item.fmt(f)?;
                }
                f.write_str("]")
            }
            Value::Map(map) => {
                f.write_str("{")?;
                for (i, (key, item)) in map.iter().enumerate() {
                    if i > 0 {
                        f.write_str(",")?;
                    }
                    Quoted(key).fmt(f)?;
                    f.write_str(":")?;
                    item.fmt(f)?;
                }
                f.write_str("}")
            }
        }
    }
}

/// A string in double quotes with JSON's escapes.
pub(super) struct Quoted<'a>(pub(super) &'a str);

impl Display for Quoted<'_> {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        f.write_str("\"")?;
        let mut start = 0;
        for (i, c) in self.0.char_indices() {
            let escape = match c {
                '"' => "\\\"",
                '\\' => "\\\\",
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                '\u{8}' => "\\b",
                '\u{c}' => "\\f",
                c if c < ' ' => "",
                _ => continue,
            };
            f.write_str(&self.0[start..i])?;
            if escape.is_empty() {
                write!(f, "\\u{:04x}", u32::from(c))?;
            } else {
                f.write_str(escape)?;
            }
            start = i + c.len_utf8();
        }
        f.write_str(&self.0[start..])?;
        f.write_str("\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ValueMap;

    #[test]
    fn scalars() {
        assert_eq!(Value::Null.to_string(), "null");
        assert_eq!(Value::Bool(false).to_string(), "false");
        assert_eq!(Value::Int(-42).to_string(), "-42");
        assert_eq!(Value::UInt(u64::MAX).to_string(), "18446744073709551615");
        assert_eq!(Value::Float(1.0).to_string(), "1.0");
        assert_eq!(Value::Float(-0.25).to_string(), "-0.25");
        assert_eq!(Value::Float(1e300).to_string(), "1e300");
        assert_eq!(Value::Float(f64::NAN).to_string(), "NaN");
        assert_eq!(Value::Float(f64::NEG_INFINITY).to_string(), "-inf");
    }

    #[test]
    fn strings_are_quoted_and_escaped() {
        let s = Value::String("a\"b\\c\nd\te\u{1}é€".into());
        assert_eq!(s.to_string(), r#""a\"b\\c\nd\te\u0001é€""#);
        assert_eq!(Value::String(String::new()).to_string(), r#""""#);
    }

    #[test]
    fn bytes_are_hex() {
        assert_eq!(
            Value::Bytes(vec![0, 0xab, 0xff]).to_string(),
            r#"b"00abff""#
        );
        assert_eq!(Value::Bytes(vec![]).to_string(), r#"b"""#);
    }

    #[test]
    fn containers_are_compact() {
        let mut map = ValueMap::new();
        map.insert("b", Value::Array(vec![]));
        map.insert("a\"", Value::Array(vec![Value::Int(1), Value::Null]));
        assert_eq!(Value::Map(map).to_string(), r#"{"a\"":[1,null],"b":[]}"#);
    }
}
