use sessions_core::{Variable, Variables};

#[derive(Variables)]
pub struct Oven(Variable<f64>, Variable<f64>);

fn main() {}
