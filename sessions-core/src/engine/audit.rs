//! The audit trail of calls: [`CallAudit`], what a call's record holds before the call
//! runs, finished with its verdict and duration when the call ends, and handed to the
//! engine's sink ([`EngineBuilder::audit`](crate::EngineBuilder::audit)).
//!
//! One place starts it for each way in, so each call leaves exactly one record:
//! [`host::Call::run`](crate::host::Call::run) (the web host's WebSocket and POST, the
//! OPC UA host, any other host), [`Session::call`] and [`Session::call_async`] (Rust code),
//! and the delivery of a posted message (a farm's inbox, a session's mailbox).
//! [`Session::start_call`], which `host::Call` uses, records nothing itself.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use crate::audit::{AuditHost, AuditKind, AuditOutcome, AuditRecord, AuditSink, AUDIT_TARGET};
use crate::methods::{methods, Args, Verdict};
use crate::panic::panic_message;
use crate::value::ValueMap;
use crate::{Engine, Session, Value};

/// One call being audited: its record so far, and when it started.
pub(crate) struct CallAudit {
    sink: Arc<dyn AuditSink>,
    record: AuditRecord,
    started: Instant,
}

impl CallAudit {
    /// Starts the record of a call of `method` with `args` through `host` from `peer`, in
    /// `session` (or none), for `engine`'s sink; `None`, with nothing measured or copied,
    /// when the engine has no sink.
    ///
    /// The user is the session's now, when the call is made (a method that logs a user in
    /// is recorded as called by whoever called it). The arguments are copied only for a
    /// method marked `audit = "args"`.
    pub(crate) fn begin(
        engine: &Engine,
        host: AuditHost,
        peer: Option<&str>,
        session: Option<&Session>,
        method: &str,
        args: &Args,
    ) -> Option<CallAudit> {
        let sink = engine.shared.audit.as_ref()?.clone();
        let mut record = AuditRecord::new(host, AuditKind::Call, method);
        if let Some(session) = session {
            record.session = Some(session.id());
            record.user = session.user_name();
        }
        record.peer = peer.map(str::to_owned);
        if audits_args(engine, method) {
            record.args = Some(args_value(args));
        }
        Some(CallAudit {
            sink,
            record,
            started: Instant::now(),
        })
    }

    /// Ends the record with how the call ended and how long it took, and hands it to the
    /// sink. A sink's error or panic is logged at ERROR (target `sessions::audit`) with
    /// the record, never passed to the caller: the call itself succeeded or failed on its
    /// own.
    pub(crate) fn finish(self, verdict: Verdict) {
        self.finish_as(verdict.into());
    }

    /// Starts the record of something that is not a method call: a log-in or a log-out
    /// (`kind`) as `user`, through `host` from `peer`, in `session` (none for an OPC UA
    /// log-in, checked before its session is activated), for `engine`'s sink;
    /// `None` when the engine has no sink.
    #[cfg(any(feature = "web", feature = "opcua"))]
    pub(crate) fn event(
        engine: &Engine,
        host: AuditHost,
        kind: AuditKind,
        user: &str,
        session: Option<&Session>,
        peer: Option<&str>,
    ) -> Option<CallAudit> {
        let sink = engine.shared.audit.as_ref()?.clone();
        let mut record = AuditRecord::new(host, kind, user);
        record.session = session.map(Session::id);
        record.user = Some(user.to_owned());
        record.peer = peer.map(str::to_owned);
        Some(CallAudit {
            sink,
            record,
            started: Instant::now(),
        })
    }

    /// Starts the record of a write of the variable at `path` through `host` in `session`
    /// (its user), for `engine`'s sink; `None` when the engine has no sink.
    #[cfg(any(feature = "web", feature = "opcua"))]
    pub(crate) fn write(
        engine: &Engine,
        host: AuditHost,
        path: &str,
        session: &Session,
    ) -> Option<CallAudit> {
        let sink = engine.shared.audit.as_ref()?.clone();
        let mut record = AuditRecord::new(host, AuditKind::Write, path);
        record.session = Some(session.id());
        record.user = session.user_name();
        Some(CallAudit {
            sink,
            record,
            started: Instant::now(),
        })
    }

    /// [`finish`](Self::finish), with the record's outcome as it is.
    pub(crate) fn finish_as(mut self, outcome: AuditOutcome) {
        self.record.duration = self.started.elapsed();
        self.record.time = SystemTime::now();
        self.record.outcome = outcome;
        // The record goes to the sink; what the log needs of it, if the sink fails, is
        // kept (cheap copies: no allocation on the way of a call that is recorded).
        let (host, session, outcome) = (self.record.host, self.record.session, self.record.outcome);
        let written = catch_unwind(AssertUnwindSafe(|| self.sink.record(self.record)));
        let why = match written {
            Ok(Ok(())) => return,
            Ok(Err(error)) => error.to_string(),
            Err(panic) => format!("the sink panicked: {}", panic_message(&*panic)),
        };
        tracing::error!(
            target: AUDIT_TARGET,
            ?host,
            session = ?session,
            ?outcome,
            %why,
            "an audit record of a call was not written"
        );
    }
}

/// Whether `method` (a method of the table, or `<path>.<member>` of an object `engine`
/// exported) opted in to having its arguments recorded.
fn audits_args(engine: &Engine, method: &str) -> bool {
    match methods().lookup(method) {
        Ok(info) => info.audits_args(),
        Err(_) => method
            .rsplit_once('.')
            .and_then(|(path, member)| engine.object_method(path, member))
            .is_some_and(|found| found.method.audits_args()),
    }
}

/// The arguments as one value: an array by position, a map by name.
fn args_value(args: &Args) -> Value {
    match args {
        Args::Positional(values) => Value::Array(values.clone()),
        Args::Named(pairs) => Value::Map(pairs.iter().cloned().collect::<ValueMap>()),
    }
}
