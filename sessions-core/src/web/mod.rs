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
//! let host = WebHost::builder(engine).build_host();
//! let app = axum::Router::new().merge(host.router());
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8080").await?;
//! host.serve(listener, app).await
//! # }
//! ```
//!
//! [`WebHost::serve`] owns the connections: a deadline for a request's headers and for an
//! idle keep-alive connection, caps on connections per peer address and in all (see
//! [Guards](self#guards)). An application that serves the router of
//! [`WebHostBuilder::build`] itself (`axum::serve`, its own hyper loop) keeps every other
//! limit, but the connections' are then its server's.
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
//!   the session closes. On an engine in a farm, the token is good on every node, for the
//!   browser it was given to (the nodes' hosts share one [`CookieKey`]): a node that does
//!   not know it asks the farm to adopt the session from its dead or draining owner
//!   (same session, user and registered state, `resumed: true`; see the farm's module
//!   docs). While another live node holds the session (a node just killed holds its
//!   sessions until its lease ends) the socket is closed with [`SESSION_HELD`] (4003) and
//!   the tab tries again with its token; otherwise (no farm, a wrong token or browser) it
//!   gets a new session.
//! - **Calls.** JSON-RPC 2.0 requests (single or batch, `params` by position or by name)
//!   run in the tab's session: `"result": {"value": V, "outs": {NAME: V}}`, or an error
//!   with the codes below.
//! - **Where a call runs.** A plain `fn` runs on the runtime worker that reads the tab's
//!   socket, at once (no task, no thread hop: the cheapest call); an `async fn` in a task
//!   of its own, so it holds up neither the tab's other calls nor other tabs. A plain fn that
//!   blocks (a slow password hash, blocking I/O) would hold that worker and every tab it
//!   serves: export it with `blocking` (`#[export_method(blocking)]`), and the host runs it
//!   on tokio's blocking pool (`spawn_blocking`), in the tab's session, as jsonrpsee's
//!   `register_blocking_method` does. A plain fn not so marked that holds a worker longer
//!   than [`SLOW_SYNC_CALL`](crate::host::SLOW_SYNC_CALL) is named in a WARN event. The OPC
//!   UA host decides the same in the same place, [`host::Call::run`](crate::host::Call::run).
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
//! - **Variables.** The engine's [exported variables](crate::Engine::export_variable), by
//!   path, with the reserved methods `variable.read {path}` → `{value, version, by}`,
//!   `variable.write {path, value}` → `{version}` (in the tab's session, under the
//!   variable's write role: refused -32004 or -32001 as a call is; -32602 for a value of
//!   another type), `variable.watch {path}` (answers the current `{value, version, by}`,
//!   then pushes each change as `{"method":"variable.changed","params":{"path","value","version","by"}}`,
//!   coalesced: a tab that reads slowly gets the latest) and `variable.unwatch {path}`. An
//!   unknown path is -32601. They are answered on the WebSocket, one request a message.
//! - **HTTP.** `POST {base}/rpc` takes the same messages, in the session the
//!   `Sessions-Session` header names if the request's cookie owns it; `GET {base}/methods`
//!   is the OpenRPC document; `GET {base}/client.js` the page's ES module.
//! - **Readiness and drain.** `GET {base}/ready` answers 200 while the host takes tabs and
//!   503 once its [`Drain`] started (a load balancer's health check). While it drains, a
//!   tab's upgrade is refused with 503 and `Retry-After: 0`; after [`Drain::stop_calls`] a
//!   tab's call is answered -32014 without running; [`Drain::close_tabs`] closes
//!   every tab's socket with [`SERVICE_RESTART`] (1012, "service restart"), on which
//!   `client.js` reconnects at once, after a small random delay, with its resume token.
//! - **A farm node that died.** A tab whose token names a session another node of the farm
//!   holds (not released, its lease still running: its node was just killed) has its socket
//!   closed with [`SESSION_HELD`] (4003) rather than a new session; `client.js` tries again
//!   with its token about every `retryMs` (for at most `heldWaitMs`), and is adopted once
//!   the lease ends.
//!
//! # Error codes
//! | code | meaning |
//! | --- | --- |
//! | -32700 | not JSON |
//! | -32600 | not a JSON-RPC 2.0 request (or a POST body over the size limit, or a batch past [`max_batch_members`](WebHostBuilder::max_batch_members) or whose answer grew past [`ANSWER_BYTES_PER_MESSAGE_BYTE`] × the message limit: one error, `id` null, answers the whole batch) |
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
//! | -32014 | the server is restarting ([`Drain::stop_calls`]): the call did not run; make it again once the tab has reconnected (`client.js` does) |
//! | -32006 | `variable.watch`: the tab watches [`MAX_WATCHES_PER_TAB`] variables already |
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
//! with code 1009 (a POST: HTTP 413); a broken WebSocket protocol (reserved bits, an
//! unmasked frame, an oversize control frame) with 1002, a text message that is not UTF-8
//! with 1007, each with a reason; a tab over the browser's tab limit is closed with
//! 1008; a session closed under a tab closes its socket with 4001 (a draining host, with 1012). A tab whose socket takes
//! nothing for the [write timeout](WebHostBuilder::write_timeout) is dropped as gone
//! ([`WebCounters`] counts it and what it had queued). One message holds a runtime worker
//! for a bounded time: it is at most the message limit, a batch at most
//! [`DEFAULT_MAX_BATCH_MEMBERS`] members by default, answered one member at a time with the
//! worker yielded every 16 members, and its answer bounded as the table above says. Session ids are never
//! taken from a client: a tab gets its session from the host, and a resume token is
//! compared in constant time and only for the browser that got it.
//!
//! Served by [`WebHost::serve`], a connection must send each request's headers within the
//! [header read timeout](WebHostBuilder::header_read_timeout) and, kept alive, begin its next
//! request within the [idle timeout](WebHostBuilder::idle_connection_timeout), or it is
//! closed; a connection past [`max_connections_per_peer`](WebHostBuilder::max_connections_per_peer)
//! or [`max_connections`](WebHostBuilder::max_connections) is refused at once (HTTP 503). A
//! POST whose body does not arrive within the [body read timeout](WebHostBuilder::body_read_timeout)
//! is answered HTTP 408. [`WebCounters`] counts each.

mod adopt;
mod builder;
mod config;
mod cookie;
mod drain;
mod gate;
mod http;
mod limits;
mod listing;
mod login;
mod origin;
mod replay;
mod routes;
mod rpc;
mod scope;
mod serve;
mod socket;
mod state;
mod tabs;
mod variables;
mod verifier;
mod watch;
mod wire;

pub use adopt::SESSION_HELD;
pub use builder::{
    WebHost, WebHostBuilder, DEFAULT_BASE_PATH, DEFAULT_BODY_READ_TIMEOUT, DEFAULT_GRACE_PERIOD,
    DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_HEARTBEAT, DEFAULT_IDLE_CONNECTION_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_PEER, DEFAULT_MAX_IN_FLIGHT_CALLS,
    DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_TABS_PER_CLIENT,
};
pub use cookie::{CookieKey, CookieKeyTooShort, CLIENT_COOKIE};
pub use drain::{CallsStillRunning, Drain, TabsStillOpen, SERVICE_RESTART};
pub use http::SESSION_HEADER;
pub use limits::{WebCounters, ANSWER_BYTES_PER_MESSAGE_BYTE, DEFAULT_MAX_BATCH_MEMBERS};
pub use login::{LOGIN_METHOD, LOGOUT_METHOD, USER_TOPIC};
pub use rpc::{
    ACCOUNTS_UNAVAILABLE, FORBIDDEN, INTERNAL_ERROR, INVALID_REQUEST, LOGIN_REFUSED,
    LOGIN_THROTTLED, METHOD_FAILED, NO_ACCOUNTS, PARSE_ERROR, SERVER_RESTARTING, SESSION_GONE,
    TOO_MANY_CALLS,
};
pub use scope::LoginScope;
pub use serve::{Serve, SHUTDOWN_DEADLINE};
pub use variables::{MAX_WATCHES_PER_TAB, WATCH_LIMIT};
