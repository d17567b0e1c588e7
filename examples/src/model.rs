//! "The model", and the Optix background task that must impersonate a session to touch it.
//!
//! Optix: "Every operation being done on the Optix core must be done in the context of a
//! session … If no session is impersonated, the code will likely cause the runtime to
//! crash (even with simple operation like toggling a variable)."
//!
//! ```csharp
//! public void DoSomethingAsynchronously()
//! {
//!     var sessionHandler = LogicObject.Context.Sessions.ImpersonateRootTemporary();
//!     if (sessionHandler != null)
//!     {
//!         var someVariable = InformationModel.GetVariable("SomeVariable");
//!         someVariable.Value = true;
//!     }
//!     sessionHandler?.Dispose();
//! }
//! ```
//!
//! The model here is a map of boolean variables that, like the Optix core, may only be
//! touched in a session: outside one it answers [`SessionError::NoContext`] instead of
//! crashing. [`do_something_asynchronously`] is the port.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use sessions_core::{export_method, require, Engine, SessionError};

use crate::AppError;

/// The variables of the model, by name: one model for the whole application (as Optix's
/// information model), so it outlives every session, and is bounded instead:
/// [`MAX_VARIABLES`] names of at most [`MAX_NAME_BYTES`].
static VARIABLES: Mutex<BTreeMap<String, bool>> = Mutex::new(BTreeMap::new());

/// The most variables the model holds: any tab may set one, so the model cannot grow
/// without bound.
pub const MAX_VARIABLES: usize = 1_000;
/// The longest variable name, in bytes.
pub const MAX_NAME_BYTES: usize = 128;

/// Sets a variable of the model (Optix: `InformationModel.GetVariable(name).Value = value`).
///
/// # Errors
/// [`SessionError::NoContext`] when no session is current; [`AppError::TooLong`] for a name
/// longer than [`MAX_NAME_BYTES`]; [`AppError::TooManyVariables`] for a new name when the
/// model holds [`MAX_VARIABLES`] already (an existing one can still be set).
pub fn set_variable(name: &str, value: bool) -> Result<(), AppError> {
    require()?;
    if name.len() > MAX_NAME_BYTES {
        return Err(AppError::TooLong {
            what: "variable name",
            bytes: name.len(),
            limit: MAX_NAME_BYTES,
        });
    }
    let mut variables = VARIABLES.lock().unwrap_or_else(PoisonError::into_inner);
    let full = variables.len() >= MAX_VARIABLES;
    match variables.get_mut(name) {
        Some(variable) => *variable = value,
        None if full => return Err(AppError::TooManyVariables(MAX_VARIABLES)),
        None => {
            variables.insert(name.to_owned(), value);
        }
    }
    Ok(())
}

/// Reads a variable of the model; `None` when it was never set.
///
/// # Errors
/// [`SessionError::NoContext`] when no session is current.
pub fn variable(name: &str) -> Result<Option<bool>, SessionError> {
    require()?;
    let variables = VARIABLES.lock().unwrap_or_else(PoisonError::into_inner);
    Ok(variables.get(name).copied())
}

/// The port of Optix's `DoSomethingAsynchronously`: background work that sets
/// `SomeVariable`, impersonating `engine`'s root session while it touches the model.
///
/// # Errors
/// The model's, when it is full; the write runs as root, so never `NoContext`.
pub fn do_something_asynchronously(engine: &Engine) -> Result<(), AppError> {
    // Optix: var sessionHandler = LogicObject.Context.Sessions.ImpersonateRootTemporary();
    // There is always a root session, so there is no `null` to check.
    let _root = engine.impersonate_root();
    // Optix: InformationModel.GetVariable("SomeVariable").Value = true;
    set_variable("SomeVariable", true)
    // Optix: sessionHandler?.Dispose(); here the guard is dropped at the end of the scope,
    // also on an early return or a panic, so it cannot be forgotten.
}

/// Reads a variable of the model.
///
/// `session = impersonate`: in a session it runs there; called where no session is current
/// (start-up code, a plain thread, a script) it runs as the root session of
/// `Engine::global()` for the call, so the model can be read.
#[export_method(name = "GetVariable", session = impersonate)]
pub fn get_variable(name: String) -> Result<bool, AppError> {
    variable(&name)?.ok_or(AppError::UnknownVariable(name))
}

/// One variable of the model and its value.
//
// What `set_variables` takes and `list_variables` gives, as a host sees it:
// `{"name": "SomeVariable", "value": true}`. `JsonSchema` gives the methods that use it a
// full schema in `list_methods --openrpc`, where the line above is its description.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Variable {
    /// The variable's name.
    pub name: String,
    /// Its value.
    pub value: bool,
}

/// Every variable of the model, by name.
#[export_method(name = "ListVariables", session = impersonate)]
pub fn list_variables() -> Result<Vec<Variable>, AppError> {
    require()?;
    let variables = VARIABLES.lock().unwrap_or_else(PoisonError::into_inner);
    let list = variables.iter().map(|(name, value)| Variable {
        name: name.clone(),
        value: *value,
    });
    Ok(list.collect())
}

/// Sets several variables of the model at once; returns how many were set.
#[export_method(name = "SetVariables", session = impersonate)]
pub fn set_variables(variables: Vec<Variable>) -> Result<usize, AppError> {
    for variable in &variables {
        set_variable(&variable.name, variable.value)?;
    }
    Ok(variables.len())
}
