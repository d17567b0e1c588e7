//! The engines' gauges, read at each scrape: open and active sessions, undelivered
//! notifications.

use std::collections::BTreeMap;
use std::sync::Mutex;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::gauge::ConstGauge;

use crate::lock::lock;
use crate::Engine;

/// The engines a [`Metrics`](super::Metrics) reports.
#[derive(Debug, Default)]
pub(super) struct Engines {
    engines: Mutex<Vec<Engine>>,
}

/// A gauge's name, help, and how it reads a label's figures.
type Gauge = (&'static str, &'static str, fn(&Figures) -> i64);

/// One label's figures (unnamed engines share the label `""`, and are summed).
#[derive(Default)]
struct Figures {
    open: i64,
    active: i64,
    undelivered: u64,
}

impl Engines {
    /// Adds `engine`, unless it is there already.
    pub(super) fn add(&self, engine: &Engine) {
        let mut engines = lock(&self.engines);
        if !engines.contains(engine) {
            engines.push(engine.clone());
        }
    }

    /// How many engines are reported.
    pub(super) fn len(&self) -> usize {
        lock(&self.engines).len()
    }

    fn figures(&self) -> BTreeMap<String, Figures> {
        let mut by_label = BTreeMap::<String, Figures>::new();
        for engine in lock(&self.engines).iter() {
            let figures = by_label
                .entry(engine.name().unwrap_or_default().to_owned())
                .or_default();
            figures.open += i64::try_from(engine.len()).unwrap_or(i64::MAX);
            figures.active += i64::try_from(engine.active_count()).unwrap_or(i64::MAX);
            figures.undelivered += engine.undelivered_notifications() as u64;
        }
        by_label
    }
}

impl Collector for Engines {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let figures = self.figures();
        let gauges: [Gauge; 2] = [
            ("sessions_open", "Open sessions of the engine", |f| f.open),
            (
                "sessions_active",
                "Sessions of the engine with a user logged in",
                |f| f.active,
            ),
        ];
        for (name, help, read) in gauges {
            let gauge = ConstGauge::new(0i64);
            let mut family = encoder.encode_descriptor(name, help, None, gauge.metric_type())?;
            for (label, figures) in &figures {
                let labels = [("engine", label.as_str())];
                ConstGauge::new(read(figures)).encode(family.encode_family(&labels)?)?;
            }
        }
        let counter = ConstCounter::new(0u64);
        let mut family = encoder.encode_descriptor(
            "sessions_notifications_undelivered",
            "Notifications left queued when their sessions closed",
            None,
            counter.metric_type(),
        )?;
        for (label, figures) in &figures {
            let labels = [("engine", label.as_str())];
            ConstCounter::new(figures.undelivered).encode(family.encode_family(&labels)?)?;
        }
        Ok(())
    }
}
