use sessions_core::export_method;

#[export_method(session = none)]
fn sum((a, b): (i64, i64)) -> i64 {
    a + b
}

fn main() {}
