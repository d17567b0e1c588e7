//! Why `sessions_core::link!` exists: this test binary depends on `tests/unnamed` (a crate
//! that only exports methods) and names it nowhere, so Rust does not link it and its
//! methods are not in the table. If this test fails, the toolchain now links every
//! dependency: `link!` is then harmless, and the README's warning can go.

use sessions_core::methods;

#[test]
fn a_crate_that_is_never_named_is_not_linked() {
    assert!(
        methods().get("UnnamedPing").is_none(),
        "the unnamed crate was linked without `link!`"
    );
    assert!(methods().is_empty(), "this binary exports nothing itself");
    let why = methods().why_empty().unwrap_or_default();
    assert!(why.contains("sessions_core::link!(crate_name);"), "{why}");
}
