use sessions_core::export_method;

#[export_method(name = "Add", session = none, name = "Plus")]
fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
