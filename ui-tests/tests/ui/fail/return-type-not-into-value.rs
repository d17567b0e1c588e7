use sessions_core::export_method;

struct Report {
    lines: Vec<String>,
}

#[export_method(session = none)]
fn report() -> Report {
    Report { lines: Vec::new() }
}

fn main() {}
