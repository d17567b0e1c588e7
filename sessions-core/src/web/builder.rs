//! [`WebHost::builder`]: what the application chooses (base path, origins, cookies, grace
//! period, limits, authentication) before it gets the [`Router`] to mount.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;

use super::config::Config;
use super::cookie::CookieKey;
use super::origin::SiteOrigin;
use super::scope::LoginScope;
use crate::auth::Accounts;
use crate::host::Credentials;
use crate::{Engine, User};

/// The base path the host's routes live under unless [`WebHostBuilder::base_path`] says
/// otherwise.
pub const DEFAULT_BASE_PATH: &str = "/sessions";
/// How long a tab's session waits for the tab to come back after its socket drops.
pub const DEFAULT_GRACE_PERIOD: Duration = Duration::from_secs(30);
/// The largest JSON-RPC message (one WebSocket message or one POST body) taken by default.
pub const DEFAULT_MAX_MESSAGE_BYTES: usize = 64 * 1024;
/// How many calls one tab may have running at once by default.
pub const DEFAULT_MAX_IN_FLIGHT_CALLS: usize = 32;
/// How many tabs (open sessions) one browser may have at once by default.
pub const DEFAULT_MAX_TABS_PER_CLIENT: usize = 32;
/// How often the host pings a quiet tab by default.
pub const DEFAULT_HEARTBEAT: Duration = Duration::from_secs(20);

/// The web host: an axum [`Router`] that makes every browser tab a session of an
/// [`Engine`] and serves the exported methods over JSON-RPC 2.0. Build one with
/// [`WebHost::builder`].
#[derive(Debug)]
pub struct WebHost(());

impl WebHost {
    /// Starts building the host of `engine`'s sessions, with the defaults: base path
    /// `/sessions`, requests made on loopback only (see [`public_origin`](WebHostBuilder::public_origin)),
    /// a random cookie key, cookies without `Secure`, a 30 s grace
    /// period, 64 KiB messages, 32 calls in flight per tab, 32 tabs per browser, a ping
    /// every 20 s, no authentication, no accounts (log-ins hold for the browser once
    /// [`accounts`](WebHostBuilder::accounts) are given).
    ///
    /// ```
    /// use std::time::Duration;
    /// use sessions_core::web::WebHost;
    /// use sessions_core::{Engine, User};
    ///
    /// let engine = Engine::builder().name("WebPresentationEngine").build()?;
    /// let app: axum::Router = WebHost::builder(engine)
    ///     .public_origin("https://hmi.example.com")
    ///     .secure_cookies(true)
    ///     .grace_period(Duration::from_secs(10))
    ///     // The user a trusted reverse proxy names (the `host::Credentials` shape).
    ///     .authenticate(|credentials| credentials.header("x-remote-user").map(User::new))
    ///     .build();
    /// # drop(app);
    /// # Ok::<(), sessions_core::SessionError>(())
    /// ```
    pub fn builder(engine: Engine) -> WebHostBuilder {
        WebHostBuilder {
            config: Config {
                engine,
                base_path: DEFAULT_BASE_PATH.to_owned(),
                allowed_origins: Vec::new(),
                secure_cookies: false,
                grace_period: DEFAULT_GRACE_PERIOD,
                max_message_bytes: DEFAULT_MAX_MESSAGE_BYTES,
                max_in_flight_calls: DEFAULT_MAX_IN_FLIGHT_CALLS,
                max_tabs_per_client: DEFAULT_MAX_TABS_PER_CLIENT,
                heartbeat: DEFAULT_HEARTBEAT,
                authenticate: None,
                cookie_key: CookieKey::random(),
                public_origins: Vec::new(),
                accounts: None,
                login_scope: LoginScope::Browser,
            },
        }
    }
}

/// Sets up a [`WebHost`]; [`build`](Self::build) gives the [`Router`] to mount.
#[must_use = "a builder does nothing until `build` gives the router to mount"]
pub struct WebHostBuilder {
    config: Config,
}

impl WebHostBuilder {
    /// The path the host's routes live under (`{base}/ws`, `{base}/rpc`,
    /// `{base}/methods`, `{base}/client.js`); default `/sessions`. A trailing `/` is
    /// ignored; `""` or `"/"` puts them at the root.
    ///
    /// # Panics
    /// When `path` is not empty and does not start with `/`: a programming error, caught at
    /// start-up.
    pub fn base_path(mut self, path: impl Into<String>) -> WebHostBuilder {
        let path = path.into();
        assert!(
            path.is_empty() || path.starts_with('/'),
            "the web host's base path must start with `/`, got {path:?}"
        );
        self.config.base_path = path.trim_end_matches('/').to_owned();
        self
    }

    /// Allows WebSocket upgrades and POSTs whose `Origin` header is `origin`
    /// (`scheme://host[:port]`, as a browser sends it): another site whose pages may call
    /// this host, besides its own [public origins](Self::public_origin). Call it once per
    /// origin. A request with no `Origin` header (a script, curl) is not a browser's
    /// cross-site request and is taken when its `Host` is this host's.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> WebHostBuilder {
        let origin = origin.into();
        self.config
            .allowed_origins
            .push(origin.trim_end_matches('/').to_ascii_lowercase());
        self
    }

    /// An origin this host is served at, as browsers see it (`scheme://host[:port]`, e.g.
    /// `https://hmi.example.com` or `http://10.0.0.5:8080`). Call it once per origin.
    ///
    /// WebSocket upgrades and POSTs are taken only when their `Host` header names a
    /// public origin (its host and port) or a loopback name (`localhost`, `127.0.0.1`,
    /// `[::1]`), and their `Origin`, if any, is a public origin, an
    /// [allowed](Self::allow_origin) one, or `http://` and the same loopback host and port.
    /// Scheme, host and port are compared (`https://` is not `http://`; a missing port is
    /// the scheme's default). So with none given (the default), the host takes only
    /// requests made to it on loopback; a host reached by another name or address (bound
    /// to `0.0.0.0`, behind a proxy, which must pass the browser's `Host` on) names it
    /// here. A page whose host name was made to resolve to this server (DNS rebinding)
    /// sends its own name in `Host`, and is refused.
    ///
    /// # Panics
    /// When `origin` is not `http://` or `https://` and a host with an optional port: a
    /// programming error, caught at start-up.
    pub fn public_origin(mut self, origin: impl Into<String>) -> WebHostBuilder {
        let origin = origin.into();
        let parsed = SiteOrigin::parse(&origin).unwrap_or_else(|| {
            panic!("a public origin is `http://` or `https://`, a host and an optional port, got {origin:?}")
        });
        self.config.public_origins.push(parsed);
        self
    }

    /// Whether the `sessions_client` cookie is marked `Secure` (sent over HTTPS only):
    /// turn it on when the site is served over HTTPS. Default off.
    pub fn secure_cookies(mut self, secure: bool) -> WebHostBuilder {
        self.config.secure_cookies = secure;
        self
    }

    /// How long a tab's session stays open after its socket drops, waiting for the tab to
    /// reconnect with its resume token; past it, the session closes. Default 30 s.
    pub fn grace_period(mut self, grace: Duration) -> WebHostBuilder {
        self.config.grace_period = grace;
        self
    }

    /// The largest message taken, in bytes: a larger WebSocket message closes the socket
    /// (close code 1009), a larger POST body is refused (HTTP 413). Default 64 KiB.
    pub fn max_message_bytes(mut self, bytes: usize) -> WebHostBuilder {
        self.config.max_message_bytes = bytes;
        self
    }

    /// The key the `sessions_client` cookies are signed with, and browsers' client ids
    /// derived from. Default: a random key of this host, so it takes only the cookies it
    /// issued. Give every node of a farm the same key, so each takes the others' cookies
    /// and a browser has the same [`ClientId`](crate::ClientId) on all of them.
    pub fn cookie_key(mut self, key: CookieKey) -> WebHostBuilder {
        self.config.cookie_key = key;
        self
    }

    /// How many calls one tab may have running at once; a call past it is answered with
    /// the error -32005 at once, and does not run. Default 32.
    pub fn max_in_flight_calls(mut self, calls: usize) -> WebHostBuilder {
        self.config.max_in_flight_calls = calls.max(1);
        self
    }

    /// How many tabs (sessions of this host) one browser may have open at once; another
    /// tab's socket is closed at once (close code 1008) and opens no session. Default 32.
    pub fn max_tabs_per_client(mut self, tabs: usize) -> WebHostBuilder {
        self.config.max_tabs_per_client = tabs.max(1);
        self
    }

    /// How often the host pings each tab: a tab that has sent nothing (not even a pong)
    /// since the previous ping is taken as gone, and its session waits out the grace
    /// period. Default 20 s; a zero period is taken as 1 ms.
    pub fn heartbeat(mut self, period: Duration) -> WebHostBuilder {
        self.config.heartbeat = period.max(Duration::from_millis(1));
        self
    }

    /// The authentication hook ([`host::Authenticate`](crate::host::Authenticate), the
    /// shape every host takes): it sees each WebSocket upgrade's
    /// [`Credentials`] (its headers, and its peer address when the server
    /// was served with `into_make_service_with_connect_info`) and gives the user the tab's
    /// session starts with, or `None` for an anonymous one.
    pub fn authenticate(
        mut self,
        hook: impl Fn(&Credentials<'_>) -> Option<User> + Send + Sync + 'static,
    ) -> WebHostBuilder {
        self.config.authenticate = Some(Arc::new(hook));
        self
    }

    /// The users tabs log in as, with the reserved methods `session.login {user, password}`
    /// and `session.logout` (`tab.login(user, password)` and `tab.logout()` in client.js).
    /// The tab's user gets the roles the store gives, never roles a client sends. The
    /// password is checked on tokio's blocking pool, so a log-in holds up no other tab; a
    /// changed accounts file is read again before a check. Refusals are one JSON-RPC error
    /// each: -32010 (the same for an unknown name and a wrong password), -32011 (throttled,
    /// `data.retry_after_ms`). Without accounts, the reserved methods answer -32012.
    ///
    /// Give an OPC UA host a clone of the same [`Accounts`] and the two throttle failed
    /// attempts together.
    pub fn accounts(mut self, accounts: Accounts) -> WebHostBuilder {
        self.config.accounts = Some(accounts);
        self
    }

    /// Which tabs a log-in applies to: the browser's (every open tab of the client, and
    /// those it opens later, until a log-out or its last tab closes; the default), or the
    /// tab's alone ([`LoginScope::Tab`]). A new tab of a browser that logged in opens with
    /// that user, over the user an [`authenticate`](Self::authenticate) hook gives.
    pub fn login_scope(mut self, scope: LoginScope) -> WebHostBuilder {
        self.config.login_scope = scope;
        self
    }

    /// The router to mount: `GET {base}/ws`, `POST {base}/rpc`, `GET {base}/methods` and
    /// `GET {base}/client.js`. Merge it into the application's router
    /// (`Router::merge`), and serve it with `axum::serve` on a tokio runtime.
    pub fn build(self) -> Router {
        super::routes::router(self.config)
    }
}

impl fmt::Debug for WebHostBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = &self.config;
        f.debug_struct("WebHostBuilder")
            .field("engine", &config.engine.name())
            .field("base_path", &config.base_path)
            .field("allowed_origins", &config.allowed_origins)
            .field("public_origins", &config.public_origins)
            .field("secure_cookies", &config.secure_cookies)
            .field("grace_period", &config.grace_period)
            .field("max_message_bytes", &config.max_message_bytes)
            .field("max_in_flight_calls", &config.max_in_flight_calls)
            .field("max_tabs_per_client", &config.max_tabs_per_client)
            .field("heartbeat", &config.heartbeat)
            .field("authenticate", &config.authenticate.is_some())
            .field("accounts", &config.accounts.is_some())
            .field("login_scope", &config.login_scope)
            .finish()
    }
}
