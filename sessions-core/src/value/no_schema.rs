//! What stands for a schema when the feature `schema` is off: a [`TypeSchema`] that holds
//! nothing, so the same generated code compiles with and without the feature (the macros
//! that build one are in `__private/schema.rs`).

/// Without the feature `schema`, a type's schema is not recorded.
#[derive(Clone, Copy)]
pub struct TypeSchema;

impl TypeSchema {
    /// No schema.
    pub const NONE: TypeSchema = TypeSchema;
}
