use sessions_core::export_method;

// A role can refuse the call, and a plain `i64` cannot say so.
#[export_method(session = impersonate, role = "admin")]
fn secret_count() -> i64 {
    42
}

fn main() {}
