//! Each parameter's and result's JSON Schema, seen by a host: it validates the values a
//! call takes and rejects the values the call refuses, for std types, a type that derives
//! `schemars::JsonSchema`, and a type that does not (an open schema naming it).

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use sessions_core::{export_method, methods, CallError, MethodInfo, Value};

#[derive(Serialize, Deserialize, JsonSchema, Default)]
struct Point {
    x: f64,
    y: f64,
}

#[derive(Serialize, Deserialize, JsonSchema)]
#[serde(tag = "shape", rename_all = "snake_case")]
enum Shape {
    Circle { radius: f64 },
    Square { side: f64 },
}

/// A type without a JSON Schema: still a parameter, described by an open schema.
#[derive(Serialize, Deserialize)]
struct Opaque {
    blob: String,
}

/// Every kind of parameter a schema must describe.
#[export_method(name = "SchemaKinds", session = none)]
#[allow(clippy::too_many_arguments)]
fn schema_kinds(
    level: u8,
    count: u32,
    total: i64,
    origin: Point,
    shape: Shape,
    pair: (String, bool),
    corners: [i64; 2],
    named: HashMap<String, Point>,
    sparse: Option<Vec<Option<i64>>>,
    opaque: Opaque,
    moved: &mut Point,
) -> Point {
    let _ = (
        level, count, total, shape, pair, corners, named, sparse, opaque,
    );
    *moved = Point {
        x: origin.x + 1.0,
        y: origin.y,
    };
    origin
}

fn method() -> &'static MethodInfo {
    methods()
        .get("SchemaKinds")
        .expect("SchemaKinds is registered")
}

/// The standalone schema of the in parameter `name`, compiled.
fn validator(name: &str) -> jsonschema::Validator {
    let param = method()
        .params()
        .iter()
        .find(|param| param.name() == name)
        .unwrap_or_else(|| panic!("SchemaKinds has a parameter {name}"));
    let schema = param
        .schema()
        .expect("an in parameter has a schema")
        .to_value();
    jsonschema::draft202012::new(&schema)
        .unwrap_or_else(|error| panic!("the schema of {name} compiles: {error}\n{schema:#}"))
}

/// Good arguments, by name.
fn good() -> Json {
    json!({
        "level": 255,
        "count": 4_000_000_000u32,
        "total": -7,
        "origin": { "x": 1.5, "y": -2.0 },
        "shape": { "shape": "circle", "radius": 2.0 },
        "pair": ["a", true],
        "corners": [1, 2],
        "named": { "home": { "x": 0.0, "y": 0.0 } },
        "sparse": [1, null, 3],
        "opaque": { "blob": "anything" },
    })
}

fn call_by_name(args: &Json) -> Result<sessions_core::CallOutcome, CallError> {
    let map = match Value::from(args.clone()) {
        Value::Map(map) => map,
        other => panic!("the arguments are an object: {other}"),
    };
    methods().call("SchemaKinds", map)
}

#[test]
fn every_good_argument_validates_and_the_call_takes_it() {
    let args = good();
    for (name, value) in args.as_object().expect("an object") {
        let validator = validator(name);
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{name} = {value}: {errors:?}");
    }
    let outcome = call_by_name(&args).expect("the call takes the good arguments");
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(outcome.value.to_json_string(), r#"{"x":1.5,"y":-2.0}"#);
}

/// `(parameter, a value its schema rejects and the call refuses)`.
const WRONG: &[(&str, &str)] = &[
    ("level", "300"),
    ("count", "-1"),
    ("total", "1.5"),
    ("origin", r#"{"x": 1.0}"#),
    ("origin", r#"{"x": 1.0, "y": "two"}"#),
    ("shape", r#"{"shape": "triangle", "side": 1.0}"#),
    ("pair", r#"["a", true, 3]"#),
    ("corners", "[1, 2, 3]"),
    ("named", r#"{"home": {"x": "zero", "y": 0.0}}"#),
    ("sparse", r#"[1, "two"]"#),
];

#[test]
fn each_wrong_argument_is_rejected_by_its_schema_and_by_the_call() {
    for (name, wrong) in WRONG {
        let wrong: Json = serde_json::from_str(wrong).expect("the test's JSON parses");
        assert!(
            !validator(name).is_valid(&wrong),
            "the schema of {name} accepts {wrong}"
        );
        let mut args = good();
        args[*name] = wrong.clone();
        let error = call_by_name(&args).expect_err("the call refuses it");
        assert_eq!(error.code(), -32602, "{name} = {wrong}: {error}");
        assert!(
            matches!(&error, CallError::ArgType { param, .. } if param == name),
            "{name} = {wrong}: {error}"
        );
    }
}

#[test]
fn a_type_without_a_schema_is_open_and_named() {
    let schema = method().params()[9]
        .schema()
        .expect("opaque has one")
        .to_value();
    assert_eq!(schema["title"], "Opaque");
    assert_eq!(schema["x-rust-type"], "test_schema::Opaque");
    let validator = jsonschema::draft202012::new(&schema).expect("compiles");
    assert!(validator.is_valid(&json!({ "blob": "x" })));
    assert!(validator.is_valid(&json!(42)), "open: any value");
}

#[test]
fn the_method_schema_holds_params_result_and_outs() {
    let schema = method().schema();
    let params = schema.params.to_value();
    assert_eq!(
        params["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    let required: Vec<&str> = params["required"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(Json::as_str)
        .collect();
    assert!(!required.contains(&"sparse"), "an Option may be left out");
    assert_eq!(required.len(), 9);
    assert!(method().params()[8].is_optional());
    assert!(!method().params()[0].is_optional());

    let params = jsonschema::draft202012::new(&params).expect("compiles");
    let mut args = good();
    assert!(params.is_valid(&args));
    args.as_object_mut().expect("an object").remove("sparse");
    assert!(params.is_valid(&args), "sparse may be left out");
    assert!(call_by_name(&args).is_ok(), "and the call agrees");
    args["unknown"] = json!(1);
    assert!(!params.is_valid(&args), "no other property");
    assert_eq!(call_by_name(&args).expect_err("refused").code(), -32602);

    let result = schema.result.to_value();
    assert_eq!(result["$ref"], "#/$defs/Point");
    let result = jsonschema::draft202012::new(&result).expect("compiles");
    let outcome = call_by_name(&good()).expect("called");
    assert!(result.is_valid(&serde_json::to_value(&outcome.value).expect("json")));
    assert!(!result.is_valid(&json!({ "x": 1.0 })));

    let outs = jsonschema::draft202012::new(&schema.outs.to_value()).expect("compiles");
    let written = serde_json::to_value(&outcome).expect("json");
    assert!(outs.is_valid(&written["outs"]), "{written}");
    assert!(!outs.is_valid(&json!({})), "`moved` is always given back");
}

#[test]
fn an_injected_session_has_no_schema() {
    #[export_method(name = "SchemaInjected")]
    fn schema_injected(session: &sessions_core::Session, label: String) {
        let _ = (session, label);
    }
    let method = methods().get("SchemaInjected").expect("registered");
    assert!(method.params()[0].schema().is_none());
    assert!(method.params()[1].schema().is_some());
    let params = method.schema().params.to_value();
    assert_eq!(params["required"], json!(["label"]));
    assert!(params["properties"].get("session").is_none());
}
