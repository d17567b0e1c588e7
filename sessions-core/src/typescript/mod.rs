//! TypeScript declarations of what a page can call and receive (feature `schema`): one
//! `.d.ts` file generated from the method table's JSON Schemas and the declared topics,
//! which types the web host's `client.js`.
//!
//! - `types.rs`: one JSON Schema as a TypeScript type;
//! - `variables.rs`: the `Variables` interface, from an engine's exported variables;
//! - `client.rs`: the declarations of `client.js`'s own API, the same for every table.
//!
//! The file is built from the table's OpenRPC document ([`MethodTable::openrpc`]), so the
//! two say the same: a type the OpenRPC document defines once is declared once, under
//! `Types`.

use std::collections::BTreeMap;

use schemars::SchemaGenerator;
use serde_json::{Map, Value as Json};

use crate::methods::MethodTable;
use crate::topic::{topics, TopicInfo};
use crate::value::schema::settings;
use crate::VariableInfo;

mod client;
mod types;
mod variables;

use types::{doc_comment, is_identifier, property_name, ts_type, Refs};

/// The TypeScript declarations (one `.d.ts` file) of `table`'s methods, of the declared
/// notification topics ([`topic!`](crate::topic)), and of `client.js`'s API typed by
/// them: what a page imports with `// @ts-check` or in TypeScript to have its calls
/// checked.
///
/// - `Methods`: one entry per method of the table, by the name the table has, with
///   `params` (by position: a tuple, trailing `Option` parameters optional), `named` (by
///   name: an object, every `Option` parameter optional), `result` (the value) and `outs`.
/// - `Topics`: each declared topic's payload type, and `session.opened` and `session.user`.
/// - `Types`: the user types the schemas define once (a struct deriving
///   `schemars::JsonSchema`).
/// - `Variables`: empty here; [`typescript_with_variables`] lists an engine's.
/// - `Tab`, `connect` and `CallError`: `client.js`, with `call<M extends keyof Methods>`.
///
/// A type without a JSON Schema is `unknown`, never `any`. Methods of exported objects
/// are listed by their type-level name (`Oven.SetTarget`): the object paths they are
/// called under (`Line1/Oven.SetTarget`) exist only at run time, so a page calls an
/// instance with a `string` name cast to a type-level one (see the README).
///
/// ```
/// use sessions_core::{export_method, methods};
///
/// /// Adds two numbers.
/// #[export_method(session = none)]
/// fn add(a: i64, b: Option<i64>) -> i64 {
///     a + b.unwrap_or(0)
/// }
///
/// let declarations = sessions_core::typescript(methods());
/// assert!(declarations.contains("  add: {"));
/// assert!(declarations.contains("params: [a: number, b?: number | null];"));
/// ```
pub fn typescript(table: &MethodTable) -> String {
    typescript_with_variables(table, &[])
}

/// [`typescript`], with `variables` in the `Variables` interface: each path with its value's
/// type, so that `tab.watch`, `tab.read` and `tab.write` take only those paths, and values
/// of those types. The web host serves it with its engine's [`Engine::variables`] at
/// `GET {base}/client.d.ts`; variables exported later are not in a file made before.
///
/// [`Engine::variables`]: crate::Engine::variables
///
/// ```
/// use sessions_core::{Engine, Variable};
///
/// let engine = Engine::new();
/// // `json_schema` describes the values with `i64`'s schema: without it, `unknown`.
/// let target = Variable::builder(180i64)
///     .write_role("operator")
///     .json_schema()
///     .build();
/// let _exported = engine.export_variable("Line1/Oven/Target", &target).unwrap();
/// let declarations =
///     sessions_core::typescript_with_variables(sessions_core::methods(), &engine.variables());
/// assert!(declarations.contains("  \"Line1/Oven/Target\": number;"));
/// ```
pub fn typescript_with_variables(table: &MethodTable, variables: &[VariableInfo]) -> String {
    let document = table.openrpc();
    let no_schemas = Map::new();
    let components = document["components"]["schemas"]
        .as_object()
        .unwrap_or(&no_schemas);
    let mut names = Names::default();
    for name in components.keys() {
        names.component(name);
    }
    let declared = topics();
    let (topic_schemas, mut topic_definitions) = topic_schemas(&declared);
    let variable_schemas = variables::schemas(variables, &mut topic_definitions);
    let topic_refs = names.topic_definitions(components, &topic_definitions);

    let mut out = String::new();
    out.push_str(&format!(
        "// TypeScript declarations of the exported methods and notification topics, generated\n\
         // by sessions-core {} from their JSON Schemas (`sessions_core::typescript`). Do not\n\
         // edit: generate it again when the methods change.\n\n",
        env!("CARGO_PKG_VERSION")
    ));
    write_types(
        &mut out,
        components,
        &names,
        &topic_definitions,
        &topic_refs,
    );
    write_methods(&mut out, &document, &names);
    write_topics(&mut out, &declared, &topic_schemas, &topic_refs);
    variables::write(
        &mut out,
        variables,
        &variable_schemas,
        &DefsRefs(&topic_refs),
    );
    out.push_str(client::DECLARATIONS);
    out
}

/// Each topic's payload schema, and the definitions they refer to (`#/$defs/…`).
fn topic_schemas(declared: &[&TopicInfo]) -> (Vec<Json>, Map<String, Json>) {
    let mut generator: SchemaGenerator = settings().for_serialize().into_generator();
    let schemas = declared
        .iter()
        .map(|topic| {
            topic
                .subschema(&mut generator)
                .map_or(Json::Bool(true), |schema| schema.to_value())
        })
        .collect();
    (schemas, generator.take_definitions(true))
}

/// The TypeScript names of the definitions: each a unique identifier under `Types`.
#[derive(Default)]
struct Names {
    /// A component's name (`#/components/schemas/NAME`) → its identifier.
    components: BTreeMap<String, String>,
    taken: Vec<String>,
}

impl Names {
    fn component(&mut self, name: &str) -> String {
        let identifier = self.unique(name);
        self.components.insert(name.to_owned(), identifier.clone());
        identifier
    }

    /// Names the topics' definitions: the component's when it is the same schema, else a
    /// new one. Returns `$defs` name → identifier.
    fn topic_definitions(
        &mut self,
        components: &Map<String, Json>,
        definitions: &Map<String, Json>,
    ) -> BTreeMap<String, String> {
        let mut names = BTreeMap::new();
        for (name, schema) in definitions {
            let identifier = match (components.get(name), self.components.get(name)) {
                (Some(component), Some(identifier)) if component == schema => identifier.clone(),
                _ => self.unique(name),
            };
            names.insert(name.clone(), identifier);
        }
        names
    }

    /// `name` made an identifier (other characters become `_`), numbered when taken.
    fn unique(&mut self, name: &str) -> String {
        let mut base: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        if !is_identifier(&base) {
            base.insert(0, '_');
        }
        let mut identifier = base.clone();
        let mut n = 2;
        while self.taken.contains(&identifier) {
            identifier = format!("{base}{n}");
            n += 1;
        }
        self.taken.push(identifier.clone());
        identifier
    }
}

/// References into the OpenRPC document's `components/schemas`.
struct ComponentRefs<'a>(&'a BTreeMap<String, String>);

impl Refs for ComponentRefs<'_> {
    fn resolve(&self, reference: &str) -> Option<String> {
        let name = reference.strip_prefix("#/components/schemas/")?;
        self.0
            .get(name)
            .map(|identifier| format!("Types.{identifier}"))
    }
}

/// References into the topics' and variables' `$defs`.
struct DefsRefs<'a>(&'a BTreeMap<String, String>);

impl Refs for DefsRefs<'_> {
    fn resolve(&self, reference: &str) -> Option<String> {
        let name = reference.strip_prefix("#/$defs/")?;
        self.0
            .get(name)
            .map(|identifier| format!("Types.{identifier}"))
    }
}

fn write_types(
    out: &mut String,
    components: &Map<String, Json>,
    names: &Names,
    topic_definitions: &Map<String, Json>,
    topic_refs: &BTreeMap<String, String>,
) {
    out.push_str(
        "/** The types the methods and topics use, as their JSON Schemas define them. */\n\
         export declare namespace Types {\n",
    );
    let component_refs = ComponentRefs(&names.components);
    let mut written = Vec::new();
    for (name, schema) in components {
        let identifier = &names.components[name];
        write_type(out, identifier, schema, &component_refs);
        written.push(identifier.clone());
    }
    let defs_refs = DefsRefs(topic_refs);
    for (name, schema) in topic_definitions {
        let identifier = &topic_refs[name];
        if !written.contains(identifier) {
            write_type(out, identifier, schema, &defs_refs);
            written.push(identifier.clone());
        }
    }
    out.push_str("}\n\n");
}

fn write_type(out: &mut String, identifier: &str, schema: &Json, refs: &dyn Refs) {
    if let Some(doc) = schema.get("description").and_then(Json::as_str) {
        out.push_str(&format!("  {}\n", doc_comment(doc, "  ")));
    }
    out.push_str(&format!(
        "  export type {identifier} = {};\n",
        ts_type(schema, refs, 1)
    ));
}

fn write_methods(out: &mut String, document: &Json, names: &Names) {
    let refs = ComponentRefs(&names.components);
    out.push_str(
        "/**\n * Every exported method by the name the table lists it under: its parameters by\n \
         * position (`params`) and by name (`named`), the value it answers (`result`) and its\n \
         * out parameters (`outs`). An exported object's methods are listed once, by type\n \
         * (`Oven.SetTarget`); a page calls an instance under its path (`Line1/Oven.SetTarget`).\n \
         */\nexport interface Methods {\n",
    );
    let no_methods = Vec::new();
    let methods = document["methods"].as_array().unwrap_or(&no_methods);
    for method in methods {
        let Some(name) = method["name"].as_str() else {
            continue;
        };
        if let Some(doc) = method["description"].as_str() {
            out.push_str(&format!("  {}\n", doc_comment(doc, "  ")));
        }
        let params = method["params"].as_array().unwrap_or(&no_methods);
        out.push_str(&format!("  {}: {{\n", property_name(name)));
        out.push_str(&format!("    params: {};\n", positional(params, &refs)));
        out.push_str(&format!("    named: {};\n", named(params, &refs)));
        let result = &method["result"]["schema"]["properties"];
        out.push_str(&format!(
            "    result: {};\n",
            ts_type(&result["value"], &refs, 2)
        ));
        out.push_str(&format!(
            "    outs: {};\n",
            ts_type(&result["outs"], &refs, 2)
        ));
        out.push_str("  };\n");
    }
    out.push_str("}\n\n");
}

/// The parameters as a labelled tuple: the trailing ones that are not required optional
/// (JSON-RPC by position can leave out only the last ones).
fn positional(params: &[Json], refs: &dyn Refs) -> String {
    let required_until = params
        .iter()
        .rposition(|param| param["required"].as_bool() != Some(false))
        .map_or(0, |last| last + 1);
    let members: Vec<String> = params
        .iter()
        .enumerate()
        .map(|(index, param)| {
            let label = param["name"].as_str().filter(|name| is_identifier(name));
            let optional = if index >= required_until { "?" } else { "" };
            let ty = ts_type(&param["schema"], refs, 2);
            format!(
                "{}{optional}: {ty}",
                label.map_or(format!("arg{index}"), label_of)
            )
        })
        .collect();
    format!("[{}]", members.join(", "))
}

/// A tuple label: an identifier that is not a word TypeScript reserves.
fn label_of(name: &str) -> String {
    const RESERVED: &[&str] = &[
        "break",
        "case",
        "catch",
        "class",
        "const",
        "continue",
        "debugger",
        "default",
        "delete",
        "do",
        "else",
        "enum",
        "export",
        "extends",
        "false",
        "finally",
        "for",
        "function",
        "if",
        "import",
        "in",
        "instanceof",
        "new",
        "null",
        "return",
        "super",
        "switch",
        "this",
        "throw",
        "true",
        "try",
        "typeof",
        "var",
        "void",
        "while",
        "with",
    ];
    if RESERVED.contains(&name) {
        format!("{name}_")
    } else {
        name.to_owned()
    }
}

/// The parameters as an object, by name.
fn named(params: &[Json], refs: &dyn Refs) -> String {
    if params.is_empty() {
        // Not `{}`, which any value but null and undefined is assignable to.
        return "Record<string, never>".to_owned();
    }
    let members: Vec<String> = params
        .iter()
        .filter_map(|param| {
            let name = param["name"].as_str()?;
            let optional = if param["required"].as_bool() == Some(false) {
                "?"
            } else {
                ""
            };
            Some(format!(
                "      {}{optional}: {};",
                property_name(name),
                ts_type(&param["schema"], refs, 3)
            ))
        })
        .collect();
    format!("{{\n{}\n    }}", members.join("\n"))
}

fn write_topics(
    out: &mut String,
    declared: &[&TopicInfo],
    schemas: &[Json],
    topic_refs: &BTreeMap<String, String>,
) {
    let refs = DefsRefs(topic_refs);
    out.push_str(
        "/**\n * The notification topics a page can receive (`tab.on(topic, fn)`), each with its\n \
         * payload: those the application declares with `sessions_core::topic!`, and the\n \
         * host's own `session.opened` and `session.user`.\n */\nexport interface Topics {\n",
    );
    // Two declarations of one topic name: a payload of either type.
    let mut by_name: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for (topic, schema) in declared.iter().zip(schemas) {
        let ty = ts_type(schema, &refs, 1);
        let types = by_name.entry(topic.name()).or_default();
        if !types.contains(&ty) {
            types.push(ty);
        }
    }
    for (name, types) in &by_name {
        if *name == "session.opened" || *name == "session.user" {
            continue;
        }
        let ty = if types.iter().any(|ty| ty == "unknown") {
            "unknown".to_owned()
        } else {
            types.join(" | ")
        };
        out.push_str(&format!("  {}: {ty};\n", property_name(name)));
    }
    out.push_str(
        "  \"session.opened\": SessionOpened;\n  \"session.user\": LoggedIn | null;\n}\n\n",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_identifiers_and_unique() {
        let mut names = Names::default();
        assert_eq!(names.component("Point"), "Point");
        assert_eq!(names.component("Array_of_Point"), "Array_of_Point");
        assert_eq!(names.component("Wrapper<u8>"), "Wrapper_u8_");
        assert_eq!(names.component("Wrapper_u8_"), "Wrapper_u8_2");
        assert_eq!(names.component("1st"), "_1st");
    }

    #[test]
    fn only_trailing_optional_parameters_may_be_left_out_by_position() {
        let params: Vec<Json> = serde_json::from_str(
            r#"[{"name":"a","required":false,"schema":{"type":["string","null"]}},
                {"name":"b","required":true,"schema":{"type":"number"}},
                {"name":"default","required":false,"schema":{"type":["boolean","null"]}}]"#,
        )
        .expect("JSON");
        let refs = ComponentRefs(&BTreeMap::new());
        assert_eq!(
            positional(&params, &refs),
            "[a: string | null, b: number, default_?: boolean | null]"
        );
        assert_eq!(
            named(&params, &refs),
            "{\n      a?: string | null;\n      b: number;\n      default?: boolean | null;\n    }"
        );
    }
}
