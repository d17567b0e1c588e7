use sessions_core::{Variable, VariableValue, Variables};

#[derive(Variables)]
pub struct Tag<T: VariableValue> {
    value: Variable<T>,
}

fn main() {}
