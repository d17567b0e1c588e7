//! Two methods named `Duplicate`, one in the `sessions_tests` library and one here: the
//! table reports them, and calling the name is ambiguous rather than a guess.

use sessions_core::{export_method, methods, CallError};

#[export_method(name = "Duplicate", session = none)]
fn duplicate_in_test() -> String {
    "test".to_owned()
}

#[test]
fn duplicates_are_reported_with_both_locations() {
    sessions_tests::link();
    let duplicates = methods().duplicates();
    let names: Vec<&str> = duplicates.iter().map(|(name, _)| *name).collect();
    assert_eq!(names, ["Duplicate"]);
    let paths: Vec<String> = duplicates[0].1.iter().map(|m| m.path()).collect();
    assert_eq!(
        paths,
        [
            "sessions_tests::duplicate_in_lib",
            "test_export_duplicates::duplicate_in_test"
        ]
    );
    // `get` refuses a shared name, as `call` does (`duplicates` lists them).
    assert!(methods().get("Duplicate").is_none());
    assert_eq!(duplicate_in_test(), "test");
}

#[test]
fn calling_an_ambiguous_name_names_both_locations() {
    sessions_tests::link();
    let err = methods().call("Duplicate", vec![]);
    let Err(CallError::Ambiguous { name, locations }) = &err else {
        panic!("expected Ambiguous, got {err:?}");
    };
    assert_eq!(name, "Duplicate");
    assert_eq!(locations.len(), 2);
    assert!(
        locations[0].starts_with("sessions_tests::duplicate_in_lib at "),
        "{locations:?}"
    );
    assert!(locations[0].contains("lib.rs:"), "{locations:?}");
    assert!(
        locations[1].starts_with("test_export_duplicates::duplicate_in_test at "),
        "{locations:?}"
    );
    assert!(
        locations[1].ends_with("test_export_duplicates.rs:6"),
        "{locations:?}"
    );
    let message = err.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(
        message.starts_with("2 exported methods are named `Duplicate`: "),
        "{message}"
    );
}
