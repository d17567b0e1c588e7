//! [`Config`]: what a built host was given, read by every request and socket.

use std::sync::Arc;
use std::time::Duration;

use super::cookie::CookieKey;
use super::limits::{BatchLimits, ConnectionLimits, WebCounters};
use super::origin::SiteOrigin;
use super::scope::LoginScope;
use crate::auth::Accounts;
use crate::host::Authenticate;
use crate::metrics::Metrics;
use crate::Engine;

/// What a built host was given: read by every request and socket.
pub(super) struct Config {
    pub engine: Engine,
    pub base_path: String,
    pub allowed_origins: Vec<String>,
    pub secure_cookies: bool,
    pub grace_period: Duration,
    pub max_message_bytes: usize,
    pub max_in_flight_calls: usize,
    pub max_tabs_per_client: usize,
    pub heartbeat: Duration,
    pub authenticate: Option<Arc<Authenticate>>,
    pub cookie_key: CookieKey,
    pub public_origins: Vec<SiteOrigin>,
    pub accounts: Option<Accounts>,
    pub login_scope: LoginScope,
    /// `None`: the heartbeat period.
    pub write_timeout: Option<Duration>,
    pub max_batch_members: usize,
    pub counters: WebCounters,
    /// The registry calls are counted in and `GET {base}/metrics` serves, if any.
    pub metrics: Option<Metrics>,
    /// Whether `GET {base}/methods` keeps each method's `x-rust-path`.
    pub publish_rust_paths: bool,
    /// How long a POST's body may take to arrive.
    pub body_read_timeout: Duration,
    /// What the host's serve loop keeps on each connection.
    pub connections: ConnectionLimits,
}

impl Config {
    /// How long a write to a tab may make no progress before the tab is taken as gone.
    pub fn write_deadline(&self) -> Duration {
        self.write_timeout.unwrap_or(self.heartbeat)
    }

    /// The bounds of a batch's answer.
    pub fn batch_limits(&self) -> BatchLimits {
        BatchLimits::new(
            self.max_batch_members,
            self.max_message_bytes,
            self.counters.clone(),
        )
    }
}
