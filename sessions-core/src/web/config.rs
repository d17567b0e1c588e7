//! [`Config`]: what a built host was given, read by every request and socket.

use std::sync::Arc;
use std::time::Duration;

use super::cookie::CookieKey;
use super::origin::SiteOrigin;
use super::scope::LoginScope;
use crate::auth::Accounts;
use crate::host::Authenticate;
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
}
