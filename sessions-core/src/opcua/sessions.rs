//! Each OPC UA session is one [`Session`] of the host's engine for its whole life, kept in
//! the host boundary's registry of connections ([`Connections`]) by async-opcua's numeric
//! session id.
//!
//! - **Opened at activation.** async-opcua 0.19 has no hook for a session's activation, but
//!   right after every ActivateSession it asks each node manager for the namespaces of the
//!   session's user, with the session and its user token in hand
//!   (`NodeManager::namespaces_for_user`): the host's node manager opens the session there
//!   ([`OpcSessions::activated`]). A call from a session not seen yet (which 0.19 does not
//!   make) would open it at that call.
//! - **Its user.** A user name token logs that user in ([`Session::set_user`]); an anonymous
//!   one leaves the session anonymous. A re-activation with another user changes it.
//! - **Closed with it.** 0.19 has no hook when a session closes or expires either: the host
//!   keeps each session's handle and a sweep ([`OpcSessions::sweep`], every
//!   [`SWEEP_INTERVAL`]) closes ours when the server's is no longer activated (closed by
//!   the client, or expired past its timeout; a dropped connection ends its session only at
//!   the timeout).

use std::sync::Arc;
use std::time::Duration;

use opcua::server::authenticator::UserToken;
use opcua::server::node_manager::RequestContext;
use opcua::types::StatusCode;

use super::auth::Auth;
use crate::host::Connections;
use crate::{Engine, Session};

/// How often the host looks for OPC UA sessions that closed or expired.
pub const SWEEP_INTERVAL: Duration = Duration::from_millis(200);

/// What the host keeps of one OPC UA session beside ours.
struct Opc {
    /// Whether it is still activated (async-opcua's session type is not nameable outside
    /// it: a closure holds its handle).
    activated: Box<dyn Fn() -> bool + Send + Sync>,
    /// The user token it was last activated with.
    token: UserToken,
}

/// The OPC UA sessions of one host, by async-opcua's numeric session id.
pub(super) struct OpcSessions {
    connections: Connections<u32, Opc>,
    auth: Arc<Auth>,
}

impl OpcSessions {
    pub fn new(engine: Engine, auth: Arc<Auth>) -> OpcSessions {
        OpcSessions {
            connections: Connections::new(engine),
            auth,
        }
    }

    /// The session of the request `ctx` was (re-)activated: open ours if it is new, and
    /// make its user the token's.
    pub fn activated(&self, ctx: &RequestContext) {
        let _ = self.session_of(ctx);
    }

    /// Our session for a request of `ctx`'s OPC UA session, with the user of the token the
    /// request carries; opened now if this is the first the host hears of it
    /// (`BadTooManySessions` when the engine opens no more).
    pub fn session_of(&self, ctx: &RequestContext) -> Result<Session, StatusCode> {
        let token = ctx.user_token();
        let id = ctx.session_id();
        // The same session, activated again: the token may name another user now.
        let changed = self.connections.with(&id, |session, opc| {
            let changed = opc.token != *token;
            if changed {
                opc.token = token.clone();
            }
            (session.clone(), changed)
        });
        if let Some((session, changed)) = changed {
            if changed {
                self.connections.set_user(&id, self.auth.user(token));
                if token.is_anonymous() {
                    self.auth.anonymous_opened();
                } else {
                    self.auth.anonymous_held(self.anonymous_count());
                }
                tracing::debug!(session = %session.id(), user = ?session.user().map(|u| u.name().to_owned()), "OPC UA session re-activated with another user");
            }
            return Ok(session);
        }
        let handle = Arc::clone(&ctx.session);
        let opc = Opc {
            activated: Box::new(move || handle.read().is_activated()),
            token: token.clone(),
        };
        match self.connections.open(id, None, self.auth.user(token), opc) {
            Ok(session) => {
                if token.is_anonymous() {
                    self.auth.anonymous_opened();
                }
                tracing::debug!(session = %session.id(), opcua_session = id, "OPC UA session activated: session opened");
                Ok(session)
            }
            Err(error) => {
                tracing::warn!(%error, opcua_session = id, "OPC UA session activated, but the engine opens no session for it");
                Err(StatusCode::BadTooManySessions)
            }
        }
    }

    /// Closes our sessions whose OPC UA session is closed or expired; returns how many.
    pub fn sweep(&self) -> usize {
        let gone = self.connections.close_where(|_, _, opc| !(opc.activated)());
        self.auth.anonymous_held(self.anonymous_count());
        self.auth
            .forget_unheld(|token| self.connections.any(|_, opc| opc.token.0 == token));
        gone
    }

    /// How many of the sessions are anonymous.
    fn anonymous_count(&self) -> usize {
        let mut anonymous = 0;
        // `any` visits every entry while its closure answers `false`.
        self.connections.any(|_, opc| {
            anonymous += usize::from(opc.token.is_anonymous());
            false
        });
        anonymous
    }

    /// Closes every session of the host (the server stopped).
    pub fn close_all(&self) {
        self.connections.close_all();
    }
}
