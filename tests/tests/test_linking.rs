//! A crate of exported methods that a program names nowhere else (`tests/unnamed`: not
//! called, imported or mentioned here) is put in the table by one line, `link!`; without
//! it, Rust does not link the crate (`test_linking_unnamed.rs` shows that).

use sessions_core::{methods, Value};

sessions_core::link!(sessions_tests_unnamed);

#[test]
fn one_link_line_puts_a_crates_methods_in_the_table() {
    let ping = methods().get("UnnamedPing");
    assert!(
        ping.is_some(),
        "UnnamedPing is missing; the table has: {:?}",
        methods().iter().map(|m| m.name()).collect::<Vec<_>>()
    );
    let outcome = methods().call("UnnamedPing", vec![]).expect("callable");
    assert_eq!(outcome.value, Value::from("pong"));
    assert_eq!(methods().why_empty(), None);
}
