//! `#[derive(Variables)]` as users write it: next to `#[export_methods]`, with a renamed
//! field, a skipped one, a field whose type is an alias (marked), and a path to the type.

use std::sync::Arc;

use sessions_core::{export_methods, Engine, SessionError, Variable, Variables};

/// An alias: not written `Variable<…>`, so it is marked.
type Temperature = Variable<f64>;

#[derive(Variables)]
pub struct Oven {
    #[variable(name = "Target")]
    target: sessions_core::Variable<f64>,
    #[variable]
    actual: Temperature,
    #[variable(skip)]
    history: Variable<Vec<f64>>,
    /// Not a variable: ignored.
    pub label: String,
}

#[export_methods]
impl Oven {
    /// The target.
    pub fn target(&self) -> Result<f64, SessionError> {
        Ok(self.target.get())
    }
}

fn main() {
    let oven = Arc::new(Oven {
        target: Variable::new(180.0),
        actual: Variable::new(20.0),
        history: Variable::new(Vec::new()),
        label: "oven".to_owned(),
    });
    let engine = Engine::new();
    let exported = engine.export_object("Line1/Oven", oven.clone()).expect("a free path");
    let paths: Vec<&str> = exported.variable_paths().collect();
    assert_eq!(paths, ["Line1/Oven/Target", "Line1/Oven/actual"]);
    assert!(oven.history.get().is_empty() && !oven.label.is_empty());
}
