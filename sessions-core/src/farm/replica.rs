//! A shared variable as the farm's threads see it, whatever its type ([`Replica`]), and a
//! change of one as Redis holds and publishes it ([`Remote`]): read without trusting it, so
//! what another program wrote is an error to log and count, never a panic.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value as Json};

use crate::model::WrittenBy;
use crate::{SessionId, User};

/// A variable this node shares, of any type.
pub(crate) trait Replica: Send + Sync + 'static {
    /// What this node holds: what it puts in Redis when Redis has nothing (see
    /// `scripts::VAR_SEED`).
    ///
    /// # Errors
    /// Why the value cannot be written as JSON.
    fn held(&self) -> Result<Held, String>;

    /// Takes `remote` when its version is newer than the one held; `Ok(false)` when it is
    /// not.
    ///
    /// # Errors
    /// Why its value is not one of the variable's type (nothing changed).
    fn apply(&self, remote: Remote) -> Result<bool, String>;

    /// Stops sharing: the variable's writes are local again.
    fn unshare(&self);
}

/// What a node holds of a shared variable, ready for Redis.
pub(crate) struct Held {
    /// The value as JSON.
    pub(crate) value: String,
    pub(crate) version: u64,
    /// When it was written, in ms since the Unix epoch.
    pub(crate) at_ms: u64,
    pub(crate) by: Option<WrittenBy>,
}

/// A change of a shared variable, as Redis holds and publishes it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Remote {
    pub(crate) path: String,
    pub(crate) version: u64,
    /// The value as JSON, not read yet: only the variable knows its type.
    pub(crate) value: String,
    pub(crate) at: SystemTime,
    pub(crate) by: Option<WrittenBy>,
}

impl Remote {
    /// Reads the JSON object `{p, v, val, t, s, r, hu, u}` that the scripts publish.
    ///
    /// # Errors
    /// What is missing or wrong in it.
    pub(crate) fn parse(text: &str) -> Result<Remote, String> {
        let object: Map<String, Json> =
            serde_json::from_str(text).map_err(|error| format!("not a JSON object: {error}"))?;
        let field = |name: &'static str| -> Result<&str, String> {
            object
                .get(name)
                .and_then(Json::as_str)
                .ok_or_else(|| format!("the field {name:?} is missing or not a string"))
        };
        let number = |name: &'static str| -> Result<u64, String> {
            let text = field(name)?;
            text.parse()
                .map_err(|_| format!("the field {name:?} is {text:?}, not a whole number"))
        };
        let session = field("s")?;
        let by = if session.is_empty() {
            None
        } else {
            Some(WrittenBy {
                session: session
                    .parse::<SessionId>()
                    .map_err(|error| format!("the writer {session:?}: {error}"))?,
                root: field("r")? == "1",
                user: (field("hu")? == "1").then(|| User::new(field("u").unwrap_or_default())),
            })
        };
        Ok(Remote {
            path: field("p")?.to_owned(),
            version: number("v")?,
            value: field("val")?.to_owned(),
            at: UNIX_EPOCH + Duration::from_millis(number("t")?),
            by,
        })
    }
}

/// The writer as the scripts take it: session id (or ""), root, has a user, user name.
pub(crate) fn by_args(by: Option<&WrittenBy>) -> [String; 4] {
    match by {
        None => [String::new(), "0".into(), "0".into(), String::new()],
        Some(by) => [
            by.session.to_string(),
            if by.root { "1" } else { "0" }.into(),
            if by.user.is_some() { "1" } else { "0" }.into(),
            by.user
                .as_ref()
                .map(|user| user.name().to_owned())
                .unwrap_or_default(),
        ],
    }
}

/// `at` in ms since the Unix epoch (0 before it).
pub(crate) fn millis(at: SystemTime) -> u64 {
    at.duration_since(UNIX_EPOCH).map_or(0, |since| {
        u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_change_reads_back_with_its_writer() {
        let id = SessionId::random();
        let by = WrittenBy {
            session: id,
            root: false,
            user: Some(User::new("ada")),
        };
        let [s, r, hu, u] = by_args(Some(&by));
        let text = serde_json::json!({
            "p": "Line1/Oven/Target", "v": "7", "val": "200.5", "t": "1000",
            "s": s, "r": r, "hu": hu, "u": u,
        })
        .to_string();
        let remote = Remote::parse(&text).expect("a change");
        assert_eq!(remote.path, "Line1/Oven/Target");
        assert_eq!(remote.version, 7);
        assert_eq!(remote.value, "200.5");
        assert_eq!(remote.at, UNIX_EPOCH + Duration::from_millis(1000));
        let got = remote.by.expect("a writer");
        assert_eq!(got.session, id);
        assert_eq!(
            got.user.map(|user| user.name().to_owned()).as_deref(),
            Some("ada")
        );
        // No writer: a seeded initial value.
        let [s, r, hu, u] = by_args(None);
        let text = serde_json::json!({
            "p": "x", "v": "0", "val": "1", "t": "5", "s": s, "r": r, "hu": hu, "u": u,
        })
        .to_string();
        assert_eq!(Remote::parse(&text).expect("a change").by, None);
    }

    #[test]
    fn what_redis_may_hold_is_an_error_not_a_panic() {
        for (text, says) in [
            ("", "not a JSON object"),
            ("[1, 2]", "not a JSON object"),
            (r#"{"p": "x"}"#, "\"s\" is missing"),
            (
                r#"{"p": "x", "v": "-1", "val": "1", "t": "0", "s": ""}"#,
                "\"v\" is \"-1\"",
            ),
            (
                r#"{"p": "x", "v": "1", "val": "1", "t": "0", "s": "nope", "r": "0", "hu": "0", "u": ""}"#,
                "the writer \"nope\"",
            ),
            (
                r#"{"p": 3, "v": "1", "val": "1", "t": "0", "s": ""}"#,
                "\"p\" is missing or not a string",
            ),
        ] {
            let error = Remote::parse(text).expect_err(text);
            assert!(error.contains(says), "{text}: {error}");
        }
    }
}
