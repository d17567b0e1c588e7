use sessions_core::export_method;

#[export_method(session = none)]
extern "C" fn add(a: i64, b: i64) -> i64 {
    a + b
}

fn main() {}
