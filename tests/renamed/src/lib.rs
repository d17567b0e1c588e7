//! A crate that names its `sessions-core` dependency `sessions`: the attribute reads the
//! rename from this crate's manifest, so no `crate = ::sessions` is written.

use sessions::{export_method, SessionError};

/// Doubles `n`, in a session.
#[export_method(name = "RenamedDouble", sentinel = -1)]
pub fn renamed_double(n: i64, doubled: &mut i64) -> Result<(), SessionError> {
    *doubled = n * 2;
    Ok(())
}

#[cfg(test)]
mod tests {
    use sessions::{methods, Engine, Value};

    #[test]
    fn a_renamed_dependency_needs_no_crate_key() {
        let engine = Engine::new();
        let session = engine.open().expect("open");
        let outcome = session
            .call("RenamedDouble", vec![Value::Int(21)])
            .expect("registered and callable");
        assert_eq!(outcome.out("doubled"), Some(&Value::Int(42)));
        // The policy is the same `sessions-core`'s: no session, the sentinel.
        let outcome = methods()
            .call("RenamedDouble", vec![Value::Int(1)])
            .expect("called");
        assert_eq!(outcome.out("doubled"), Some(&Value::Int(-1)));
    }
}
