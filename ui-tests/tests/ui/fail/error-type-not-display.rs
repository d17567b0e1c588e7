use sessions_core::export_method;

#[derive(Debug)]
struct Opaque;

#[export_method(session = none)]
fn count() -> Result<i64, Opaque> {
    Ok(1)
}

fn main() {}
