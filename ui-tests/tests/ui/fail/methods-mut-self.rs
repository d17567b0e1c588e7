use sessions_core::export_methods;

#[derive(Default)]
pub struct Counter {
    count: i64,
}

// An exported object is shared: `&mut self` cannot be had.
#[export_methods(session = none)]
impl Counter {
    pub fn add(&mut self, by: i64) -> i64 {
        self.count += by;
        self.count
    }
}

fn main() {}
