use sessions_core::export_method;

#[derive(Debug)]
struct MyError;

impl std::fmt::Display for MyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("my error")
    }
}

#[export_method]
fn count() -> Result<i64, MyError> {
    Ok(1)
}

fn main() {}
