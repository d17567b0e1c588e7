//! Compile-fail and compile-pass cases for `#[export_method]` and the session guards.
//! Regenerate the `.stderr` files with `TRYBUILD=overwrite cargo test -p sessions-ui-tests`,
//! then read each one: the error must sit under the offending token and say what to do.

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.compile_fail("tests/ui/fail/*.rs");
    cases.pass("tests/ui/pass/*.rs");
}
