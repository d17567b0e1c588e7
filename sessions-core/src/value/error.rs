//! [`ValueError`]: a value could not be converted, with a short description of it.

use std::borrow::Cow;
use std::fmt::{self, Write as _};

use serde::de::{self, Expected, Unexpected, Visitor};

use super::display::Quoted;
use super::Value;

/// At most this many characters of a value's text go into an error message.
const PREVIEW_CHARS: usize = 64;
/// At most this many characters of a map key or a reason go into an error message.
const NOTE_CHARS: usize = 120;
/// At most this many bytes of a path go into an error message; outer parts are left out.
const PATH_CHARS: usize = 200;

/// A value could not be converted: a [`Value`] into the Rust type a function takes
/// ([`FromValue`](super::FromValue), [`from_value`](super::from_value)), or a Rust value into
/// a [`Value`] ([`to_value`](super::to_value)).
///
/// The message names both sides, and where inside the value the trouble is when it is not
/// the value itself: `expected u8, got int 300 (out of range for u8)`,
/// `at .points[1].x: expected i64, got float 1.5`. The description of what was found is
/// short: a long string, byte string, array or map is cut after 64 characters of its text
/// and its size is given instead, and a long path keeps only its innermost part, so an error
/// message never holds megabytes of a host's input.
///
/// ```
/// use sessions_core::{FromValue, Value};
///
/// let err = u8::from_value(Value::Int(300)).unwrap_err();
/// assert_eq!(err.expected(), "u8");
/// assert_eq!(err.got(), "int 300 (out of range for u8)");
/// assert_eq!(err.path(), "");
/// assert_eq!(err.to_string(), "expected u8, got int 300 (out of range for u8)");
///
/// let err = Vec::<Vec<u8>>::from_value(Value::from(vec![vec![1], vec![2, 300]])).unwrap_err();
/// assert_eq!(err.path(), "[1][1]");
/// assert_eq!(err.to_string(), "at [1][1]: expected u8, got int 300 (out of range for u8)");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValueError(
    // Boxed: a conversion's `Result<T, ValueError>` stays as small as `T` and a pointer,
    // so the good path of every parameter moves a few words, not the whole error.
    Box<Details>,
);

/// What a [`ValueError`] says.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Details {
    kind: Kind,
    expected: Cow<'static, str>,
    /// What was found, then ` (reason)` when there is one.
    got: String,
    /// The length of the description of what was found, before the reason.
    found_len: usize,
    /// Where in the value, outermost first: `.points[1].x`; empty for the value itself.
    path: String,
    /// Whether outer parts of the path were left out, to keep the message short.
    path_cut: bool,
}

/// Which way the conversion went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// A `Value` into a Rust type.
    FromValue,
    /// A Rust value into a `Value`: `expected` is its type, `got` the reason.
    ToValue,
}

impl ValueError {
    /// An error saying that a value of type `expected` (a Rust type name, such as `"u8"`)
    /// was wanted and `got` was found; `got` is described briefly, as
    /// [`got`](Self::got) shows.
    pub fn new(expected: impl Into<Cow<'static, str>>, got: &Value) -> Self {
        Self::found(expected, describe(got))
    }

    /// An error saying that `expected` was wanted and `found` (already described) was found.
    pub(super) fn found(expected: impl Into<Cow<'static, str>>, found: String) -> Self {
        ValueError(Box::new(Details {
            kind: Kind::FromValue,
            expected: expected.into(),
            found_len: found.len(),
            got: found,
            path: String::new(),
            path_cut: false,
        }))
    }

    /// A Rust value could not be written as a `Value`, for `reason`.
    pub(super) fn to_value(reason: impl fmt::Display) -> Self {
        let mut got = String::new();
        push_truncated(&mut got, &reason, NOTE_CHARS);
        ValueError(Box::new(Details {
            kind: Kind::ToValue,
            expected: Cow::Borrowed(""),
            found_len: got.len(),
            got,
            path: String::new(),
            path_cut: false,
        }))
    }

    /// Adds why the value was refused, in parentheses after its description:
    /// `int 300 (out of range for u8)`. A reason longer than 120 characters is cut.
    #[must_use]
    pub fn because(mut self, reason: impl fmt::Display) -> Self {
        self.0.got.push_str(" (");
        push_truncated(&mut self.0.got, &reason, NOTE_CHARS);
        self.0.got.push(')');
        self
    }

    /// Says that the refused value was element `index` of an array: the path gains `[3]`
    /// in front. Nested calls are made innermost first, so the path reads outermost first.
    #[must_use]
    pub fn at_index(mut self, index: usize) -> Self {
        self.prepend(&format!("[{index}]"));
        self
    }

    /// Says that the refused value was the entry under `key` of a map (or the field `key`
    /// of a struct): the path gains `.key` in front, or `["key"]` (JSON-quoted, cut after
    /// 120 characters) when the key is not a plain identifier.
    #[must_use]
    pub fn at_key(mut self, key: &str) -> Self {
        let plain = key
            .chars()
            .next()
            .is_some_and(|c| c.is_alphabetic() || c == '_')
            && key.chars().all(|c| c.is_alphanumeric() || c == '_')
            && key.chars().count() <= NOTE_CHARS;
        if plain {
            self.prepend(&format!(".{key}"));
        } else {
            let mut segment = String::from("[");
            push_truncated(&mut segment, &Quoted(key), NOTE_CHARS);
            segment.push(']');
            self.prepend(&segment);
        }
        self
    }

    /// The Rust type that was wanted, such as `"u8"`, `"Point"` or `"a sequence"` (inside a
    /// value, what serde's visitor for the type expects). For an error of
    /// [`to_value`](super::to_value), the type that could not be written.
    pub fn expected(&self) -> &str {
        &self.0.expected
    }

    /// A short description of what was found, its kind and its text (cut when long), and
    /// why it was refused when that is known, such as `int 300 (out of range for u8)`. For
    /// an error of [`to_value`](super::to_value), why the value could not be written.
    pub fn got(&self) -> &str {
        &self.0.got
    }

    /// Where inside the value the refused part is, outermost first, such as
    /// `.points[1].x` (field `points`, element 1, field `x`) or `["a key"]`; empty when it
    /// is the value itself. Starts with `…` when outer parts were left out to keep it short.
    pub fn path(&self) -> &str {
        &self.0.path
    }

    /// What was found, without the reason: `int 300`.
    pub(crate) fn found_text(&self) -> &str {
        &self.0.got[..self.0.found_len]
    }

    /// Why it was refused, if known: `out of range for u8`.
    pub(crate) fn reason(&self) -> Option<&str> {
        let rest = &self.0.got[self.0.found_len..];
        rest.strip_prefix(" (")?.strip_suffix(')')
    }

    /// Whether the description of what was found is still to be filled in (an error raised
    /// by a serde visitor with only a message).
    pub(super) fn lacks_found(&self) -> bool {
        self.0.kind == Kind::FromValue && self.0.found_len == 0
    }

    /// Fills in what was found, keeping the reason.
    pub(super) fn with_found(mut self, found: String) -> Self {
        self.0.found_len = found.len();
        self.0.got.insert_str(0, &found);
        self
    }

    /// Fills in what was expected, when nothing is yet.
    pub(super) fn or_expected(mut self, expected: impl FnOnce() -> String) -> Self {
        if self.0.expected.is_empty() {
            self.0.expected = Cow::Owned(expected());
        }
        self
    }

    /// At the top level of a conversion of `T`: the expected type is `T`'s own name (its
    /// last path segments: `Vec<u8>`, `Point`), as a caller who asked for a `T` knows it.
    pub(super) fn top_level(mut self, type_name: &'static str) -> Self {
        if self.0.path.is_empty() || self.0.kind == Kind::ToValue {
            self.0.expected = Cow::Owned(short_type_name(type_name));
        }
        self
    }

    fn prepend(&mut self, segment: &str) {
        if self.0.path_cut {
            return;
        }
        if self.0.path.len() + segment.len() > PATH_CHARS {
            self.0.path.insert(0, '…');
            self.0.path_cut = true;
            return;
        }
        self.0.path.insert_str(0, segment);
    }
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.0.kind, self.0.path.is_empty()) {
            (Kind::FromValue, true) => {
                write!(f, "expected {}, got {}", self.0.expected, self.0.got)
            }
            (Kind::FromValue, false) => write!(
                f,
                "at {}: expected {}, got {}",
                self.0.path, self.0.expected, self.0.got
            ),
            (Kind::ToValue, true) => {
                write!(
                    f,
                    "cannot convert {} into a Value: {}",
                    self.0.expected, self.0.got
                )
            }
            (Kind::ToValue, false) => write!(
                f,
                "cannot convert {} into a Value, at {}: {}",
                self.0.expected, self.0.path, self.0.got
            ),
        }
    }
}

impl std::error::Error for ValueError {}

/// `alloc::vec::Vec<alloc::string::String>` → `Vec<String>`: each path cut to its last
/// segment.
pub(super) fn short_type_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut rest = name;
    while let Some(c) = rest.chars().next() {
        if let Some(after) = rest.strip_prefix("::") {
            // Drop the segment before `::`.
            let keep = out
                .trim_end_matches(|c: char| c.is_alphanumeric() || c == '_')
                .len();
            out.truncate(keep);
            rest = after;
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

/// `kind text`, with long text cut and the value's size added: `string "abc… (5000 chars)`.
pub(crate) fn describe(value: &Value) -> String {
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
pub(super) fn push_truncated(out: &mut String, item: &dyn fmt::Display, max: usize) -> bool {
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

// What serde's deserializers and the crate's own say of a value they could not take.

impl de::Error for ValueError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        // What was found and expected is filled in by the deserializer that called the
        // visitor which raised it.
        ValueError::found("", String::new()).because(msg)
    }

    fn invalid_type(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        ValueError::found(exp.to_string(), unexpected(&unexp))
    }

    fn invalid_value(unexp: Unexpected<'_>, exp: &dyn Expected) -> Self {
        ValueError::found(exp.to_string(), unexpected(&unexp))
    }

    fn invalid_length(len: usize, exp: &dyn Expected) -> Self {
        ValueError::found(exp.to_string(), format!("{len} elements"))
    }

    fn unknown_variant(variant: &str, expected: &'static [&'static str]) -> Self {
        ValueError::found(one_of(expected), format!("the variant {}", quoted(variant)))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        ValueError::found(one_of(expected), format!("the field {}", quoted(field)))
    }

    fn missing_field(field: &'static str) -> Self {
        ValueError::found("a value", "nothing".to_owned())
            .because("missing field")
            .at_key(field)
    }

    fn duplicate_field(field: &'static str) -> Self {
        ValueError::found(format!("field `{field}` once"), "it twice".to_owned())
    }
}

/// `one of `a`, `b``, or `nothing` for an empty list.
fn one_of(names: &[&str]) -> String {
    match names {
        [] => "nothing".to_owned(),
        [one] => format!("`{one}`"),
        _ => {
            let names: Vec<String> = names.iter().map(|name| format!("`{name}`")).collect();
            format!("one of {}", names.join(", "))
        }
    }
}

/// A string as an error shows it: quoted, cut when long.
pub(super) fn quoted(text: &str) -> String {
    describe(&Value::String(text.to_owned()))
        .trim_start_matches("string ")
        .to_owned()
}

/// What a visitor found, as [`describe`] would write it.
fn unexpected(unexp: &Unexpected<'_>) -> String {
    match *unexp {
        Unexpected::Bool(b) => describe(&Value::Bool(b)),
        Unexpected::Unsigned(n) => describe(&i64::try_from(n).map_or(Value::UInt(n), Value::Int)),
        Unexpected::Signed(n) => describe(&Value::Int(n)),
        Unexpected::Float(x) => describe(&Value::Float(x)),
        Unexpected::Char(c) => describe(&Value::String(c.to_string())),
        Unexpected::Str(s) => format!("string {}", quoted(s)),
        Unexpected::Bytes(b) => format!("bytes ({} bytes)", b.len()),
        Unexpected::Unit => "null".to_owned(),
        Unexpected::Option => "an option".to_owned(),
        Unexpected::NewtypeStruct => "a newtype struct".to_owned(),
        Unexpected::Seq => "array".to_owned(),
        Unexpected::Map => "map".to_owned(),
        Unexpected::Enum => "an enum".to_owned(),
        Unexpected::UnitVariant => "a unit variant".to_owned(),
        Unexpected::NewtypeVariant => "a newtype variant".to_owned(),
        Unexpected::TupleVariant => "a tuple variant".to_owned(),
        Unexpected::StructVariant => "a struct variant".to_owned(),
        Unexpected::Other(other) => other.to_owned(),
    }
}

/// What a visitor expects: `a sequence`, `struct Point`, `u8`.
pub(super) fn expecting<'de, V: Visitor<'de>>(visitor: &V) -> String {
    let expected: &dyn Expected = visitor;
    expected.to_string()
}

/// A value that is not what `visitor` expects.
#[cold]
pub(super) fn mismatch<'de, V: Visitor<'de>>(visitor: &V, value: &Value) -> ValueError {
    ValueError::new(expecting(visitor), value)
}

#[cold]
pub(super) fn out_of_range(expected: &'static str, value: &Value) -> ValueError {
    ValueError::new(expected, value).because(format_args!("out of range for {expected}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ValueMap;

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
        assert_eq!(describe(&Value::Map(ValueMap::new())), "map {}");
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
            .at_key("ports")
            .at_key("a key");
        assert_eq!(err.expected(), "u8");
        assert_eq!(err.got(), "int 300 (out of range for u8)");
        assert_eq!(err.found_text(), "int 300");
        assert_eq!(err.reason(), Some("out of range for u8"));
        assert_eq!(err.path(), r#"["a key"].ports[3]"#);
        assert_eq!(
            err.to_string(),
            r#"at ["a key"].ports[3]: expected u8, got int 300 (out of range for u8)"#
        );

        let long_key = "k".repeat(10_000);
        let err = ValueError::new("u8", &Value::Null).at_key(&long_key);
        assert!(err.path().len() < 200, "{}", err.path());
        let err = ValueError::new("u8", &Value::Null).because("r".repeat(10_000));
        assert!(err.got().len() < 200, "{}", err.got());
    }

    #[test]
    fn a_deep_path_keeps_its_innermost_part() {
        let mut err = ValueError::new("u8", &Value::Null);
        for i in 0..10_000 {
            err = err.at_index(i);
        }
        assert!(err.path().starts_with('…'), "{}", err.path());
        assert!(err.path().ends_with("[1][0]"), "{}", err.path());
        assert!(err.to_string().len() < 300, "{err}");
    }

    #[test]
    fn to_value_errors_name_the_type_and_the_reason() {
        let err = ValueError::to_value("no").top_level("my_crate::Point");
        assert_eq!(err.expected(), "Point");
        assert_eq!(err.got(), "no");
        assert_eq!(err.to_string(), "cannot convert Point into a Value: no");
        let err = ValueError::to_value("no")
            .at_key("x")
            .top_level("my_crate::Point");
        assert_eq!(
            err.to_string(),
            "cannot convert Point into a Value, at .x: no"
        );
    }

    #[test]
    fn type_names_are_shortened() {
        assert_eq!(
            short_type_name("alloc::vec::Vec<alloc::string::String>"),
            "Vec<String>"
        );
        assert_eq!(
            short_type_name(
                "std::collections::hash::map::HashMap<alloc::string::String, my::Point>"
            ),
            "HashMap<String, Point>"
        );
        assert_eq!(short_type_name("[i64; 3]"), "[i64; 3]");
        assert_eq!(short_type_name("(u8, &str)"), "(u8, &str)");
    }
}
