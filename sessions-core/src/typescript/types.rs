//! A JSON Schema (2020-12, as schemars writes it) as a TypeScript type.
//!
//! What has no TypeScript counterpart is widened, never narrowed: a schema that says
//! nothing of its type (an open schema, `true`, a keyword this file does not read) is
//! `unknown`, never `any`; bounds (`minimum`, `pattern`, `format`) are dropped, so an
//! integer is a `number`.

use serde_json::{Map, Value as Json};

/// How `$ref`s are written: a reference's text to the TypeScript name of its definition.
pub(crate) trait Refs {
    /// The TypeScript type the reference `reference` stands for; `None` when unknown.
    fn resolve(&self, reference: &str) -> Option<String>;
}

/// The TypeScript type of `schema`, with nested object types indented by `indent` levels.
pub(crate) fn ts_type(schema: &Json, refs: &dyn Refs, indent: usize) -> String {
    match schema {
        Json::Bool(true) => "unknown".to_owned(),
        Json::Bool(false) => "never".to_owned(),
        Json::Object(object) => object_schema(object, refs, indent),
        _ => "unknown".to_owned(),
    }
}

fn object_schema(schema: &Map<String, Json>, refs: &dyn Refs, indent: usize) -> String {
    let mut parts = Vec::new();
    if let Some(reference) = schema.get("$ref").and_then(Json::as_str) {
        parts.push(
            refs.resolve(reference)
                .unwrap_or_else(|| "unknown".to_owned()),
        );
    }
    if let Some(value) = schema.get("const") {
        parts.push(literal(value));
    } else if let Some(Json::Array(values)) = schema.get("enum") {
        parts.push(union(values.iter().map(literal).collect()));
    } else if let Some(types) = schema.get("type") {
        parts.push(typed(schema, types, refs, indent));
    } else if schema.contains_key("properties") {
        parts.push(object_type(schema, refs, indent));
    }
    for keyword in ["oneOf", "anyOf"] {
        if let Some(Json::Array(options)) = schema.get(keyword) {
            let options = options
                .iter()
                .map(|option| ts_type(option, refs, indent))
                .collect();
            parts.push(union(options));
        }
    }
    if let Some(Json::Array(all)) = schema.get("allOf") {
        parts.extend(all.iter().map(|part| ts_type(part, refs, indent)));
    }
    parts.retain(|part| part != "unknown");
    match parts.len() {
        0 => "unknown".to_owned(),
        1 => parts.remove(0),
        _ => parts
            .iter()
            .map(|part| format!("({part})"))
            .collect::<Vec<_>>()
            .join(" & "),
    }
}

/// `type`: one name or an array of names.
fn typed(schema: &Map<String, Json>, types: &Json, refs: &dyn Refs, indent: usize) -> String {
    let names: Vec<&str> = match types {
        Json::String(name) => vec![name],
        Json::Array(names) => names.iter().filter_map(Json::as_str).collect(),
        _ => return "unknown".to_owned(),
    };
    union(
        names
            .into_iter()
            .map(|name| match name {
                "string" => "string".to_owned(),
                "integer" | "number" => "number".to_owned(),
                "boolean" => "boolean".to_owned(),
                "null" => "null".to_owned(),
                "array" => array_type(schema, refs, indent),
                "object" => object_type(schema, refs, indent),
                _ => "unknown".to_owned(),
            })
            .collect(),
    )
}

/// An array: a tuple with `prefixItems` (closed when `items` is `false`), else `T[]`.
fn array_type(schema: &Map<String, Json>, refs: &dyn Refs, indent: usize) -> String {
    let items = schema.get("items");
    if let Some(Json::Array(prefix)) = schema.get("prefixItems") {
        let mut members: Vec<String> = prefix
            .iter()
            .map(|item| ts_type(item, refs, indent))
            .collect();
        match items {
            Some(Json::Bool(false)) => {}
            Some(rest) => members.push(format!("...{}", array_of(ts_type(rest, refs, indent)))),
            None => members.push("...unknown[]".to_owned()),
        }
        return format!("[{}]", members.join(", "));
    }
    match items {
        Some(items) => array_of(ts_type(items, refs, indent)),
        None => "unknown[]".to_owned(),
    }
}

/// `T[]`, with `T` in parentheses unless it is a name.
fn array_of(item: String) -> String {
    let simple = item
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$' || c == '.');
    if simple {
        format!("{item}[]")
    } else {
        format!("({item})[]")
    }
}

/// An object: its properties (those not `required` optional), and an index signature
/// for other properties when the schema allows them: the value type of a map (no named
/// properties), `unknown` beside named ones (every property type is assignable to it).
fn object_type(schema: &Map<String, Json>, refs: &dyn Refs, indent: usize) -> String {
    let required: Vec<&str> = match schema.get("required") {
        Some(Json::Array(names)) => names.iter().filter_map(Json::as_str).collect(),
        _ => Vec::new(),
    };
    let properties = schema.get("properties").and_then(Json::as_object);
    let pad = "  ".repeat(indent + 1);
    let mut lines = Vec::new();
    for (name, property) in properties.into_iter().flatten() {
        if let Some(doc) = property.get("description").and_then(Json::as_str) {
            lines.push(format!("{pad}{}", doc_comment(doc, &pad)));
        }
        let optional = if required.contains(&name.as_str()) {
            ""
        } else {
            "?"
        };
        lines.push(format!(
            "{pad}{}{optional}: {};",
            property_name(name),
            ts_type(property, refs, indent + 1)
        ));
    }
    let has_properties = properties.is_some_and(|properties| !properties.is_empty());
    match schema.get("additionalProperties") {
        Some(Json::Bool(false)) => {}
        // Named properties and nothing said of others: a struct, which serde writes with
        // exactly these (and reads ignoring others): no index signature, so that a
        // misspelt property is caught.
        None if has_properties => {}
        Some(_) if has_properties => lines.push(format!("{pad}[key: string]: unknown;")),
        None | Some(Json::Bool(true)) => lines.push(format!("{pad}[key: string]: unknown;")),
        Some(value) => lines.push(format!(
            "{pad}[key: string]: {};",
            ts_type(value, refs, indent + 1)
        )),
    }
    if lines.is_empty() {
        return "{}".to_owned();
    }
    format!("{{\n{}\n{}}}", lines.join("\n"), "  ".repeat(indent))
}

/// A union of distinct members, `never` when empty.
fn union(mut members: Vec<String>) -> String {
    let mut seen = Vec::new();
    members.retain(|member| {
        let new = !seen.contains(member);
        seen.push(member.clone());
        new
    });
    if members.iter().any(|member| member == "unknown") {
        return "unknown".to_owned();
    }
    match members.len() {
        0 => "never".to_owned(),
        1 => members.remove(0),
        _ => members.join(" | "),
    }
}

/// A JSON value as a TypeScript literal type.
fn literal(value: &Json) -> String {
    match value {
        Json::Null | Json::Bool(_) | Json::Number(_) | Json::String(_) => value.to_string(),
        // An array or object constant: its shape, not its value.
        Json::Array(_) => "unknown[]".to_owned(),
        Json::Object(_) => "{ [key: string]: unknown }".to_owned(),
    }
}

/// A property's name: bare when it is an identifier, else a string literal.
pub(crate) fn property_name(name: &str) -> String {
    if is_identifier(name) {
        name.to_owned()
    } else {
        Json::String(name.to_owned()).to_string()
    }
}

/// Whether `name` can stand as an identifier (ASCII letters, digits, `_`, `$`).
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_' || first == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// A `/** … */` comment holding `text`, continued lines prefixed with `pad`.
pub(crate) fn doc_comment(text: &str, pad: &str) -> String {
    let text = text.trim().replace("*/", "*\\/");
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= 1 {
        return format!("/** {text} */");
    }
    let mut comment = String::from("/**");
    for line in lines {
        comment.push('\n');
        comment.push_str(pad);
        comment.push_str(" *");
        if !line.is_empty() {
            comment.push(' ');
            comment.push_str(line);
        }
    }
    comment.push('\n');
    comment.push_str(pad);
    comment.push_str(" */");
    comment
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    struct NoRefs;

    impl Refs for NoRefs {
        fn resolve(&self, reference: &str) -> Option<String> {
            reference
                .strip_prefix("#/$defs/")
                .map(|name| format!("Types.{name}"))
        }
    }

    fn ts(schema: Json) -> String {
        ts_type(&schema, &NoRefs, 0)
    }

    #[test]
    fn scalars_and_unions() {
        assert_eq!(ts(json!({"type": "integer", "maximum": 255})), "number");
        assert_eq!(ts(json!({"type": ["string", "null"]})), "string | null");
        assert_eq!(ts(json!({"enum": ["a", "b"]})), "\"a\" | \"b\"");
        assert_eq!(ts(json!({"const": 3})), "3");
        assert_eq!(ts(json!(true)), "unknown");
        assert_eq!(ts(json!(false)), "never");
    }

    #[test]
    fn a_schema_that_says_nothing_is_unknown_never_any() {
        let open = json!({"title": "Opaque", "x-rust-type": "my::Opaque"});
        assert_eq!(ts(open), "unknown");
        assert_eq!(ts(json!({"$ref": "https://elsewhere/x"})), "unknown");
        let anything = json!({"anyOf": [{"type": "string"}, {}]});
        assert_eq!(ts(anything), "unknown");
    }

    #[test]
    fn arrays_tuples_and_maps() {
        assert_eq!(
            ts(json!({"type": "array", "items": {"$ref": "#/$defs/Point"}})),
            "Types.Point[]"
        );
        let tuple = json!({"type": "array", "prefixItems": [{"type": "string"}, {"type": "boolean"}], "items": false});
        assert_eq!(ts(tuple), "[string, boolean]");
        let map = json!({"type": "object", "additionalProperties": {"type": "number"}});
        assert_eq!(ts(map), "{\n  [key: string]: number;\n}");
    }

    #[test]
    fn objects_mark_optional_properties_and_quote_odd_names() {
        let object = json!({
            "type": "object",
            "properties": {"x": {"type": "number", "description": "Across."}, "my-y": {"type": "number"}},
            "required": ["x"],
            "additionalProperties": false,
        });
        assert_eq!(
            ts(object),
            "{\n  \"my-y\"?: number;\n  /** Across. */\n  x: number;\n}"
        );
    }

    #[test]
    fn a_comment_cannot_be_closed_by_its_text() {
        assert_eq!(doc_comment("a */ b", ""), "/** a *\\/ b */");
    }
}
