//! Who may write a variable: the session rule of exported methods (`engine/decide.rs`),
//! applied to a write.

use crate::engine::may_act_as;
use crate::model::WrittenBy;
use crate::{current, SessionError};

/// The writer of a change made now: the current session, if it may write a variable
/// needing `role`.
///
/// # Errors
/// [`SessionError::NoContext`] outside any session context, [`SessionError::Forbidden`]
/// when the session (not a root) has no user with `role`.
pub(super) fn writer(role: Option<&str>) -> Result<WrittenBy, SessionError> {
    let session = current().ok_or(SessionError::NoContext)?;
    if let Some(role) = role {
        if !may_act_as(&session, role) {
            return Err(SessionError::Forbidden {
                role: role.to_owned(),
            });
        }
    }
    Ok(WrittenBy {
        session: session.id(),
        root: session.is_root(),
        user: session.user(),
    })
}
