//! [`Config`]: what a started host was given.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::auth::Account;
use crate::auth::Accounts;
use crate::host::Authenticate;
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
    pub max_session_timeout: Duration,
}
