use sessions_core::export_method;

#[export_method(session = none)]
fn greet(name: &str) -> String {
    format!("hello {name}")
}

fn main() {}
