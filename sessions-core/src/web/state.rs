//! [`Host`]: what every request and socket of one built host shares.

use std::sync::Arc;

use super::config::Config;
use super::drain::DrainState;
use super::tabs::Tabs;

/// What every request and socket of one host shares.
pub(super) struct Host {
    pub config: Config,
    pub tabs: Arc<Tabs>,
    /// Whether the host drains, and its open tab sockets.
    pub drain: Arc<DrainState>,
}
