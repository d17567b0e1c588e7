use sessions_core::{export_method, Session};

#[export_method(session = none)]
fn whoami(session: &Session) -> String {
    session.id().to_string()
}

fn main() {}
