use sessions_core::{export_method, SessionError};

#[export_method]
async fn fetch(url: String) -> Result<String, SessionError> {
    Ok(url)
}

fn main() {}
