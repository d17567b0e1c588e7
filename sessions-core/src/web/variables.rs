//! The reserved `variable.*` methods of a tab's WebSocket: the engine's exported variables
//! ([`Engine::variable`](crate::Engine::variable)) read, written and watched in the tab's
//! session.
//!
//! - `variable.read {path}` → `{"value", "version", "by"}`;
//! - `variable.write {path, value}` → `{"version"}`, under the variable's session rule in
//!   the tab's session: refused with the code of a refused call (-32004 forbidden, -32001 no
//!   session), -32602 for a value of another type;
//! - `variable.watch {path}` → the current `{"value", "version", "by"}`, then each change as
//!   the notification `variable.changed {path, value, version, by}`;
//! - `variable.unwatch {path}` → `true` when the path was watched.
//!
//! An unknown path is -32601, as an unknown method. A tab's watches are one [`Watches`] set
//! that the socket's task polls with its other work (no task per watch), each watch one
//! version number: a tab that reads slowly gets the latest value when its socket takes
//! more, and costs one slot per watched variable however many changes it misses. A tab
//! watches at most [`MAX_WATCHES_PER_TAB`] variables.
//!
//! They are answered on the WebSocket, one request per message; in a batch or a POST they
//! are unknown methods (a POST has no tab to push changes to). A watch lasts until it is
//! unwatched, the socket closes, or every handle of the variable is gone: a variable
//! unexported while the application still holds it is still watched by the tabs that
//! watched it. Any tab may read and watch every exported variable (a variable has a write
//! role, no read role).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::task::{Context, Poll};

use serde::Serialize;
use serde_json::value::RawValue;

use super::rpc::{FORBIDDEN, INTERNAL_ERROR, METHOD_FAILED, SESSION_GONE};
use super::wire::{error_response, notification, Request};
use crate::audit::{AuditHost, AuditOutcome};
use crate::engine::audit::CallAudit;
use crate::model::{AnyVariable, Change, ValueWatch, VariableError, WrittenBy};
use crate::{Session, SessionError, Value};

/// How many variables one tab may watch at once; a `variable.watch` beyond it is answered
/// [`WATCH_LIMIT`] (unwatch one first).
pub const MAX_WATCHES_PER_TAB: usize = 256;

/// The code of a `variable.watch` refused because the tab watches
/// [`MAX_WATCHES_PER_TAB`] variables already.
pub const WATCH_LIMIT: i32 = -32006;

/// An unknown path: the code of an unknown method.
const UNKNOWN_VARIABLE: i32 = -32601;
/// Missing or malformed `params`, or a value of another type.
const INVALID_PARAMS: i32 = -32602;

/// The reserved methods.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reserved {
    Read,
    Write,
    Watch,
    Unwatch,
}

impl Reserved {
    fn of(method: &str) -> Option<Reserved> {
        match method {
            "variable.read" => Some(Reserved::Read),
            "variable.write" => Some(Reserved::Write),
            "variable.watch" => Some(Reserved::Watch),
            "variable.unwatch" => Some(Reserved::Unwatch),
            _ => None,
        }
    }
}

/// One tab's watched variables, by path: a watcher each, polled together by the socket's
/// task.
#[derive(Default)]
pub(super) struct Watches {
    by_path: BTreeMap<String, ValueWatch>,
    /// Where the next poll starts, so that a variable that changes all the time does not
    /// starve the others.
    start: usize,
}

/// A change to push to the tab.
pub(super) struct Changed {
    path: String,
    change: Change<Value>,
}

impl Changed {
    /// The notification `variable.changed {path, value, version, by}`.
    pub(super) fn to_text(&self) -> String {
        notification(
            "variable.changed",
            &ChangedParams {
                path: &self.path,
                value: &self.change.value,
                version: self.change.version,
                by: self.change.by.as_ref().map(Writer::of),
            },
        )
    }
}

impl Watches {
    /// Whether the tab watches nothing (the socket's task then does not poll).
    pub(super) fn is_empty(&self) -> bool {
        self.by_path.is_empty()
    }

    /// The next change of any watched variable: the newest of that variable since the
    /// last one pushed. A variable whose every handle is gone is unwatched.
    pub(super) async fn next(&mut self) -> Changed {
        std::future::poll_fn(|cx| self.poll_next(cx)).await
    }

    fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Changed> {
        let count = self.by_path.len();
        if count == 0 {
            return Poll::Pending;
        }
        let start = self.start % count;
        let mut gone = Vec::new();
        let mut ready = None;
        // Watches are polled from the one after the last that was ready, so that a variable
        // that changes all the time does not starve the others; each polled one keeps this
        // task's waker.
        let (before, after): (Vec<_>, Vec<_>) = self
            .by_path
            .iter_mut()
            .enumerate()
            .partition(|(index, _)| *index < start);
        for (index, (path, watch)) in after.into_iter().chain(before) {
            ready = poll_one(path, watch, cx, &mut gone);
            if ready.is_some() {
                self.start = index + 1;
                break;
            }
        }
        for path in gone {
            self.by_path.remove(&path);
        }
        match ready {
            Some(changed) => Poll::Ready(changed),
            None => Poll::Pending,
        }
    }
}

/// Polls one watch: its change, if there is one. A variable gone is noted in `gone`; one
/// whose value cannot be written as a `Value` is logged and skipped.
fn poll_one(
    path: &str,
    watch: &mut ValueWatch,
    cx: &mut Context<'_>,
    gone: &mut Vec<String>,
) -> Option<Changed> {
    match watch.poll_changed(cx) {
        Poll::Ready(Some(Ok(change))) => Some(Changed {
            path: path.to_owned(),
            change,
        }),
        Poll::Ready(Some(Err(error))) => {
            tracing::warn!(%error, path, "a watched variable's change cannot be sent");
            // Woken again at its next change: ask for it now, so that the waker is set.
            cx.waker().wake_by_ref();
            None
        }
        Poll::Ready(None) => {
            gone.push(path.to_owned());
            None
        }
        Poll::Pending => None,
    }
}

/// The answer to `text` when it is one request for a reserved `variable.*` method: `None`
/// for any other message (a call, a batch), which the caller answers as usual;
/// `Some(None)` for a reserved notification (done, nothing to answer).
pub(super) fn answer(
    text: &str,
    session: &Session,
    watches: &mut Watches,
) -> Option<Option<String>> {
    // Most messages are calls: they are not read twice.
    if !text.contains("\"variable.") || text.trim_start().starts_with('[') {
        return None;
    }
    let request = serde_json::from_str::<Request<'_>>(text).ok()?;
    if request.jsonrpc.as_deref() != Some("2.0") {
        return None;
    }
    let reserved = Reserved::of(request.method.as_deref()?)?;
    let id = request.id;
    let reply = run(reserved, request.params, session, watches);
    let id = id?;
    Some(Some(match reply {
        Ok(result) => success(id, &result),
        Err(refusal) => error_response(Some(id), refusal.code, &refusal.message, None::<()>),
    }))
}

/// Why a reserved request was refused: its code and what to do.
struct Refusal {
    code: i32,
    message: String,
}

impl Refusal {
    fn new(code: i32, message: impl Into<String>) -> Refusal {
        Refusal {
            code,
            message: message.into(),
        }
    }
}

/// What a reserved request answers.
#[derive(Serialize)]
#[serde(untagged)]
enum Reply {
    Value {
        value: Value,
        version: u64,
        by: Option<Writer>,
    },
    Written {
        version: u64,
    },
    Unwatched(bool),
}

fn run(
    reserved: Reserved,
    params: Option<Value>,
    session: &Session,
    watches: &mut Watches,
) -> Result<Reply, Refusal> {
    let (path, value) = read_params(params, reserved == Reserved::Write)?;
    if reserved == Reserved::Unwatch {
        return Ok(Reply::Unwatched(watches.by_path.remove(&path).is_some()));
    }
    let variable = find(session, &path)?;
    match reserved {
        Reserved::Read => variable.read().map(reply_of).map_err(refusal_of),
        Reserved::Write => {
            let value = value.unwrap_or(Value::Null);
            let audit = session
                .engine()
                .and_then(|engine| CallAudit::write(&engine, AuditHost::Web, &path, session));
            let _in_session = session.enter().map_err(|error| refusal_of(error.into()))?;
            let written = variable.write(value);
            if let Some(audit) = audit {
                audit.finish_as(match &written {
                    Ok(_) => AuditOutcome::Ok,
                    Err(error) => outcome_of(error),
                });
            }
            let version = written.map_err(refusal_of)?;
            Ok(Reply::Written { version })
        }
        Reserved::Watch => {
            if !watches.by_path.contains_key(&path) && watches.by_path.len() >= MAX_WATCHES_PER_TAB
            {
                return Err(Refusal::new(
                    WATCH_LIMIT,
                    format!(
                        "this tab already watches {MAX_WATCHES_PER_TAB} variables, the host's limit: \
                         unwatch one (`variable.unwatch`) first"
                    ),
                ));
            }
            let mut watch = variable.watch_values();
            let current = watch.latest().map_err(refusal_of)?;
            watches.by_path.insert(path, watch);
            Ok(reply_of(current))
        }
        // Answered above, before the variable is looked up: a variable unexported since
        // can still be unwatched.
        Reserved::Unwatch => Ok(Reply::Unwatched(false)),
    }
}

/// `{path}` or `{path, value}`, by name or by position.
fn read_params(
    params: Option<Value>,
    with_value: bool,
) -> Result<(String, Option<Value>), Refusal> {
    let wanted = if with_value {
        "{\"path\", \"value\"}"
    } else {
        "{\"path\"}"
    };
    let bad = || Refusal::new(INVALID_PARAMS, format!("`params` must be {wanted}"));
    let (path, value) = match params {
        Some(Value::Map(mut map)) => (map.remove("path"), map.remove("value")),
        Some(Value::Array(values)) => {
            let mut values = values.into_iter();
            (values.next(), values.next())
        }
        _ => return Err(bad()),
    };
    let Some(Value::String(path)) = path else {
        return Err(bad());
    };
    if with_value && value.is_none() {
        return Err(bad());
    }
    Ok((path, value))
}

/// The variable at `path` on the tab's engine.
fn find(session: &Session, path: &str) -> Result<Arc<dyn AnyVariable>, Refusal> {
    let Some(engine) = session.engine() else {
        return Err(Refusal::new(
            SESSION_GONE,
            "the tab's session is gone with its engine: reload the page",
        ));
    };
    engine.variable(path).ok_or_else(|| {
        Refusal::new(
            UNKNOWN_VARIABLE,
            format!("no variable is exported at {path:?}: see `Engine::variables` for the paths"),
        )
    })
}

fn reply_of(change: Change<Value>) -> Reply {
    Reply::Value {
        by: change.by.as_ref().map(Writer::of),
        value: change.value,
        version: change.version,
    }
}

/// The audit outcome of a write that `error` ended.
fn outcome_of(error: &VariableError) -> AuditOutcome {
    match error {
        VariableError::Session(_) => AuditOutcome::Refused,
        // Let write, and not taken where it is shared (the farm's Redis).
        VariableError::Unavailable { .. } => AuditOutcome::Failed,
        _ => AuditOutcome::Invalid,
    }
}

/// The code of a refused read, write or watch, decided by the error's type: as a refused
/// method call's.
fn refusal_of(error: VariableError) -> Refusal {
    let code = match &error {
        VariableError::Session(SessionError::Forbidden { .. }) => FORBIDDEN,
        VariableError::Session(_) => SESSION_GONE,
        VariableError::WrongType { .. } => INVALID_PARAMS,
        // As a method that ran and failed: the write may be tried again.
        VariableError::Unavailable { .. } => METHOD_FAILED,
        _ => INTERNAL_ERROR,
    };
    Refusal::new(code, error.to_string())
}

/// Who wrote a change, as the tab is told: the session, whether it is a root session, and
/// the user's name.
#[derive(Serialize)]
struct Writer {
    session: String,
    root: bool,
    user: Option<String>,
}

impl Writer {
    fn of(by: &WrittenBy) -> Writer {
        Writer {
            session: by.session.to_string(),
            root: by.root,
            user: by.user.as_ref().map(|user| user.name().to_owned()),
        }
    }
}

#[derive(Serialize)]
struct ChangedParams<'a> {
    path: &'a str,
    value: &'a Value,
    version: u64,
    by: Option<Writer>,
}

/// `{"jsonrpc":"2.0","result":RESULT,"id":ID}`.
fn success(id: &RawValue, result: &Reply) -> String {
    #[derive(Serialize)]
    struct Success<'a> {
        jsonrpc: &'static str,
        result: &'a Reply,
        id: &'a RawValue,
    }
    serde_json::to_string(&Success {
        jsonrpc: "2.0",
        result,
        id,
    })
    .unwrap_or_else(|error| {
        tracing::error!(%error, "a variable's answer could not be written");
        error_response(
            Some(id),
            INTERNAL_ERROR,
            "the answer could not be written",
            None::<()>,
        )
    })
}

/// Adds the reserved methods to the OpenRPC `document` of the method table, and the
/// engine's variables as `x-variables` (`path`, `type`, `writeRole`, `schema`): what a page
/// may read, write and watch.
pub(super) fn describe(document: &mut serde_json::Value, engine: &crate::Engine) {
    use serde_json::json;
    let path = json!({"name": "path", "required": true, "schema": {"type": "string"},
        "description": "The variable's path, as `Engine::export_variable` exported it."});
    let value = json!({"name": "value", "required": true, "schema": true,
        "description": "The new value, of the variable's type (see `x-variables`)."});
    let by = json!({"oneOf": [{"type": "null"}, {"type": "object", "properties": {
        "session": {"type": "string"}, "root": {"type": "boolean"},
        "user": {"type": ["string", "null"]}}}]});
    let current = json!({"type": "object", "properties": {
        "value": true, "version": {"type": "integer", "minimum": 0}, "by": by}});
    let reserved = [
        ("variable.read", "The variable's current value, its version and who wrote it.", vec![path.clone()], current.clone()),
        ("variable.write", "Writes the variable in the tab's session, under its write role (-32004 without it, -32602 for a value of another type); answers the version written.", vec![path.clone(), value], json!({"type": "object", "properties": {"version": {"type": "integer", "minimum": 1}}})),
        ("variable.watch", "Answers the current value, then pushes each change as the notification `variable.changed {path, value, version, by}`, coalesced (a slow tab gets the latest). WebSocket only; -32006 past the per-tab limit.", vec![path.clone()], current),
        ("variable.unwatch", "Stops the watch of the path; answers whether it was watched.", vec![path], json!({"type": "boolean"})),
    ];
    let listed: Vec<serde_json::Value> = engine
        .variables()
        .into_iter()
        .map(|info| {
            json!({"path": info.path, "type": info.type_name,
                "writeRole": info.write_role, "schema": info.schema})
        })
        .collect();
    let Some(document) = document.as_object_mut() else {
        return;
    };
    if let Some(methods) = document
        .get_mut("methods")
        .and_then(serde_json::Value::as_array_mut)
    {
        methods.extend(reserved.into_iter().map(|(name, summary, params, result)| {
            json!({"name": name, "summary": summary, "params": params,
                "result": {"name": "result", "schema": result}})
        }));
    }
    document.insert("x-variables".to_owned(), listed.into());
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Variable};
    use std::task::Waker;

    fn watching(variables: &[&Variable<u32>]) -> Watches {
        let mut watches = Watches::default();
        for (n, variable) in variables.iter().enumerate() {
            watches
                .by_path
                .insert(format!("V{n}"), variable.erased().watch_values());
        }
        watches
    }

    fn poll(watches: &mut Watches) -> Option<(String, u64)> {
        match watches.poll_next(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(changed) => Some((changed.path, changed.change.version)),
            Poll::Pending => None,
        }
    }

    #[test]
    fn a_write_that_failed_has_its_code_and_outcome_by_type() {
        let unavailable = VariableError::Unavailable {
            reason: "Redis did not answer".into(),
        };
        assert_eq!(outcome_of(&unavailable), AuditOutcome::Failed);
        assert_eq!(refusal_of(unavailable).code, METHOD_FAILED);
        let forbidden = VariableError::Session(SessionError::Forbidden {
            role: "operator".into(),
        });
        assert_eq!(outcome_of(&forbidden), AuditOutcome::Refused);
        assert_eq!(refusal_of(forbidden).code, FORBIDDEN);
        let gone = VariableError::Session(SessionError::NoContext);
        assert_eq!(refusal_of(gone).code, SESSION_GONE);
        let wrong = VariableError::WrongType {
            expected: "u8",
            error: crate::from_value::<u8>(Value::Int(300)).expect_err("out of range"),
        };
        assert_eq!(outcome_of(&wrong), AuditOutcome::Invalid);
        assert_eq!(refusal_of(wrong).code, INVALID_PARAMS);
    }

    #[test]
    fn a_variable_that_always_changes_does_not_starve_the_others() {
        let (busy, quiet) = (Variable::new(0_u32), Variable::new(0_u32));
        let mut watches = watching(&[&busy, &quiet]);
        let engine = Engine::new();
        let _root = engine.impersonate_root();
        quiet.set(1).expect("root writes");
        let mut seen_quiet = false;
        for n in 1..=3 {
            busy.set(n).expect("root writes");
            if let Some((path, _)) = poll(&mut watches) {
                seen_quiet |= path == "V1";
            }
        }
        assert!(seen_quiet, "the quiet variable's change never came");
    }

    #[test]
    fn each_change_is_the_latest_and_a_gone_variable_is_unwatched() {
        let variable = Variable::new(0_u32);
        let mut watches = watching(&[&variable]);
        assert_eq!(poll(&mut watches), None);
        let engine = Engine::new();
        {
            let _root = engine.impersonate_root();
            for n in 1..=50 {
                variable.set(n).expect("root writes");
            }
        }
        assert_eq!(poll(&mut watches), Some(("V0".to_owned(), 50)));
        assert_eq!(poll(&mut watches), None);
        drop(variable);
        assert_eq!(poll(&mut watches), None);
        assert!(watches.is_empty());
    }

    #[test]
    fn params_are_by_name_or_by_position_and_a_write_needs_a_value() {
        let by_name = Value::Map(
            [("path".to_owned(), Value::from("A/B"))]
                .into_iter()
                .collect(),
        );
        assert_eq!(
            read_params(Some(by_name), false).ok().map(|p| p.0),
            Some("A/B".to_owned())
        );
        let by_position = Value::Array(vec![Value::from("A/B"), Value::Int(3)]);
        assert_eq!(
            read_params(Some(by_position), true).ok(),
            Some(("A/B".to_owned(), Some(Value::Int(3))))
        );
        let no_value = Value::Array(vec![Value::from("A/B")]);
        assert_eq!(
            read_params(Some(no_value), true).err().map(|r| r.code),
            Some(INVALID_PARAMS)
        );
        assert_eq!(
            read_params(Some(Value::Int(1)), false)
                .err()
                .map(|r| r.code),
            Some(INVALID_PARAMS)
        );
        assert_eq!(
            read_params(None, false).err().map(|r| r.code),
            Some(INVALID_PARAMS)
        );
    }
}
