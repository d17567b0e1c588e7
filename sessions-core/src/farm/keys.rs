//! The farm's keys in Redis, and the names that go into them.
//!
//! Every key starts with the namespace (`sessions` unless set), so several farms can share
//! one Redis. The scripts build the keys from the prefix passed to them:
//!
//! | key | type | holds |
//! | --- | --- | --- |
//! | `NS:nodes` | sorted set | each live node, scored by the end of its lease (ms, Redis clock); also a dead incarnation kept for adoption, `NODE~INC` (a "ghost": its name was taken again within the adoption grace) |
//! | `NS:n:NODE` | hash | the node's incarnation (`inc`), counts (`len`, `active`), inbox capacity (`cap`), `leaving`, `released` (a drain: its sessions may be adopted now) |
//! | `NS:n:NODE:s` | set | the ids of the node's sessions |
//! | `NS:s:ID` | hash | one session: `node`, `hasuser`, `user`, `roles` (JSON), `hasclient`, `client`, `state` (registered state, JSON), `rk` (its tab's resume key), `ver` (a SHA-256 of the token's secret) |
//! | `NS:r:RK` | string | the id of the session whose tab has the resume key `RK` |
//! | `NS:b:ID` | list | one session's last notifications (JSON: number `n`, topic `t`, payload `p`), for the node that adopts it (`carry.rs`) |
//! | `NS:o:ID` | stream | the messages of a session being adopted, between ADOPT and HANDOVER |
//! | `NS:u:USER` | set | the ids of the user's sessions, all nodes |
//! | `NS:in:NODE` | stream | the node's inbox, read by the consumer group `sessions` |
//! | `NS:v:PATH` | hash | a shared variable's change: `v` version, `val` JSON value, `t` ms, writer `s`, `r`, `hu`, `u`, `seed` |
//! | `NS:vars` | pub/sub channel | every change of a shared variable, as JSON (see `scripts.rs`) |

use super::FarmError;

/// The consumer group every inbox is read by (one consumer: its node).
pub(crate) const GROUP: &str = "sessions";

/// The namespace used when none is set.
pub(crate) const DEFAULT_NAMESPACE: &str = "sessions";

/// Keys of one farm.
#[derive(Debug, Clone)]
pub(crate) struct Keys {
    /// `NAMESPACE:`.
    prefix: String,
}

impl Keys {
    pub(crate) fn new(namespace: &str) -> Keys {
        Keys {
            prefix: format!("{namespace}:"),
        }
    }

    /// What every script gets as its first argument.
    pub(crate) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The channel every change of a shared variable is published on.
    pub(crate) fn vars_channel(&self) -> String {
        format!("{}vars", self.prefix)
    }

    /// The inbox stream of `node`.
    pub(crate) fn inbox(&self, node: &str) -> String {
        format!("{}in:{node}", self.prefix)
    }
}

/// Checks a node name or a namespace: 1 to 64 of `A-Z a-z 0-9 _ . -`, so it can stand in a
/// key and in a log line as it is.
pub(crate) fn check_name(what: &'static str, name: &str) -> Result<(), FarmError> {
    let fine = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if fine {
        Ok(())
    } else {
        Err(FarmError::InvalidName {
            what,
            name: name.to_owned(),
        })
    }
}

/// `url` with the password of its user info, if any, replaced by `***`.
pub(crate) fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    // The user info ends at the last `@` before the path.
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let user = rest[..at].split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{}", &rest[at + 1..])
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("node name", "a").is_ok());
        assert!(check_name("node name", "web-1.eu_west").is_ok());
        assert!(check_name("node name", "").is_err());
        assert!(check_name("node name", "a:b").is_err());
        assert!(check_name("node name", "a b").is_err());
        assert!(check_name("node name", &"x".repeat(65)).is_err());
        let error = check_name("node name", "a*")
            .expect_err("refused")
            .to_string();
        assert_eq!(
            error,
            "the node name \"a*\" is not 1 to 64 characters among A-Z a-z 0-9 _ . -"
        );
    }

    #[test]
    fn passwords_do_not_reach_messages() {
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        assert_eq!(
            redact("redis://app:s3cret@10.0.0.1:6379/0"),
            "redis://app:***@10.0.0.1:6379/0"
        );
        assert_eq!(redact("redis://:s3cret@host/"), "redis://:***@host/");
        assert_eq!(
            redact("redis+unix:///tmp/r.sock"),
            "redis+unix:///tmp/r.sock"
        );
    }
}
