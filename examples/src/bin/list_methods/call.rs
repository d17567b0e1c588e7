//! `--call`: arguments from JSON, the call as the root session, and what went wrong in
//! words a person at a terminal can act on.

use sessions_core::{methods, CallError, CallOutcome, Engine, Value};

/// Parses `text` as a JSON array of arguments.
///
/// # Errors
/// A message naming what is wrong: not JSON (with serde_json's position), or not an array.
pub fn parse_args(text: &str) -> Result<Vec<Value>, String> {
    let json: serde_json::Value = serde_json::from_str(text)
        .map_err(|error| format!("ARGS is not valid JSON ({error}): {text}"))?;
    let got = match json {
        serde_json::Value::Array(args) => return Ok(args.into_iter().map(Value::from).collect()),
        serde_json::Value::Object(_) => "an object",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Null => "null",
    };
    Err(format!(
        "ARGS must be a JSON array of arguments, such as [\"brioche\"] or [], not {got}: {text}"
    ))
}

/// Calls `name` with `args` as `engine`'s root session.
///
/// # Errors
/// When the call could not be made: the [`CallError`]'s message, followed by the method's
/// signature when the method exists (so a wrong argument can be fixed at once).
pub fn as_root(engine: &Engine, name: &str, args: Vec<Value>) -> Result<CallOutcome, String> {
    engine
        .call_as_root(name, args)
        .map_err(|error| match &error {
            CallError::UnknownMethod(_) => {
                format!("{error}; `list_methods` lists the methods there are")
            }
            _ => match methods().get(name) {
                Some(method) => format!("{error}\n  the method is: {method}"),
                None => error.to_string(),
            },
        })
}

/// Prints the `tracing` events of failed calls on stderr, as a host's log would hold them.
pub fn init_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .without_time()
        .with_ansi(false)
        .init();
}
