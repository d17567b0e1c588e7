//! Logging in and out: what a login page's button calls.
//!
//! Xojo keeps the user in a property of its `Session` subclass
//! (`Session.UserName = UserNameField.Text`); Optix's `UISession` has a `User`. Here the
//! session's user is [`Session::set_user`], and the engine's count of sessions with a user
//! follows it. Both push the new count to the pages that show it ([`live`]).

use sessions_core::{export_method, Session, User};

use crate::{live, AppError};

/// Logs `user` in to the calling session, with `roles` (e.g. `["admin"]`).
///
/// The session is injected: a host passes only `user` and `roles`, and the call runs for
/// whichever session the host called it in.
#[export_method(name = "Login")]
pub fn login(session: &Session, user: String, roles: Vec<String>) -> Result<(), AppError> {
    if user.trim().is_empty() {
        return Err(AppError::EmptyUserName);
    }
    session.set_user(Some(User::new(user).with_roles(roles)));
    push_active(session);
    Ok(())
}

/// Logs the calling session's user out; the session stays open, anonymous.
#[export_method(name = "Logout")]
pub fn logout(session: &Session) -> Result<(), AppError> {
    session.set_user(None);
    push_active(session);
    Ok(())
}

/// Tells the pages that show the count of logged-in sessions that it may have changed.
fn push_active(session: &Session) {
    if let Some(engine) = session.engine() {
        live::push_active(&engine);
    }
}
