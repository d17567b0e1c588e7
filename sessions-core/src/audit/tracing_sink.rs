//! [`TracingSink`]: audit records as `tracing` events, target `sessions::audit`.

use crate::audit::{AuditError, AuditRecord, AuditSink};

/// The target of the audit trail's `tracing` events: filter on it to send them somewhere
/// of their own (`sessions::audit=info`).
pub const AUDIT_TARGET: &str = "sessions::audit";

/// Writes each record as one `tracing` event at INFO, target [`AUDIT_TARGET`]
/// (`sessions::audit`), message `audit`, with the fields `time`, `host`, `kind`,
/// `session`, `user`, `peer`, `target`, `outcome`, `duration_ns` and `args` (as JSON text);
/// a field that a record does not have is empty text.
///
/// An event costs what the subscriber makes of it, on the caller's path: behind a slow
/// subscriber, wrap this sink in an [`AuditQueue`](crate::audit::AuditQueue).
#[derive(Clone, Copy, Debug, Default)]
pub struct TracingSink;

impl AuditSink for TracingSink {
    fn record(&self, record: AuditRecord) -> Result<(), AuditError> {
        let json = serde_json::to_value(&record).unwrap_or_default();
        let text = |key: &str| match &json[key] {
            serde_json::Value::String(text) => text.clone(),
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        // The arguments as JSON text always (a string argument keeps its quotes).
        let args = match &json["args"] {
            serde_json::Value::Null => String::new(),
            args => args.to_string(),
        };
        tracing::info!(
            target: "sessions::audit",
            time = %text("time"),
            host = %text("host"),
            kind = %text("kind"),
            session = %text("session"),
            user = %text("user"),
            peer = %text("peer"),
            target = %record.target,
            outcome = %text("outcome"),
            duration_ns = u64::try_from(record.duration.as_nanos()).unwrap_or(u64::MAX),
            args = %args,
            "audit"
        );
        Ok(())
    }
}
