//! The farm nodes' message counts, read at each scrape.

use std::sync::Mutex;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;

use crate::farm::Farm;
use crate::lock::lock;

/// The farm nodes a [`Metrics`](super::Metrics) reports.
#[derive(Debug, Default)]
pub(super) struct Farms {
    farms: Mutex<Vec<Farm>>,
}

impl Farms {
    /// Adds `farm`'s node, unless a node of that name is there already.
    pub(super) fn add(&self, farm: &Farm) {
        let mut farms = lock(&self.farms);
        if !farms.iter().any(|f| f.node_name() == farm.node_name()) {
            farms.push(farm.clone());
        }
    }
}

impl Collector for Farms {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let reports: Vec<(String, crate::farm::FarmReport)> = lock(&self.farms)
            .iter()
            .map(|farm| (farm.node_name().to_owned(), farm.report()))
            .collect();
        let counter = ConstCounter::new(0u64);
        let mut family = encoder.encode_descriptor(
            "sessions_farm_messages",
            "Messages of the farm node, by outcome: sent to another node's inbox, or taken from its own and delivered, failed, refused, panicked, invalid, undelivered or redelivered",
            None,
            counter.metric_type(),
        )?;
        for (node, report) in &reports {
            let outcomes = [
                ("sent", report.sent),
                ("delivered", report.delivered),
                ("failed", report.failed),
                ("refused", report.refused),
                ("panicked", report.panicked),
                ("invalid", report.invalid),
                ("undelivered", report.undelivered),
                ("redelivered", report.redelivered),
            ];
            for (outcome, count) in outcomes {
                let labels = [("node", node.as_str()), ("outcome", outcome)];
                ConstCounter::new(count).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}
