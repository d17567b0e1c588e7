use sessions_core::export_methods;

pub struct Oven;

pub trait Heater {
    fn heat(&self) -> f64;
}

// Methods hosts call go in an inherent block.
#[export_methods]
impl Heater for Oven {
    fn heat(&self) -> f64 {
        180.0
    }
}

fn main() {}
