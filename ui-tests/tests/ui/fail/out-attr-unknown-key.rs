use sessions_core::{export_method, SessionError};

#[export_method]
fn count(#[out(default = -1)] total: &mut i32) -> Result<(), SessionError> {
    *total = 1;
    Ok(())
}

fn main() {}
