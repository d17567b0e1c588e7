//! [`CallMeter`]: one call's count and duration, from its start to its verdict.

use std::time::Instant;

use prometheus_client::encoding::EncodeLabelSet;

use super::{Metrics, UNKNOWN_METHOD};
use crate::methods::Verdict;
use crate::{methods, Engine, Session};

/// The labels of `sessions_calls_total`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct CallLabels {
    method: &'static str,
    outcome: &'static str,
    host: &'static str,
}

/// The labels of `sessions_call_duration_seconds`.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct DurationLabels {
    method: &'static str,
    host: &'static str,
}

/// One call being measured: made by [`Call::metered`](crate::host::Call::metered) when the
/// call starts, [`finish`](Self::finish)ed with its verdict.
#[derive(Debug)]
#[must_use = "a call is counted when its meter is finished"]
pub(crate) struct CallMeter {
    metrics: Metrics,
    method: &'static str,
    host: &'static str,
    started: Instant,
}

impl CallMeter {
    /// Starts measuring a call of `name` in `session` from `host`.
    pub(super) fn start(
        metrics: Metrics,
        name: &str,
        session: Option<&Session>,
        host: &'static str,
    ) -> CallMeter {
        CallMeter {
            metrics,
            method: method_label(name, session),
            host,
            started: Instant::now(),
        }
    }

    /// Counts the call with its verdict, and its duration since it started.
    pub(crate) fn finish(self, verdict: Verdict) {
        let seconds = self.started.elapsed().as_secs_f64();
        let shared = &self.metrics.shared;
        shared
            .calls
            .get_or_create(&CallLabels {
                method: self.method,
                outcome: verdict.as_str(),
                host: self.host,
            })
            .inc();
        shared
            .durations
            .get_or_create(&DurationLabels {
                method: self.method,
                host: self.host,
            })
            .observe(seconds);
    }
}

/// The table's name of the method `name` calls: its own, for a method of the table; the
/// type-level name (`Oven.SetTarget`) for an object's method (`Line1/Oven.SetTarget`) on
/// the session's engine (the global engine without a session); [`UNKNOWN_METHOD`] for any
/// other name, so that what a client sends never becomes a label.
fn method_label(name: &str, session: Option<&Session>) -> &'static str {
    if let Some(method) = methods().get(name) {
        return method.name();
    }
    let engine = session
        .and_then(Session::engine)
        .unwrap_or_else(|| Engine::global().clone());
    engine
        .object_method_info(name)
        .map_or(UNKNOWN_METHOD, |method| method.name())
}
