//! JSON Schema of the types that cross the host boundary (feature `schema`, schemars 1).
//!
//! A [`TypeSchema`] is how one parameter's or result's type describes itself: the full
//! schema when the type implements `schemars::JsonSchema` (every std type, and a user type
//! that derives it), otherwise an open schema that names its Rust type, so that no type is
//! refused for lacking one. Which of the two is chosen by method resolution in code the
//! macro generates at the user's concrete type ([`SchemaProbe`]), since one generic
//! function cannot ask whether a bound holds.

use std::any::type_name;
use std::marker::PhantomData;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use crate::{SessionId, Value};

/// The schema of one type, as generated code records it: written into a generator's
/// definitions when asked, so that types used by several methods are defined once.
#[derive(Clone, Copy)]
pub struct TypeSchema {
    make: Option<fn(&mut SchemaGenerator) -> Schema>,
}

impl TypeSchema {
    /// No schema: an injected session, which a host never passes.
    pub const NONE: TypeSchema = TypeSchema { make: None };

    /// The schema `make` writes into a generator.
    pub const fn new(make: fn(&mut SchemaGenerator) -> Schema) -> TypeSchema {
        TypeSchema { make: Some(make) }
    }

    /// The (sub)schema of the type, its definitions added to `generator`; `None` for
    /// [`TypeSchema::NONE`].
    pub(crate) fn subschema(&self, generator: &mut SchemaGenerator) -> Option<Schema> {
        self.make.map(|make| make(generator))
    }

    /// A schema that stands alone: the type's schema with the JSON Schema version and
    /// every definition it refers to (`$defs`) in it.
    pub(crate) fn standalone(&self, generator: SchemaGenerator) -> Option<Schema> {
        let mut generator = generator;
        let schema = self.subschema(&mut generator)?;
        Some(standalone(schema, &mut generator))
    }
}

/// Makes `schema` stand alone: adds `$schema` and the definitions `generator` holds.
pub(crate) fn standalone(mut schema: Schema, generator: &mut SchemaGenerator) -> Schema {
    let meta = generator.settings().meta_schema.clone();
    let definitions = generator.take_definitions(true);
    let object = schema.ensure_object();
    if let Some(meta) = meta {
        object.insert("$schema".to_owned(), meta.into_owned().into());
    }
    if !definitions.is_empty() {
        object.insert("$defs".to_owned(), definitions.into());
    }
    schema
}

/// The schema generator of this crate: JSON Schema 2020-12, for what a type accepts
/// (serde's deserialize side, `for_deserialize`) or what it writes (`for_serialize`).
pub(crate) fn settings() -> schemars::generate::SchemaSettings {
    schemars::generate::SchemaSettings::draft2020_12()
}

/// The open schema of a type without a JSON Schema: any value, named after its Rust type.
pub fn open_schema(rust_type: &str) -> Schema {
    let short = rust_type.rsplit("::").next().unwrap_or(rust_type);
    json_schema!({
        "title": short,
        "description": format!(
            "A value of the Rust type `{rust_type}`, which has no JSON Schema: derive \
             `schemars::JsonSchema` for it to describe its shape, with `schemars = \"1\"` \
             in the crate's dependencies (the trait of another major version is another \
             trait), or through `sessions_core::schemars` with \
             `#[schemars(crate = \"sessions_core::schemars\")]`."
        ),
        "x-rust-type": rust_type,
    })
}

/// Chooses how `T` describes itself, by method resolution at a concrete `T`: generated
/// code calls `(&SchemaProbe::<T>::new()).schema(generator)` with [`HasJsonSchema`] and
/// [`NoJsonSchema`] in scope, and the first, one autoref closer, wins when `T: JsonSchema`.
pub struct SchemaProbe<T: ?Sized>(PhantomData<fn() -> PhantomData<T>>);

impl<T: ?Sized> SchemaProbe<T> {
    /// The probe of `T`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        SchemaProbe(PhantomData)
    }

    /// The probe of the type a marker stands for (the value type of a return type).
    pub const fn of(_: PhantomData<fn() -> PhantomData<T>>) -> Self {
        SchemaProbe(PhantomData)
    }
}

/// The schema of a type that implements `JsonSchema` (see [`SchemaProbe`]).
pub trait HasJsonSchema {
    /// `T`'s full schema.
    fn schema(&self, generator: &mut SchemaGenerator) -> Schema;
}

impl<T: JsonSchema + ?Sized> HasJsonSchema for SchemaProbe<T> {
    fn schema(&self, generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<T>()
    }
}

/// The schema of any other type (see [`SchemaProbe`]).
pub trait NoJsonSchema {
    /// An open schema naming `T`.
    fn schema(&self, generator: &mut SchemaGenerator) -> Schema;
}

impl<T: ?Sized> NoJsonSchema for &SchemaProbe<T> {
    fn schema(&self, _: &mut SchemaGenerator) -> Schema {
        open_schema(type_name::<T>())
    }
}

impl JsonSchema for Value {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Value".into()
    }

    fn inline_schema() -> bool {
        true
    }

    /// Any JSON value: a `Value` parameter takes whatever the host passes.
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!(true)
    }
}

impl JsonSchema for SessionId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "SessionId".into()
    }

    fn inline_schema() -> bool {
        true
    }

    /// The text of its 32 lowercase hex digits.
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^[0-9a-f]{32}$",
            "description": "A session id: 32 lowercase hex digits.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn schema_of(schema: TypeSchema) -> serde_json::Value {
        let generator = settings().for_deserialize().into_generator();
        schema
            .standalone(generator)
            .map(Schema::to_value)
            .unwrap_or_default()
    }

    struct Opaque;

    #[test]
    fn a_json_schema_type_describes_itself() {
        let schema = schema_of(crate::__type_schema!(u8));
        assert_eq!(schema["type"], "integer");
        assert_eq!(schema["minimum"], 0);
        assert_eq!(schema["maximum"], 255);
        assert_eq!(
            schema["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
    }

    #[test]
    fn any_other_type_gets_an_open_schema_naming_it() {
        let schema = schema_of(crate::__type_schema!(Opaque));
        assert_eq!(schema["title"], "Opaque");
        assert!(schema["x-rust-type"]
            .as_str()
            .is_some_and(|name| name.ends_with("schema::tests::Opaque")));
        assert!(schema.get("type").is_none(), "open: any value: {schema}");
    }

    #[test]
    fn the_value_schema_of_a_result_is_its_ok_type() {
        let schema = schema_of(crate::__value_schema!(Result<Vec<bool>, String>));
        assert_eq!(schema["type"], "array");
        assert_eq!(schema["items"]["type"], "boolean");
        let schema = schema_of(crate::__value_schema!(Option<i32>));
        assert_eq!(schema["type"], serde_json::json!(["integer", "null"]));
    }

    #[test]
    fn none_has_no_schema() {
        let generator = settings().into_generator();
        assert!(TypeSchema::NONE.standalone(generator).is_none());
    }

    #[test]
    fn value_and_session_id_have_schemas() {
        assert_eq!(
            schema_of(crate::__type_schema!(Value))["$schema"],
            serde_json::json!("https://json-schema.org/draft/2020-12/schema")
        );
        let id = schema_of(crate::__type_schema!(SessionId));
        assert_eq!(id["pattern"], "^[0-9a-f]{32}$");
    }
}
