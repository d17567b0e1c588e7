use sessions_core::{export_method, SessionId};

#[export_method(session = none)]
fn new_id(id: &mut SessionId) {
    let _ = id;
}

fn main() {}
