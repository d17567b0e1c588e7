use sessions_core::export_methods;

pub struct Oven;

// `name` names one method, not a block.
#[export_methods(name = "Oven")]
impl Oven {
    pub fn target(&self) -> Result<f64, sessions_core::SessionError> {
        Ok(180.0)
    }
}

fn main() {}
