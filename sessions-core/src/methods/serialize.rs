//! The registry and a call's results as serde data (feature `serde`), so a host hands them
//! to its clients as they are: [`MethodInfo`] and [`ParamInfo`] (what a call form or a
//! script needs), [`CallOutcome`] and [`CallError`] (what a call produced).
//!
//! The shapes, in JSON:
//! - `MethodInfo`: `{"name", "signature", "params": [ParamInfo…], "returns", "value_type",
//!   "policy", "engine", "role", "async", "doc", "path", "module_path", "rust_name", "file",
//!   "line"}` (`engine` and `role` are `null` when the attribute names none);
//! - `ParamInfo`: `{"name", "type", "direction": "in"|"out"|"injected", "sentinel",
//!   "optional"}`;
//! - `CallOutcome`: `{"value", "outs": {NAME: value, …} (in parameter order), "error"}`;
//! - `CallError`: `{"code", "kind", "message", …the variant's fields}`.

use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

use super::{CallError, CallOutcome, Direction, MethodInfo, ParamInfo, Policy};

impl Serialize for MethodInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut method = serializer.serialize_struct("MethodInfo", 15)?;
        method.serialize_field("name", self.name())?;
        method.serialize_field("signature", &self.to_string())?;
        method.serialize_field("params", self.params())?;
        method.serialize_field("returns", self.returns())?;
        method.serialize_field("value_type", self.value_type())?;
        method.serialize_field("policy", &self.policy())?;
        method.serialize_field("engine", &self.engine())?;
        method.serialize_field("role", &self.role())?;
        method.serialize_field("async", &self.is_async())?;
        method.serialize_field("doc", self.doc())?;
        method.serialize_field("path", &self.path())?;
        method.serialize_field("module_path", self.module_path())?;
        method.serialize_field("rust_name", self.rust_name())?;
        method.serialize_field("file", self.file())?;
        method.serialize_field("line", &self.line())?;
        method.end()
    }
}

impl Serialize for ParamInfo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut param = serializer.serialize_struct("ParamInfo", 5)?;
        param.serialize_field("name", self.name())?;
        param.serialize_field("type", self.ty())?;
        param.serialize_field("direction", &self.direction())?;
        param.serialize_field("sentinel", &self.sentinel())?;
        param.serialize_field("optional", &self.is_optional())?;
        param.end()
    }
}

impl Serialize for Policy {
    /// `"require"`, `"impersonate"` or `"none"`, as written in the attribute.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Serialize for Direction {
    /// `"in"`, `"out"` or `"injected"`.
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl Serialize for CallOutcome {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut outcome = serializer.serialize_struct("CallOutcome", 3)?;
        outcome.serialize_field("value", &self.value)?;
        outcome.serialize_field("outs", &OutsMap(&self.outs))?;
        outcome.serialize_field("error", &self.error)?;
        outcome.end()
    }
}

/// The out parameters as a map from name to value, in parameter order: how every host
/// writes them.
pub(crate) struct OutsMap<'a>(pub(crate) &'a [(&'static str, crate::Value)]);

impl Serialize for OutsMap<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut outs = serializer.serialize_map(Some(self.0.len()))?;
        for (name, value) in self.0 {
            outs.serialize_entry(name, value)?;
        }
        outs.end()
    }
}

impl Serialize for CallError {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut error = serializer.serialize_map(None)?;
        error.serialize_entry("code", &self.code())?;
        error.serialize_entry("kind", self.kind())?;
        error.serialize_entry("message", &self.to_string())?;
        match self {
            CallError::UnknownMethod(name) => error.serialize_entry("method", name)?,
            CallError::Ambiguous { name, locations } => {
                error.serialize_entry("method", name)?;
                error.serialize_entry("locations", locations)?;
            }
            CallError::Arity {
                method,
                expected,
                got,
            } => {
                error.serialize_entry("method", method)?;
                error.serialize_entry("expected", expected)?;
                error.serialize_entry("got", got)?;
            }
            CallError::ArgType {
                method,
                param,
                expected,
                got,
            } => {
                error.serialize_entry("method", method)?;
                error.serialize_entry("param", param)?;
                error.serialize_entry("expected", expected)?;
                error.serialize_entry("got", got)?;
            }
            CallError::UnknownArgument {
                method,
                param,
                params,
            } => {
                error.serialize_entry("method", method)?;
                error.serialize_entry("param", param)?;
                error.serialize_entry("params", params)?;
            }
            CallError::RepeatedArgument { method, param }
            | CallError::MissingArgument { method, param } => {
                error.serialize_entry("method", method)?;
                error.serialize_entry("param", param)?;
            }
            CallError::Session(session_error) => {
                error.serialize_entry("session_error", &session_error.to_string())?;
            }
            CallError::NeedsAsync { method } | CallError::NeedsObject { method } => {
                error.serialize_entry("method", method)?
            }
        }
        error.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{SessionError, SessionId, Value};
    use serde_json::json;

    #[test]
    fn an_outcome_keeps_its_outs_in_order() {
        let outcome = CallOutcome::failed(
            crate::Failure::Method("division by zero".to_owned()),
            vec![("z", Value::Int(1)), ("a", Value::from("two"))],
        );
        let text = serde_json::to_string(&outcome).expect("serializes");
        assert_eq!(
            text,
            r#"{"value":null,"outs":{"z":1,"a":"two"},"error":"division by zero"}"#
        );
    }

    #[test]
    fn each_error_has_its_code_kind_message_and_fields() {
        let id = SessionId::random();
        let cases = [
            (
                CallError::UnknownMethod("nope".into()),
                json!({"code": -32601, "kind": "UnknownMethod", "message": "no exported method named `nope`", "method": "nope"}),
            ),
            (
                CallError::Arity {
                    method: "add".into(),
                    expected: 2,
                    got: 1,
                },
                json!({"code": -32602, "kind": "Arity", "message": "`add` takes 2 arguments, got 1", "method": "add", "expected": 2, "got": 1}),
            ),
            (
                CallError::ArgType {
                    method: "add".into(),
                    param: "b".into(),
                    expected: "i64".into(),
                    got: "string \"x\"".into(),
                },
                json!({"code": -32602, "kind": "ArgType", "message": "argument `b` of `add` expects i64, got string \"x\"", "method": "add", "param": "b", "expected": "i64", "got": "string \"x\""}),
            ),
            (
                CallError::Session(SessionError::NotFound(id)),
                json!({"code": -32001, "kind": "Session", "message": CallError::Session(SessionError::NotFound(id)).to_string(), "session_error": SessionError::NotFound(id).to_string()}),
            ),
            (
                CallError::Ambiguous {
                    name: "dup".into(),
                    locations: vec!["a at x.rs:1".into(), "b at y.rs:2".into()],
                },
                json!({"code": -32002, "kind": "Ambiguous", "message": "2 exported methods are named `dup`: a at x.rs:1, b at y.rs:2; give them distinct `name = \"…\"`", "method": "dup", "locations": ["a at x.rs:1", "b at y.rs:2"]}),
            ),
            (
                CallError::NeedsAsync {
                    method: "fetch".into(),
                },
                json!({"code": -32003, "kind": "NeedsAsync", "message": "`fetch` is async: call it with `call_async`", "method": "fetch"}),
            ),
        ];
        for (error, expected) in cases {
            assert_eq!(
                serde_json::to_value(&error).expect("serializes"),
                expected,
                "{error:?}"
            );
        }
    }
}
