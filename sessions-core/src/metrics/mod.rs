//! Prometheus metrics of the hosts' calls and the engines' sessions (feature `metrics`).
//!
//! One [`Metrics`] value is the registry: the application makes it, hands a clone to each
//! host (the web host serves it at `GET {base}/metrics` with
//! [`WebHostBuilder::metrics`](crate::web::WebHostBuilder::metrics)), and
//! [`encode`](Metrics::encode)s it in the Prometheus text format wherever else it wants.
//!
//! What it holds:
//! - `sessions_calls_total{method,outcome,host}` (counter): calls a host ran through
//!   [`host::Call`](crate::host::Call) with [`Call::metered`](crate::host::Call::metered),
//!   by method, [`Verdict`](crate::host::Verdict) (`ok`, `failed`, `refused`, `panicked`,
//!   `invalid`) and host (`web`, `opcua`, `farm`, or the name a host of its own gives).
//! - `sessions_call_duration_seconds{method,host}` (histogram): how long those calls took,
//!   from the host's decoded call to its answer.
//! - `sessions_open{engine}` and `sessions_active{engine}` (gauges):
//!   [`Engine::len`](crate::Engine::len) and
//!   [`Engine::active_count`](crate::Engine::active_count) of each engine
//!   [registered](Metrics::engine), read at each scrape (no cost per call).
//! - `sessions_notifications_undelivered_total{engine}` (counter):
//!   [`Engine::undelivered_notifications`](crate::Engine::undelivered_notifications), the
//!   notifications left queued when their sessions closed.
//! - With feature `farm`, for each node registered (`Metrics::farm`; plain names here, so
//!   the docs build without the feature):
//!   `sessions_farm_messages_total{node,outcome}` (counter), its
//!   `farm::FarmReport` read at each scrape;
//!   `sessions_farm_shared_changes_total{node,outcome}` (counter), its shared variables'
//!   changes taken from Redis, `applied` or `invalid`;
//!   `sessions_farm_lease_renewals_total{node}` (counter), its
//!   lease renewals (`Farm::lease_renewals`); and
//!   `sessions_farm_inbox_messages{node}` (gauge), the messages waiting in its inbox as
//!   read at its last renewal (`Farm::inbox_len`; no sample before the first).
//!
//! Labels never hold a session id, a client id or a user name. A method label is a name
//! from the method table (an object's method is labelled by its type-level name,
//! `Oven.SetTarget`, not by the object's path), so their number is bounded by the table; a
//! name a client sent that the table does not know is labelled `unknown`.
//!
//! ```
//! use sessions_core::host::{Answer, Call};
//! use sessions_core::metrics::Metrics;
//! use sessions_core::{export_method, Engine};
//!
//! /// Adds.
//! #[export_method(session = none)]
//! fn metrics_doc_add(a: i64, b: i64) -> i64 {
//!     a + b
//! }
//!
//! let engine = Engine::new();
//! let metrics = Metrics::new();
//! metrics.engine(&engine);
//! let session = engine.open()?;
//! let call = Call::new("metrics_doc_add", vec![1.into(), 2.into()]).in_session(Some(&session));
//! assert!(matches!(call.metered(&metrics, "cli").run_blocking(), Answer::Ran(_)));
//! let text = metrics.encode();
//! assert!(text.contains(r#"sessions_calls_total{method="metrics_doc_add",outcome="ok",host="cli"} 1"#));
//! assert!(text.contains(r#"sessions_open{engine=""} 1"#));
//! # Ok::<(), sessions_core::SessionError>(())
//! ```

mod engines;
mod meter;
mod nodes;

use std::fmt;
use std::sync::Arc;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

pub(crate) use meter::CallMeter;
pub(crate) use nodes::NodeCounts;

use crate::Engine;
use engines::Engines;
use meter::{CallLabels, DurationLabels};
use nodes::Nodes;

/// The content type of [`Metrics::encode`]'s text: the Prometheus text format 0.0.4.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// The method label of a call whose name the method table does not know.
pub const UNKNOWN_METHOD: &str = "unknown";

/// The registry of the sessions' metrics, shared by every host that is given a clone. See
/// the [module docs](self) for what it holds.
#[derive(Clone)]
pub struct Metrics {
    shared: Arc<Shared>,
}

struct Shared {
    registry: Registry,
    calls: Family<CallLabels, Counter>,
    durations: Family<DurationLabels, Histogram, fn() -> Histogram>,
    engines: Arc<Engines>,
    nodes: Arc<Nodes>,
}

/// The buckets of `sessions_call_duration_seconds`: 50 µs to about 13 s, ×2 each.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.000_05, 2.0, 19))
}

impl Metrics {
    /// An empty registry: no engine and no call counted yet.
    pub fn new() -> Metrics {
        let mut registry = Registry::default();
        let calls = Family::<CallLabels, Counter>::default();
        registry.register(
            "sessions_calls",
            "Calls a host ran, by method, outcome (ok, failed, refused, panicked, invalid) and host",
            calls.clone(),
        );
        let durations: Family<DurationLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(duration_histogram);
        registry.register(
            "sessions_call_duration_seconds",
            "How long calls took, from the host's decoded call to its answer, by method and host",
            durations.clone(),
        );
        let engines = Arc::new(Engines::default());
        registry.register_collector(Box::new(Arc::clone(&engines)));
        let nodes = Arc::new(Nodes::default());
        registry.register_collector(Box::new(Arc::clone(&nodes)));
        Metrics {
            shared: Arc::new(Shared {
                registry,
                calls,
                durations,
                engines,
                nodes,
            }),
        }
    }

    /// Reports `engine`'s open and active sessions and its undelivered notifications, read
    /// at each scrape, labelled with its [name](Engine::name) (`""` for an unnamed one;
    /// unnamed engines are summed). Registering an engine again changes nothing. The
    /// registry keeps the engine alive.
    pub fn engine(&self, engine: &Engine) {
        self.shared.engines.add(engine);
    }

    /// Reports a farm node's counts at each scrape (`Metrics::farm`, in the farm module).
    #[cfg_attr(not(feature = "farm"), allow(dead_code))]
    pub(crate) fn node(&self, node: Box<dyn NodeCounts>) {
        self.shared.nodes.add(node);
    }

    /// The metrics now, in the Prometheus text format ([`CONTENT_TYPE`]).
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String fails only if a collector fails, and ours do not.
        if let Err(error) = prometheus_text::encode(&mut text, &self.shared.registry) {
            tracing::error!(%error, "encoding the metrics failed; the scrape is cut short");
        }
        text
    }

    /// The meter of one call from `host`, for
    /// [`Call::metered`](crate::host::Call::metered).
    pub(crate) fn meter(
        &self,
        method: &str,
        session: Option<&crate::Session>,
        host: &'static str,
    ) -> CallMeter {
        CallMeter::start(self.clone(), method, session, host)
    }
}

impl Default for Metrics {
    fn default() -> Metrics {
        Metrics::new()
    }
}

impl fmt::Debug for Metrics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Metrics")
            .field("engines", &self.shared.engines.len())
            .finish_non_exhaustive()
    }
}
