//! `Tally`: a count kept per session, as durable session state. The type is registered with
//! `Engine::builder().persist::<Tally>()`, so on a farm it travels with the session: when
//! the server dies or drains, the tab resumes on another server, and its next `Tally`
//! counts on from where it was. What a load test (or a rolling deploy's check) calls to see
//! that no call ran twice and none was answered from another session.

use std::sync::Mutex;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sessions_core::{export_method, Session, SessionError};

/// How many times this session's `Tally` ran: the session's durable state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// The calls counted so far.
    pub calls: u64,
}

/// What `Tally` answers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Counted {
    /// The session's count, this call included.
    pub count: u64,
    /// The id of the session the call ran in.
    pub session: String,
    /// The server (farm node) that ran it, or `standalone`.
    pub node: String,
}

/// Held while a count is read and written: two calls of one session at once (a tab may
/// have several in flight) each count, neither overwrites the other.
static COUNTING: Mutex<()> = Mutex::new(());

/// Counts this call in the session's [`Tally`] and answers the new count. The count is
/// written back whole (`Session::insert`), which tells the farm to write it to Redis.
#[export_method(name = "Tally")]
pub fn tally(session: &Session) -> Result<Counted, SessionError> {
    let count = {
        let _counting = COUNTING.lock().unwrap_or_else(|poison| poison.into_inner());
        let count = session.get::<Tally>().map_or(0, |tally| tally.calls) + 1;
        session.insert(Tally { calls: count });
        count
    };
    Ok(Counted {
        count,
        session: session.id().to_string(),
        node: super::node::current().to_owned(),
    })
}
