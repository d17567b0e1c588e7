//! JSON Schema of a method's parameters and result (feature `schema`): what a host that
//! builds a call form, or checks arguments before sending them, reads.
//!
//! Parameters are described as serde reads them (`for_deserialize`), results and out
//! parameters as serde writes them (`for_serialize`); the two differ only for types whose
//! serde attributes make them differ (`skip_serializing_if`, `default`, …).

use schemars::{json_schema, Schema, SchemaGenerator};
use serde::ser::{Serialize, SerializeStruct, Serializer};

use super::{Direction, MethodInfo, ParamInfo};
use crate::value::schema::{settings, standalone};

/// The JSON Schemas of one exported method (see [`MethodInfo::schema`]). Each stands alone:
/// it names its JSON Schema version (`$schema`, 2020-12) and holds the definitions it
/// refers to (`$defs`).
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct MethodSchema {
    /// The in parameters in JSON-RPC's named form: an object with one property per
    /// parameter, every parameter that is not an `Option` required, no other property.
    pub params: Schema,
    /// The value a host receives on success ([`CallOutcome::value`](crate::CallOutcome)).
    pub result: Schema,
    /// The out parameters, as [`CallOutcome`](crate::CallOutcome)'s `outs` are serialized:
    /// an object with one property per out parameter.
    pub outs: Schema,
}

impl Serialize for MethodSchema {
    /// `{"params": …, "result": …, "outs": …}`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut schema = serializer.serialize_struct("MethodSchema", 3)?;
        schema.serialize_field("params", &self.params)?;
        schema.serialize_field("result", &self.result)?;
        schema.serialize_field("outs", &self.outs)?;
        schema.end()
    }
}

impl ParamInfo {
    /// The JSON Schema of this parameter's values, standing alone (`$schema`, `$defs`):
    /// what it accepts for an in parameter, what it gives back for an out parameter;
    /// `None` for an injected session, which no host passes.
    ///
    /// Exact for the standard types; the full schema of a type that derives
    /// `schemars::JsonSchema`; for any other type, an open schema (any value) whose
    /// `title` and `x-rust-type` name the Rust type.
    ///
    /// ```
    /// use sessions_core::{export_method, methods};
    ///
    /// #[export_method(session = none)]
    /// fn scale(factor: u8, label: Option<String>) -> f64 {
    ///     f64::from(factor)
    /// }
    ///
    /// let method = methods().get("scale").expect("registered");
    /// let factor = method.params()[0].schema().expect("an in parameter");
    /// assert_eq!(factor.get("type").and_then(|t| t.as_str()), Some("integer"));
    /// assert_eq!(factor.get("maximum").and_then(|m| m.as_u64()), Some(255));
    /// ```
    pub fn schema(&self) -> Option<Schema> {
        let generator = match self.direction {
            Direction::In => settings().for_deserialize(),
            _ => settings().for_serialize(),
        };
        self.schema.standalone(generator.into_generator())
    }
}

impl MethodInfo {
    /// The JSON Schemas of the parameters a host passes, of the value it receives and of
    /// the out parameters it gets back. See [`ParamInfo::schema`] for what each type's
    /// schema is.
    ///
    /// ```
    /// use sessions_core::{export_method, methods};
    ///
    /// #[export_method(session = none)]
    /// fn greet(name: String, times: Option<u32>) -> Vec<String> {
    ///     vec![format!("Hello, {name}"); times.unwrap_or(1) as usize]
    /// }
    ///
    /// let schema = methods().get("greet").expect("registered").schema();
    /// let params = schema.params.as_value();
    /// assert_eq!(params["properties"]["name"]["type"], "string");
    /// assert_eq!(params["required"], serde_json::json!(["name"]));
    /// assert_eq!(schema.result.as_value()["type"], "array");
    /// ```
    pub fn schema(&self) -> MethodSchema {
        let mut reading = settings().for_deserialize().into_generator();
        let params = params_object(self.inputs(), &mut reading);
        let mut writing = settings().for_serialize().into_generator();
        let result = self.value_schema(&mut writing);
        let result = standalone(result, &mut writing);
        let outs = params_object(self.outputs(), &mut writing);
        MethodSchema {
            params: standalone(params, &mut reading),
            result,
            outs: standalone(outs, &mut writing),
        }
    }

    /// The out parameters, in order.
    pub(crate) fn outputs(&self) -> impl Iterator<Item = &'static ParamInfo> {
        self.params.iter().filter(|p| p.direction == Direction::Out)
    }

    /// The schema of the value a host receives, its definitions added to `generator`.
    pub(crate) fn value_schema(&self, generator: &mut SchemaGenerator) -> Schema {
        self.value_schema
            .subschema(generator)
            .unwrap_or_else(|| json_schema!(true))
    }
}

/// An object with one property per parameter: those that are not optional required, no
/// other property allowed. Definitions are added to `generator`.
pub(crate) fn params_object<'a>(
    params: impl Iterator<Item = &'a ParamInfo>,
    generator: &mut SchemaGenerator,
) -> Schema {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for param in params {
        let schema = param
            .schema
            .subschema(generator)
            .unwrap_or_else(|| json_schema!(true));
        properties.insert(param.name.to_owned(), schema.to_value());
        if !param.optional {
            required.push(param.name);
        }
    }
    json_schema!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}
