use std::rc::Rc;

use sessions_core::{export_method, SessionError};

#[export_method]
async fn counts(n: i64) -> Result<i64, SessionError> {
    let shared = Rc::new(n);
    std::future::ready(()).await;
    Ok(*shared)
}

fn main() {}
