//! [`ValueError`]: a value could not be converted, with a short description of it.

use std::fmt::{self, Write as _};

use super::display::Quoted;
use super::Value;

/// At most this many characters of a value's text go into an error message.
const PREVIEW_CHARS: usize = 64;
/// At most this many characters of a map key or a reason go into an error message.
const NOTE_CHARS: usize = 120;

/// A [`Value`] could not be converted into the Rust type a function takes.
///
/// The message names both sides: `expected u8, got int 300 (out of range for u8)`,
/// `expected String, got bool true`. The description of what was found is short: a long
/// string, byte string, array or map is cut after 64 characters of its text and its size is
/// given instead, so an error message never holds megabytes of a host's input.
///
/// ```
/// use sessions_core::{FromValue, Value};
///
/// let err = u8::from_value(Value::Int(300)).unwrap_err();
/// assert_eq!(err.expected(), "u8");
/// assert_eq!(err.got(), "int 300 (out of range for u8)");
/// assert_eq!(err.to_string(), "expected u8, got int 300 (out of range for u8)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("expected {expected}, got {got}")]
pub struct ValueError {
    expected: &'static str,
    got: String,
}

impl ValueError {
    /// An error saying that a value of type `expected` (a Rust type name, such as `"u8"`)
    /// was wanted and `got` was found; `got` is described briefly, as
    /// [`got`](Self::got) shows.
    pub fn new(expected: &'static str, got: &Value) -> Self {
        ValueError {
            expected,
            got: describe(got),
        }
    }

    /// Adds why the value was refused, in parentheses after its description:
    /// `int 300 (out of range for u8)`. A reason longer than 120 characters is cut.
    #[must_use]
    pub fn because(mut self, reason: impl fmt::Display) -> Self {
        self.got.push_str(" (");
        push_truncated(&mut self.got, &reason, NOTE_CHARS);
        self.got.push(')');
        self
    }

    /// Says that the refused value was element `index` of an array:
    /// `element 3: int 300 (out of range for u8)`. Nested calls read outermost first.
    #[must_use]
    pub fn at_index(mut self, index: usize) -> Self {
        self.got = format!("element {index}: {}", self.got);
        self
    }

    /// Says that the refused value was the entry under `key` of a map:
    /// `key "port": string "80"`. A key longer than 120 characters is cut.
    #[must_use]
    pub fn at_key(mut self, key: &str) -> Self {
        let mut prefix = String::from("key ");
        push_truncated(&mut prefix, &Quoted(key), NOTE_CHARS);
        prefix.push_str(": ");
        self.got.insert_str(0, &prefix);
        self
    }

    /// The Rust type that was wanted, such as `"u8"` or `"SessionId"`.
    pub fn expected(&self) -> &'static str {
        self.expected
    }

    /// A short description of what was found: its kind, its text (cut when long), and
    /// where it was and why it was refused when that is known, such as
    /// `element 3: int 300 (out of range for u8)`.
    pub fn got(&self) -> &str {
        &self.got
    }
}

/// `kind text`, with long text cut and the value's size added: `string "abc… (5000 chars)`.
pub(super) fn describe(value: &Value) -> String {
    let mut out = format!("{} ", value.kind());
    let size = match value {
        Value::Null => return "null".to_owned(),
        Value::Bool(_) | Value::Int(_) | Value::UInt(_) | Value::Float(_) => None,
        Value::String(s) => Some(format!("{} chars", s.chars().count())),
        Value::Bytes(b) => Some(format!("{} bytes", b.len())),
        Value::Array(items) => Some(format!("{} elements", items.len())),
        Value::Map(map) => Some(format!("{} entries", map.len())),
    };
    let cut = push_truncated(&mut out, value, PREVIEW_CHARS);
    if let (true, Some(size)) = (cut, size) {
        out.push_str(" (");
        out.push_str(&size);
        out.push(')');
    }
    out
}

/// Appends at most `max` characters of `item`'s text to `out`, then `…` if it was cut;
/// returns whether it was. Formatting stops at the limit, so a huge value costs no more
/// than a small one.
fn push_truncated(out: &mut String, item: &dyn fmt::Display, max: usize) -> bool {
    let mut writer = Truncating {
        out,
        left: max,
        cut: false,
    };
    // An error here only means the limit was reached; what was written is kept.
    let _ = write!(writer, "{item}");
    let cut = writer.cut;
    if cut {
        out.push('…');
    }
    cut
}

/// A writer that takes `left` more characters, then fails so the formatting stops.
struct Truncating<'a> {
    out: &'a mut String,
    left: usize,
    cut: bool,
}

impl fmt::Write for Truncating<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.left == 0 {
                self.cut = true;
                return Err(fmt::Error);
            }
            self.out.push(c);
            self.left -= 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn message_names_expected_and_got() {
        let err = ValueError::new("String", &Value::Bool(true));
        assert_eq!(err.expected(), "String");
        assert_eq!(err.got(), "bool true");
        assert_eq!(err.to_string(), "expected String, got bool true");
    }

    #[test]
    fn describes_each_kind() {
        assert_eq!(describe(&Value::Null), "null");
        assert_eq!(describe(&Value::Int(-3)), "int -3");
        assert_eq!(
            describe(&Value::UInt(u64::MAX)),
            "uint 18446744073709551615"
        );
        assert_eq!(describe(&Value::Float(2.0)), "float 2.0");
        assert_eq!(describe(&Value::String("a\"b".into())), r#"string "a\"b""#);
        assert_eq!(
            describe(&Value::Bytes(vec![0xca, 0xfe])),
            r#"bytes b"cafe""#
        );
        assert_eq!(
            describe(&Value::Array(vec![Value::Int(1), Value::Null])),
            "array [1,null]"
        );
        assert_eq!(describe(&Value::Map(BTreeMap::new())), "map {}");
    }

    #[test]
    fn long_values_are_cut_and_sized() {
        let huge = Value::String("x".repeat(1 << 20));
        let got = describe(&huge);
        assert!(got.starts_with("string \"xxx"), "{got}");
        assert!(got.ends_with("… (1048576 chars)"), "{got}");
        assert!(got.len() < 120, "{} bytes: {got}", got.len());

        let array = Value::Array(vec![Value::Int(123_456); 100_000]);
        let got = describe(&array);
        assert!(got.ends_with("… (100000 elements)"), "{got}");
        assert!(got.len() < 120, "{got}");

        let bytes = Value::Bytes(vec![0; 1000]);
        assert!(describe(&bytes).ends_with("… (1000 bytes)"));
    }

    #[test]
    fn exactly_the_limit_is_not_cut() {
        // 62 characters plus two quotes is exactly PREVIEW_CHARS.
        let text = "y".repeat(PREVIEW_CHARS - 2);
        assert_eq!(
            describe(&Value::String(text.clone())),
            format!("string \"{text}\"")
        );
    }

    #[test]
    fn reasons_keys_and_indices_compose() {
        let err = ValueError::new("u8", &Value::Int(300))
            .because("out of range for u8")
            .at_index(3)
            .at_key("ports");
        assert_eq!(err.expected(), "u8");
        assert_eq!(
            err.got(),
            r#"key "ports": element 3: int 300 (out of range for u8)"#
        );

        let long_key = "k".repeat(10_000);
        let err = ValueError::new("u8", &Value::Null).at_key(&long_key);
        assert!(err.got().len() < 200, "{}", err.got());
        let err = ValueError::new("u8", &Value::Null).because("r".repeat(10_000));
        assert!(err.got().len() < 200, "{}", err.got());
    }
}
