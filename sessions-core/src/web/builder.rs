//! [`WebHost::builder`]: what the application chooses (base path, origins, cookies, grace
//! period, limits, authentication) before it gets the [`Router`] to mount.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

use super::config::Config;
use super::cookie::CookieKey;
use super::drain::{Drain, DrainState};
use super::limits::{ConnectionLimits, WebCounters, DEFAULT_MAX_BATCH_MEMBERS};
use super::origin::SiteOrigin;
use super::scope::LoginScope;
use super::serve::Serve;
use crate::auth::Accounts;
use crate::host::Credentials;
use crate::metrics::Metrics;
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
/// How long a request's headers may take to arrive by default.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a POST's body may take to arrive by default.
pub const DEFAULT_BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a keep-alive connection may wait for its next request by default.
pub const DEFAULT_IDLE_CONNECTION_TIMEOUT: Duration = Duration::from_secs(60);
/// How many connections the host's serve loop holds at once by default (keep it under the
/// process's open-file limit, with room for the application's own files).
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// How many connections one peer (an IPv4 address, or an IPv6 /64) may hold at once by
/// default: a browser's tabs (at most 32 by default) and its HTTP connections, for several
/// browsers behind one address.
pub const DEFAULT_MAX_CONNECTIONS_PER_PEER: usize = 256;

/// The web host: an axum [`Router`] that makes every browser tab a session of an
/// [`Engine`] and serves the exported methods over JSON-RPC 2.0, and the loop that serves
/// it with its connection limits. Build one with [`WebHost::builder`]:
/// [`build_host`](WebHostBuilder::build_host) gives this, [`build`](WebHostBuilder::build)
/// the router alone.
#[derive(Debug)]
pub struct WebHost {
    router: Router,
    connections: ConnectionLimits,
    counters: WebCounters,
    drain: Drain,
}

impl WebHost {
    /// Starts building the host of `engine`'s sessions, with the defaults: base path
    /// `/sessions`, requests made on loopback only (see [`public_origin`](WebHostBuilder::public_origin)),
    /// a random cookie key, cookies without `Secure`, a 30 s grace
    /// period, 64 KiB messages, 32 calls in flight per tab, 32 tabs per browser, a ping
    /// every 20 s (and a write that makes no progress for as long drops its tab), batches of
    /// at most 100 members, no authentication, no accounts (log-ins hold for the browser once
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
                write_timeout: None,
                max_batch_members: DEFAULT_MAX_BATCH_MEMBERS,
                counters: WebCounters::default(),
                metrics: None,
                publish_rust_paths: false,
                body_read_timeout: DEFAULT_BODY_READ_TIMEOUT,
                connections: ConnectionLimits {
                    header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
                    idle_timeout: DEFAULT_IDLE_CONNECTION_TIMEOUT,
                    max_connections: DEFAULT_MAX_CONNECTIONS,
                    max_connections_per_peer: DEFAULT_MAX_CONNECTIONS_PER_PEER,
                },
            },
        }
    }

    /// The host's routes, to merge into the application's router (`Router::merge`) and
    /// give to [`serve`](Self::serve).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The host's drain, for a rolling deploy: readiness (`GET {base}/ready`) fails, new
    /// tabs are refused, then every tab's socket is closed with
    /// [`SERVICE_RESTART`](super::SERVICE_RESTART) (1012). See [`Drain`].
    ///
    /// ```no_run
    /// use std::time::Duration;
    /// use sessions_core::web::WebHost;
    /// use sessions_core::Engine;
    ///
    /// # async fn run() -> std::io::Result<()> {
    /// let engine = Engine::builder().name("WebPresentationEngine").build().expect("a fresh name");
    /// let host = WebHost::builder(engine).build_host();
    /// let drain = host.drain();
    /// let app = axum::Router::new().merge(host.router());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    /// let stop = async move {
    ///     let _ = tokio::signal::ctrl_c().await;
    ///     drain.start();
    ///     // ... write the sessions' state where another server finds it ...
    ///     if let Err(still_open) = drain.close_tabs(Duration::from_secs(5)).await {
    ///         eprintln!("{still_open}");
    ///     }
    /// };
    /// host.serve(listener, app).with_graceful_shutdown(stop).await
    /// # }
    /// ```
    pub fn drain(&self) -> Drain {
        self.drain.clone()
    }

    /// The handle of what this host counts (see [`WebHostBuilder::counters`]).
    pub fn counters(&self) -> WebCounters {
        self.counters.clone()
    }

    /// Serves `app` (this host's [`router`](Self::router), or an application router that
    /// merged it) on `listener`, keeping the host's connection limits:
    /// - a request's headers must arrive within the [header read timeout](WebHostBuilder::header_read_timeout)
    ///   (a new connection's counted from its accept, a later one's from its first byte),
    ///   or the connection is closed;
    /// - a keep-alive connection that begins no request within the
    ///   [idle timeout](WebHostBuilder::idle_connection_timeout) is closed;
    /// - a connection past [`max_connections_per_peer`](WebHostBuilder::max_connections_per_peer)
    ///   or [`max_connections`](WebHostBuilder::max_connections) is refused as soon as it is
    ///   accepted (an HTTP 503 if its socket takes it at once, then closed);
    /// - each is counted in [`counters`](Self::counters).
    ///
    /// Each request carries its peer's address as axum's `ConnectInfo<SocketAddr>` (what
    /// `into_make_service_with_connect_info` gives), so failed log-ins are throttled per
    /// peer and the audit trail names the peer. A WebSocket keeps its connection's place
    /// until it closes; its own deadlines are the tab's (heartbeat, write timeout).
    ///
    /// ```no_run
    /// use sessions_core::web::WebHost;
    /// use sessions_core::Engine;
    ///
    /// # async fn run() -> std::io::Result<()> {
    /// let engine = Engine::builder().name("WebPresentationEngine").build().expect("a fresh name");
    /// let host = WebHost::builder(engine).max_connections_per_peer(64).build_host();
    /// let app = axum::Router::new().merge(host.router());
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
    /// // Stops (gracefully) when `stop` is sent or dropped.
    /// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    /// # drop(stop);
    /// host.serve(listener, app)
    ///     .with_graceful_shutdown(async { let _ = stopped.await; })
    ///     .await
    /// # }
    /// ```
    pub fn serve(self, listener: TcpListener, app: Router) -> Serve {
        Serve::new(listener, app, self.connections, self.counters)
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

    /// How long a write to a tab may make no progress (the tab's socket takes nothing: a
    /// client that stopped reading, a stalled network path) before the tab is taken as
    /// gone: its socket is dropped and its session waits out the grace period. What it had
    /// queued is counted ([`WebCounters::undelivered`]) and logged. Default: the
    /// [heartbeat](Self::heartbeat) period; a zero timeout is taken as 1 ms.
    pub fn write_timeout(mut self, timeout: Duration) -> WebHostBuilder {
        self.config.write_timeout = Some(timeout.max(Duration::from_millis(1)));
        self
    }

    /// How many members a batch may have; a larger batch runs none of them and is answered
    /// with one error (-32600). A batch's answer is also bounded: at most
    /// [`ANSWER_BYTES_PER_MESSAGE_BYTE`](super::ANSWER_BYTES_PER_MESSAGE_BYTE) times
    /// [`max_message_bytes`](Self::max_message_bytes); when it grows past that, the members
    /// after it do not run and one error answers the batch. Default 100; zero is taken as 1.
    pub fn max_batch_members(mut self, members: usize) -> WebHostBuilder {
        self.config.max_batch_members = members.max(1);
        self
    }

    /// How long a request's headers may take to arrive: a new connection's counted from its
    /// accept, a later request's (keep-alive) from its first byte. Past it the connection is
    /// closed ([`WebCounters::header_timeouts`]): a client that dribbles its headers, or
    /// never sends them, holds a connection for no longer. Default 10 s; zero is taken as
    /// 1 ms. Kept by [`WebHost::serve`] only: a router served some other way has the
    /// deadlines of that server.
    pub fn header_read_timeout(mut self, timeout: Duration) -> WebHostBuilder {
        self.config.connections.header_read_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long a `POST {base}/rpc` body may take to arrive once its headers have: past it,
    /// the request is answered HTTP 408 with a JSON-RPC error (-32600) and its connection is
    /// closed ([`WebCounters::body_timeouts`]). A POST that declares a longer body than it
    /// sends waits no longer than this. Default 10 s; zero is taken as 1 ms. Kept however
    /// the router is served.
    pub fn body_read_timeout(mut self, timeout: Duration) -> WebHostBuilder {
        self.config.body_read_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How long a keep-alive connection may wait, after its last response, for a byte of
    /// its next request: past it the connection is closed ([`WebCounters::idle_timeouts`]).
    /// While a request is in progress (its headers read, its response not yet sent) no
    /// deadline of the connection runs. Default 60 s; zero is taken as 1 ms. Kept by
    /// [`WebHost::serve`] only.
    pub fn idle_connection_timeout(mut self, timeout: Duration) -> WebHostBuilder {
        self.config.connections.idle_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// How many connections (HTTP, and WebSockets upgraded from them) the host holds at
    /// once; one more is refused as soon as it is accepted ([`WebCounters::refused_over_total`]).
    /// Keep it under the process's open-file limit. Default 10,000; zero is taken as 1.
    /// Kept by [`WebHost::serve`] only.
    pub fn max_connections(mut self, connections: usize) -> WebHostBuilder {
        self.config.connections.max_connections = connections.max(1);
        self
    }

    /// How many connections one peer may hold at once, a peer being an IPv4 address or an
    /// IPv6 /64; one more is refused as soon as it is accepted
    /// ([`WebCounters::refused_per_peer`]), and other peers are not affected. Behind a
    /// reverse proxy every connection comes from the proxy: raise this to
    /// [`max_connections`](Self::max_connections) there, and let the proxy cap its clients.
    /// Default 256; zero is taken as 1. Kept by [`WebHost::serve`] only.
    pub fn max_connections_per_peer(mut self, connections: usize) -> WebHostBuilder {
        self.config.connections.max_connections_per_peer = connections.max(1);
        self
    }

    /// The handle of what this host counts (tabs dropped as stalled, messages they never
    /// got, batches refused, connections refused or timed out): read it while the host
    /// runs, e.g. to export as metrics.
    pub fn counters(&self) -> WebCounters {
        self.config.counters.clone()
    }

    /// The authentication hook ([`host::Authenticate`](crate::host::Authenticate), the
    /// shape every host takes): it sees each WebSocket upgrade's
    /// [`Credentials`] (its headers, and its peer address when the server
    /// was served with [`WebHost::serve`] or `into_make_service_with_connect_info`) and gives the user the tab's
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

    /// Whether `GET {base}/methods` names each method's Rust path (`x-rust-path`, e.g.
    /// `my_app::oven::set_target`). Default off: a browser has no use for the server's
    /// source layout, and it tells an attacker where to look. `list_methods` and
    /// [`MethodTable::openrpc`](crate::MethodTable::openrpc) always keep it.
    pub fn publish_rust_paths(mut self, publish: bool) -> WebHostBuilder {
        self.config.publish_rust_paths = publish;
        self
    }

    /// Counts every call of this host in `metrics` (host label `web`), reports the engine's
    /// sessions there ([`Metrics::engine`]), and serves the registry in the Prometheus text
    /// format at `GET {base}/metrics`, for a Prometheus server to scrape. Off by default:
    /// without it there is no `/metrics` route and calls are not counted. Give the same
    /// [`Metrics`] (a clone) to the other hosts and the farm, for one scrape of them all.
    ///
    /// The endpoint is served to whoever reaches the host, as `/methods` is: it holds
    /// counts by method and outcome, never a session id or a user name. Put it behind the
    /// application's own guard, or a proxy, if those counts are not for everyone.
    pub fn metrics(mut self, metrics: Metrics) -> WebHostBuilder {
        metrics.engine(&self.config.engine);
        self.config.metrics = Some(metrics);
        self
    }

    /// The router to mount: `GET {base}/ws`, `POST {base}/rpc`, `GET {base}/methods`,
    /// `GET {base}/client.js`, `GET {base}/client.d.ts`, `GET {base}/ready` (always 200:
    /// a router built alone has no [`Drain`]; [`build_host`](Self::build_host) gives one),
    /// and `GET {base}/metrics` when [`metrics`](Self::metrics) is on. Merge it into the
    /// application's router (`Router::merge`) and serve it on a tokio runtime.
    ///
    /// Served by a server of the application's choice (`axum::serve`, say), the router
    /// keeps every limit of its own (messages, tabs, calls, batches, write and body
    /// deadlines, origins, cookies) but not those of the connections, which that server
    /// owns: no header or idle deadline (`axum::serve` has none: a client that never
    /// sends its headers holds its connection for good), no cap per peer or in all. Those
    /// come with [`build_host`](Self::build_host) and [`WebHost::serve`], or from the
    /// server (or proxy) in front.
    pub fn build(self) -> Router {
        super::routes::router(self.config, DrainState::new())
    }

    /// The host, with its router and the loop that serves it with the connection limits
    /// ([`WebHost::serve`]): what an application that serves the host itself uses.
    pub fn build_host(self) -> WebHost {
        let connections = self.config.connections;
        let counters = self.config.counters.clone();
        let drain = DrainState::new();
        WebHost {
            router: super::routes::router(self.config, Arc::clone(&drain)),
            connections,
            counters,
            drain: Drain::new(drain),
        }
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
            .field("write_timeout", &config.write_deadline())
            .field("max_batch_members", &config.max_batch_members)
            .field("authenticate", &config.authenticate.is_some())
            .field("accounts", &config.accounts.is_some())
            .field("login_scope", &config.login_scope)
            .field("metrics", &config.metrics.is_some())
            .field("publish_rust_paths", &config.publish_rust_paths)
            .field("body_read_timeout", &config.body_read_timeout)
            .field("connections", &config.connections)
            .finish()
    }
}
