use sessions_core::export_method;

// `session = none` consults no session, so there is no user to check a role against.
#[export_method(session = none, role = "admin")]
fn version() -> String {
    "1.0".to_owned()
}

fn main() {}
