use sessions_core::{export_method, SessionError};

#[export_method(sentinel = "none")]
fn count(total: &mut i32) -> Result<(), SessionError> {
    *total = 3;
    Ok(())
}

fn main() {}
