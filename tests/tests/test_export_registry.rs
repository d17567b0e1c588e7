//! Methods from two crates (the `sessions_tests` library and this file) are in one table,
//! with what `#[export_method]` recorded about each.

use sessions_core::{export_method, methods, Direction, Policy, SessionError, Value};

/// Multiplies two numbers.
///
/// Defined in the test binary, beside the library's methods.
#[export_method(name = "RegistryMul", session = none)]
fn registry_mul(a: i64, b: i64) -> i64 {
    a * b
}

#[export_method(session = impersonate, sentinel = 0)]
fn registry_fill(
    #[out(sentinel = -7)] first: &mut i64,
    second: &mut u8,
) -> Result<(), SessionError> {
    *first = 1;
    *second = 2;
    Ok(())
}

#[test]
fn methods_of_both_crates_are_listed() {
    sessions_tests::link();
    let table = methods();
    for name in [
        "GetActiveWebSessionsNumber",
        "LibAdd",
        "LibWhoAmI",
        "RegistryMul",
        "registry_fill",
    ] {
        assert!(
            table.get(name).is_some(),
            "{name} is missing from {table:?}"
        );
    }
    let lib = table.get("LibAdd").map(|m| m.module_path());
    assert_eq!(lib, Some("sessions_tests"));
    let here = table.get("RegistryMul").map(|m| m.module_path());
    assert_eq!(here, Some("test_export_registry"));
    assert_eq!(table.len(), table.iter().count());
    assert!(!table.is_empty());
    // Both crates' methods can be called through the one table.
    let lib_sum = table.call("LibAdd", vec![Value::from(2), Value::from(3)]);
    assert_eq!(lib_sum.map(|o| o.value), Ok(Value::from(5)));
    let product = table.call("RegistryMul", vec![Value::from(4), Value::from(5)]);
    assert_eq!(product.map(|o| o.value), Ok(Value::from(20)));
}

#[test]
fn iteration_is_sorted_by_name() {
    sessions_tests::link();
    let names: Vec<&str> = methods().iter().map(|m| m.name()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted);
    assert_eq!(methods().into_iter().count(), names.len());
}

#[test]
fn method_info_records_the_definition() {
    let info = methods().get("RegistryMul").expect("registered");
    assert_eq!(info.name(), "RegistryMul");
    assert_eq!(info.rust_name(), "registry_mul");
    assert_eq!(info.path(), "test_export_registry::registry_mul");
    assert!(
        info.file().ends_with("test_export_registry.rs"),
        "{}",
        info.file()
    );
    assert_eq!(info.line(), 9);
    assert_eq!(
        info.location(),
        format!("test_export_registry::registry_mul at {}:9", info.file())
    );
    assert_eq!(
        info.doc(),
        "Multiplies two numbers.\n\nDefined in the test binary, beside the library's methods."
    );
    assert_eq!(info.policy(), Policy::None);
    assert_eq!(info.returns(), "i64");
    assert_eq!(info.value_type(), "i64");
    assert!(!info.is_async());
    let params: Vec<_> = info
        .params()
        .iter()
        .map(|p| (p.name(), p.ty(), p.direction(), p.sentinel()))
        .collect();
    assert_eq!(
        params,
        [
            ("a", "i64", Direction::In, None),
            ("b", "i64", Direction::In, None)
        ]
    );
    assert_eq!(info.inputs().count(), 2);
    assert_eq!(
        info.to_string(),
        "RegistryMul(a: i64, b: i64) -> i64 [session: none]"
    );
    assert_eq!(
        info.call(vec![Value::from(6), Value::from(7)])
            .map(|o| o.value),
        Ok(Value::from(42))
    );
}

#[test]
fn out_parameters_record_their_sentinels() {
    let info = methods().get("registry_fill").expect("registered");
    let params: Vec<_> = info
        .params()
        .iter()
        .map(|p| (p.name(), p.ty(), p.direction(), p.sentinel()))
        .collect();
    assert_eq!(
        params,
        [
            ("first", "i64", Direction::Out, Some("-7")),
            ("second", "u8", Direction::Out, Some("0"))
        ]
    );
    assert_eq!(info.returns(), "Result<(), SessionError>");
    assert_eq!(info.value_type(), "()");
    assert_eq!(
        info.to_string(),
        "registry_fill(out first: i64 = -7 on failure, out second: u8 = 0 on failure) [session: impersonate]"
    );
    assert_eq!(Policy::Impersonate.to_string(), "impersonate");
    assert_eq!(Direction::Out.to_string(), "out");
    assert_eq!(Direction::In.to_string(), "in");
    assert_eq!(Direction::Injected.to_string(), "injected");
}

#[test]
fn the_optix_example_displays_as_its_signature() {
    sessions_tests::link();
    let info = methods()
        .get("GetActiveWebSessionsNumber")
        .expect("registered");
    assert_eq!(
        info.to_string(),
        "GetActiveWebSessionsNumber(engine: String, out active: i32 = -1 on failure) [session: require]"
    );
    assert_eq!(
        info.doc(),
        "Number of sessions with a logged-in user on the named engine."
    );
    let who = methods().get("LibWhoAmI").expect("registered");
    assert_eq!(
        who.to_string(),
        "LibWhoAmI(session: &Session (injected)) -> String [session: require]"
    );
}
