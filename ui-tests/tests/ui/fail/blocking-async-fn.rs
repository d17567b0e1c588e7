use sessions_core::{export_method, SessionError};

// An `async fn` gives its worker back at each `.await`: `blocking` is for plain fns.
#[export_method(blocking)]
async fn fetch() -> Result<u32, SessionError> {
    Ok(1)
}

fn main() {}
