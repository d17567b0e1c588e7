//! [`OpcUaHost::builder`]: what the application chooses (endpoint, names, users, security,
//! limits) before it starts the server.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::auth::Account;
use super::config::Config;
use super::error::OpcUaError;
use super::server::{start, OpcUaHandle};
use crate::auth::Accounts;
use crate::auth::Throttle;
use crate::host::Credentials;
use crate::metrics::Metrics;
use crate::{Engine, User};

/// The port the host listens on unless [`OpcUaHostBuilder::port`] says otherwise (the
/// registered OPC UA port).
pub const DEFAULT_PORT: u16 = 4840;
/// The application name the host announces by default.
pub const DEFAULT_APPLICATION_NAME: &str = "sessions";
/// The application URI the host announces by default.
pub const DEFAULT_APPLICATION_URI: &str = "urn:sessions:host";
/// How many OPC UA sessions the server takes at once by default; one more is refused at
/// CreateSession with `BadTooManySessions`.
pub const DEFAULT_MAX_SESSIONS: usize = 100;
/// The longest session timeout a client may ask for by default: a client that vanishes
/// without closing its session (a dropped connection) holds it this long at most.
pub const DEFAULT_MAX_SESSION_TIMEOUT: Duration = Duration::from_secs(60);

/// The OPC UA host: an OPC UA server (async-opcua) whose address space holds the exported
/// methods and objects, and whose every session is a session of an [`Engine`]. Build one
/// with [`OpcUaHost::builder`].
#[derive(Debug)]
pub struct OpcUaHost(());

impl OpcUaHost {
    /// Starts building the host of `engine`'s sessions, with the defaults: `127.0.0.1`
    /// port 4840, anonymous clients allowed, no users, security policy `None` only (no
    /// certificate), 100 sessions at most, session timeouts capped at 60 s.
    ///
    /// ```no_run
    /// use sessions_core::opcua::OpcUaHost;
    /// use sessions_core::{Engine, User};
    ///
    /// # async fn serve() -> Result<(), sessions_core::opcua::OpcUaError> {
    /// let engine = Engine::builder().name("WebPresentationEngine").build().expect("a fresh name");
    /// let host = OpcUaHost::builder(engine)
    ///     .host("0.0.0.0")
    ///     .port(4840)
    ///     .user("operator", "secret", ["operator"])
    ///     .authenticate(|credentials| {
    ///         let (name, password) = credentials.user_and_password()?;
    ///         (name == "admin" && password == "from-a-vault").then(|| User::new("admin").with_roles(["admin"]))
    ///     })
    ///     .start()
    ///     .await?;
    /// println!("listening on {}", host.endpoint_url());
    /// host.wait().await
    /// # }
    /// ```
    pub fn builder(engine: Engine) -> OpcUaHostBuilder {
        OpcUaHostBuilder {
            config: Config {
                engine,
                host: "127.0.0.1".to_owned(),
                port: DEFAULT_PORT,
                application_name: DEFAULT_APPLICATION_NAME.to_owned(),
                application_uri: DEFAULT_APPLICATION_URI.to_owned(),
                accounts: HashMap::new(),
                authenticate: None,
                store: None,
                allow_anonymous: true,
                certificate: None,
                allow_unsecured: true,
                pki_dir: None,
                trust_client_certificates: false,
                max_sessions: DEFAULT_MAX_SESSIONS,
                max_anonymous_sessions: None,
                max_session_timeout: DEFAULT_MAX_SESSION_TIMEOUT,
                login_throttle: Throttle::builder().build(),
                metrics: None,
            },
        }
    }
}

/// Sets up an [`OpcUaHost`]; [`start`](Self::start) binds the port and runs the server.
#[must_use = "a builder does nothing until `start` runs the server"]
pub struct OpcUaHostBuilder {
    pub(super) config: Config,
}

impl OpcUaHostBuilder {
    /// The address to listen on (a name or an IP address; `0.0.0.0` for every interface);
    /// also the host part of the endpoint URL clients are told. Default `127.0.0.1`.
    pub fn host(mut self, host: impl Into<String>) -> OpcUaHostBuilder {
        self.config.host = host.into();
        self
    }

    /// The TCP port; `0` lets the system choose a free one, which
    /// [`OpcUaHandle::local_addr`] tells. Default 4840.
    pub fn port(mut self, port: u16) -> OpcUaHostBuilder {
        self.config.port = port;
        self
    }

    /// The application name the server announces. Default `sessions`.
    pub fn application_name(mut self, name: impl Into<String>) -> OpcUaHostBuilder {
        self.config.application_name = name.into();
        self
    }

    /// The application URI the server announces (and a certificate of its must name).
    /// Default `urn:sessions:host`.
    pub fn application_uri(mut self, uri: impl Into<String>) -> OpcUaHostBuilder {
        self.config.application_uri = uri.into();
        self
    }

    /// A user who logs in with `name` and `password` (compared in constant time), with
    /// `roles` (see `role = "…"` on exported methods). Call it once per user; these are
    /// checked before the [`accounts`](Self::accounts) store and the
    /// [`authenticate`](Self::authenticate) hook.
    ///
    /// For quick tests only: the password is kept in memory as given (and on a command
    /// line, `opcua_server --user`, it is visible to the machine's other users); its failed
    /// attempts are throttled by name like every other ([`login_throttle`](Self::login_throttle)).
    /// A real server logs users in with
    /// [`accounts`](Self::accounts).
    pub fn user<R: Into<String>>(
        mut self,
        name: impl Into<String>,
        password: impl Into<String>,
        roles: impl IntoIterator<Item = R>,
    ) -> OpcUaHostBuilder {
        let name = name.into();
        let account = Account {
            password: password.into(),
            user: User::new(name.clone()).with_roles(roles),
        };
        self.config.accounts.insert(name, account);
        self
    }

    /// The users clients log in as with a user name and password token: an accounts store
    /// (Argon2id hashes, the store's roles), with its throttling of failed attempts per
    /// name. The password is checked off the server's task, on tokio's blocking pool
    /// ([`Accounts::verify_async`]). async-opcua does not tell an authentication who the
    /// peer is, so failures are throttled per name only here.
    ///
    /// Give the web host a clone of the same [`Accounts`] and the two throttle together.
    /// Names given with [`user`](Self::user) are checked first; with a store, the
    /// [`authenticate`](Self::authenticate) hook is not asked about passwords.
    pub fn accounts(mut self, accounts: Accounts) -> OpcUaHostBuilder {
        self.config.store = Some(accounts);
        self
    }

    /// The authentication hook ([`host::Authenticate`](crate::host::Authenticate), the
    /// shape every host takes) for user names not given with [`user`](Self::user): it gets
    /// the [`Credentials`] a client sent (its user name and password) and returns the
    /// [`User`] (with roles) its session logs in, or `None` to refuse. It runs on the
    /// server's task for that client's ActivateSession: keep it quick.
    pub fn authenticate(
        mut self,
        hook: impl Fn(&Credentials<'_>) -> Option<User> + Send + Sync + 'static,
    ) -> OpcUaHostBuilder {
        self.config.authenticate = Some(Arc::new(hook));
        self
    }

    /// The throttle of failed log-ins (user name tokens): after its
    /// [`max_failures`](crate::auth::ThrottleBuilder::max_failures) failures for one user
    /// name within its window, that name's log-ins are refused with `BadUserAccessDenied`
    /// without checking the password, for a back-off that doubles with each further failure
    /// (see [`Throttle`]). Default: `Throttle::builder().build()` (5 failures a minute, 5 s
    /// first). Give the throttle of the application's accounts to share one count with its
    /// other hosts. (async-opcua tells an authenticator no peer address, so log-ins are
    /// counted by name.)
    pub fn login_throttle(mut self, throttle: Throttle) -> OpcUaHostBuilder {
        self.config.login_throttle = throttle;
        self
    }

    /// Whether clients may connect without a user (their sessions have none). Default
    /// `true`; with `false`, an anonymous ActivateSession is refused with
    /// `BadIdentityTokenRejected`.
    pub fn allow_anonymous(mut self, allow: bool) -> OpcUaHostBuilder {
        self.config.allow_anonymous = allow;
        self
    }

    /// The server's application instance certificate (DER) and private key (PEM). With
    /// them the server offers, besides `None`, the endpoints `Basic256Sha256`,
    /// `Aes128_Sha256_RsaOaep` and `Aes256_Sha256_RsaPss`, each signed and signed and
    /// encrypted, and passwords are encrypted with the certificate even on the `None`
    /// endpoint. Relative paths are taken from the [`pki_dir`](Self::pki_dir).
    pub fn certificate(
        mut self,
        certificate_der: impl Into<PathBuf>,
        private_key_pem: impl Into<PathBuf>,
    ) -> OpcUaHostBuilder {
        self.config.certificate = Some((certificate_der.into(), private_key_pem.into()));
        self
    }

    /// Whether the endpoint with security policy `None` (no signing, no encryption) is
    /// offered. Default `true`; `false` needs a [`certificate`](Self::certificate).
    pub fn allow_unsecured(mut self, allow: bool) -> OpcUaHostBuilder {
        self.config.allow_unsecured = allow;
        self
    }

    /// Where the server keeps its certificate store (`trusted/`, `rejected/` client
    /// certificates, and its own self-signed certificate when none is configured).
    /// Default: a folder of this application (named after its application URI) under
    /// `sessions-opcua` in the system's temporary directory, private to the user.
    pub fn pki_dir(mut self, dir: impl Into<PathBuf>) -> OpcUaHostBuilder {
        self.config.pki_dir = Some(dir.into());
        self
    }

    /// Whether a client certificate not in the store's `trusted/` folder is taken anyway
    /// on a secure endpoint. Default `false` (it lands in `rejected/`, and the client is
    /// refused until someone moves it to `trusted/`). For tests and commissioning.
    pub fn trust_client_certificates(mut self, trust: bool) -> OpcUaHostBuilder {
        self.config.trust_client_certificates = trust;
        self
    }

    /// How many OPC UA sessions the server takes at once; one more is refused at
    /// CreateSession with `BadTooManySessions`. Default 100. (The engine's own
    /// `max_sessions` applies too: a session it refuses answers every call with
    /// `BadTooManySessions`.)
    pub fn max_sessions(mut self, max: usize) -> OpcUaHostBuilder {
        self.config.max_sessions = max.max(1);
        self
    }

    /// How many anonymous sessions the server holds at once; one more anonymous activation
    /// is refused with `BadTooManySessions` (and a message saying to log in), while users
    /// with a name and password still get in, up to [`max_sessions`](Self::max_sessions).
    /// So anonymous clients cannot take every session. Default: half of `max_sessions`
    /// (50 of the default 100); at least 1, at most `max_sessions`.
    ///
    /// What it does not bound: async-opcua 0.19 counts a session at CreateSession, before
    /// its identity is known, and gives the host no hook there nor the client's address; a
    /// session created and never activated (or refused at activation) holds its place in
    /// `max_sessions` until its timeout ([`max_session_timeout`](Self::max_session_timeout)).
    pub fn max_anonymous_sessions(mut self, max: usize) -> OpcUaHostBuilder {
        self.config.max_anonymous_sessions = Some(max);
        self
    }

    /// The longest session timeout a client may ask for: a session with no request for
    /// that long expires, and its session here closes. Default 60 s. It is also how long
    /// a client that vanished (killed, its network gone) holds its sessions' places.
    pub fn max_session_timeout(mut self, timeout: Duration) -> OpcUaHostBuilder {
        self.config.max_session_timeout = timeout.max(Duration::from_secs(1));
        self
    }

    /// Counts every call of this host in `metrics` (`sessions_calls_total` and
    /// `sessions_call_duration_seconds` with the host label `opcua`), and reports the
    /// engine's sessions there ([`Metrics::engine`]). Give the web host the same registry
    /// (a clone) to serve it. Off by default.
    pub fn metrics(mut self, metrics: Metrics) -> OpcUaHostBuilder {
        metrics.engine(&self.config.engine);
        self.config.metrics = Some(metrics);
        self
    }

    /// Binds the port and starts the server on the current tokio runtime; the handle
    /// tells the address and stops it.
    ///
    /// # Errors
    /// [`OpcUaError::Bind`] when the address cannot be bound, [`OpcUaError::Config`] when
    /// the settings do not make a server (no endpoint left, an unreadable certificate).
    pub async fn start(self) -> Result<OpcUaHandle, OpcUaError> {
        start(self.config).await
    }
}

impl fmt::Debug for OpcUaHostBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.config;
        let mut users: Vec<&String> = config.accounts.keys().collect();
        users.sort();
        f.debug_struct("OpcUaHostBuilder")
            .field("engine", &config.engine.name())
            .field("host", &config.host)
            .field("port", &config.port)
            .field("application_name", &config.application_name)
            .field("application_uri", &config.application_uri)
            .field("users", &users)
            .field("authenticate", &config.authenticate.is_some())
            .field("accounts", &config.store.is_some())
            .field("allow_anonymous", &config.allow_anonymous)
            .field("certificate", &config.certificate)
            .field("allow_unsecured", &config.allow_unsecured)
            .field("pki_dir", &config.pki_dir)
            .field(
                "trust_client_certificates",
                &config.trust_client_certificates,
            )
            .field("max_sessions", &config.max_sessions)
            .field("max_anonymous_sessions", &config.anonymous_cap())
            .field("max_session_timeout", &config.max_session_timeout)
            .field("metrics", &config.metrics.is_some())
            .finish()
    }
}
