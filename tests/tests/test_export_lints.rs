//! The code `#[export_method]` generates is lint-clean: exported functions of every kind
//! compile here under strict lints (and `cargo clippy --all-targets -- -D warnings` checks
//! them under clippy), with the names the generated code uses also imported, so a
//! needlessly qualified generated path would be reported.
#![deny(
    warnings,
    unused_qualifications,
    missing_docs,
    clippy::all,
    unused_results,
    unreachable_pub,
    let_underscore_drop
)]

use sessions_core::{
    export_method, methods, CallError, CallOutcome, Direction, Engine, IntoValue, Policy, Session,
    SessionError, Value,
};

/// Returns nothing, needs a session.
#[export_method]
pub fn lint_unit() {}

/// Returns a plain value, impersonating.
#[export_method(session = impersonate)]
pub fn lint_value(a: i64, b: u8, c: String, d: Vec<i32>, e: Option<bool>, f: Value) -> i64 {
    a + i64::from(b)
        + c.len() as i64
        + d.len() as i64
        + i64::from(e.is_some())
        + i64::from(f == Value::Null)
}

/// Returns a `Result`, with every kind of parameter.
#[export_method(name = "LintEverything", sentinel = -1)]
pub fn lint_everything(
    input: i32,
    out: &mut i32,
    #[out(sentinel = String::new())] text: &mut String,
    #[out(sentinel = false)] flag: &mut bool,
    session: &Session,
    owned: Session,
) -> Result<Vec<String>, SessionError> {
    *out = input;
    *text = session.id().to_string();
    *flag = owned.is_root();
    if input < 0 {
        return Err(SessionError::NoContext);
    }
    let doubled = input.checked_mul(2).ok_or(SessionError::NoContext)?;
    Ok(vec![doubled.to_string()])
}

/// Touches no session; uses `?` and an early `return`.
#[export_method(session = none)]
pub fn lint_none(value: Value) -> Result<Value, String> {
    if value == Value::Null {
        return Ok(Value::Null);
    }
    let _: i64 = sessions_core::FromValue::from_value(value.clone()).map_err(|e| e.to_string())?;
    Ok(value)
}

/// Through a `crate =` path, with the session by value.
#[export_method(crate = sessions_core, session = impersonate)]
pub(crate) fn lint_crate_path(session: Session) -> bool {
    session.is_open()
}

/// Private, with out parameters only.
#[export_method(session = none, sentinel = 0)]
fn lint_private(a: &mut u64, b: &mut i8) -> Result<(), CallError> {
    *a = 1;
    *b = 2;
    Ok(())
}

/// Deprecated functions can be exported without the registration warning.
#[deprecated = "use lint_value"]
#[export_method(session = none)]
pub fn lint_deprecated() -> u32 {
    1
}

#[test]
fn every_kind_is_registered_and_callable() {
    let names = [
        "lint_unit",
        "lint_value",
        "LintEverything",
        "lint_none",
        "lint_crate_path",
        "lint_private",
        "lint_deprecated",
    ];
    for name in names {
        assert!(methods().get(name).is_some(), "{name}");
    }
    let everything = methods()
        .get("LintEverything")
        .map(|m| m.params().iter().map(|p| p.direction()).collect::<Vec<_>>());
    assert_eq!(
        everything,
        Some(vec![
            Direction::In,
            Direction::Out,
            Direction::Out,
            Direction::Out,
            Direction::Injected,
            Direction::Injected
        ])
    );
    assert_eq!(
        methods().get("lint_none").map(|m| m.policy()),
        Some(Policy::None)
    );

    let engine = Engine::new();
    let session = engine.open().expect("open");
    let outcome: CallOutcome = session
        .call("LintEverything", vec![21.into_value()])
        .expect("ran");
    assert_eq!(outcome.value, Value::Array(vec![Value::from("42")]));
    assert_eq!(
        outcome.out("text"),
        Some(&Value::from(session.id().to_string()))
    );
    let failed = session
        .call("LintEverything", vec![Value::from(-3)])
        .expect("ran");
    assert_eq!(failed.out("out"), Some(&Value::from(-1)));
    assert_eq!(failed.out("text"), Some(&Value::from("")));
    assert_eq!(failed.out("flag"), Some(&Value::from(false)));

    let (mut a, mut b) = (9, 9);
    assert_eq!(lint_private(&mut a, &mut b), Ok(()));
    assert!(lint_crate_path(session));
    lint_unit();
    assert_eq!(
        lint_value(1, 1, String::new(), vec![], None, Value::Null),
        3
    );
    assert_eq!(lint_none(Value::Null), Ok(Value::Null));
    #[allow(deprecated)]
    let one = lint_deprecated();
    assert_eq!(one, 1);
}
