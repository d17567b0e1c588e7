//! The farm node's message counts in a [`Metrics`] registry (features `farm` and `metrics`).

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
}

impl Metrics {
    /// Reports the farm node's message counts ([`FarmReport`](super::FarmReport)) at each
    /// scrape, as `sessions_farm_messages_total{node,outcome}`, labelled with its node name.
    /// Registering a node of the same name again changes nothing. The registry keeps the
    /// node's handle.
    pub fn farm(&self, farm: &Farm) {
        self.node(Box::new(farm.clone()));
    }
}
