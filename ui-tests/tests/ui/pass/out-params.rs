//! Out parameters: with the method-wide sentinel, with their own, and with none at all.
use sessions_core::{export_method, methods, SessionError, Value};

#[derive(Debug)]
struct Failed;

impl std::fmt::Display for Failed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("failed on purpose")
    }
}

#[export_method(session = none, sentinel = -1)]
fn fill(
    fail: bool,
    a: &mut i32,
    #[out(sentinel = 255)] b: &mut u8,
    #[out(sentinel = String::from("n/a"))] c: &mut String,
    #[out(sentinel = Vec::new())] d: &mut Vec<i64>,
) -> Result<(), Failed> {
    *a = 1;
    *b = 2;
    *c = "three".into();
    *d = vec![4];
    if fail {
        Err(Failed)
    } else {
        Ok(())
    }
}

#[export_method(session = none)]
fn no_sentinel(#[out] left_alone: &mut i64) -> Result<(), SessionError> {
    *left_alone = 9;
    Err(SessionError::NoContext)
}

fn main() {
    let (mut a, mut b, mut c, mut d) = (0, 0, String::new(), Vec::new());
    assert!(fill(true, &mut a, &mut b, &mut c, &mut d).is_err());
    assert_eq!((a, b, c.as_str(), d.as_slice()), (-1, 255, "n/a", &[][..]));

    let outcome = methods().call("fill", vec![Value::from(false)]).ok();
    let outs = outcome.map(|o| o.outs);
    assert_eq!(
        outs,
        Some(vec![
            ("a", Value::from(1)),
            ("b", Value::from(2)),
            ("c", Value::from("three")),
            ("d", Value::Array(vec![Value::from(4)])),
        ])
    );
    let outcome = methods().call("total", vec![Value::from(4)]).ok();
    assert_eq!(
        outcome.and_then(|o| o.out("total").cloned()),
        Some(Value::from(4))
    );
    let mut left_alone = 0;
    assert!(no_sentinel(&mut left_alone).is_err());
    assert_eq!(left_alone, 9);
}

/// A parameter named like its function: the trampoline's locals must not shadow the function.
#[export_method(session = none, sentinel = -1)]
pub fn total(total: &mut i32, count: i32) -> Result<(), String> {
    *total = count;
    Ok(())
}
