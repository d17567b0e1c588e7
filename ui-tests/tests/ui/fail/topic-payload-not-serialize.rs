// A topic's payload must be serializable (and described by a JSON Schema): the error says so
// at the declaration, not at the first push.
use sessions_core::topic;

/// No `Serialize`, no `JsonSchema`.
pub struct Reading {
    pub celsius: f64,
}

topic! {
    /// A reading of the oven.
    pub READING: Reading = "reading";
}

fn main() {}
