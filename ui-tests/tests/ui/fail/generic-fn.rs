use sessions_core::{export_method, FromValue};

#[export_method(session = none)]
fn echo<T: FromValue>(value: T) {
    let _ = value;
}

fn main() {}
