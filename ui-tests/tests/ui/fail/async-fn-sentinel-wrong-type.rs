use sessions_core::{export_method, SessionError};

#[export_method(sentinel = "none")]
async fn fill(n: &mut i32) -> Result<(), SessionError> {
    *n = 1;
    Ok(())
}

fn main() {}
