use sessions_core::export_methods;

pub struct Oven<T>(T);

// A host cannot choose `T`.
#[export_methods]
impl<T: Send + Sync + 'static> Oven<T> {
    pub fn target(&self) -> f64 {
        180.0
    }
}

fn main() {}
