//! Counts a page shows live: how many sessions have a user logged in (topic `active`) and
//! how many tabs its browser has open (topic `tabs`), pushed with [`Topic::notify`](sessions_core::Topic::notify) to
//! every tab that watches them, each time they change.
//!
//! An Optix page binds a label to `Sessions.Where(s => s.User != null).Count()` and a Xojo
//! page polls with a `WebTimer`; here the change itself pushes: [`Login`](crate::accounts)
//! and `Logout` call [`push_active`], and the engine's hooks ([`opened`], [`closed`]) push
//! when a tab comes or goes. A page asks for the counts with [`WatchCounts`](watch_counts).
//!
//! ```
//! use sessions_core::{Engine, User};
//! use sessions_examples::live;
//!
//! let engine = Engine::builder().on_open(live::opened).on_close(live::closed).build()?;
//! let screen = engine.open()?;
//! screen.call("WatchCounts", vec![])?;
//! let bob = engine.open()?;
//! bob.call("Login", vec!["bob".into(), Vec::<String>::new().into()])?;
//! engine.close(bob.id())?; // bob's tab is gone: bob is no longer counted
//! let counts: Vec<String> = screen
//!     .take_notifications()
//!     .iter()
//!     .map(|pushed| format!("{} {}", pushed.topic, pushed.payload.to_json_string()))
//!     .collect();
//! assert_eq!(counts, ["active 0", "tabs 1", "active 1", "active 0"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::{Mutex, MutexGuard, PoisonError};

use sessions_core::{export_method, ClientId, Engine, Session, SessionError, Topic};

sessions_core::topic! {
    /// The topic of the count of sessions with a user logged in ([`Engine::active_count`]).
    pub ACTIVE: usize = "active";
}
sessions_core::topic! {
    /// The topic of the count of open tabs of the session's browser
    /// ([`Engine::sessions_for_client`]).
    pub TABS: usize = "tabs";
}

/// Marks a session whose client shows the counts: only these are pushed to, so sessions
/// without a screen (a script's, a test's) are not sent what nobody reads.
#[derive(Debug)]
struct Watching;

/// Held while a count is read and pushed, so pushes reach each tab in the order the counts
/// were read: the last count a tab gets is the latest, even when two tabs log in at once.
static PUSHING: Mutex<()> = Mutex::new(());

fn pushing() -> MutexGuard<'static, ()> {
    PUSHING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Shows the live counts in the calling session's page: pushes `active` (sessions with a
/// user) and `tabs` (this browser's open tabs) now, and again each time one changes, for
/// as long as the session is open.
///
/// A page calls it once it is connected, and again when its socket comes back: the counts
/// may have changed meanwhile.
#[export_method(name = "WatchCounts")]
pub fn watch_counts(session: &Session) -> Result<(), SessionError> {
    session.insert(Watching);
    let engine = session
        .engine()
        .ok_or(SessionError::NotFound(session.id()))?;
    let _order = pushing();
    ACTIVE.notify(session, &engine.active_count())?;
    let tabs = session
        .client()
        .map_or(1, |client| engine.sessions_for_client(&client).len());
    TABS.notify(session, &tabs)?;
    Ok(())
}

/// The engine's `on_open` hook: a new tab changes its browser's count of tabs.
pub fn opened(session: &Session) {
    if let (Some(engine), Some(client)) = (session.engine(), session.client()) {
        let _order = pushing();
        push_tabs(&engine, &client);
    }
}

/// The engine's `on_close` hook: the closing tab's user is logged out first, so the count of
/// logged-in sessions drops now rather than after the hook; then the tabs left are told
/// the new counts.
pub fn closed(session: &Session) {
    let was_logged_in = session.user().is_some();
    session.set_user(None);
    let Some(engine) = session.engine() else {
        return;
    };
    let _order = pushing();
    if was_logged_in {
        push_to(watching(engine.sessions()), ACTIVE, engine.active_count());
    }
    if let Some(client) = session.client() {
        push_tabs(&engine, &client);
    }
}

/// Pushes the count of sessions with a user to every watching session of `engine`: what
/// `Login` and `Logout` call after changing the user.
pub fn push_active(engine: &Engine) {
    let _order = pushing();
    push_to(watching(engine.sessions()), ACTIVE, engine.active_count());
}

/// Pushes the count of `client`'s tabs to each of them that watches. The caller holds
/// [`PUSHING`].
fn push_tabs(engine: &Engine, client: &ClientId) {
    let tabs = engine.sessions_for_client(client);
    let count = tabs.len();
    push_to(watching(tabs), TABS, count);
}

fn watching(sessions: Vec<Session>) -> impl Iterator<Item = Session> {
    sessions
        .into_iter()
        .filter(|session| session.get::<Watching>().is_some())
}

/// Notifies each session; one that cannot take it (closed meanwhile, or its outbox full
/// because its page stopped reading) is logged and skipped: the others still get theirs.
fn push_to(sessions: impl Iterator<Item = Session>, topic: Topic<usize>, count: usize) {
    for session in sessions {
        if let Err(error) = topic.notify(&session, &count) {
            let topic = topic.name();
            tracing::warn!(session = %session.id(), topic, %error, "a live count was not pushed");
        }
    }
}
