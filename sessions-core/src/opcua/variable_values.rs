//! The values of the Variable nodes (`variable_nodes.rs`): a Read answers the variable's
//! current value, with the time of the change that made it as the source timestamp; a Write
//! runs in the client's session through the variable's session rule, and leaves one audit
//! record; and each change is pushed to the MonitoredItems on the node
//! ([`SubscriptionCache::notify_data_change`]) by one task per variable ([`follow`]).
//!
//! | what happened to a Write | status | audit outcome |
//! | --- | --- | --- |
//! | written | Good | ok |
//! | the user lacks the write role (or the session has no user) | BadUserAccessDenied | refused |
//! | the session was closed by the application | BadSessionClosed | refused |
//! | a value of another type (or out of range, or JSON of the wrong shape) | BadTypeMismatch | invalid |
//! | an index range | BadWriteNotSupported | (none: nothing was tried) |
//!
//! The status is decided by the error's type ([`VariableError`], [`SessionError`]), never
//! by its text.

use std::iter;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use opcua::server::SubscriptionCache;
use opcua::types::{
    AttributeId, DataValue, DateTime, NumericRange, StatusCode, TimestampsToReturn, Variant,
};

use super::variable_nodes::VariableNode;
use crate::audit::{AuditHost, AuditOutcome};
use crate::engine::audit::CallAudit;
use crate::model::{Change, ValueWatch, VariableError};
use crate::{Session, SessionError, Value};

/// The value of `node` for a Read of `range`, with the timestamps asked for.
pub(super) fn read(
    node: &VariableNode,
    range: &NumericRange,
    timestamps: TimestampsToReturn,
) -> DataValue {
    let mut value = data_value(node, node.variable.read());
    if !matches!(range, NumericRange::None) {
        if let Some(variant) = value.value.take() {
            match variant.range_of(range) {
                Ok(part) => value.value = Some(part),
                Err(status) => return bad(status),
            }
        }
    }
    match timestamps {
        TimestampsToReturn::Both => {}
        TimestampsToReturn::Source => value.server_timestamp = None,
        TimestampsToReturn::Server => value.source_timestamp = None,
        TimestampsToReturn::Neither | TimestampsToReturn::Invalid => {
            value.source_timestamp = None;
            value.server_timestamp = None;
        }
    }
    value
}

/// A change of `node` as OPC UA sends it: the value, its status, the change's time as the
/// source timestamp and now as the server's.
fn data_value(node: &VariableNode, change: Result<Change<Value>, VariableError>) -> DataValue {
    let change = match change {
        Ok(change) => change,
        Err(error) => {
            tracing::error!(path = %node.path, %error, "an exported variable's value cannot be read");
            return bad(StatusCode::BadInternalError);
        }
    };
    match node.ty.write_result(change.value) {
        Ok(variant) => DataValue {
            value: Some(variant),
            status: Some(StatusCode::Good),
            source_timestamp: Some(date_time(change.at)),
            server_timestamp: Some(DateTime::now()),
            ..DataValue::default()
        },
        Err(why) => {
            tracing::error!(path = %node.path, %why, "an exported variable's value does not fit its OPC UA type");
            bad(StatusCode::BadInternalError)
        }
    }
}

/// A value with a bad status and nothing else.
fn bad(status: StatusCode) -> DataValue {
    DataValue {
        value: None,
        status: Some(status),
        ..DataValue::default()
    }
}

/// `at` as an OPC UA time (100 ns ticks since 1601-01-01).
fn date_time(at: SystemTime) -> DateTime {
    /// Seconds from 1601-01-01 to 1970-01-01.
    const UNIX_FROM_1601: i64 = 11_644_473_600;
    const TICKS_PER_SECOND: i64 = 10_000_000;
    match at.duration_since(UNIX_EPOCH) {
        Ok(since) => {
            let seconds = i64::try_from(since.as_secs()).unwrap_or(i64::MAX / TICKS_PER_SECOND);
            let ticks = (seconds.saturating_add(UNIX_FROM_1601))
                .saturating_mul(TICKS_PER_SECOND)
                .saturating_add(i64::from(since.subsec_nanos() / 100));
            DateTime::from(ticks)
        }
        // A clock before 1970: no meaningful source time.
        Err(_) => DateTime::null(),
    }
}

/// Pushes each change of `node` (seen by `watch`, made before the node was listed) to the
/// MonitoredItems on it, until every handle of the variable is gone; the host aborts it
/// sooner when the variable is unexported or the host stops.
pub(super) async fn follow(
    node: Arc<VariableNode>,
    mut watch: ValueWatch,
    subscriptions: Arc<SubscriptionCache>,
) {
    while let Some(change) = watch.changed().await {
        let value = data_value(&node, change);
        subscriptions.notify_data_change(iter::once((value, &node.id, AttributeId::Value)));
    }
}

/// Pushes the current value of each of `nodes` whose version is no longer the one seen
/// when its MonitoredItems were made: a change made between the item's first read and its
/// registration reached no item, and would otherwise wait for the next change. A value the
/// item has already is not sent again (async-opcua filters unchanged values).
pub(super) fn resync(nodes: &[(Arc<VariableNode>, u64)], subscriptions: &SubscriptionCache) {
    let moved = nodes
        .iter()
        .filter(|(node, seen)| node.variable.version() != *seen)
        .map(|(node, _)| {
            (
                data_value(node, node.variable.read()),
                &node.id,
                AttributeId::Value,
            )
        });
    subscriptions.notify_data_change(moved);
}

/// Writes `data` into `node`'s variable in `session` (a Write of the client of that
/// session) and answers its status; one audit record says how it went.
pub(super) fn write(session: &Session, node: &VariableNode, data: &DataValue) -> StatusCode {
    let audit = session
        .engine()
        .and_then(|engine| CallAudit::write(&engine, AuditHost::Opcua, &node.path, session));
    let (status, outcome) = match write_value(session, node, data.value.as_ref()) {
        Ok(_) => (StatusCode::Good, AuditOutcome::Ok),
        Err(refused) => refused,
    };
    if let Some(audit) = audit {
        audit.finish_as(outcome);
    }
    status
}

fn write_value(
    session: &Session,
    node: &VariableNode,
    variant: Option<&Variant>,
) -> Result<u64, (StatusCode, AuditOutcome)> {
    let invalid = (StatusCode::BadTypeMismatch, AuditOutcome::Invalid);
    let Some(variant) = variant else {
        return Err(invalid);
    };
    let value = node.ty.read_argument(variant).map_err(|why| {
        tracing::debug!(path = %node.path, %why, "OPC UA write refused: a value of another type");
        invalid
    })?;
    let _in_session = session
        .enter()
        .map_err(|error| refusal(&VariableError::Session(error)))?;
    node.variable.write(value).map_err(|error| {
        tracing::debug!(path = %node.path, %error, "OPC UA write refused");
        refusal(&error)
    })
}

/// The status and audit outcome of a write that `error` refused.
fn refusal(error: &VariableError) -> (StatusCode, AuditOutcome) {
    match error {
        VariableError::Session(SessionError::Forbidden { .. } | SessionError::NoContext) => {
            (StatusCode::BadUserAccessDenied, AuditOutcome::Refused)
        }
        VariableError::Session(SessionError::NotFound(_)) => {
            (StatusCode::BadSessionClosed, AuditOutcome::Refused)
        }
        VariableError::Session(_) => (StatusCode::BadInternalError, AuditOutcome::Refused),
        VariableError::WrongType { .. } => (StatusCode::BadTypeMismatch, AuditOutcome::Invalid),
        // A shared variable whose farm's Redis did not take the write: nothing changed.
        VariableError::Unavailable { .. } => {
            (StatusCode::BadCommunicationError, AuditOutcome::Failed)
        }
        _ => (StatusCode::BadInternalError, AuditOutcome::Failed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_have_their_status_by_type() {
        let forbidden = VariableError::Session(SessionError::Forbidden {
            role: "operator".into(),
        });
        assert_eq!(
            refusal(&forbidden),
            (StatusCode::BadUserAccessDenied, AuditOutcome::Refused)
        );
        assert_eq!(
            refusal(&VariableError::Session(SessionError::NoContext)),
            (StatusCode::BadUserAccessDenied, AuditOutcome::Refused)
        );
        let wrong = crate::from_value::<u8>(Value::Int(300)).expect_err("out of range");
        let wrong = VariableError::WrongType {
            expected: "u8",
            error: wrong,
        };
        assert_eq!(
            refusal(&wrong),
            (StatusCode::BadTypeMismatch, AuditOutcome::Invalid)
        );
        let unavailable = VariableError::Unavailable {
            reason: "Redis did not answer".into(),
        };
        assert_eq!(
            refusal(&unavailable),
            (StatusCode::BadCommunicationError, AuditOutcome::Failed)
        );
    }

    #[test]
    fn times_are_ticks_since_1601() {
        let at = UNIX_EPOCH + std::time::Duration::from_millis(1_500);
        assert_eq!(date_time(at).ticks(), 116_444_736_015_000_000);
        assert_eq!(
            date_time(UNIX_EPOCH - std::time::Duration::from_secs(1)),
            DateTime::null()
        );
    }
}
