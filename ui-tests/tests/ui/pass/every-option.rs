//! Every attribute option, alone and together.
use sessions_core::{export_method, methods, Policy, SessionError};

#[export_method]
fn defaults() -> Result<(), SessionError> {
    Ok(())
}

#[export_method(name = "Renamed")]
fn renamed() {}

#[export_method(session = require)]
fn required() -> Result<i64, SessionError> {
    Ok(1)
}

#[export_method(session = impersonate)]
fn impersonated() -> i64 {
    2
}

#[export_method(session = none)]
fn untouched() -> String {
    String::from("none")
}

#[export_method(sentinel = -1)]
fn with_sentinel(out: &mut i32) -> Result<(), SessionError> {
    *out = 1;
    Ok(())
}

#[export_method(crate = ::sessions_core)]
fn with_crate() {}

#[export_method(crate = "sessions_core")]
fn with_crate_string() {}

#[export_method(
    name = "Everything",
    session = impersonate,
    sentinel = i64::MIN,
    crate = sessions_core,
)]
fn everything(
    a: i64,
    b: &mut i64,
    #[out(sentinel = String::new())] c: &mut String,
) -> Result<i64, SessionError> {
    *b = a;
    *c = a.to_string();
    Ok(a)
}

// `#[cfg]` on the function applies to its registration too.
#[cfg(any())]
#[export_method(session = none)]
fn compiled_out() -> i64 {
    0
}

#[cfg(all())]
#[export_method(session = none)]
fn compiled_in() -> i64 {
    1
}

fn main() {
    assert!(methods().get("compiled_out").is_none());
    assert_eq!(compiled_in(), 1);
    assert!(methods().get("compiled_in").is_some());
    let policy = |name: &str| methods().get(name).map(|m| m.policy());
    assert_eq!(policy("defaults"), Some(Policy::Require));
    assert!(methods().get("renamed").is_none());
    assert_eq!(policy("Renamed"), Some(Policy::Require));
    assert_eq!(policy("required"), Some(Policy::Require));
    assert_eq!(policy("impersonated"), Some(Policy::Impersonate));
    assert_eq!(policy("untouched"), Some(Policy::None));
    assert_eq!(policy("Everything"), Some(Policy::Impersonate));
    assert!(methods().get("with_sentinel").is_some());
    assert!(methods().get("with_crate").is_some());
    assert!(methods().get("with_crate_string").is_some());
    let signature = methods().get("Everything").map(ToString::to_string);
    assert_eq!(
        signature.as_deref(),
        Some("Everything(a: i64, out b: i64 = i64::MIN on failure, out c: String = String::new() on failure) -> i64 [session: impersonate]")
    );
    // Direct Rust calls still work.
    let _ = (
        defaults(),
        renamed(),
        required(),
        impersonated(),
        untouched(),
        with_crate(),
        with_crate_string(),
    );
    let mut out = 0;
    let _ = with_sentinel(&mut out);
    let (mut b, mut c) = (0, String::new());
    assert_eq!(everything(7, &mut b, &mut c), Ok(7));
    assert_eq!((b, c.as_str()), (7, "7"));
}
