//! The reserved methods `session.login {user, password}` and `session.logout`: a tab logs a
//! user of the host's [`Accounts`] in, with the roles the store gives, never the client's.
//! The password is checked on tokio's blocking pool ([`Accounts::verify_async`]), so a
//! log-in holds up no runtime worker and no other tab's call. The password is never logged.
//!
//! A log-in holds for the browser ([`LoginScope::Browser`], the default: every tab of the
//! client, and its tabs opened later, until a log-out or its last tab's session closes) or
//! for the tab alone ([`LoginScope::Tab`]). Every tab whose user changed is told with the
//! push `session.user` (`{"user": NAME, "roles": [..]}`, or `null` after a log-out).

use std::net::IpAddr;

use serde::Serialize;

use super::scope::LoginScope;
use super::state::Host;
use crate::audit::{AuditHost, AuditKind, AuditOutcome};
use crate::auth::AuthError;
use crate::engine::audit::CallAudit;
use crate::{Session, User, Value};

/// The reserved method that logs a user in: `{"user": NAME, "password": PASSWORD}` (or
/// `[NAME, PASSWORD]`).
pub const LOGIN_METHOD: &str = "session.login";
/// The reserved method that logs the user out.
pub const LOGOUT_METHOD: &str = "session.logout";
/// The push every tab whose user changed gets: `{"user": NAME, "roles": [..]}` or `null`.
pub const USER_TOPIC: &str = "session.user";

/// What the host knows of where a reserved method came from.
pub(super) struct Reserved<'a> {
    /// The host: its accounts, its scope and its tabs.
    pub host: &'a Host,
    /// The peer's address, when the server was served with connect info: failed log-ins
    /// are throttled per peer as well as per name.
    pub peer: Option<IpAddr>,
}

/// Why a reserved method did nothing.
#[derive(Debug)]
pub(super) enum LoginError {
    /// The host was built without [`WebHostBuilder::accounts`](super::WebHostBuilder::accounts).
    NoAccounts,
    /// The request has no session to log in (a POST without the `Sessions-Session` header).
    NoSession,
    /// `params` is not `{user, password}` or `[user, password]` with two strings.
    BadParams,
    /// The store refused: a wrong name or password, too many failures, or the store is
    /// unavailable.
    Refused(AuthError),
}

/// The user a tab sees, as `session.login` answers it and `session.user` pushes it.
#[derive(Serialize)]
pub(super) struct UserView<'a> {
    user: &'a str,
    roles: Vec<&'a str>,
}

impl<'a> UserView<'a> {
    pub fn of(user: &'a User) -> UserView<'a> {
        UserView {
            user: user.name(),
            roles: user.roles().collect(),
        }
    }
}

/// `session.login`: checks the password off the runtime's workers, then logs the store's
/// user in on the tab (or all the browser's tabs).
pub(super) async fn log_in(
    reserved: Option<&Reserved<'_>>,
    session: Option<&Session>,
    params: Option<&Value>,
) -> Result<User, LoginError> {
    let reserved = reserved.ok_or(LoginError::NoAccounts)?;
    let accounts = reserved
        .host
        .config
        .accounts
        .as_ref()
        .ok_or(LoginError::NoAccounts)?;
    let session = session.ok_or(LoginError::NoSession)?;
    let (name, password) = credentials(params).ok_or(LoginError::BadParams)?;
    let peer = reserved.peer.map(|ip| ip.to_string());
    // A changed file is read again before the check (a stat; cheap). A file that no longer
    // reads keeps the users before, and says why.
    if let Err(error) = accounts.reload_if_changed() {
        tracing::warn!(%error, "the accounts file changed but could not be read again: the users before stay");
    }
    let engine = &reserved.host.config.engine;
    let audit = CallAudit::event(
        engine,
        AuditHost::Web,
        AuditKind::Login,
        &name,
        Some(session),
        peer.as_deref(),
    );
    let user = match accounts.verify_async(name.clone(), password, peer).await {
        Ok(user) => user,
        Err(error) => {
            tracing::info!(user = %name, session = %session.id(), reason = %error, "web log-in refused");
            if let Some(audit) = audit {
                audit.finish_as(login_outcome(&error));
            }
            return Err(LoginError::Refused(error));
        }
    };
    tracing::info!(user = %name, session = %session.id(), "web log-in");
    set_user(reserved.host, session, Some(user.clone()));
    if let Some(audit) = audit {
        audit.finish_as(AuditOutcome::Ok);
    }
    Ok(user)
}

/// `session.logout`: logs the tab's user (or all the browser's tabs' user) out.
pub(super) fn log_out(
    reserved: Option<&Reserved<'_>>,
    session: Option<&Session>,
) -> Result<(), LoginError> {
    let reserved = reserved.ok_or(LoginError::NoAccounts)?;
    if reserved.host.config.accounts.is_none() {
        return Err(LoginError::NoAccounts);
    }
    let session = session.ok_or(LoginError::NoSession)?;
    let audit = session.user_name().and_then(|name| {
        let engine = &reserved.host.config.engine;
        let peer = reserved.peer.map(|ip| ip.to_string());
        CallAudit::event(
            engine,
            AuditHost::Web,
            AuditKind::Logout,
            &name,
            Some(session),
            peer.as_deref(),
        )
    });
    set_user(reserved.host, session, None);
    if let Some(audit) = audit {
        audit.finish_as(AuditOutcome::Ok);
    }
    Ok(())
}

/// The audit outcome of a refused log-in: `refused` when throttled (the password was not
/// checked), `failed` for a wrong name or password or a store that could not answer.
fn login_outcome(error: &AuthError) -> AuditOutcome {
    match error {
        AuthError::Throttled { .. } => AuditOutcome::Refused,
        _ => AuditOutcome::Failed,
    }
}

/// Sets `user` on the tab, or on every tab of its browser, and tells each tab whose user
/// changed.
fn set_user(host: &Host, session: &Session, user: Option<User>) {
    let sessions = match (host.config.login_scope, session.client()) {
        (LoginScope::Browser, Some(client)) => host.tabs.log_in_browser(&client, user.clone()),
        _ => vec![session.clone()],
    };
    let view = user.as_ref().map(UserView::of);
    for tab in sessions {
        if tab.user() == user {
            continue;
        }
        tab.set_user(user.clone());
        // A session closed meanwhile has no tab to tell.
        let _ = tab.notify(USER_TOPIC, &view);
    }
}

/// The name and password of `params`: `{"user", "password"}` or `[user, password]`.
fn credentials(params: Option<&Value>) -> Option<(String, String)> {
    let params = params?;
    let (user, password) = match params.as_array() {
        Some([user, password]) => (user, password),
        Some(_) => return None,
        None => (params.get("user")?, params.get("password")?),
    };
    Some((user.as_str()?.to_owned(), password.as_str()?.to_owned()))
}
