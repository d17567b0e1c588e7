//! The farm node's message counts, lease renewals and inbox length in a [`Metrics`] registry
//! (features `farm` and `metrics`).

use super::Farm;
use crate::metrics::{Metrics, NodeCounts};

impl NodeCounts for Farm {
    fn node(&self) -> &str {
        self.node_name()
    }

    fn counts(&self) -> Vec<(&'static str, u64)> {
        let report = self.report();
        vec![
            ("sent", report.sent),
            ("delivered", report.delivered),
            ("failed", report.failed),
            ("refused", report.refused),
            ("panicked", report.panicked),
            ("invalid", report.invalid),
            ("undelivered", report.undelivered),
            ("redelivered", report.redelivered),
        ]
    }

    fn shared(&self) -> Vec<(&'static str, u64)> {
        let report = self.report();
        vec![
            ("applied", report.shared_changes),
            ("invalid", report.shared_invalid),
        ]
    }

    fn renewals(&self) -> u64 {
        self.lease_renewals()
    }

    fn inbox(&self) -> Option<u64> {
        self.inbox_len()
    }
}

impl Metrics {
    /// Reports the farm node at each scrape, labelled with its node name: its message counts
    /// ([`FarmReport`](super::FarmReport)) as `sessions_farm_messages_total{node,outcome}`,
    /// its shared variables' changes from Redis as
    /// `sessions_farm_shared_changes_total{node,outcome}` (`applied`, `invalid`),
    /// its [lease renewals](Farm::lease_renewals) as `sessions_farm_lease_renewals_total{node}`,
    /// and its [inbox's length](Farm::inbox_len) as `sessions_farm_inbox_messages{node}`.
    /// Registering a node of the same name again changes nothing. The registry keeps the
    /// node's handle.
    pub fn farm(&self, farm: &Farm) {
        self.node(Box::new(farm.clone()));
    }
}
