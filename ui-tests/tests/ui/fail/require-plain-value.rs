use sessions_core::export_method;

#[export_method]
fn count() -> i64 {
    1
}

fn main() {}
