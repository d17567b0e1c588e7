//! `blocking` on a plain fn, alone and with other keys, and on a fn of an `#[export_methods]`
//! block: the method table says so.
use sessions_core::{export_method, export_methods, methods, SessionError};

/// Hashes a password slowly (here: pretends to).
#[export_method(blocking)]
fn hash_slowly(password: String) -> Result<usize, SessionError> {
    Ok(password.len())
}

#[export_method(name = "BlockingNone", session = none, blocking)]
fn blocking_none() -> u32 {
    7
}

#[export_method]
fn not_blocking() {}

pub struct Vault;

#[export_methods(session = none)]
impl Vault {
    #[export(blocking)]
    pub fn open_slowly() -> bool {
        true
    }
}

fn main() {
    let blocking = |name: &str| {
        methods()
            .get(name)
            .unwrap_or_else(|| panic!("`{name}` is exported"))
            .is_blocking()
    };
    assert!(blocking("hash_slowly"));
    assert!(blocking("BlockingNone"));
    assert!(blocking("Vault.open_slowly"));
    assert!(!blocking("not_blocking"));
}
