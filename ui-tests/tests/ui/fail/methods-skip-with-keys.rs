use sessions_core::export_methods;

pub struct Oven;

#[export_methods(session = none)]
impl Oven {
    // `skip` keeps it Rust-only: a role would do nothing.
    #[export(skip, role = "admin")]
    pub fn service(&self) {}
}

fn main() {}
