use sessions_core::Variables;

#[derive(Variables)]
pub struct Oven {
    target: f64,
    actual: f64,
}

fn main() {}
