use sessions_core::export_methods;

pub struct Oven;

#[export_methods(session = none)]
impl Oven {
    #[export(sentinal = -1.0)]
    pub fn target(&self, previous: &mut f64) {
        *previous = 0.0;
    }
}

fn main() {}
