use sessions_core::export_method;

#[export_method(session = none)]
fn numbers() -> impl Iterator<Item = i64> {
    0..3
}

fn main() {}
