//! The OpenRPC document of a method table validates against the published OpenRPC 1.3
//! meta-schema (vendored in `tests/vendor/openrpc-meta-schema`): the examples' table, as
//! `list_methods --openrpc` prints it, and this crate's own table, with a struct shared by
//! two methods defined once under `components/schemas`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use sessions_core::{export_method, methods, SessionError};

mod examples_support;

const META_SCHEMA: &str = include_str!("../vendor/openrpc-meta-schema/meta-schema-1.14.9.json");
/// What the meta-schema calls `https://meta.json-schema.tools`: the JSON Schema of the
/// schemas inside a document (each parameter's and result's).
const JSON_SCHEMA_META_SCHEMA: &str =
    include_str!("../vendor/openrpc-meta-schema/json-schema-tools-meta-schema-1.7.5.json");

/// The meta-schema, compiled as draft 7 (its own `$schema`, `https://meta.json-schema.tools/`,
/// is not a draft validators know). It refers to that URI for the schemas inside a
/// document; [`Offline`] answers it with the vendored file, so nothing is fetched.
fn meta_schema() -> jsonschema::Validator {
    let schema: Json = serde_json::from_str(META_SCHEMA).expect("the vendored file is JSON");
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft7)
        .with_retriever(Offline)
        .build(&schema)
        .expect("the meta-schema compiles")
}

/// Retrieves nothing from the network: `https://meta.json-schema.tools` is the vendored
/// file; any other URI is an error.
struct Offline;

impl jsonschema::Retrieve for Offline {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Json, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str().trim_end_matches('/') == "https://meta.json-schema.tools" {
            return Ok(serde_json::from_str(JSON_SCHEMA_META_SCHEMA)?);
        }
        Err(format!("{uri} is not fetched by this test").into())
    }
}

fn errors(document: &Json) -> Vec<String> {
    meta_schema()
        .iter_errors(document)
        .map(|error| format!("{error} at {}", error.instance_path()))
        .collect()
}

/// A point on the plane.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Point {
    x: f64,
    y: f64,
}

/// Moves a point.
#[export_method(name = "OpenRpcTranslate")]
fn translate(p: Point, dx: f64, note: Option<String>) -> Result<Point, SessionError> {
    let _ = note;
    Ok(Point {
        x: p.x + dx,
        y: p.y,
    })
}

#[export_method(name = "OpenRpcOrigin", session = none, sentinel = -1)]
fn origin(count: &mut i32) -> Point {
    *count = 1;
    Point { x: 0.0, y: 0.0 }
}

#[test]
fn this_table_validates_and_describes_its_methods() {
    let document = methods().openrpc();
    assert_eq!(errors(&document), Vec::<String>::new(), "{document:#}");
    assert_eq!(document["openrpc"], "1.3.2");

    let method = |name: &str| {
        document["methods"]
            .as_array()
            .and_then(|all| all.iter().find(|m| m["name"] == name))
            .unwrap_or_else(|| panic!("{name} is listed"))
            .clone()
    };
    let translate = method("OpenRpcTranslate");
    assert_eq!(translate["description"], "Moves a point.");
    assert_eq!(translate["paramStructure"], "either");
    assert_eq!(translate["x-session"], "require");
    assert_eq!(translate["x-async"], false);
    let names: Vec<&Json> = translate["params"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|p| &p["name"])
        .collect();
    assert_eq!(names, ["p", "dx", "note"]);
    assert_eq!(
        translate["params"][0]["schema"]["$ref"],
        "#/components/schemas/Point"
    );
    assert_eq!(translate["params"][2]["required"], false);
    let result = &translate["result"]["schema"];
    assert_eq!(
        result["properties"]["value"]["$ref"],
        "#/components/schemas/Point"
    );

    let origin = method("OpenRpcOrigin");
    assert_eq!(origin["params"], json!([]));
    let count = &origin["result"]["schema"]["properties"]["outs"]["properties"]["count"];
    assert_eq!(count["x-sentinel"], "-1");
    assert_eq!(count["type"], "integer");

    let point = &document["components"]["schemas"]["Point"];
    assert_eq!(point["description"], "A point on the plane.");
    assert_eq!(point["required"], json!(["x", "y"]));
}

#[test]
fn a_broken_document_is_refused() {
    type Breakage = fn(&mut Json);
    let breakages: [(&str, Breakage); 3] = [
        ("an unknown version", |document| {
            document["openrpc"] = json!("9.9.9")
        }),
        ("a content descriptor without its name", |document| {
            document["methods"][0]["params"] = json!([{ "schema": {} }]);
        }),
        ("a parameter schema that is not JSON Schema", |document| {
            document["methods"][0]["params"] = json!([{ "name": "p", "schema": { "type": 42 } }]);
        }),
    ];
    for (what, breakage) in breakages {
        let mut document = methods().openrpc();
        breakage(&mut document);
        assert!(!errors(&document).is_empty(), "{what} is accepted");
    }
}

#[test]
fn the_examples_table_validates() {
    let output = examples_support::run_example("list_methods", &["--openrpc"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let document: Json = serde_json::from_slice(&output.stdout).expect("the output is JSON");
    assert_eq!(errors(&document), Vec::<String>::new(), "{document:#}");
    assert_eq!(document["info"]["title"], "sessions examples");
    let names: Vec<&str> = document["methods"]
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|method| method["name"].as_str())
        .collect();
    for name in [
        "GetActiveWebSessionsNumber",
        "GetRecipe",
        "SetVariables",
        "ListVariables",
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
    }
    let variable = &document["components"]["schemas"]["Variable"];
    assert_eq!(variable["properties"]["value"]["type"], "boolean");
}
