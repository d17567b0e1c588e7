//! What an exported method's [`Rule`] decides for one call, in the context current now: the
//! one implementation of the session policies, `engine = "…"` and `role = "…"`, which every
//! call path (direct, host, `async`) asks through `boundary.rs`.

use crate::methods::{Policy, Rule};
use crate::{current, current_id, Engine, Session, SessionError};

/// Where the call runs, or why it must not.
pub(super) enum Decision {
    /// In the session current now.
    Current,
    /// In this engine's root session, impersonated for the call.
    Root(Engine),
    /// As it is: the method touches no context.
    Untouched,
    /// Nowhere: the function must not run.
    Refused(SessionError),
}

/// Decides `rule` for a call made now.
///
/// - `require`: the current session, or refused with [`SessionError::NoContext`].
/// - `impersonate`: the current session, or else the root of [`Engine::global()`]; with
///   `engine = "Plant"`, the current session if it is one of Plant's, or else Plant's root,
///   refused with [`SessionError::UnknownEngine`] when no engine has that name.
/// - `role = "admin"`: a call that runs in a session other than a root whose user lacks
///   the role is refused with [`SessionError::Forbidden`]; a root session may call
///   everything.
#[inline]
pub(super) fn decide(rule: Rule) -> Decision {
    let decision = match (rule.policy, rule.engine) {
        // `none` reads no context at all.
        (Policy::None, _) => return Decision::Untouched,
        (Policy::Require, _) if current_id().is_some() => Decision::Current,
        (Policy::Require, _) => return Decision::Refused(SessionError::NoContext),
        (Policy::Impersonate, None) if current_id().is_some() => Decision::Current,
        (Policy::Impersonate, None) => return Decision::Root(Engine::global().clone()),
        (Policy::Impersonate, Some(name)) => return in_engine(name),
    };
    match rule.role {
        Some(role) if !current().is_some_and(|session| may_act_as(&session, role)) => {
            Decision::Refused(SessionError::Forbidden {
                role: role.to_owned(),
            })
        }
        _ => decision,
    }
}

/// `impersonate` with `engine = name`: the current session if it is one of that engine's,
/// else its root (which may call everything, so no role is checked).
#[cold]
fn in_engine(name: &str) -> Decision {
    let Some(engine) = Engine::find(name) else {
        return Decision::Refused(SessionError::UnknownEngine(name.to_owned()));
    };
    let current_is_its = current()
        .and_then(|session| session.engine())
        .is_some_and(|of_current| of_current == engine);
    if current_is_its {
        Decision::Current
    } else {
        Decision::Root(engine)
    }
}

/// Whether `session` may call a method (or write a variable) that needs `role`: a root
/// session may do everything, another only with a user who has the role.
pub(crate) fn may_act_as(session: &Session, role: &str) -> bool {
    session.is_root() || session.user().is_some_and(|user| user.has_role(role))
}
