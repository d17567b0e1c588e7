//! What generated code names for schemas when the feature `schema` is off: a
//! [`TypeSchema`] that holds nothing, so the same generated code compiles with and without
//! the feature.

/// Without the feature `schema`, a type's schema is not recorded.
#[derive(Clone, Copy)]
pub struct TypeSchema;

impl TypeSchema {
    /// No schema.
    pub const NONE: TypeSchema = TypeSchema;
}

/// `TypeSchema::NONE` (the feature `schema` is off).
#[doc(hidden)]
#[macro_export]
macro_rules! __type_schema {
    ($ty:ty) => {
        $crate::__private::TypeSchema::NONE
    };
}

/// `TypeSchema::NONE` (the feature `schema` is off).
#[doc(hidden)]
#[macro_export]
macro_rules! __value_schema {
    ($ret:ty) => {
        $crate::__private::TypeSchema::NONE
    };
}
