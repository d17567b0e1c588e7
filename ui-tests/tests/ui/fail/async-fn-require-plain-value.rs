use sessions_core::export_method;

#[export_method(session = require)]
async fn count() -> i64 {
    1
}

fn main() {}
