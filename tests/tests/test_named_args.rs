//! Arguments by position or by name, JSON-RPC's two forms: equal outcomes through every call
//! path, trailing `Option` parameters left out, and every bad-argument case refused with its
//! code before the function runs.

mod export_support;

use std::cell::Cell;
use std::collections::BTreeMap;

use export_support::block_on;
use sessions_core::{
    export_method, methods, Args, CallError, CallOutcome, Engine, Session, SessionError, Value,
};

thread_local! {
    /// Runs of `NamedArea` on this thread: the tests run in parallel and several call it
    /// successfully, so each counts its own calls.
    static AREA_RUNS: Cell<usize> = const { Cell::new(0) };
}

/// The area of a rectangle.
#[export_method(name = "NamedArea", session = none)]
fn named_area(width: f64, height: f64) -> f64 {
    AREA_RUNS.set(AREA_RUNS.get() + 1);
    width * height
}

/// Greets `name`, `times` times (once by default), joined by `sep` (a space by default).
#[export_method(name = "NamedGreet", session = none)]
fn named_greet(name: String, times: Option<u32>, sep: Option<String>) -> String {
    let times = times.unwrap_or(1) as usize;
    vec![format!("hello {name}"); times].join(&sep.unwrap_or_else(|| " ".to_owned()))
}

/// An optional parameter between two required ones.
#[export_method(name = "NamedMiddle", session = none)]
fn named_middle(a: i64, b: Option<i64>, c: i64) -> String {
    format!("{a} {b:?} {c}")
}

/// Doubles `n` into an out parameter, in the caller's session.
#[export_method(name = "NamedOut", sentinel = -1)]
fn named_out(session: &Session, n: i64, doubled: &mut i64) -> Result<String, SessionError> {
    *doubled = n * 2;
    Ok(session.id().to_string())
}

/// Adds, after an await; `b` may be left out.
#[export_method(name = "NamedAsync", session = none)]
async fn named_async(a: i64, b: Option<i64>) -> i64 {
    std::future::ready(()).await;
    a + b.unwrap_or(0)
}

fn named(pairs: &[(&str, Value)]) -> BTreeMap<String, Value> {
    pairs
        .iter()
        .map(|(name, value)| ((*name).to_owned(), value.clone()))
        .collect()
}

#[test]
fn positional_and_named_calls_give_equal_outcomes_on_every_path() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let positional = || vec![Value::from(2.0), Value::from(3.5)];
    let by_name = || named(&[("height", Value::from(3.5)), ("width", Value::from(2.0))]);
    let expected: Result<CallOutcome, CallError> =
        Ok(CallOutcome::ok(Value::from(7.0), Vec::new()));
    assert_eq!(methods().call("NamedArea", positional()), expected);
    assert_eq!(methods().call("NamedArea", by_name()), expected);
    assert_eq!(session.call("NamedArea", by_name()), expected);
    assert_eq!(engine.call_as_root("NamedArea", by_name()), expected);
    assert_eq!(
        block_on(methods().call_async("NamedArea", by_name())),
        expected
    );
    let info = methods().get("NamedArea").expect("registered");
    assert_eq!(info.call(by_name()), expected);

    let out_positional = session.call("NamedOut", vec![Value::from(21)]);
    let out_named = session.call("NamedOut", named(&[("n", Value::from(21))]));
    assert_eq!(out_positional, out_named);
    let outcome = out_named.expect("called");
    assert_eq!(outcome.out("doubled"), Some(&Value::from(42)));
    assert_eq!(outcome.value, Value::from(session.id().to_string()));

    let async_positional =
        block_on(methods().call_async("NamedAsync", vec![Value::from(1), Value::from(2)]));
    let async_named = block_on(session.call_async(
        "NamedAsync",
        named(&[("b", Value::from(2)), ("a", Value::from(1))]),
    ));
    assert_eq!(async_positional, async_named);
    assert_eq!(async_named.map(|o| o.value), Ok(Value::from(3)));
}

#[test]
fn posted_messages_take_arguments_by_name_too() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    engine
        .post(session.id(), "NamedOut", named(&[("n", Value::from(5))]))
        .expect("post");
    engine
        .post(session.id(), "NamedOut", named(&[("m", Value::from(5))]))
        .expect("post: the arguments are checked when the message is delivered");
    let report = engine.dispatch();
    assert_eq!((report.delivered, report.failed), (1, 1), "{report:?}");
}

#[test]
fn trailing_options_may_be_left_out_and_are_none() {
    let call = |args: Args| methods().call("NamedGreet", args).map(|o| o.value);
    let ada = || Value::from("ada");
    assert_eq!(call(vec![ada()].into()), Ok(Value::from("hello ada")));
    assert_eq!(
        call(vec![ada(), Value::from(2)].into()),
        Ok(Value::from("hello ada hello ada"))
    );
    assert_eq!(
        call(vec![ada(), Value::from(2), Value::from(", ")].into()),
        Ok(Value::from("hello ada, hello ada"))
    );
    assert_eq!(
        call(vec![ada(), Value::Null, Value::from("-")].into()),
        Ok(Value::from("hello ada")),
        "null is None too"
    );
    // By name, any `Option` may be left out, not only the trailing ones.
    assert_eq!(
        call(named(&[("name", ada()), ("sep", Value::from("+"))]).into()),
        Ok(Value::from("hello ada"))
    );
    assert_eq!(
        call(named(&[("times", Value::from(2)), ("name", ada())]).into()),
        Ok(Value::from("hello ada hello ada"))
    );
    assert_eq!(
        methods()
            .call(
                "NamedMiddle",
                named(&[("c", Value::from(3)), ("a", Value::from(1))])
            )
            .map(|o| o.value),
        Ok(Value::from("1 None 3"))
    );
    assert_eq!(
        block_on(methods().call_async("NamedAsync", vec![Value::from(4)])).map(|o| o.value),
        Ok(Value::from(4))
    );
}

/// The error of calling `name` with `args`, with its code, and the check that it did not
/// run the function.
fn refused(name: &str, args: impl Into<Args>) -> (CallError, i32) {
    let before = AREA_RUNS.get();
    let error = methods().call(name, args).expect_err("refused");
    assert_eq!(AREA_RUNS.get(), before, "it did not run");
    let code = error.code();
    (error, code)
}

#[test]
fn an_unknown_name_is_refused_with_the_parameters_it_has() {
    let (error, code) = refused(
        "NamedArea",
        named(&[("width", Value::from(1.0)), ("depth", Value::from(2.0))]),
    );
    assert_eq!(code, -32602);
    assert_eq!(
        error,
        CallError::UnknownArgument {
            method: "NamedArea".into(),
            param: "depth".into(),
            params: vec!["width".into(), "height".into()],
        }
    );
    assert_eq!(
        error.to_string(),
        "`NamedArea` has no parameter named `depth` (its parameters: width, height)"
    );
}

#[test]
fn out_parameters_and_the_injected_session_are_not_arguments() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    for name in ["doubled", "session"] {
        let error = session
            .call(
                "NamedOut",
                named(&[("n", Value::from(1)), (name, Value::from(0))]),
            )
            .expect_err("refused");
        assert_eq!(error.code(), -32602);
        assert!(
            matches!(&error, CallError::UnknownArgument { param, .. } if param == name),
            "{error:?}"
        );
    }
}

#[test]
fn a_repeated_name_is_refused() {
    let (error, code) = refused(
        "NamedArea",
        Args::named([
            ("width", Value::from(1.0)),
            ("height", Value::from(2.0)),
            ("width", Value::from(3.0)),
        ]),
    );
    assert_eq!(code, -32602);
    assert_eq!(
        error,
        CallError::RepeatedArgument {
            method: "NamedArea".into(),
            param: "width".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        "argument `width` of `NamedArea` is given twice"
    );
}

#[test]
fn a_missing_name_is_refused_unless_it_is_an_option() {
    let (error, code) = refused("NamedArea", named(&[("width", Value::from(1.0))]));
    assert_eq!(code, -32602);
    assert_eq!(
        error,
        CallError::MissingArgument {
            method: "NamedArea".into(),
            param: "height".into(),
        }
    );
    assert_eq!(
        error.to_string(),
        "argument `height` of `NamedArea` is missing"
    );
    let (error, _) = refused("NamedGreet", named(&[("times", Value::from(1))]));
    assert!(matches!(error, CallError::MissingArgument { ref param, .. } if param == "name"));
}

#[test]
fn too_many_or_too_few_by_position_is_the_arity() {
    let (error, code) = refused("NamedArea", vec![Value::from(1.0); 3]);
    assert_eq!(code, -32602);
    assert_eq!(
        error,
        CallError::Arity {
            method: "NamedArea".into(),
            expected: 2,
            got: 3,
        }
    );
    let (error, _) = refused("NamedArea", vec![Value::from(1.0)]);
    assert_eq!(error.to_string(), "`NamedArea` takes 2 arguments, got 1");
    // A required parameter after an optional one is still required by position.
    let (error, _) = refused("NamedMiddle", vec![Value::from(1)]);
    assert!(matches!(
        error,
        CallError::Arity {
            expected: 3,
            got: 1,
            ..
        }
    ));
}

#[test]
fn a_wrong_type_by_name_names_its_parameter() {
    let (error, code) = refused(
        "NamedArea",
        named(&[("width", Value::from(1.0)), ("height", Value::from("tall"))]),
    );
    assert_eq!(code, -32602);
    assert_eq!(
        error.to_string(),
        "argument `height` of `NamedArea` expects f64, got string \"tall\""
    );
    let json = serde_json::to_value(&error).expect("serializes");
    assert_eq!(json["kind"], "ArgType");
    assert_eq!(json["param"], "height");
}
