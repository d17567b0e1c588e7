use sessions_core::{export_method, SessionError};

#[export_method(sentinel = -1)]
fn count() -> Result<i64, SessionError> {
    Ok(1)
}

fn main() {}
