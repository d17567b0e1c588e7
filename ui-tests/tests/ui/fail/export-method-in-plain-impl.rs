use sessions_core::export_method;

pub struct Oven;

impl Oven {
    // A method of a type: the block needs #[export_methods].
    #[export_method(session = none)]
    pub fn target(&self) -> f64 {
        180.0
    }
}

fn main() {}
