//! The web host (feature `web`): an axum [`Router`](axum::Router) that makes every browser
//! tab a session and serves the exported methods to it over JSON-RPC 2.0, on a WebSocket
//! and over HTTP, with the session's [notifications](crate::Session::notify) pushed to the
//! tab.
//!
//! ```no_run
//! use sessions_core::web::WebHost;
//! use sessions_core::Engine;
//!
//! # async fn serve() -> std::io::Result<()> {
//! let engine = Engine::builder().name("WebPresentationEngine").build().expect("a fresh name");
//! let app = axum::Router::new().merge(WebHost::builder(engine).build());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! axum::serve(listener, app).await
//! # }
//! ```
//!
//! What a browser sees (the whole wire format; its error codes are [below](self#error-codes)):
//! - **Its client.** The first response sets the `sessions_client` cookie (a secret of 128
//!   random bits and its HMAC-SHA256 tag under the host's [`CookieKey`], `HttpOnly`,
//!   `SameSite=Lax`, `Secure` when configured). A cookie the host did not issue (made up,
//!   or signed with another key) is replaced by a new one. The browser's
//!   [`ClientId`](crate::ClientId), shared by its tabs and told to the page, is another
//!   HMAC of that secret, so a page never learns the secret itself.
//! - **A session per tab.** `GET {base}/ws` upgrades to a WebSocket and opens a session
//!   with [`Engine::open_for_client`](crate::Engine::open_for_client); the first message is
//!   `{"jsonrpc":"2.0","method":"session.opened","params":{"session","client","resume","resumed"}}`.
//!   A socket that drops leaves the session open for the grace period; the tab reconnects
//!   with `?resume=TOKEN` to get it back with what was queued for it. Past the grace period
//!   the session closes.
//! - **Calls.** JSON-RPC 2.0 requests (single or batch, `params` by position or by name)
//!   run in the tab's session: `"result": {"value": V, "outs": {NAME: V}}`, or an error
//!   with the codes below.
//! - **Pushes.** [`Session::notify`](crate::Session::notify) arrives as
//!   `{"jsonrpc":"2.0","method":TOPIC,"params":PAYLOAD}`, in order.
//! - **Log-in.** With [`WebHostBuilder::accounts`], the reserved methods
//!   `session.login {"user", "password"}` and `session.logout` log a user of the store in
//!   and out (`tab.login(user, password)`, `tab.logout()` in client.js), with the store's
//!   roles, never a client's. The answer is `{"value": {"user", "roles"}}`; by default the
//!   log-in holds for the browser ([`LoginScope`]): every tab of it gets the user and the
//!   push `session.user` `{"user", "roles"}` (`null` after a log-out), and its new tabs open
//!   logged in (`session.opened` carries `user`). Passwords are checked on tokio's blocking
//!   pool and never logged.
//! - **HTTP.** `POST {base}/rpc` takes the same messages, in the session the
//!   `Sessions-Session` header names if the request's cookie owns it; `GET {base}/methods`
//!   is the OpenRPC document; `GET {base}/client.js` the page's ES module.
//!
//! # Error codes
//! | code | meaning |
//! | --- | --- |
//! | -32700 | not JSON |
//! | -32600 | not a JSON-RPC 2.0 request (or a POST body over the size limit) |
//! | -32601 | no such method, or no object at that path |
//! | -32602 | wrong arguments: count, type, name |
//! | -32603 | the method panicked (caught and logged), or its result could not be written |
//! | -32000 | the method failed: `data.outs` holds its out parameters, sentinels written |
//! | -32001 | no session for the call: the session is gone (closed, or not this client's), or a method that runs only in a session was called without one (a POST with no `Sessions-Session` header) |
//! | -32004 | forbidden: the method's role refused the call; `data.outs` holds the sentinels |
//! | -32005 | the tab has as many calls running as the host allows |
//! | -32010 | `session.login` refused: wrong user name or password (one message for both: it does not tell whether the name exists) |
//! | -32011 | `session.login` refused without a check: too many failed log-ins for this name or from this address; `data.retry_after_ms` says when to try again |
//! | -32012 | `session.login` / `session.logout`: this host has no accounts store ([`WebHostBuilder::accounts`]) |
//! | -32013 | `session.login`: the accounts store could not answer (logged); try again later |
//!
//! The code is decided by the answer's types ([`host::Answer`](crate::host::Answer),
//! [`Failure`](crate::Failure)), never by a message's text: a method whose own error reads
//! `panicked: …` is a method failure, -32000.
//!
//! # Guards
//! WebSocket upgrades and POSTs are refused (HTTP 403) unless their `Host` is a loopback
//! name or one of the host's [public origins](WebHostBuilder::public_origin), and their
//! `Origin` is the host's own or allowed with [`WebHostBuilder::allow_origin`] (scheme, host
//! and port compared: DNS rebinding is refused); a message over the size limit closes the socket
//! with code 1009 (a POST: HTTP 413); a tab over the browser's tab limit is closed with
//! 1008; a session closed under a tab closes its socket with 4001. Session ids are never
//! taken from a client: a tab gets its session from the host, and a resume token is
//! compared in constant time and only for the browser that got it.

mod builder;
mod config;
mod cookie;
mod http;
mod login;
mod origin;
mod replay;
mod routes;
mod rpc;
mod scope;
mod socket;
mod state;
mod tabs;
mod wire;

pub use builder::{
    WebHost, WebHostBuilder, DEFAULT_BASE_PATH, DEFAULT_GRACE_PERIOD, DEFAULT_HEARTBEAT,
    DEFAULT_MAX_IN_FLIGHT_CALLS, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_TABS_PER_CLIENT,
};
pub use cookie::{CookieKey, CookieKeyTooShort, CLIENT_COOKIE};
pub use http::SESSION_HEADER;
pub use login::{LOGIN_METHOD, LOGOUT_METHOD, USER_TOPIC};
pub use rpc::{
    ACCOUNTS_UNAVAILABLE, FORBIDDEN, INTERNAL_ERROR, INVALID_REQUEST, LOGIN_REFUSED,
    LOGIN_THROTTLED, METHOD_FAILED, NO_ACCOUNTS, PARSE_ERROR, SESSION_GONE, TOO_MANY_CALLS,
};
pub use scope::LoginScope;
