use sessions_core::{export_method, Session};

#[export_method]
fn log_out(session: &mut Session) {
    session.set_user(None);
}

fn main() {}
