//! Reading what Redis answers, without trusting it: a reply of an unexpected shape is a
//! [`FarmError::Protocol`], never a panic.

use redis::Value;

use super::FarmError;

/// How much of an unexpected reply an error shows.
const SHOWN: usize = 120;

/// `value` as text (a bulk or simple string, or a number written out).
pub(crate) fn text(value: &Value) -> Option<String> {
    match value {
        Value::BulkString(bytes) => String::from_utf8(bytes.clone()).ok(),
        Value::SimpleString(text) => Some(text.clone()),
        Value::Okay => Some("OK".to_owned()),
        Value::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

/// `value` as a number (an integer, or text that is one).
pub(crate) fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(n) => Some(*n),
        other => text(other)?.parse().ok(),
    }
}

/// `value` as a list (an array, a set, or nil as an empty list).
pub(crate) fn list(value: &Value) -> Option<&[Value]> {
    match value {
        Value::Array(items) | Value::Set(items) => Some(items),
        Value::Nil => Some(&[]),
        _ => None,
    }
}

/// The error for an answer to `what` that is not what the farm's scripts answer.
pub(crate) fn unexpected(what: &'static str, value: &Value) -> FarmError {
    let mut found = format!("{value:?}");
    if found.len() > SHOWN {
        let mut cut = SHOWN;
        while !found.is_char_boundary(cut) {
            cut -= 1;
        }
        found.truncate(cut);
        found.push('…');
    }
    FarmError::Protocol { what, found }
}

/// The texts of a list reply, or the error for `what`.
pub(crate) fn texts(what: &'static str, value: &Value) -> Result<Vec<String>, FarmError> {
    let items = list(value).ok_or_else(|| unexpected(what, value))?;
    items
        .iter()
        .map(|item| text(item).ok_or_else(|| unexpected(what, value)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_replies_are_errors_not_panics() {
        assert_eq!(
            text(&Value::BulkString(b"ok".to_vec())).as_deref(),
            Some("ok")
        );
        assert_eq!(text(&Value::BulkString(vec![0xff])), None);
        assert_eq!(int(&Value::BulkString(b"12".to_vec())), Some(12));
        assert_eq!(int(&Value::Nil), None);
        assert_eq!(list(&Value::Nil).map(<[Value]>::len), Some(0));
        let long = Value::BulkString(vec![b'x'; 1000]);
        let error = unexpected("counting sessions", &long).to_string();
        assert!(error.len() < 300, "{error}");
        assert!(texts("x", &Value::Array(vec![Value::Nil])).is_err());
    }
}
