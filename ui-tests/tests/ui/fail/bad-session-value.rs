use sessions_core::export_method;

#[export_method(session = optional)]
fn add(a: i64, b: i64) -> Result<i64, sessions_core::SessionError> {
    Ok(a + b)
}

fn main() {}
