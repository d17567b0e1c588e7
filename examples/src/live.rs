//! Counts a page shows live: how many sessions have a user logged in (the exported variable
//! [`ACTIVE`], `Sessions/Active`) and how many tabs its browser has open (topic `tabs`).
//!
//! An Optix page binds a label to `Sessions.Where(s => s.User != null).Count()` and a Xojo
//! page polls with a `WebTimer`. Here the count of logged-in sessions is a variable that the
//! hosts serve: a page watches it (`tab.watch("Sessions/Active", fn)`), an OPC UA client
//! subscribes to it, and the host pushes each change to every watcher, coalesced for a slow
//! one. The engine observer [`user_changed`] and the hook [`closed`] write it, as root, when
//! a user logs in or out (the web host's `session.login`, an OPC UA log-in,
//! `Session::set_user`) or a tab goes; no user may write it ([`COUNTER_ROLE`]).
//!
//! The count of a browser's tabs is not one value but one per browser, so it is no
//! variable: the hooks ([`opened`], [`closed`]) push it with [`Topic::notify`] to that
//! browser's tabs that asked for it with [`WatchCounts`](watch_counts).
//!
//! ```
//! use sessions_core::{Engine, User};
//! use sessions_examples::live;
//!
//! let engine = Engine::builder().on_open(live::opened).on_close(live::closed).build()?;
//! let _observer = engine.observe(live::user_changed);
//! let _active = live::export_active(&engine)?;
//! let screen = engine.open()?;
//! let bob = engine.open()?;
//! bob.set_user(Some(User::new("bob"))); // a host logged bob in
//! assert_eq!(live::active(&engine), Some(1));
//! engine.close(bob.id())?; // bob's tab is gone: bob is no longer counted
//! assert_eq!(live::active(&engine), Some(0));
//! // Two changes: version 1 (bob logged in), version 2 (bob gone).
//! assert_eq!(engine.variable(live::ACTIVE).unwrap().version(), 2);
//! # drop(screen);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use sessions_core::host::EngineEvent;
use sessions_core::{
    export_method, ClientId, Engine, Session, SessionError, SessionId, Topic, Variable,
    VariableError, VariableHandle, WeakSession,
};

/// The path of the exported count of sessions with a user logged in
/// ([`Engine::active_count`]).
pub const ACTIVE: &str = "Sessions/Active";

/// The write role of [`ACTIVE`]: a role no account is given, so that no user writes the
/// count; the hooks write it as the engine's root session.
pub const COUNTER_ROLE: &str = "sessions-counter";

/// Exports [`ACTIVE`] on `engine`, holding its count now; the hooks keep it current while
/// the handle lives.
///
/// # Errors
/// [`VariableError::PathTaken`] when the engine exports the path already.
pub fn export_active(engine: &Engine) -> Result<VariableHandle, VariableError> {
    let active = Variable::builder(engine.active_count())
        .write_role(COUNTER_ROLE)
        .json_schema()
        .build();
    engine.export_variable(ACTIVE, &active)
}

/// The count [`ACTIVE`] holds on `engine`; `None` when it is not exported there.
pub fn active(engine: &Engine) -> Option<usize> {
    let variable = engine.variable(ACTIVE)?;
    variable
        .as_any()
        .downcast_ref::<Variable<usize>>()
        .map(Variable::get)
}

sessions_core::topic! {
    /// The topic of the count of open tabs of the session's browser
    /// ([`Engine::sessions_for_client`]).
    pub TABS: usize = "tabs";
}

/// The sessions whose page shows its browser's tabs, of every engine: only these are pushed
/// to, so sessions without a screen (a script's, a test's) are not sent what nobody reads.
/// A session leaves it when it closes ([`closed`]); its entry is weak, so it never keeps a
/// session alive.
static WATCHERS: Mutex<BTreeMap<SessionId, WeakSession>> = Mutex::new(BTreeMap::new());

/// How many sessions the pushes of the counts have looked at: see [`visits`].
static VISITS: AtomicU64 = AtomicU64::new(0);

/// How many sessions the pushes of the tab counts have looked at so far in this process:
/// the browser's tabs, never every session of the engine. A test reads it to check that closing N sessions costs work in
/// proportion to N, not to N².
pub fn visits() -> u64 {
    VISITS.load(Ordering::Relaxed)
}

fn watchers() -> MutexGuard<'static, BTreeMap<SessionId, WeakSession>> {
    WATCHERS.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Held while a count is read and pushed or written, so changes land in the order the counts
/// were read: the last count a tab gets is the latest, even when two tabs log in at once.
static PUSHING: Mutex<()> = Mutex::new(());

fn pushing() -> MutexGuard<'static, ()> {
    PUSHING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Shows the count of this browser's open tabs in the calling session's page: pushes `tabs`
/// now, and again each time it changes, for as long as the session is open. (The count of
/// logged-in sessions is the variable [`ACTIVE`], which a page watches.)
///
/// A page calls it once it is connected, and again when its socket comes back: the count
/// may have changed meanwhile.
#[export_method(name = "WatchCounts")]
pub fn watch_counts(session: &Session) -> Result<(), SessionError> {
    let engine = session
        .engine()
        .ok_or(SessionError::NotFound(session.id()))?;
    watchers().insert(session.id(), session.downgrade());
    let _order = pushing();
    let tabs = session
        .client()
        .map_or(1, |client| engine.sessions_for_client(&client).len());
    TABS.notify(session, &tabs)?;
    Ok(())
}

/// The engine's `on_open` hook: a new tab changes its browser's count of tabs. A session
/// that opens with a user (one a farm node adopted from a dead or drained node: no log-in
/// is told of it, [`user_changed`] never sees it) changes the count of logged-in sessions.
pub fn opened(session: &Session) {
    if session.user().is_some() {
        if let Some(engine) = session.engine() {
            count_active(&engine);
        }
    }
    if let (Some(engine), Some(client)) = (session.engine(), session.client()) {
        let _order = pushing();
        push_tabs(&engine, &client);
    }
}

/// The engine's `on_close` hook: the closing tab stops watching, and its user is logged out
/// first, so the count of logged-in sessions drops now rather than after the hook; then
/// the browser's tabs left are told their new count. It looks at the browser's tabs only,
/// never at every session.
pub fn closed(session: &Session) {
    watchers().remove(&session.id());
    let was_logged_in = session.user().is_some();
    session.set_user(None);
    let Some(engine) = session.engine() else {
        return;
    };
    if was_logged_in {
        count_active(&engine);
    }
    if let Some(client) = session.client() {
        let _order = pushing();
        push_tabs(&engine, &client);
    }
}

/// The engine observer (`Engine::observe(live::user_changed)`): a session's user logged in
/// or out, so the count of sessions with a user is written. A session that is closing is
/// left to [`closed`], which writes once for it.
pub fn user_changed(event: &EngineEvent<'_>) {
    let EngineEvent::UserChanged(session) = event else {
        return;
    };
    if let Some(engine) = session.engine() {
        if engine.get(session.id()).is_some() {
            count_active(&engine);
        }
    }
}

/// Writes the count of sessions with a user to [`ACTIVE`] on `engine`, if it exports it and
/// the count changed: the host pushes it to every watcher.
pub fn count_active(engine: &Engine) {
    let Some(variable) = engine.variable(ACTIVE) else {
        return;
    };
    let Some(active) = variable.as_any().downcast_ref::<Variable<usize>>() else {
        tracing::warn!(
            path = ACTIVE,
            "the live count's path holds another type of variable"
        );
        return;
    };
    let _order = pushing();
    let count = engine.active_count();
    if active.get() != count {
        // ImpersonateRootTemporary: no user may write the count, the engine's root may.
        let _root = engine.impersonate_root();
        if let Err(error) = active.set(count) {
            tracing::warn!(path = ACTIVE, %error, "the live count was not written");
        }
    }
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
