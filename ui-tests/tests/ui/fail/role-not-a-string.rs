use sessions_core::{export_method, SessionError};

// A role is a name, written as a string.
#[export_method(role = admin)]
fn reset() -> Result<(), SessionError> {
    Ok(())
}

fn main() {}
