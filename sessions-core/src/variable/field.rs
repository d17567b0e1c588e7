//! What the code `#[derive(Variables)]` generates calls for each variable field: its erased
//! view, described with the schema found at the field's type. A field of another type is a
//! compile error at that type, saying what to do.

use std::sync::Arc;

use super::erased::Erased;
use super::{Variable, VariableValue};
use crate::model::AnyVariable;
use crate::value::TypeSchema;

/// A field type `#[derive(Variables)]` exports: `Variable<T>`.
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a `sessions_core::Variable<_>`, so it cannot be exported as a variable",
    label = "not a `Variable<_>`",
    note = "make the field a `Variable<T>`, or remove its `#[variable]` attribute (only `Variable` fields are exported with an object)"
)]
pub trait VariableType {
    /// The type of the variable's value.
    type Value;

    /// Its erased view, described by `schema` unless it was given its own.
    fn erased_with(&self, schema: TypeSchema) -> Arc<dyn AnyVariable>;
}

impl<T: VariableValue> VariableType for Variable<T> {
    type Value = T;

    fn erased_with(&self, schema: TypeSchema) -> Arc<dyn AnyVariable> {
        Arc::new(Erased::new(
            self.clone(),
            self.cell.schema.unwrap_or(schema),
        ))
    }
}

/// The erased view of an object's variable field, described with the schema that
/// `#[derive(Variables)]` probed at the field's type (`T`'s own when `T: JsonSchema`)
/// unless the variable was given one.
#[doc(hidden)]
pub fn field<V: VariableType>(variable: &V, probed: TypeSchema) -> Arc<dyn AnyVariable> {
    variable.erased_with(probed)
}
