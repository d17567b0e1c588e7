//! `SessionId`'s serde form: the `String` of its 32 lowercase hex digits, as its `Display`
//! writes it and its `FromStr` reads it. So a session id crosses the host boundary (and
//! JSON) as that text, alone or inside a user's type.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::ser::{Serialize, Serializer};

use crate::SessionId;

impl Serialize for SessionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SessionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<SessionId, D::Error> {
        deserializer.deserialize_str(SessionIdVisitor)
    }
}

/// Reads a session id from its text.
struct SessionIdVisitor;

impl Visitor<'_> for SessionIdVisitor {
    type Value = SessionId;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SessionId")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<SessionId, E> {
        text.parse().map_err(E::custom)
    }
}

#[cfg(test)]
mod tests {
    use crate::value::{from_value, to_value, Value};
    use crate::SessionId;

    #[test]
    fn a_session_id_is_its_hex_text_both_ways() {
        let text = "0123456789abcdef0123456789abcdef";
        let id: SessionId = text.parse().expect("a valid id");
        assert_eq!(to_value(&id), Ok(Value::String(text.into())));
        assert_eq!(from_value::<SessionId>(Value::String(text.into())), Ok(id));
        assert_eq!(serde_json::to_string(&id).ok(), Some(format!("\"{text}\"")));
        let err = from_value::<Vec<SessionId>>(Value::from(vec!["nope"])).expect_err("malformed");
        assert_eq!(err.path(), "[0]");
        assert_eq!(err.expected(), "SessionId");
        assert!(err.got().starts_with(r#"string "nope" ("#), "{err}");
    }
}
