//! Logging in and out: what a login page's button calls.
//!
//! Xojo keeps the user in a property of its `Session` subclass
//! (`Session.UserName = UserNameField.Text`); Optix's `UISession` has a `User`. Here the
//! session's user is [`Session::set_user`], and the engine's count of sessions with a user
//! follows it.

use sessions_core::{export_method, Session, User};

use crate::AppError;

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
    Ok(())
}

/// Logs the calling session's user out; the session stays open, anonymous.
#[export_method(name = "Logout")]
pub fn logout(session: &Session) -> Result<(), AppError> {
    session.set_user(None);
    Ok(())
}
