//! The router: the host's routes under its base path, sharing one [`Host`].

use std::sync::Arc;

use axum::routing::{get, post};
use axum::Router;

use super::config::Config;
use super::drain::DrainState;
use super::http::{client_d_ts, client_js, metrics, openrpc, ready, rpc};
use super::socket::upgrade;
use super::state::Host;
use super::tabs::Tabs;

pub(super) fn router(config: Config, drain: Arc<DrainState>) -> Router {
    let base = config.base_path.clone();
    let tabs = Tabs::new(
        config.engine.clone(),
        config.grace_period,
        config.max_tabs_per_client,
    );
    let serve_metrics = config.metrics.is_some();
    let host = Arc::new(Host {
        config,
        tabs,
        drain,
    });
    let router = Router::new()
        .route(&format!("{base}/ws"), get(upgrade))
        .route(&format!("{base}/rpc"), post(rpc))
        .route(&format!("{base}/methods"), get(openrpc))
        .route(&format!("{base}/client.js"), get(client_js))
        .route(&format!("{base}/client.d.ts"), get(client_d_ts))
        .route(&format!("{base}/ready"), get(ready));
    let router = if serve_metrics {
        router.route(&format!("{base}/metrics"), get(metrics))
    } else {
        router
    };
    router.with_state(host)
}
