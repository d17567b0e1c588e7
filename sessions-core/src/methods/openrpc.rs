//! The OpenRPC 1.3 document of a method table (feature `schema`): what a JSON-RPC client
//! or a documentation tool reads to learn every method, its parameters and its result.
//!
//! Types used by several methods are defined once, under `components/schemas`. Parameters
//! are described as serde reads them and results as serde writes them; a type whose two
//! schemas differ is defined twice, the written one under `<Name>Output`.

use schemars::{json_schema, SchemaGenerator};
use serde_json::{json, Map, Value as Json};

use super::schema::params_object;
use super::{MethodInfo, MethodTable, ParamInfo};
use crate::value::schema::settings;

/// The OpenRPC version the document declares.
const OPENRPC_VERSION: &str = "1.3.2";

/// Where both generators put their definitions: the document's `components/schemas`.
const COMPONENTS: &str = "/components/schemas/";

impl MethodTable {
    /// The OpenRPC 1.3 document of every method in the table, as JSON.
    ///
    /// Each method has its name, its doc comment as `description`, `paramStructure:
    /// "either"` (by position or by name), one content descriptor per in parameter (an
    /// `Option` parameter is not `required`) and a `result` shaped as hosts answer a call:
    /// `{"value": …, "outs": {NAME: …}}`. What OpenRPC has no field for is in `x-`
    /// extensions: `x-session` (the policy: `require`, `impersonate`, `none`), `x-async`,
    /// `x-rust-path`, and on each out parameter of the result its `x-sentinel` (the source
    /// text written into it when the call fails).
    ///
    /// `info` has a generic title and this crate's version: a host that publishes the
    /// document sets its own.
    ///
    /// ```
    /// use sessions_core::{export_method, methods};
    ///
    /// /// Adds two numbers.
    /// #[export_method(session = none)]
    /// fn add(a: i64, b: i64) -> i64 {
    ///     a + b
    /// }
    ///
    /// let mut document = methods().openrpc();
    /// document["info"]["title"] = "Calculator".into();
    /// let add = &document["methods"][0];
    /// assert_eq!(add["name"], "add");
    /// assert_eq!(add["description"], "Adds two numbers.");
    /// assert_eq!(add["params"][1]["name"], "b");
    /// assert_eq!(add["result"]["schema"]["properties"]["value"]["type"], "integer");
    /// ```
    pub fn openrpc(&self) -> Json {
        let mut reading = generator(settings().for_deserialize());
        let mut writing = generator(settings().for_serialize());
        let mut methods: Vec<Json> = self
            .iter()
            .map(|method| method_object(method, &mut reading, &mut writing))
            .collect();
        let schemas = merge_definitions(
            reading.take_definitions(true),
            writing.take_definitions(true),
            &mut methods,
        );
        json!({
            "openrpc": OPENRPC_VERSION,
            "info": {
                "title": "Exported methods",
                "description": "Methods exported with #[export_method], listed by sessions-core.",
                "version": env!("CARGO_PKG_VERSION"),
            },
            "methods": methods,
            "components": { "schemas": schemas },
        })
    }
}

fn generator(settings: schemars::generate::SchemaSettings) -> SchemaGenerator {
    settings
        .with(|settings| settings.definitions_path = COMPONENTS.into())
        .into_generator()
}

/// One entry of `methods`: its parameters read by `reading`, its result written by
/// `writing`.
fn method_object(
    method: &MethodInfo,
    reading: &mut SchemaGenerator,
    writing: &mut SchemaGenerator,
) -> Json {
    let params: Vec<Json> = method
        .inputs()
        .map(|param| content_descriptor(param, reading))
        .collect();
    let mut outs = params_object(method.outputs(), writing);
    for param in method.outputs() {
        if let (Some(sentinel), Some(property)) = (
            param.sentinel,
            outs.get_mut("properties")
                .and_then(|properties| properties.get_mut(param.name)),
        ) {
            // A `$ref` keeps its siblings in JSON Schema 2020-12, so this is always allowed.
            property
                .as_object_mut()
                .map(|property| property.insert("x-sentinel".to_owned(), sentinel.into()));
        }
    }
    let result = json_schema!({
        "type": "object",
        "properties": {
            "value": method.value_schema(writing),
            "outs": outs,
        },
        "required": ["value", "outs"],
    });
    let mut object = Map::new();
    object.insert("name".to_owned(), method.name().into());
    if !method.doc().is_empty() {
        object.insert("description".to_owned(), method.doc().into());
    }
    object.insert("paramStructure".to_owned(), "either".into());
    object.insert("params".to_owned(), params.into());
    object.insert(
        "result".to_owned(),
        json!({ "name": "result", "schema": result }),
    );
    object.insert("x-session".to_owned(), method.policy().to_string().into());
    if let Some(engine) = method.engine() {
        object.insert("x-engine".to_owned(), engine.into());
    }
    if let Some(role) = method.role() {
        object.insert("x-role".to_owned(), role.into());
    }
    object.insert("x-async".to_owned(), method.is_async().into());
    object.insert("x-rust-path".to_owned(), method.path().into());
    Json::Object(object)
}

/// `{"name", "required", "schema"}` of an in parameter.
fn content_descriptor(param: &ParamInfo, reading: &mut SchemaGenerator) -> Json {
    let schema = param
        .schema
        .subschema(reading)
        .unwrap_or_else(|| json_schema!(true));
    json!({
        "name": param.name,
        "required": !param.optional,
        "schema": schema,
    })
}

/// `components/schemas`: the definitions of both generators. A written definition that
/// differs from the read one of the same name is renamed `<Name>Output`, and the results'
/// references to it (in `methods` and in other written definitions) follow.
fn merge_definitions(
    read: Map<String, Json>,
    written: Map<String, Json>,
    methods: &mut [Json],
) -> Map<String, Json> {
    let renamed: Vec<String> = written
        .iter()
        .filter(|(name, schema)| read.get(*name).is_some_and(|other| other != *schema))
        .map(|(name, _)| name.clone())
        .collect();
    let mut schemas = read;
    for (name, mut schema) in written {
        rename_refs(&mut schema, &renamed);
        let key = if renamed.contains(&name) {
            output_name(&name)
        } else {
            name
        };
        schemas.entry(key).or_insert(schema);
    }
    for method in methods {
        if let Some(result) = method.get_mut("result") {
            rename_refs(result, &renamed);
        }
    }
    schemas
}

fn output_name(name: &str) -> String {
    format!("{name}Output")
}

/// Points every `$ref` to one of `renamed` at its `<Name>Output`.
fn rename_refs(json: &mut Json, renamed: &[String]) {
    match json {
        Json::Object(object) => {
            for (key, value) in object.iter_mut() {
                match value {
                    Json::String(reference) if key == "$ref" => {
                        let target = reference.strip_prefix("#/components/schemas/");
                        if let Some(name) = target.filter(|name| renamed.iter().any(|r| r == name))
                        {
                            *reference = format!("#{COMPONENTS}{}", output_name(name));
                        }
                    }
                    other => rename_refs(other, renamed),
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|item| rename_refs(item, renamed)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_differing_written_definition_is_renamed_and_followed() {
        let read = json!({ "Point": { "type": "object" }, "Same": { "type": "string" } });
        let written = json!({
            "Point": { "type": "object", "required": ["x"] },
            "Same": { "type": "string" },
            "Line": { "items": { "$ref": "#/components/schemas/Point" } },
        });
        let mut methods = vec![json!({ "result": { "schema": {
            "$ref": "#/components/schemas/Point",
            "also": [{ "$ref": "#/components/schemas/Same" }],
        } } })];
        let as_map = |json: Json| match json {
            Json::Object(map) => map,
            _ => unreachable!("the test builds objects"),
        };
        let schemas = merge_definitions(as_map(read), as_map(written), &mut methods);
        assert_eq!(schemas["Point"], json!({ "type": "object" }));
        assert_eq!(
            schemas["PointOutput"],
            json!({ "type": "object", "required": ["x"] })
        );
        assert_eq!(
            schemas["Line"]["items"]["$ref"],
            "#/components/schemas/PointOutput"
        );
        assert!(!schemas.contains_key("SameOutput"));
        let result = &methods[0]["result"]["schema"];
        assert_eq!(result["$ref"], "#/components/schemas/PointOutput");
        assert_eq!(result["also"][0]["$ref"], "#/components/schemas/Same");
    }
}
