//! Counts a page shows live: how many sessions have a user logged in (topic `active`) and
//! how many tabs its browser has open (topic `tabs`), pushed with [`Topic::notify`](sessions_core::Topic::notify) to
//! every tab that watches them, each time they change.
//!
//! An Optix page binds a label to `Sessions.Where(s => s.User != null).Count()` and a Xojo
//! page polls with a `WebTimer`; here the change itself pushes: the engine observer
//! [`user_changed`] pushes when a session's user logs in or out (the web host's
//! `session.login`, an OPC UA log-in, `Session::set_user`), and the engine's hooks
//! ([`opened`], [`closed`]) push when a tab comes or goes. A page asks for the counts with
//! [`WatchCounts`](watch_counts).
//!
//! ```
//! use sessions_core::{Engine, User};
//! use sessions_examples::live;
//!
//! let engine = Engine::builder().on_open(live::opened).on_close(live::closed).build()?;
//! let _observer = engine.observe(live::user_changed);
//! let screen = engine.open()?;
//! screen.call("WatchCounts", vec![])?;
//! let bob = engine.open()?;
//! bob.set_user(Some(User::new("bob"))); // a host logged bob in
//! engine.close(bob.id())?; // bob's tab is gone: bob is no longer counted
//! let counts: Vec<String> = screen
//!     .take_notifications()
//!     .iter()
//!     .map(|pushed| format!("{} {}", pushed.topic, pushed.payload.to_json_string()))
//!     .collect();
//! assert_eq!(counts, ["active 0", "tabs 1", "active 1", "active 0"]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use sessions_core::host::EngineEvent;
use sessions_core::{
    export_method, ClientId, Engine, Session, SessionError, SessionId, Topic, WeakSession,
};

sessions_core::topic! {
    /// The topic of the count of sessions with a user logged in ([`Engine::active_count`]).
    pub ACTIVE: usize = "active";
}
sessions_core::topic! {
    /// The topic of the count of open tabs of the session's browser
    /// ([`Engine::sessions_for_client`]).
    pub TABS: usize = "tabs";
}

/// The sessions whose client shows the counts, of every engine: only these are pushed to,
/// so sessions without a screen (a script's, a test's) are not sent what nobody reads, and
/// a count is pushed without looking at every session. A session leaves it when it closes
/// ([`closed`]); its entry is weak, so it never keeps a session alive.
static WATCHERS: Mutex<BTreeMap<SessionId, WeakSession>> = Mutex::new(BTreeMap::new());

/// How many sessions the pushes of the counts have looked at: see [`visits`].
static VISITS: AtomicU64 = AtomicU64::new(0);

/// How many sessions the pushes of the counts have looked at so far in this process: the
/// watching sessions (for `active`) and the browser's tabs (for `tabs`), never every
/// session of the engine. A test reads it to check that closing N sessions costs work in
/// proportion to N, not to N².
pub fn visits() -> u64 {
    VISITS.load(Ordering::Relaxed)
}

fn watchers() -> MutexGuard<'static, BTreeMap<SessionId, WeakSession>> {
    WATCHERS.lock().unwrap_or_else(PoisonError::into_inner)
}

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
    let engine = session
        .engine()
        .ok_or(SessionError::NotFound(session.id()))?;
    watchers().insert(session.id(), session.downgrade());
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

/// The engine's `on_close` hook: the closing tab stops watching, and its user is logged out
/// first, so the count of logged-in sessions drops now rather than after the hook; then
/// the tabs left are told the new counts. It looks at the watching sessions and the
/// browser's tabs only, never at every session.
pub fn closed(session: &Session) {
    watchers().remove(&session.id());
    let was_logged_in = session.user().is_some();
    session.set_user(None);
    let Some(engine) = session.engine() else {
        return;
    };
    let _order = pushing();
    if was_logged_in {
        push_to(watching(&engine), ACTIVE, engine.active_count());
    }
    if let Some(client) = session.client() {
        push_tabs(&engine, &client);
    }
}

/// The engine observer (`Engine::observe(live::user_changed)`): a session's user logged in
/// or out, so the count of sessions with a user is pushed. A session that is closing is
/// left to [`closed`], which pushes once for it.
pub fn user_changed(event: &EngineEvent<'_>) {
    let EngineEvent::UserChanged(session) = event else {
        return;
    };
    if let Some(engine) = session.engine() {
        if engine.get(session.id()).is_some() {
            push_active(&engine);
        }
    }
}

/// Pushes the count of sessions with a user to every watching session of `engine`: what
/// [`user_changed`] calls when a user logs in or out.
pub fn push_active(engine: &Engine) {
    let _order = pushing();
    push_to(watching(engine), ACTIVE, engine.active_count());
}

/// Pushes the count of `client`'s tabs to each of them that watches. The caller holds
/// [`PUSHING`].
fn push_tabs(engine: &Engine, client: &ClientId) {
    let tabs = engine.sessions_for_client(client);
    let count = tabs.len();
    VISITS.fetch_add(count as u64, Ordering::Relaxed);
    let watchers = watchers();
    let watching: Vec<Session> = tabs
        .into_iter()
        .filter(|tab| watchers.contains_key(&tab.id()))
        .collect();
    drop(watchers);
    push_to(watching.into_iter(), TABS, count);
}

/// The watching sessions of `engine`.
fn watching(engine: &Engine) -> impl Iterator<Item = Session> {
    let sessions: Vec<Session> = watchers()
        .values()
        .filter_map(WeakSession::upgrade)
        .collect();
    VISITS.fetch_add(sessions.len() as u64, Ordering::Relaxed);
    let engine = engine.clone();
    sessions
        .into_iter()
        .filter(move |session| session.engine().as_ref() == Some(&engine))
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
