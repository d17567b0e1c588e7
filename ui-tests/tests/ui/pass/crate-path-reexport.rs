//! `crate = path` through a module that re-exports sessions_core, as serde's
//! `test_serde_path.rs` does: every generated path, `inventory::submit!` included, goes
//! through the re-export.
mod reexport {
    pub use sessions_core as core2;
}

use reexport::core2::{export_method, Value};

/// Adds through a re-exported runtime.
#[export_method(crate = reexport::core2, session = none)]
fn add_via_reexport(a: i64, b: i64) -> i64 {
    a + b
}

#[export_method(crate = crate::reexport::core2, session = impersonate, sentinel = -1)]
fn count_via_reexport(
    count: &mut i32,
    session: &reexport::core2::Session,
) -> Result<(), reexport::core2::SessionError> {
    *count = i32::from(session.is_root());
    Ok(())
}

fn main() {
    let table = reexport::core2::methods();
    let outcome = table.call("add_via_reexport", vec![Value::from(2), Value::from(3)]);
    assert_eq!(outcome.map(|o| o.value), Ok(Value::from(5)));
    let outcome = table.call("count_via_reexport", vec![]);
    assert_eq!(
        outcome.ok().and_then(|o| o.out("count").cloned()),
        Some(Value::from(1))
    );
    assert_eq!(
        table.get("add_via_reexport").map(|m| m.doc()),
        Some("Adds through a re-exported runtime.")
    );
}
