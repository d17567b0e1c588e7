use sessions_core::{export_method, SessionError};

// `engine` names whose root `impersonate` runs in; `require` runs in the caller's session.
#[export_method(engine = "Plant")]
fn start_line() -> Result<(), SessionError> {
    Ok(())
}

fn main() {}
