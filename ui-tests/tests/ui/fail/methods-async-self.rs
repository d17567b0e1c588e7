use sessions_core::export_methods;

pub struct Oven;

#[export_methods(session = none)]
impl Oven {
    pub async fn warm_up(&self) -> f64 {
        180.0
    }
}

fn main() {}
