//! `MethodTable::call` refuses unknown names, wrong arity and wrong argument types before
//! the function runs; `Session::call` refuses a session it cannot enter.

use std::cell::Cell;

use sessions_core::{export_method, methods, CallError, Engine, SessionError, Value};

thread_local! {
    /// Runs of `ErrorsAdd` on this thread: each test counts its own calls, as the tests
    /// of this file run in parallel and some call it successfully.
    static ADD_RUNS: Cell<usize> = const { Cell::new(0) };
}
thread_local! {
    /// Runs of `ErrorsByte` on this thread: tests run in parallel, so each counts its own
    /// (synchronous host calls run on the calling thread).
    static BYTE_RUNS: Cell<usize> = const { Cell::new(0) };
}

#[export_method(name = "ErrorsAdd", session = none)]
fn errors_add(a: i64, b: i64) -> i64 {
    ADD_RUNS.set(ADD_RUNS.get() + 1);
    a + b
}

#[export_method(name = "ErrorsByte", session = none)]
fn errors_byte(label: String, byte: u8, bytes: Vec<u8>) -> String {
    BYTE_RUNS.set(BYTE_RUNS.get() + 1);
    format!("{label}{byte}{}", bytes.len())
}

#[test]
fn unknown_name() {
    let err = methods().call("NoSuchMethod", vec![]);
    assert_eq!(err, Err(CallError::UnknownMethod("NoSuchMethod".into())));
    let message = err.err().map(|e| e.to_string());
    assert_eq!(
        message.as_deref(),
        Some("no exported method named `NoSuchMethod`")
    );
}

#[test]
fn wrong_arity_does_not_run_the_function() {
    let before = ADD_RUNS.get();
    for args in [
        vec![],
        vec![Value::from(1)],
        vec![Value::from(1), Value::from(2), Value::from(3)],
    ] {
        let got = args.len();
        let err = methods().call("ErrorsAdd", args);
        assert_eq!(
            err,
            Err(CallError::Arity {
                method: "ErrorsAdd".into(),
                expected: 2,
                got
            })
        );
    }
    assert_eq!(ADD_RUNS.get(), before);
    let err = methods()
        .call("ErrorsAdd", vec![Value::Null; 3])
        .err()
        .map(|e| e.to_string());
    assert_eq!(err.as_deref(), Some("`ErrorsAdd` takes 2 arguments, got 3"));
}

#[test]
fn wrong_type_does_not_run_the_function() {
    let before = ADD_RUNS.get();
    let err = methods().call("ErrorsAdd", vec![Value::from(1), Value::from("x")]);
    assert_eq!(
        err,
        Err(CallError::ArgType {
            method: "ErrorsAdd".into(),
            param: "b".into(),
            expected: "i64".into(),
            got: "string \"x\"".into(),
        })
    );
    assert_eq!(
        err.err().map(|e| e.to_string()).as_deref(),
        Some("argument `b` of `ErrorsAdd` expects i64, got string \"x\"")
    );
    assert_eq!(ADD_RUNS.get(), before);
    // A good call does run it.
    assert_eq!(
        methods()
            .call("ErrorsAdd", vec![Value::from(2), Value::from(3)])
            .map(|o| o.value),
        Ok(Value::from(5))
    );
    assert!(ADD_RUNS.get() > before);
}

#[test]
fn three_hundred_into_a_u8_is_an_argument_type_error() {
    let before = BYTE_RUNS.get();
    let err = methods().call(
        "ErrorsByte",
        vec![Value::from("a"), Value::from(300), Value::Array(vec![])],
    );
    let Err(CallError::ArgType {
        method,
        param,
        expected,
        got,
    }) = err
    else {
        panic!("expected ArgType, got {err:?}");
    };
    assert_eq!(
        (method.as_str(), param.as_str(), expected.as_str()),
        ("ErrorsByte", "byte", "u8")
    );
    assert!(got.contains("300"), "{got}");
    // Inside a vector too, and the message says which element (its path).
    let err = methods().call(
        "ErrorsByte",
        vec![
            Value::from("a"),
            Value::from(1),
            Value::Array(vec![Value::from(1), Value::from(300)]),
        ],
    );
    let Err(CallError::ArgType {
        param,
        expected,
        got,
        ..
    }) = err
    else {
        panic!("expected ArgType, got {err:?}");
    };
    assert_eq!((param.as_str(), expected.as_str()), ("bytes", "Vec<u8>"));
    assert_eq!(got, "int 300 at [1] (out of range for u8)");
    assert_eq!(BYTE_RUNS.get(), before);
    let ok = methods().call(
        "ErrorsByte",
        vec![Value::from("a"), Value::from(255), Value::Array(vec![])],
    );
    assert_eq!(ok.map(|o| o.value), Ok(Value::from("a2550")));
}

#[test]
fn session_call_on_a_closed_session_is_not_found() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let id = session.id();
    engine.close(id).expect("close");
    let before = ADD_RUNS.get();
    let err = session.call("ErrorsAdd", vec![Value::from(1), Value::from(2)]);
    assert_eq!(err, Err(CallError::Session(SessionError::NotFound(id))));
    assert_eq!(ADD_RUNS.get(), before);
}

#[test]
fn session_call_while_another_session_is_current_is_a_mismatch() {
    let engine = Engine::new();
    let (current, requested) = (engine.open().expect("open"), engine.open().expect("open"));
    let _guard = current.enter().expect("enter");
    let err = requested.call("ErrorsAdd", vec![Value::from(1), Value::from(2)]);
    assert_eq!(
        err,
        Err(CallError::Session(SessionError::Mismatch {
            current: current.id(),
            requested: requested.id()
        }))
    );
}
