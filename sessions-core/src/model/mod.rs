//! The information model as hosts see it: a variable of any type, read, written and watched
//! through [`AnyVariable`] with [`Value`](crate::Value)s, each change a [`Change`] with its
//! version, time and writer. The typed handle, [`Variable`](crate::Variable), implements it;
//! an engine exports variables by path (`Engine::export_variable`) and an exported object's
//! `Variable` fields with it ([`HasVariables`]).
//!
//! A leaf: it names no engine or session, so that the engine can hold erased variables and
//! the typed variable can ask the engine who is writing, without the two depending on each
//! other.

mod any;
mod change;
mod error;
mod fields;

pub use any::{AnyVariable, ToAnyVariable, ValueWatch, WatchValues};
pub use change::{Change, WrittenBy};
pub use error::VariableError;
pub(crate) use fields::variables_of;
pub use fields::{HasVariables, NamedVariables, VariableFields};
