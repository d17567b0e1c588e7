use sessions_core::export_method;

#[export_method(session = none)]
const fn answer() -> i64 {
    42
}

fn main() {}
