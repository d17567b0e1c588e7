use sessions_core::export_method;

#[export_method]
struct NotAFunction;

fn main() {}
