use sessions_core::{export_method, export_methods};

pub struct Oven;

#[export_methods(session = none)]
impl Oven {
    #[export_method(name = "Target")]
    pub fn target(&self) -> f64 {
        180.0
    }
}

fn main() {}
