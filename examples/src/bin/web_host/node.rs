//! `ServerNode`: which server (farm node) answers a tab's calls, and in which session: what
//! an operator (or a test behind a load balancer) asks to see where a tab landed.

use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sessions_core::{export_method, Session, SessionError};

/// This server's name: its farm node's, or `standalone`.
static NODE: OnceLock<String> = OnceLock::new();

/// Names this server for `ServerNode` (the first name given holds).
pub fn name(node: &str) {
    let _ = NODE.set(node.to_owned());
}

/// Where a call was answered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Served {
    /// The server's farm node name, or `standalone`.
    pub node: String,
    /// The id of the session the call ran in.
    pub session: String,
}

/// This server's name, as `ServerNode` answers it.
pub fn current() -> &'static str {
    NODE.get().map_or("standalone", String::as_str)
}

/// The server (farm node) and the session that answer this call.
#[export_method(name = "ServerNode")]
pub fn server_node(session: &Session) -> Result<Served, SessionError> {
    Ok(Served {
        node: current().to_owned(),
        session: session.id().to_string(),
    })
}
