//! The two servers under test, each serving `add(a, b)` (the `peers` module's function)
//! over WebSocket and HTTP on 127.0.0.1, on the caller's tokio runtime:
//! - ours: `sessions_core::web::WebHost` with its defaults, served by `axum::serve`;
//! - jsonrpsee 0.26's `Server`, with its defaults but for the connection limit (100 by
//!   default, raised for the idle-tab measure), serving `peers::rpc_module()`.
//!
//! Both sockets have `TCP_NODELAY` (jsonrpsee sets it by default; `axum::serve` leaves it
//! to the application, so it is set here as an application would).

use std::io;
use std::net::SocketAddr;

use axum::serve::ListenerExt;
use axum::Router;
use jsonrpsee::server::{Server, ServerConfig, ServerHandle};
use sessions_core::web::WebHost;
use sessions_core::Engine;
use tokio::net::TcpListener;

use crate::peers::rpc_module;

/// Which server a measurement is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Peer {
    Ours,
    Jsonrpsee,
}

/// jsonrpsee's connection limit here: above the idle-tab measure's 10,000 sockets.
const JSONRPSEE_MAX_CONNECTIONS: u32 = 20_000;

impl Peer {
    pub const ALL: [Peer; 2] = [Peer::Ours, Peer::Jsonrpsee];

    pub fn name(self) -> &'static str {
        match self {
            Peer::Ours => "ours",
            Peer::Jsonrpsee => "jsonrpsee",
        }
    }

    pub fn from_name(name: &str) -> Option<Peer> {
        Peer::ALL.into_iter().find(|peer| peer.name() == name)
    }

    /// The WebSocket endpoint's path.
    pub fn ws_path(self) -> &'static str {
        match self {
            Peer::Ours => "/sessions/ws",
            Peer::Jsonrpsee => "/",
        }
    }

    /// The path JSON-RPC is POSTed to.
    pub fn http_path(self) -> &'static str {
        match self {
            Peer::Ours => "/sessions/rpc",
            Peer::Jsonrpsee => "/",
        }
    }

    /// Whether a new WebSocket's first message is `session.opened` (ours) rather than
    /// nothing until the first call (jsonrpsee).
    pub fn greets(self) -> bool {
        self == Peer::Ours
    }

    /// The sum in a successful answer's `result`: ours wraps it as
    /// `{"value": V, "outs": {}}`, jsonrpsee sends the bare value.
    pub fn sum(self, result: &serde_json::Value) -> Option<i64> {
        match self {
            Peer::Ours => result.get("value")?.as_i64(),
            Peer::Jsonrpsee => result.as_i64(),
        }
    }
}

/// A server running on the current tokio runtime until this is dropped (jsonrpsee's) or
/// the runtime ends (ours).
pub struct Running {
    pub addr: SocketAddr,
    /// Our host's engine: the idle-tab measure checks that every socket got its session.
    pub engine: Option<Engine>,
    _jsonrpsee: Option<ServerHandle>,
}

/// Starts `peer`'s server on 127.0.0.1 with a port the system picks.
pub async fn start(peer: Peer) -> io::Result<Running> {
    match peer {
        Peer::Ours => start_ours().await,
        Peer::Jsonrpsee => start_jsonrpsee().await,
    }
}

async fn start_ours() -> io::Result<Running> {
    let engine = Engine::new();
    let addr = serve_ours(WebHost::builder(engine.clone()).build()).await?;
    Ok(Running {
        addr,
        engine: Some(engine),
        _jsonrpsee: None,
    })
}

/// Serves `app` (a built `WebHost`) on 127.0.0.1 with a port the system picks, until the
/// runtime ends.
pub async fn serve_ours(app: Router) -> io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let listener = listener.tap_io(|tcp| {
        // Only a latency hint: a socket without it still works.
        let _ = tcp.set_nodelay(true);
    });
    tokio::spawn(async move {
        if let Err(error) = axum::serve(listener, app).await {
            eprintln!("web bench: our server stopped: {error}");
        }
    });
    Ok(addr)
}

async fn start_jsonrpsee() -> io::Result<Running> {
    let config = ServerConfig::builder()
        .max_connections(JSONRPSEE_MAX_CONNECTIONS)
        .build();
    let server = Server::builder()
        .set_config(config)
        .build("127.0.0.1:0")
        .await?;
    let addr = server.local_addr()?;
    let handle = server.start(rpc_module());
    Ok(Running {
        addr,
        engine: None,
        _jsonrpsee: Some(handle),
    })
}
