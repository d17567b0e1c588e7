//! A message as it crosses Redis: the fields of an inbox entry, and reading them back.
//!
//! An entry is `s` (the session id, 32 hex digits), `f` (the sending node), `m` (the
//! method), and `p`: the arguments as JSON-RPC `params`, the form every host carries them in
//! ([`Args::to_params_json`], [`Args::from_params`]): a JSON array by position, an object
//! by name. Values cross as JSON, as they do over the web host: a non-finite float becomes
//! `null`, bytes become an array of numbers.
//!
//! Whatever an entry holds, reading it gives a message or the reason it is not one; it
//! never panics.

use redis::Value as Reply;

use super::reply::{list, text};
use crate::{Args, SessionId, Value};

/// The arguments of a message as JSON, with the field that holds them.
pub(crate) fn encode_args(args: &Args) -> (&'static str, String) {
    ("p", args.to_params_json())
}

/// The position of an entry in its stream (`MS-SEQ`), ordered as Redis orders them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) struct EntryId(pub(crate) u64, pub(crate) u64);

impl EntryId {
    pub(crate) fn parse(text: &str) -> Option<EntryId> {
        let (ms, seq) = text.split_once('-')?;
        Some(EntryId(ms.parse().ok()?, seq.parse().ok()?))
    }
}

/// One message read from an inbox.
#[derive(Debug)]
pub(crate) struct Incoming {
    pub(crate) session: SessionId,
    pub(crate) from: String,
    pub(crate) method: String,
    pub(crate) args: Args,
}

/// One entry of an XREADGROUP reply: its id as Redis wrote it (to acknowledge it), its
/// position, and the message or why it is not one.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) raw_id: String,
    pub(crate) id: EntryId,
    pub(crate) message: Result<Incoming, String>,
}

/// The entries of an XREADGROUP reply for one stream (nil: none). `Err` when the reply is
/// not shaped as Redis shapes one.
pub(crate) fn read_reply(reply: &Reply) -> Result<Vec<Entry>, ()> {
    let streams = list(reply).ok_or(())?;
    let mut entries = Vec::new();
    for stream in streams {
        // [name, [[id, [field, value, …]], …]]
        let pair = list(stream).ok_or(())?;
        let items = list(pair.get(1).ok_or(())?).ok_or(())?;
        for item in items {
            let fields = list(item).ok_or(())?;
            let raw_id = fields.first().and_then(text).ok_or(())?;
            let id = EntryId::parse(&raw_id).ok_or(())?;
            let message = match fields.get(1) {
                // An entry deleted while still pending: nothing to deliver.
                None | Some(Reply::Nil) => Err("the entry was deleted".to_owned()),
                Some(body) => decode(body),
            };
            entries.push(Entry {
                raw_id,
                id,
                message,
            });
        }
    }
    Ok(entries)
}

/// The message in an entry's fields.
fn decode(body: &Reply) -> Result<Incoming, String> {
    let fields = list(body).ok_or("the entry has no fields")?;
    let (mut session, mut from, mut method, mut args) = (None, None, None, None);
    for pair in fields.chunks(2) {
        let [name, value] = pair else {
            return Err("the entry's fields are not in pairs".to_owned());
        };
        let name = text(name).ok_or("a field name is not text")?;
        let value = text(value).ok_or_else(|| format!("field {name:?} is not text"))?;
        match name.as_str() {
            "s" => session = Some(value),
            "f" => from = Some(value),
            "m" => method = Some(value),
            "p" | "n" => args = Some((name, value)),
            _ => {}
        }
    }
    let session = session.ok_or("the entry names no session")?;
    let session = session
        .parse::<SessionId>()
        .map_err(|_| format!("{session:?} is not a session id"))?;
    let method = method.ok_or("the entry names no method")?;
    let (kind, json) = args.ok_or("the entry has no arguments")?;
    let args = decode_args(&kind, &json)?;
    Ok(Incoming {
        session,
        from: from.unwrap_or_default(),
        method,
        args,
    })
}

fn decode_args(kind: &str, json: &str) -> Result<Args, String> {
    if kind != "p" {
        return Err(format!("its arguments are in a field `{kind}`, not `p`"));
    }
    let value =
        Value::from_json_str(json).map_err(|e| format!("its arguments are not JSON: {e}"))?;
    Args::from_params(value)
        .ok_or_else(|| "its arguments are neither a JSON array nor an object".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bulk(text: &str) -> Reply {
        Reply::BulkString(text.as_bytes().to_vec())
    }

    fn entry(id: &str, fields: &[&str]) -> Reply {
        Reply::Array(vec![
            bulk(id),
            Reply::Array(fields.iter().map(|f| bulk(f)).collect()),
        ])
    }

    fn reply(entries: Vec<Reply>) -> Reply {
        Reply::Array(vec![Reply::Array(vec![
            bulk("ns:in:a"),
            Reply::Array(entries),
        ])])
    }

    #[test]
    fn arguments_survive_the_trip_in_both_forms() {
        let id = SessionId::random().to_string();
        for args in [
            Args::Positional(vec![Value::from("a"), Value::Int(-3), Value::Float(1.5)]),
            Args::named([("x", Value::Int(1)), ("y", Value::from("again"))]),
        ] {
            let (kind, json) = encode_args(&args);
            let read = read_reply(&reply(vec![entry(
                "17-3",
                &["s", &id, "f", "b", "m", "Do", kind, &json],
            )]))
            .expect("a well-formed reply");
            let message = read[0].message.as_ref().expect("a message");
            assert_eq!(message.args, args);
            assert_eq!(
                (message.from.as_str(), message.method.as_str()),
                ("b", "Do")
            );
            assert_eq!(read[0].id, EntryId(17, 3));
        }
    }

    #[test]
    fn a_bad_entry_is_a_reason_not_a_panic() {
        let id = SessionId::random().to_string();
        let cases: Vec<(Vec<&str>, &str)> = vec![
            (
                vec!["s", "xyz", "m", "Do", "p", "[]"],
                "is not a session id",
            ),
            (vec!["s", &id, "p", "[]"], "names no method"),
            (vec!["s", &id, "m", "Do"], "has no arguments"),
            (vec!["s", &id, "m", "Do", "p", "{"], "are not JSON"),
            (
                vec!["s", &id, "m", "Do", "p", "3"],
                "neither a JSON array nor an object",
            ),
            (vec!["s", &id, "m", "Do", "n", "[[1, 2]]"], "not `p`"),
            (vec!["s", &id, "m"], "not in pairs"),
        ];
        for (fields, why) in cases {
            let read = read_reply(&reply(vec![entry("1-0", &fields)])).expect("well-formed");
            let error = read[0].message.as_ref().expect_err("not a message");
            assert!(error.contains(why), "{fields:?}: {error}");
        }
        let deleted = Reply::Array(vec![bulk("2-0"), Reply::Nil]);
        let read = read_reply(&reply(vec![deleted])).expect("well-formed");
        assert!(read[0].message.is_err());
        assert_eq!(read_reply(&Reply::Nil).map(|e| e.len()), Ok(0));
        assert!(read_reply(&Reply::Int(3)).is_err());
        assert!(read_reply(&reply(vec![entry("nope", &[])])).is_err());
    }
}
