use std::sync::Mutex;

use sessions_core::{Variable, Variables};

#[derive(Variables)]
pub struct Oven {
    target: Variable<f64>,
    #[variable(name = "Actual")]
    actual: Mutex<f64>,
}

fn main() {}
