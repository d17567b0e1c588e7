//! The host's own serve loop ([`Serve`], from [`WebHost::serve`](super::WebHost::serve)):
//! it accepts each connection, refuses one past the caps per peer and in all, and serves
//! the others with hyper's HTTP/1.1 (WebSocket upgrades included) under deadlines for a
//! request's headers and for an idle keep-alive connection. Each request carries its peer's
//! address (axum's `ConnectInfo<SocketAddr>`), as `into_make_service_with_connect_info`
//! gives it.

use std::convert::Infallible;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower_service::Service;

use super::gate::{Gate, Permit, Refusal};
use super::limits::{ConnectionLimits, WebCounters};
use super::watch::{deadline_passed, Activity, Expired, Guarded, Watched};

/// How long a graceful shutdown waits for the connections' requests in progress to end;
/// past it, the connections still open are dropped (and counted in the WARN event that
/// says so). WebSockets upgraded before the shutdown are not waited for: they belong to
/// their tabs, which the engine closes, or [`Drain::close_tabs`](super::Drain::close_tabs)
/// before the shutdown (with 1012, so the pages reconnect elsewhere).
pub const SHUTDOWN_DEADLINE: Duration = Duration::from_secs(10);

/// How long the loop pauses after an accept that failed for want of resources (the
/// process's file descriptors used up), so a full table does not spin a worker.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// What a refused connection is told before it is closed (written only if the socket takes
/// it at once: the loop never waits on a refused peer).
const REFUSED: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-type: text/plain\r\ncontent-length: 43\r\n\r\ntoo many connections: try again in a while\n";

type Signal = Pin<Box<dyn Future<Output = ()> + Send>>;

/// The web host serving on a listener: await it. It runs until the
/// [shutdown signal](Self::with_graceful_shutdown) comes (without one, for good: an accept
/// that fails, e.g. for want of file descriptors, is logged and tried again after a short
/// pause). Made by [`WebHost::serve`](super::WebHost::serve).
#[must_use = "a server does nothing until it is awaited"]
pub struct Serve {
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    counters: WebCounters,
    shutdown: Option<Signal>,
}

impl Serve {
    pub(super) fn new(
        listener: TcpListener,
        app: Router,
        limits: ConnectionLimits,
        counters: WebCounters,
    ) -> Serve {
        Serve {
            listener,
            app,
            limits,
            counters,
            shutdown: None,
        }
    }

    /// Stops when `signal` resolves: no connection is accepted after it, idle keep-alive
    /// connections close, requests in progress get up to [`SHUTDOWN_DEADLINE`] to end.
    pub fn with_graceful_shutdown(
        mut self,
        signal: impl Future<Output = ()> + Send + 'static,
    ) -> Serve {
        self.shutdown = Some(Box::pin(signal));
        self
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    async fn run(self) -> io::Result<()> {
        let Serve {
            listener,
            app,
            limits,
            counters,
            shutdown,
        } = self;
        let gate = Gate::new(
            limits.max_connections,
            limits.max_connections_per_peer,
            counters.clone(),
        );
        let mut shutdown = shutdown.unwrap_or_else(|| Box::pin(std::future::pending()));
        let (stop, stopped) = watch::channel(false);
        let mut connections = JoinSet::new();
        loop {
            tokio::select! {
                () = &mut shutdown => break,
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => match gate.admit(peer.ip()) {
                        Ok(permit) => {
                            let connection = Connection {
                                peer,
                                app: app.clone(),
                                limits,
                                counters: counters.clone(),
                            };
                            connections.spawn(connection.serve(stream, permit, stopped.clone()));
                        }
                        Err(refusal) => refuse(&stream, peer, &refusal),
                    },
                    Err(error) if is_connection_error(&error) => {}
                    Err(error) => {
                        tracing::warn!(%error, "the web host cannot accept a connection; trying again shortly");
                        tokio::time::sleep(ACCEPT_PAUSE).await;
                    }
                },
            }
        }
        drop(listener);
        let _ = stop.send(true);
        let drained = tokio::time::timeout(SHUTDOWN_DEADLINE, async {
            while connections.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            tracing::warn!(
                connections = connections.len(),
                "the web host's shutdown deadline passed: dropping the connections still open"
            );
            connections.shutdown().await;
        }
        Ok(())
    }
}

impl IntoFuture for Serve {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

impl fmt::Debug for Serve {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .field("limits", &self.limits)
            .field("graceful_shutdown", &self.shutdown.is_some())
            .finish()
    }
}

/// Whether an accept failed for one connection only (it was reset before it was taken).
fn is_connection_error(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// Tells a refused peer why, if its socket takes the answer at once, and closes it.
fn refuse(stream: &TcpStream, peer: SocketAddr, refusal: &Refusal) {
    tracing::debug!(%peer, ?refusal, "connection refused: too many connections");
    let _ = stream.try_write(REFUSED);
}

/// One accepted connection and what serving it needs.
struct Connection {
    peer: SocketAddr,
    app: Router,
    limits: ConnectionLimits,
    counters: WebCounters,
}

impl Connection {
    async fn serve(self, stream: TcpStream, permit: Permit, mut stop: watch::Receiver<bool>) {
        let _ = stream.set_nodelay(true);
        let activity = Activity::new();
        let io = TokioIo::new(Watched::new(stream, Arc::clone(&activity), permit));
        let Connection {
            peer,
            app,
            limits,
            counters,
        } = self;
        let requests = Arc::clone(&activity);
        let service = service_fn(move |mut request: hyper::Request<Incoming>| {
            let in_progress = requests.begin();
            request.extensions_mut().insert(ConnectInfo(peer));
            let mut app = app.clone();
            async move {
                let response = match app.call(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                Ok::<_, Infallible>(response.map(|body| Guarded::new(body, in_progress)))
            }
        });
        let mut builder = http1::Builder::new();
        // The host keeps the header deadline itself (`watch`): hyper's would also run while
        // a keep-alive connection waits, cutting the idle timeout short.
        builder.header_read_timeout(None);
        let connection = builder.serve_connection(io, service).with_upgrades();
        tokio::pin!(connection);
        let deadline = deadline_passed(&activity, limits.header_read_timeout, limits.idle_timeout);
        tokio::pin!(deadline);
        let mut stopping = false;
        loop {
            tokio::select! {
                served = connection.as_mut() => {
                    if let Err(error) = served {
                        tracing::debug!(%peer, %error, "connection ended with an error");
                    }
                    return;
                }
                expired = &mut deadline => {
                    match expired {
                        Expired::Headers => counters.header_timeout(),
                        Expired::Idle => counters.idle_timeout(),
                    }
                    tracing::debug!(%peer, ?expired, "connection closed: its deadline passed");
                    return;
                }
                changed = stop.changed(), if !stopping => {
                    stopping = true;
                    if changed.is_ok() {
                        connection.as_mut().graceful_shutdown();
                    }
                }
            }
        }
    }
}
