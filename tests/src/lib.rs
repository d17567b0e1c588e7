//! A downstream crate that exports methods of its own: the integration tests in `tests/`
//! check that these appear in `sessions_core::methods()` beside the ones each test file
//! defines, as a second crate's would.
//!
//! Names here are specific to this crate (`Lib…`), so that other test files which define
//! their own methods do not collide with them; the one deliberate collision is
//! [`duplicate_in_lib`], named `Duplicate`.

use std::sync::atomic::{AtomicUsize, Ordering};

use sessions_core::{export_method, Engine, Session, SessionError};

/// Number of sessions with a logged-in user on the named engine.
#[export_method(name = "GetActiveWebSessionsNumber", sentinel = -1)]
pub fn get_active_web_sessions_number(
    engine: String,
    active: &mut i32,
) -> Result<(), SessionError> {
    let engine = Engine::find(&engine).ok_or(SessionError::UnknownEngine(engine))?;
    *active = engine.active_count() as i32;
    Ok(())
}

/// How many times [`lib_add`] has run.
pub static LIB_ADD_CALLS: AtomicUsize = AtomicUsize::new(0);

/// Adds two numbers; needs no session.
#[export_method(name = "LibAdd", session = none)]
pub fn lib_add(a: i64, b: i64) -> i64 {
    LIB_ADD_CALLS.fetch_add(1, Ordering::SeqCst);
    a + b
}

/// The id of the session the call ran in, which is always the caller's.
#[export_method(name = "LibWhoAmI")]
pub fn lib_who_am_i(session: &Session) -> Result<String, SessionError> {
    Ok(session.id().to_string())
}

/// Shares its exported name with a method defined in a test file, so the table reports the
/// two as duplicates.
#[export_method(name = "Duplicate", session = none)]
pub fn duplicate_in_lib() -> String {
    "lib".to_owned()
}

/// Forces this crate to be linked into a test binary that uses nothing else from it, so its
/// registrations are in the table.
pub fn link() {}
