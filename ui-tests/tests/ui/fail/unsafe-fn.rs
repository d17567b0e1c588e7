use sessions_core::export_method;

#[export_method(session = none)]
unsafe fn read(address: u64) -> u64 {
    address
}

fn main() {}
