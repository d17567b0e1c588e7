use sessions_core::{export_method, SessionError};

// The audit trail keeps a call's arguments only with `audit = "args"`; there is no other
// value.
#[export_method(audit = "everything")]
fn set_speed(rpm: f64) -> Result<(), SessionError> {
    let _ = rpm;
    Ok(())
}

fn main() {}
