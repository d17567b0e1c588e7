use sessions_core::{export_method, SessionError};

#[export_method]
fn count(#[out(sentinel = -1)] total: i32) -> Result<i32, SessionError> {
    Ok(total)
}

fn main() {}
