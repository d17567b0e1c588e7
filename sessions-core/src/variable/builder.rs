//! The settings of a new variable.

use std::time::SystemTime;

use super::{Cell, Variable, VariableValue};
use crate::model::Change;
use crate::value::TypeSchema;

/// Settings for a new [`Variable`]: `Variable::builder(initial).write_role("operator").build()`.
#[must_use = "a builder makes nothing until `build` is called"]
pub struct VariableBuilder<T: VariableValue> {
    initial: T,
    write_role: Option<Box<str>>,
    schema: Option<TypeSchema>,
}

impl<T: VariableValue> VariableBuilder<T> {
    pub(super) fn new(initial: T) -> Self {
        VariableBuilder {
            initial,
            write_role: None,
            schema: None,
        }
    }

    /// Only a session whose user has `role` (or a root session) may write it; others get
    /// `SessionError::Forbidden`.
    pub fn write_role(mut self, role: impl Into<String>) -> Self {
        self.write_role = Some(role.into().into_boxed_str());
        self
    }

    /// Describes its values with `T`'s own JSON Schema (feature `schema`). Without this, a
    /// variable exported by itself has an open schema naming `T`; one exported as a field of
    /// an object (`#[derive(Variables)]`) gets `T`'s schema whenever `T: JsonSchema`.
    #[cfg(feature = "schema")]
    pub fn json_schema(mut self) -> Self
    where
        T: schemars::JsonSchema,
    {
        fn full<T: schemars::JsonSchema>(
            generator: &mut schemars::SchemaGenerator,
        ) -> schemars::Schema {
            generator.subschema_for::<T>()
        }
        self.schema = Some(TypeSchema::new(full::<T>));
        self
    }

    /// The variable, holding the initial value as version 0.
    pub fn build(self) -> Variable<T> {
        let initial = Change {
            value: self.initial,
            version: 0,
            at: SystemTime::now(),
            by: None,
        };
        Variable::from_cell(Cell::new(initial, self.write_role, self.schema))
    }
}

/// The open schema of `T`: any value, named after its Rust type.
#[cfg(feature = "schema")]
pub(super) fn open_schema<T>() -> TypeSchema {
    fn open<T>(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        crate::value::schema::open_schema(std::any::type_name::<T>())
    }
    TypeSchema::new(open::<T>)
}

/// No schema: the feature `schema` is off.
#[cfg(not(feature = "schema"))]
pub(super) fn open_schema<T>() -> TypeSchema {
    TypeSchema::NONE
}
