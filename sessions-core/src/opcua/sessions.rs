//! Each OPC UA session is one [`Session`] of the host's engine for its whole life.
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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use opcua::server::authenticator::UserToken;
use opcua::server::node_manager::RequestContext;
use opcua::types::StatusCode;

use super::auth::Auth;
use crate::lock::lock;
use crate::{Engine, Session, SessionError};

/// How often the host looks for OPC UA sessions that closed or expired.
pub const SWEEP_INTERVAL: Duration = Duration::from_millis(200);

/// Whether an OPC UA session is still activated (async-opcua's session type is not
/// nameable outside it: a closure holds its handle).
type IsActivated = Box<dyn Fn() -> bool + Send + Sync>;

/// One OPC UA session and ours.
struct Mapped {
    opc: IsActivated,
    /// Ours; `Err` when the engine would not open one (its `max_sessions`).
    session: Result<Session, SessionError>,
    token: UserToken,
}

/// The OPC UA sessions of one host, by async-opcua's numeric session id.
pub(super) struct OpcSessions {
    engine: Engine,
    auth: Arc<Auth>,
    by_id: Mutex<HashMap<u32, Mapped>>,
}

impl OpcSessions {
    pub fn new(engine: Engine, auth: Arc<Auth>) -> OpcSessions {
        OpcSessions {
            engine,
            auth,
            by_id: Mutex::new(HashMap::new()),
        }
    }

    /// The session of the request `ctx` was (re-)activated: open ours if it is new, and
    /// make its user the token's.
    pub fn activated(&self, ctx: &RequestContext) {
        let _ = self.session_of(ctx);
    }

    /// Our session for a request of `ctx`'s OPC UA session, with the user of the token the
    /// request carries; opened now if this is the first the host hears of it.
    pub fn session_of(&self, ctx: &RequestContext) -> Result<Session, StatusCode> {
        let token = ctx.user_token();
        let mut by_id = lock(&self.by_id);
        if let Some(mapped) = by_id.get_mut(&ctx.session_id()) {
            let session = mapped
                .session
                .as_ref()
                .map_err(|_| StatusCode::BadTooManySessions)?;
            if mapped.token != *token {
                mapped.token = token.clone();
                session.set_user(self.auth.user(token));
                tracing::debug!(session = %session.id(), user = ?session.user().map(|u| u.name().to_owned()), "OPC UA session re-activated with another user");
            }
            return Ok(session.clone());
        }
        let session = self.engine.open();
        match &session {
            Ok(session) => {
                let user = self.auth.user(token);
                if user.is_some() {
                    session.set_user(user);
                }
                tracing::debug!(session = %session.id(), opcua_session = ctx.session_id(), "OPC UA session activated: session opened");
            }
            Err(error) => {
                tracing::warn!(%error, opcua_session = ctx.session_id(), "OPC UA session activated, but the engine opens no session for it");
            }
        }
        let answer = session.clone().map_err(|_| StatusCode::BadTooManySessions);
        let opc = Arc::clone(&ctx.session);
        by_id.insert(
            ctx.session_id(),
            Mapped {
                opc: Box::new(move || opc.read().is_activated()),
                session,
                token: token.clone(),
            },
        );
        answer
    }

    /// Closes our sessions whose OPC UA session is closed or expired; returns how many.
    pub fn sweep(&self) -> usize {
        let gone: Vec<Mapped> = {
            let mut by_id = lock(&self.by_id);
            let ids: Vec<u32> = by_id
                .iter()
                .filter(|(_, mapped)| !(mapped.opc)())
                .map(|(id, _)| *id)
                .collect();
            ids.iter().filter_map(|id| by_id.remove(id)).collect()
        };
        for mapped in &gone {
            self.close(mapped);
        }
        let by_id = lock(&self.by_id);
        self.auth
            .forget_unheld(|token| by_id.values().any(|mapped| mapped.token.0 == token));
        gone.len()
    }

    /// Closes every session of the host (the server stopped).
    pub fn close_all(&self) {
        let all: Vec<Mapped> = lock(&self.by_id)
            .drain()
            .map(|(_, mapped)| mapped)
            .collect();
        for mapped in &all {
            self.close(mapped);
        }
    }

    fn close(&self, mapped: &Mapped) {
        if let Ok(session) = &mapped.session {
            // Closed already (idle expiry, the application) is fine: it is closed either way.
            let _ = self.engine.close(session.id());
            tracing::debug!(session = %session.id(), "OPC UA session closed or expired: session closed");
        }
    }
}
