//! [`AuditRecord`]: who did what, where, when, how it ended and how long it took.

use std::time::{Duration, SystemTime};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::audit::time;
use crate::methods::Verdict;
use crate::{SessionId, Value};

/// One entry of the audit trail: an exported-method call, a variable write, a log-in or a
/// log-out, from any host.
///
/// Its JSON form is one object (one line of a [`JsonLinesFile`](crate::audit::JsonLinesFile)):
///
/// ```json
/// {"time":"2026-12-06T20:10:00.123Z","host":"web","kind":"call","session":"…","user":"alice",
///  "peer":"192.0.2.7","target":"ShowNotice","outcome":"ok","duration_ns":48213,"args":null}
/// ```
///
/// - `time`: when it ended, RFC 3339 text in UTC to the millisecond (the wall clock, not
///   the engine's clock: an audit trail is read against calendars);
/// - `session`, `user`, `peer`, `args`: `null` when there is none (a call outside a session,
///   an anonymous session, a host that knows no peer, a method that did not opt in to its
///   arguments with `audit = "args"`);
/// - `duration_ns`: how long it took, in nanoseconds.
///
/// A failed log-in is `kind: "login"` with `outcome: "failed"` (a wrong name or password)
/// or `"refused"` (throttled).
///
/// ```
/// use sessions_core::audit::{AuditHost, AuditKind, AuditOutcome, AuditRecord};
///
/// let mut record = AuditRecord::new(AuditHost::Web, AuditKind::Call, "ShowNotice");
/// record.user = Some("alice".into());
/// record.outcome = AuditOutcome::Refused;
/// let json = serde_json::to_value(&record)?;
/// assert_eq!(json["host"], "web");
/// assert_eq!(json["outcome"], "refused");
/// let back: AuditRecord = serde_json::from_value(json)?;
/// assert_eq!(back.user.as_deref(), Some("alice"));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct AuditRecord {
    /// When it ended (kept to the millisecond in the JSON form).
    pub time: SystemTime,
    /// Which host it came through.
    pub host: AuditHost,
    /// What was done.
    pub kind: AuditKind,
    /// The session it was done in, if any.
    pub session: Option<SessionId>,
    /// The session's user's name, if one was logged in (for a log-in: the name given).
    pub user: Option<String>,
    /// The client or peer, as the host knows it (an IP address, a browser's client id).
    pub peer: Option<String>,
    /// The method or variable (for a log-in or log-out: the account store's name for it,
    /// e.g. `session.login`).
    pub target: String,
    /// How it ended.
    pub outcome: AuditOutcome,
    /// How long it took.
    pub duration: Duration,
    /// The arguments, only for a method that opts in with `audit = "args"`.
    pub args: Option<Value>,
}

impl AuditRecord {
    /// A record of `kind` on `target` through `host`, dated now, with outcome
    /// [`Ok`](AuditOutcome::Ok), no duration and nothing else: set the other fields.
    pub fn new(host: AuditHost, kind: AuditKind, target: impl Into<String>) -> AuditRecord {
        AuditRecord {
            time: SystemTime::now(),
            host,
            kind,
            session: None,
            user: None,
            peer: None,
            target: target.into(),
            outcome: AuditOutcome::Ok,
            duration: Duration::ZERO,
            args: None,
        }
    }

    /// The record as one line of JSON, without the line's end.
    pub fn to_json_line(&self) -> String {
        // Serializing plain strings, numbers and a `Value` into a String cannot fail.
        serde_json::to_string(self).unwrap_or_else(|error| {
            format!("{{\"error\":\"audit record not serialized: {error}\"}}")
        })
    }
}

/// The host an [`AuditRecord`] came through; lowercase in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AuditHost {
    /// A browser tab over the web host's WebSocket.
    Web,
    /// The web host's HTTP POST (JSON-RPC).
    Rpc,
    /// An OPC UA client.
    Opcua,
    /// A message posted across a farm.
    Farm,
    /// Rust code calling `Session::call` directly.
    Rust,
}

/// What an [`AuditRecord`] is of; lowercase in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AuditKind {
    /// A call of an exported method.
    Call,
    /// A write of a variable.
    Write,
    /// A log-in, successful or not (see the outcome).
    Login,
    /// A log-out.
    Logout,
}

/// How what an [`AuditRecord`] is of ended; lowercase in JSON.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum AuditOutcome {
    /// It was done.
    Ok,
    /// It ran and failed (an error result; a wrong name or password).
    Failed,
    /// It was not let run (a missing role, no session, throttled, over a limit).
    Refused,
    /// It panicked.
    Panicked,
    /// It was malformed (unknown method, bad arguments).
    Invalid,
}

/// A call's [`Verdict`] is its record's outcome: the five are the same five, named alike
/// (`Verdict::as_str` is the JSON name). They stay two types because an outcome also ends
/// what is not a call (a log-in is `failed` for a wrong password, `refused` when
/// throttled); this match is the one place they meet, and is exhaustive, so a new verdict
/// cannot go unrecorded.
impl From<Verdict> for AuditOutcome {
    fn from(verdict: Verdict) -> AuditOutcome {
        match verdict {
            Verdict::Ok => AuditOutcome::Ok,
            Verdict::Failed => AuditOutcome::Failed,
            Verdict::Refused => AuditOutcome::Refused,
            Verdict::Panicked => AuditOutcome::Panicked,
            Verdict::Invalid => AuditOutcome::Invalid,
        }
    }
}

/// The JSON form, borrowed for writing.
#[derive(Serialize)]
struct WireOut<'a> {
    time: String,
    host: AuditHost,
    kind: AuditKind,
    session: Option<SessionId>,
    user: Option<&'a str>,
    peer: Option<&'a str>,
    target: &'a str,
    outcome: AuditOutcome,
    duration_ns: u64,
    args: Option<&'a Value>,
}

/// The JSON form, owned for reading.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WireIn {
    time: String,
    host: AuditHost,
    kind: AuditKind,
    session: Option<SessionId>,
    user: Option<String>,
    peer: Option<String>,
    target: String,
    outcome: AuditOutcome,
    duration_ns: u64,
    args: Option<Value>,
}

impl Serialize for AuditRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        WireOut {
            time: time::format(self.time),
            host: self.host,
            kind: self.kind,
            session: self.session,
            user: self.user.as_deref(),
            peer: self.peer.as_deref(),
            target: &self.target,
            outcome: self.outcome,
            duration_ns: u64::try_from(self.duration.as_nanos()).unwrap_or(u64::MAX),
            args: self.args.as_ref(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for AuditRecord {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let wire = WireIn::deserialize(deserializer)?;
        let time = time::parse(&wire.time).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "time {:?} is not RFC 3339 UTC to the millisecond \
                 (YYYY-MM-DDTHH:MM:SS.mmmZ)",
                wire.time
            ))
        })?;
        Ok(AuditRecord {
            time,
            host: wire.host,
            kind: wire.kind,
            session: wire.session,
            user: wire.user,
            peer: wire.peer,
            target: wire.target,
            outcome: wire.outcome,
            duration: Duration::from_nanos(wire.duration_ns),
            args: wire.args,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn a_record_is_one_json_object_with_every_field() {
        let mut record = AuditRecord::new(AuditHost::Opcua, AuditKind::Write, "Line1/Oven.Target");
        record.time = UNIX_EPOCH + Duration::from_millis(1_796_582_096_789);
        record.session = Some(SessionId::random());
        record.user = Some("bob".into());
        record.peer = Some("192.0.2.7:4840".into());
        record.outcome = AuditOutcome::Panicked;
        record.duration = Duration::from_micros(1500);
        record.args = Some(Value::from(21.5));
        let line = record.to_json_line();
        assert!(!line.contains('\n'));
        let json: serde_json::Value = serde_json::from_str(&line).expect("JSON");
        assert_eq!(json["time"], "2026-12-06T18:34:56.789Z");
        assert_eq!(json["host"], "opcua");
        assert_eq!(json["kind"], "write");
        assert_eq!(json["user"], "bob");
        assert_eq!(json["outcome"], "panicked");
        assert_eq!(json["duration_ns"], 1_500_000);
        assert_eq!(json["args"], 21.5);
        assert_eq!(json.as_object().map(|object| object.len()), Some(10));
        let back: AuditRecord = serde_json::from_str(&line).expect("reads back");
        assert_eq!(back, record);
    }

    #[test]
    fn each_verdict_is_the_outcome_of_the_same_name() {
        for verdict in [
            Verdict::Ok,
            Verdict::Failed,
            Verdict::Refused,
            Verdict::Panicked,
            Verdict::Invalid,
        ] {
            let outcome = serde_json::to_value(AuditOutcome::from(verdict)).expect("serializes");
            assert_eq!(outcome, verdict.as_str());
        }
    }

    #[test]
    fn every_host_kind_and_outcome_is_lowercase() {
        let names = |value: serde_json::Value| value.as_str().map(str::to_owned);
        let hosts = [
            AuditHost::Web,
            AuditHost::Rpc,
            AuditHost::Opcua,
            AuditHost::Farm,
            AuditHost::Rust,
        ]
        .map(|host| names(serde_json::to_value(host).expect("serializes")));
        assert_eq!(
            hosts,
            ["web", "rpc", "opcua", "farm", "rust"].map(|s| Some(s.to_owned()))
        );
        let outcomes = [
            AuditOutcome::Ok,
            AuditOutcome::Failed,
            AuditOutcome::Refused,
            AuditOutcome::Panicked,
            AuditOutcome::Invalid,
        ]
        .map(|outcome| names(serde_json::to_value(outcome).expect("serializes")));
        assert_eq!(
            outcomes,
            ["ok", "failed", "refused", "panicked", "invalid"].map(|s| Some(s.to_owned()))
        );
    }

    #[test]
    fn a_record_with_a_bad_time_or_an_unknown_field_is_refused() {
        let mut json =
            serde_json::to_value(AuditRecord::new(AuditHost::Rust, AuditKind::Call, "add"))
                .expect("serializes");
        json["time"] = "yesterday".into();
        assert!(serde_json::from_value::<AuditRecord>(json.clone()).is_err());
        json["time"] = "2026-12-06T18:34:56.789Z".into();
        assert!(serde_json::from_value::<AuditRecord>(json.clone()).is_ok());
        json["extra"] = 1.into();
        assert!(serde_json::from_value::<AuditRecord>(json).is_err());
    }
}
