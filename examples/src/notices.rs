//! Sending a notice to every session of a user: Xojo's push pattern, built in.
//!
//! Xojo (Greg O'Lone, "Session Context / Reference"): "use a Timer (not a WebTimer) as a
//! property on the App class … looking for messages to send to sessions … store a
//! SessionID, a command and one or more parameters … In the Timer's Action event, pull the
//! first item from the array, create a WebSessionContext using the SessionID and then call
//! a method on the Session object".
//!
//! Here [`notify_user`] queues a call of `ShowNotice` for each target session with
//! `Engine::post` (the array of JSONItems), and the engine's dispatcher (the App timer)
//! runs each one in its target session's context, where [`show_notice`] stores it in that
//! session's [`Inbox`] (a property of the Xojo `Session` subclass) and pushes it to the
//! session's page with `NOTICE.notify` (topic `notice`, `{"from", "text"}`): the user sees
//! it in every tab at once.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use schemars::JsonSchema;
use serde::Serialize;
use sessions_core::{export_method, Session, SessionError, Value};

use crate::AppError;

/// The most notices a session's [`Inbox`] keeps: a newer one drops the oldest.
pub const MAX_NOTICES: usize = 100;
/// The longest notice text taken, in bytes.
pub const MAX_NOTICE_BYTES: usize = 1024;

/// The notices a session has received: per-session state, like a property added to a Xojo
/// `Session` subclass. It ends with its session, and keeps the latest [`MAX_NOTICES`]:
/// the older ones were pushed to the page already, and are counted as they go.
#[derive(Debug, Default)]
pub struct Inbox(Mutex<Kept>);

#[derive(Debug, Default)]
struct Kept {
    notices: VecDeque<String>,
    dropped: u64,
}

impl Inbox {
    /// The inbox of `session`, created empty on first use.
    pub fn of(session: &Session) -> Arc<Inbox> {
        // `Session` has `get` and `insert` but no `get_or_insert_with`. A session's messages
        // are dispatched one at a time, so no other notice can insert an inbox in between.
        loop {
            if let Some(inbox) = session.get::<Inbox>() {
                return inbox;
            }
            session.insert(Inbox::default());
        }
    }

    /// The notices kept, oldest first.
    pub fn notices(&self) -> Vec<String> {
        self.kept().notices.iter().cloned().collect()
    }

    /// How many older notices were dropped to keep [`MAX_NOTICES`].
    pub fn dropped(&self) -> u64 {
        self.kept().dropped
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Kept> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn push(&self, notice: String) {
        let mut kept = self.kept();
        if kept.notices.len() >= MAX_NOTICES {
            kept.notices.pop_front();
            kept.dropped += 1;
        }
        kept.notices.push_back(notice);
    }
}

/// The notice text, when it is not longer than [`MAX_NOTICE_BYTES`].
fn check_text(text: &str) -> Result<(), AppError> {
    if text.len() > MAX_NOTICE_BYTES {
        return Err(AppError::TooLong {
            what: "notice",
            bytes: text.len(),
            limit: MAX_NOTICE_BYTES,
        });
    }
    Ok(())
}

/// Posts a notice to every open session of `user`; only an admin may.
///
/// Each browser tab is a session, so a user may have several; `sent` says how many
/// sessions the notice was posted to. The notices are shown when the engine's messages are dispatched
/// (`Engine::dispatch`, or a background `Engine::spawn_dispatcher`).
///
/// `role = "admin"` is checked at the boundary, before the body runs: a caller without the
/// role gets the failure path (`sent` = 0, one log event, `SessionError::Forbidden`).
#[export_method(name = "NotifyUser", sentinel = 0, role = "admin")]
pub fn notify_user(
    sender: &Session,
    user: String,
    text: String,
    sent: &mut u32,
) -> Result<(), AppError> {
    check_text(&text)?;
    // The boundary let the call in: the sender is an admin, or a root session.
    let from = sender
        .user()
        .map_or_else(|| "root".to_owned(), |admin| admin.name().to_owned());
    let engine = sender.engine().ok_or(SessionError::NotFound(sender.id()))?;
    // On a farm of servers, the user's tabs may be on any of them (`crate::farm`).
    if let Some(farm) = sessions_core::farm::Farm::of(&engine) {
        *sent = crate::farm::notify_user(&farm, &user, &from, &text)?;
        return Ok(());
    }
    let mut targets: Vec<Session> = engine
        .sessions()
        .into_iter()
        .filter(|session| session.user().is_some_and(|u| u.name() == user))
        .collect();
    // `sessions()` is in no particular order; post in the order the tabs were opened.
    targets.sort_by_key(Session::created);
    for target in &targets {
        let args = vec![Value::from(from.as_str()), Value::from(text.as_str())];
        engine.post(target.id(), "ShowNotice", args)?;
        *sent += 1;
    }
    Ok(())
}

sessions_core::topic! {
    /// The topic a notice is pushed to a session's page with.
    pub NOTICE: Notice = "notice";
}

/// What a page gets with a notice: `{"from": …, "text": …}`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Notice {
    /// Who sent it (a user's name).
    pub from: String,
    /// What it says.
    pub text: String,
}

/// Shows a notice from `from` in the calling session: keeps it in the session's inbox and
/// pushes it to the session's page (topic `notice`).
///
/// This is the call [`notify_user`] posts to each target session. It fails (and is logged)
/// when the page is too far behind to take one more notification (the inbox keeps it), or
/// when a text is longer than [`MAX_NOTICE_BYTES`] (nothing is kept).
#[export_method(name = "ShowNotice")]
pub fn show_notice(session: &Session, from: String, text: String) -> Result<(), AppError> {
    check_text(&text)?;
    // The sender's name is a user name or "root"; from a client it is checked too.
    check_text(&from)?;
    Inbox::of(session).push(format!("{from}: {text}"));
    Ok(NOTICE.notify(session, &Notice { from, text })?)
}
