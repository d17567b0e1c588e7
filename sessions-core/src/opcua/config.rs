//! [`Config`]: what a started host was given.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::auth::Account;
use crate::auth::Accounts;
use crate::auth::Throttle;
use crate::host::Authenticate;
use crate::metrics::Metrics;
use crate::Engine;

/// What a started host was given.
pub(super) struct Config {
    pub engine: Engine,
    pub host: String,
    pub port: u16,
    pub application_name: String,
    pub application_uri: String,
    pub accounts: HashMap<String, Account>,
    pub authenticate: Option<Arc<Authenticate>>,
    /// The accounts store ([`OpcUaHostBuilder::accounts`](super::OpcUaHostBuilder::accounts)).
    pub store: Option<Accounts>,
    pub allow_anonymous: bool,
    /// The server's certificate (DER) and private key (PEM).
    pub certificate: Option<(PathBuf, PathBuf)>,
    pub allow_unsecured: bool,
    pub pki_dir: Option<PathBuf>,
    pub trust_client_certificates: bool,
    pub max_sessions: usize,
    /// The cap on anonymous sessions; `None`: half of `max_sessions`.
    pub max_anonymous_sessions: Option<usize>,
    pub max_session_timeout: Duration,
    pub login_throttle: Throttle,
    /// The registry calls are counted in (host label `opcua`), if any.
    pub metrics: Option<Metrics>,
}

impl Config {
    /// How many anonymous sessions the host holds at once.
    pub fn anonymous_cap(&self) -> usize {
        self.max_anonymous_sessions
            .unwrap_or(self.max_sessions / 2)
            .clamp(1, self.max_sessions)
    }
}
