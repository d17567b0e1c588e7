//! An object's `Variable` fields, exported with it: `#[derive(Variables)]` implements
//! [`HasVariables`] and registers the type, so `Engine::export_object` finds them by the
//! object's type with no code per field.

use std::any::{Any, TypeId};
use std::sync::Arc;

use super::AnyVariable;

/// An object's variables, each under the name it is exported with (`<object path>/<name>`).
pub type NamedVariables = Vec<(&'static str, Arc<dyn AnyVariable>)>;

/// A type whose `Variable` fields are exported with it, each as `<object path>/<name>`.
/// Derive it: `#[derive(sessions_core::Variables)]` also registers the type, so that
/// `Engine::export_object` exports the fields.
pub trait HasVariables: Any + Send + Sync {
    /// Each variable field, under the name it is exported with.
    fn variables(&self) -> NamedVariables;
}

/// The registration of one type that derives `Variables`, found by the type's id when an
/// object of it is exported.
#[doc(hidden)]
pub struct VariableFields {
    type_id: fn() -> TypeId,
    fields: fn(&(dyn Any + Send + Sync)) -> NamedVariables,
}

impl VariableFields {
    /// The registration of `T`.
    pub const fn of<T: HasVariables>() -> VariableFields {
        VariableFields {
            type_id: TypeId::of::<T>,
            fields: fields_of::<T>,
        }
    }
}

inventory::collect!(VariableFields);

fn fields_of<T: HasVariables>(object: &(dyn Any + Send + Sync)) -> NamedVariables {
    object
        .downcast_ref::<T>()
        .map(HasVariables::variables)
        .unwrap_or_default()
}

/// The variable fields of `object`, if its type derives `Variables`.
pub(crate) fn variables_of(object: &(dyn Any + Send + Sync)) -> Option<NamedVariables> {
    let type_id = object.type_id();
    inventory::iter::<VariableFields>
        .into_iter()
        .find(|registered| (registered.type_id)() == type_id)
        .map(|registered| (registered.fields)(object))
}
