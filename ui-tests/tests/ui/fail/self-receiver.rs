use sessions_core::export_method;

struct Counter(i64);

impl Counter {
    #[export_method(session = none)]
    fn get(&self) -> i64 {
        self.0
    }
}

fn main() {
    let _ = Counter(1).get();
}
