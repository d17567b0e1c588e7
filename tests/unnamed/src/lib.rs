//! Exported methods in a crate that the test binaries depend on but never name: nothing of
//! it is called, imported or mentioned in their code, as a plugin crate that only
//! registers methods would be.

use sessions_core::export_method;

/// Answers `pong`: proof that this crate's methods are in the table.
#[export_method(name = "UnnamedPing", session = none)]
pub fn unnamed_ping() -> String {
    "pong".to_owned()
}

/// `sessions_core`, re-exported: `test_crate_hint` builds a crate that gets it only
/// through this re-export, as a crate of a larger framework would.
pub use sessions_core;
