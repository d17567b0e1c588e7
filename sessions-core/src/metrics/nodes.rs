//! The farm nodes' message counts, shared variables' changes, lease renewals and inbox lengths, read at each scrape (the
//! farm gives them: see `farm/metrics.rs`).

use std::fmt;
use std::sync::Mutex;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::lock::lock;

/// What a farm node tells the metrics at each scrape.
pub(crate) trait NodeCounts: Send + Sync + 'static {
    /// The node's name.
    fn node(&self) -> &str;
    /// Its messages by outcome, each outcome named once.
    fn counts(&self) -> Vec<(&'static str, u64)>;
    /// Its shared variables' changes taken from Redis, by outcome, each named once.
    fn shared(&self) -> Vec<(&'static str, u64)>;
    /// Its lease renewals since it joined.
    fn renewals(&self) -> u64;
    /// The messages waiting in its inbox, as last read (`None`: not read yet).
    fn inbox(&self) -> Option<u64>;
}

/// One node's figures, read under the lock and encoded after it.
struct Reading {
    node: String,
    outcomes: Vec<(&'static str, u64)>,
    shared: Vec<(&'static str, u64)>,
    renewals: u64,
    inbox: Option<u64>,
}

/// The farm nodes a [`Metrics`](super::Metrics) reports.
#[derive(Default)]
pub(super) struct Nodes {
    nodes: Mutex<Vec<Box<dyn NodeCounts>>>,
}

impl fmt::Debug for Nodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Nodes")
            .field("nodes", &lock(&self.nodes).len())
            .finish()
    }
}

impl Nodes {
    /// Adds `node`, unless a node of its name is there already.
    pub(super) fn add(&self, node: Box<dyn NodeCounts>) {
        let mut nodes = lock(&self.nodes);
        if !nodes.iter().any(|n| n.node() == node.node()) {
            nodes.push(node);
        }
    }
}

impl Collector for Nodes {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), fmt::Error> {
        let readings: Vec<Reading> = lock(&self.nodes)
            .iter()
            .map(|node| Reading {
                node: node.node().to_owned(),
                outcomes: node.counts(),
                shared: node.shared(),
                renewals: node.renewals(),
                inbox: node.inbox(),
            })
            .collect();
        if readings.is_empty() {
            return Ok(());
        }
        let mut family = encoder.encode_descriptor(
            "sessions_farm_messages",
            "Messages of the farm node, by outcome: sent to another node's inbox, or taken from its own and delivered, failed, refused, panicked, invalid, undelivered or redelivered",
            None,
            ConstCounter::new(0u64).metric_type(),
        )?;
        for reading in &readings {
            for (outcome, count) in &reading.outcomes {
                let labels = [("node", reading.node.as_str()), ("outcome", outcome)];
                ConstCounter::new(*count).encode(family.encode_family(&labels)?)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "sessions_farm_shared_changes",
            "Changes of shared variables the farm node took from Redis, by outcome: applied (or already held), or invalid (not of the variable's type, or not a change: logged, never applied)",
            None,
            ConstCounter::new(0u64).metric_type(),
        )?;
        for reading in &readings {
            for (outcome, count) in &reading.shared {
                let labels = [("node", reading.node.as_str()), ("outcome", outcome)];
                ConstCounter::new(*count).encode(family.encode_family(&labels)?)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "sessions_farm_lease_renewals",
            "Lease renewals of the farm node since it joined, three per lease while Redis answers; a count that stops growing means the node is cut off",
            None,
            ConstCounter::new(0u64).metric_type(),
        )?;
        for reading in &readings {
            let labels = [("node", reading.node.as_str())];
            ConstCounter::new(reading.renewals).encode(family.encode_family(&labels)?)?;
        }
        let mut family = encoder.encode_descriptor(
            "sessions_farm_inbox_messages",
            "Messages waiting in the farm node's inbox (posted, not yet acknowledged), as Redis counted them at its last lease renewal",
            None,
            ConstGauge::new(0i64).metric_type(),
        )?;
        for reading in &readings {
            // Before the node's first renewal there is nothing true to say: no sample.
            let Some(inbox) = reading.inbox else { continue };
            let labels = [("node", reading.node.as_str())];
            let inbox = i64::try_from(inbox).unwrap_or(i64::MAX);
            ConstGauge::new(inbox).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}
