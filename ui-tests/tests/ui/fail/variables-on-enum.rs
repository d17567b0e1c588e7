use sessions_core::{Variable, Variables};

#[derive(Variables)]
pub enum Oven {
    Cold { target: Variable<f64> },
    Hot { target: Variable<f64> },
}

fn main() {}
