//! `#[derive(Variables)]` as users write it: next to `#[export_methods]`, with a renamed
//! field, a skipped one, a field whose type is an alias (marked), a path to the type, and
//! `crate = path` through a module that re-exports sessions_core.

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

mod reexport {
    pub use sessions_core as core2;
}

/// Every generated path goes through the re-export.
#[derive(reexport::core2::Variables)]
#[variable(crate = reexport::core2)]
pub struct Tank {
    level: reexport::core2::Variable<u32>,
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
    let exported = engine
        .export_object("Line1/Oven", oven.clone())
        .expect("a free path");
    let paths: Vec<&str> = exported.variable_paths().collect();
    assert_eq!(paths, ["Line1/Oven/Target", "Line1/Oven/actual"]);
    assert!(oven.history.get().is_empty() && !oven.label.is_empty());

    let tank = Arc::new(Tank {
        level: Variable::new(3),
    });
    let exported = engine
        .export_object("Tank", tank.clone())
        .expect("a free path");
    assert_eq!(
        exported.variable_paths().collect::<Vec<_>>(),
        ["Tank/level"]
    );
    assert_eq!(tank.level.get(), 3);
}
