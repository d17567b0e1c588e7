//! The process-wide table of named engines, for `Engine::find`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use super::EngineShared;
use crate::lock::lock;
use crate::SessionError;

static NAMES: Mutex<Option<HashMap<Arc<str>, Weak<EngineShared>>>> = Mutex::new(None);

/// Records `engine` under `name`, unless a live engine has it.
pub(super) fn claim(name: &Arc<str>, engine: &Arc<EngineShared>) -> Result<(), SessionError> {
    let mut names = lock(&NAMES);
    let names = names.get_or_insert_with(HashMap::new);
    if names
        .get(name)
        .is_some_and(|other| other.strong_count() > 0)
    {
        return Err(SessionError::NameTaken(name.to_string()));
    }
    names.insert(name.clone(), Arc::downgrade(engine));
    Ok(())
}

/// The live engine named `name`.
pub(super) fn find(name: &str) -> Option<Arc<EngineShared>> {
    lock(&NAMES).as_ref()?.get(name)?.upgrade()
}

/// Forgets `name`, if it still belongs to the engine being dropped (`engine`).
pub(super) fn release(name: &str, engine: *const EngineShared) {
    let mut names = lock(&NAMES);
    if let Some(names) = names.as_mut() {
        if names.get(name).is_some_and(|weak| weak.as_ptr() == engine) {
            names.remove(name);
        }
    }
}
