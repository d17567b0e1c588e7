//! The `Variables` interface: each exported variable's path and value type, which types
//! `client.js`'s `watch`, `read` and `write`.

use serde_json::{Map, Value as Json};

use super::types::{doc_comment, property_name, ts_type, Refs};
use crate::VariableInfo;

/// Each variable's value schema, its definitions (`$defs`) moved into `definitions` beside
/// the topics'. A definition whose name is taken by another schema leaves the variable
/// `unknown` (`None`): its references would name the other type.
pub(super) fn schemas(
    variables: &[VariableInfo],
    definitions: &mut Map<String, Json>,
) -> Vec<Option<Json>> {
    variables
        .iter()
        .map(|variable| {
            let mut schema = variable.schema.clone().to_value();
            let Some(object) = schema.as_object_mut() else {
                return Some(schema);
            };
            let defs = match object.remove("$defs") {
                Some(Json::Object(defs)) => defs,
                _ => Map::new(),
            };
            for (name, def) in defs {
                match definitions.get(&name) {
                    Some(known) if *known != def => return None,
                    Some(_) => {}
                    None => {
                        definitions.insert(name, def);
                    }
                }
            }
            Some(schema)
        })
        .collect()
}

/// Writes `export interface Variables`, one member per variable, by path.
pub(super) fn write(
    out: &mut String,
    variables: &[VariableInfo],
    schemas: &[Option<Json>],
    refs: &dyn Refs,
) {
    out.push_str(
        "/**\n * The variables a page can watch, read and write, by path, with their value types:\n \
         * those the engine exported when these declarations were made.\n */\n\
         export interface Variables {\n",
    );
    for (variable, schema) in variables.iter().zip(schemas) {
        let who = match &variable.write_role {
            Some(role) => format!("Written by a user with the role `{role}`"),
            None => "Written by any user".to_owned(),
        };
        let doc = format!("{who}; Rust type `{}`.", variable.type_name);
        out.push_str(&format!("  {}\n", doc_comment(&doc, "  ")));
        let ty = schema
            .as_ref()
            .map_or_else(|| "unknown".to_owned(), |schema| ts_type(schema, refs, 1));
        out.push_str(&format!("  {}: {ty};\n", property_name(&variable.path)));
    }
    out.push_str("}\n\n");
}
