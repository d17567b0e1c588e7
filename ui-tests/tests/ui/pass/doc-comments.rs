//! Doc comments are kept on the function and recorded as the method's description.
use sessions_core::{export_method, methods};

/// Returns the answer.
///
/// Second paragraph, with `code`.
#[export_method(session = none)]
pub fn answer() -> i64 {
    42
}

#[doc = "Written as an attribute."]
#[export_method(session = none)]
pub fn attribute_doc() {}

#[export_method(session = none)]
pub fn undocumented() {}

fn main() {
    let doc = |name: &str| methods().get(name).map(|m| m.doc());
    assert_eq!(
        doc("answer"),
        Some("Returns the answer.\n\nSecond paragraph, with `code`.")
    );
    assert_eq!(doc("attribute_doc"), Some("Written as an attribute."));
    assert_eq!(doc("undocumented"), Some(""));
    assert_eq!(answer(), 42);
}
