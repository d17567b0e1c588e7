//! The farm nodes' message counts, read at each scrape (the farm gives them: see
//! `farm/metrics.rs`).

use std::fmt;
use std::sync::Mutex;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;

use crate::lock::lock;

/// What a farm node tells the metrics at each scrape.
pub(crate) trait NodeCounts: Send + Sync + 'static {
    /// The node's name.
    fn node(&self) -> &str;
    /// Its messages by outcome, each outcome named once.
    fn counts(&self) -> Vec<(&'static str, u64)>;
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
        let counts: Vec<(String, Vec<(&'static str, u64)>)> = lock(&self.nodes)
            .iter()
            .map(|node| (node.node().to_owned(), node.counts()))
            .collect();
        if counts.is_empty() {
            return Ok(());
        }
        let counter = ConstCounter::new(0u64);
        let mut family = encoder.encode_descriptor(
            "sessions_farm_messages",
            "Messages of the farm node, by outcome: sent to another node's inbox, or taken from its own and delivered, failed, refused, panicked, invalid, undelivered or redelivered",
            None,
            counter.metric_type(),
        )?;
        for (node, outcomes) in &counts {
            for (outcome, count) in outcomes {
                let labels = [("node", node.as_str()), ("outcome", outcome)];
                ConstCounter::new(*count).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}
