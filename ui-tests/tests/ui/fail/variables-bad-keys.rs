use sessions_core::{Variable, Variables};

#[derive(Variables)]
pub struct Oven {
    #[variable(rename = "Target")]
    target: Variable<f64>,
    #[variable(name = "Line1/Actual")]
    actual: Variable<f64>,
    #[variable(name = "Door", name = "Hatch")]
    door: Variable<bool>,
    #[variable(name = "Door")]
    hatch: Variable<bool>,
    #[variable(skip, name = "Log")]
    log: Variable<Vec<String>>,
}

fn main() {}
