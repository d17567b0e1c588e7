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

/// Chooses how an object's variable field describes its values, by method resolution at the
/// field's concrete type (as `SchemaProbe` does for a parameter): generated code calls
/// `(&&&FieldProbe::<FieldType>::new()).field_schema(generator)` with the three traits in
/// scope. A `Variable<T>` with `T: JsonSchema` gets `T`'s schema, another `Variable<T>` an
/// open one naming `T`, and any other type (refused by [`VariableType`] with its own error)
/// an open one, so that the field's type is reported once.
#[doc(hidden)]
#[cfg(feature = "schema")]
pub struct FieldProbe<V>(std::marker::PhantomData<fn() -> V>);

#[cfg(feature = "schema")]
impl<V> FieldProbe<V> {
    /// The probe of the field type `V`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        FieldProbe(std::marker::PhantomData)
    }
}

/// The schema of a `Variable<T>` field with `T: JsonSchema` (see [`FieldProbe`]).
#[doc(hidden)]
#[cfg(feature = "schema")]
pub trait FieldHasSchema {
    /// `T`'s full schema.
    fn field_schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema;
}

#[cfg(feature = "schema")]
impl<T: VariableValue + schemars::JsonSchema> FieldHasSchema for &&FieldProbe<Variable<T>> {
    fn field_schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        generator.subschema_for::<T>()
    }
}

/// The schema of another `Variable<T>` field (see [`FieldProbe`]).
#[doc(hidden)]
#[cfg(feature = "schema")]
pub trait FieldOpenSchema {
    /// An open schema naming `T`.
    fn field_schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema;
}

#[cfg(feature = "schema")]
impl<T: VariableValue> FieldOpenSchema for &FieldProbe<Variable<T>> {
    fn field_schema(&self, _: &mut schemars::SchemaGenerator) -> schemars::Schema {
        crate::value::schema::open_schema(std::any::type_name::<T>())
    }
}

/// The schema of a field that is not a `Variable` (see [`FieldProbe`]): a compile error
/// elsewhere, so this only keeps it from being reported twice.
#[doc(hidden)]
#[cfg(feature = "schema")]
pub trait FieldNoSchema {
    /// An open schema naming the field's type.
    fn field_schema(&self, generator: &mut schemars::SchemaGenerator) -> schemars::Schema;
}

#[cfg(feature = "schema")]
impl<V> FieldNoSchema for FieldProbe<V> {
    fn field_schema(&self, _: &mut schemars::SchemaGenerator) -> schemars::Schema {
        crate::value::schema::open_schema(std::any::type_name::<V>())
    }
}
