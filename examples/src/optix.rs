//! The Optix cheat sheet's `GetActiveWebSessionsNumber`, ported.
//!
//! ```csharp
//! [ExportMethod]
//! public void GetActiveWebSessionsNumber(NodeId webPresentationEngineNodeId, out int activeWebSessionNumber)
//! {
//!     try {
//!         PresentationEngine webPresentationEngine = InformationModel.Get<PresentationEngine>(webPresentationEngineNodeId);
//!         activeWebSessionNumber = webPresentationEngine.Sessions.Where(s => s.User != null).Count();
//!     } catch (Exception ex) {
//!         Log.Error(ex.Message);
//!         activeWebSessionNumber = -1;
//!     }
//! }
//! ```
//!
//! What changed: `[ExportMethod]` is `#[export_method]`; `out int` is `&mut i32`; the
//! `try`/`catch` that logs and writes -1 is generated from `sentinel = -1`; the engine is
//! found by name instead of by `NodeId`; and the count of sessions with a user is kept by
//! the engine (`active_count`, O(1)) instead of counted by a scan. The method also refuses
//! to run outside a session (`session = require`, the default), where Optix would crash.

use sessions_core::{export_method, Engine, SessionError};

/// Number of sessions with a logged-in user on the named engine.
///
/// Writes -1 into `active`, and logs the error, when the engine does not exist or no
/// session is current.
#[export_method(name = "GetActiveWebSessionsNumber", sentinel = -1)]
pub fn get_active_web_sessions_number(
    engine: String,
    active: &mut i32,
) -> Result<(), SessionError> {
    let engine = Engine::find(&engine).ok_or(SessionError::UnknownEngine(engine))?;
    // More than 2^31 sessions cannot be counted in an `out int`: answer the largest count.
    *active = i32::try_from(engine.active_count()).unwrap_or(i32::MAX);
    Ok(())
}
