use sessions_core::export_method;

#[export_method(session = sometimes, flag)]
unsafe fn both<T>(value: T) {
    let _ = value;
}

fn main() {}
