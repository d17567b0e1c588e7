//! The `list_methods` example, run as a user runs it: the table and the JSON list the
//! methods of both example crates, and `--call` answers a good call with the outcome as
//! JSON and a bad one with a message on stderr and a non-zero exit status.

use std::process::Output;

use sessions_core::Value;

mod examples_support;

/// `list_methods ARGS`, as a user runs it.
fn list_methods(args: &[&str]) -> Output {
    examples_support::run_example("list_methods", args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn the_table_lists_the_methods_of_both_crates() {
    let output = list_methods(&[]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    assert!(
        text.contains("from 2 crates: sessions_examples, sessions_examples_plugin"),
        "{text}"
    );
    for expected in [
        "GetActiveWebSessionsNumber(engine: String, out active: i32 = -1 on failure) [session: require]",
        "Number of sessions with a logged-in user on the named engine.",
        "sessions_examples::optix::get_active_web_sessions_number",
        "examples/src/optix.rs:",
        "GetRecipe(name: String, out batch: u32 = 0 on failure, out oven_celsius: f64 = -1.0 on failure) [session: require]",
        "sessions_examples_plugin::get_recipe",
        "GetVariable(name: String) -> bool [session: impersonate]",
        "2 exported variables",
        "Line1/Oven/Target  f64   operator",
        "Line1/Oven/Actual  f64   (any session)",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
}

#[test]
fn json_lists_the_ovens_variables_with_type_role_and_schema() {
    let output = list_methods(&["--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json = Value::from_json_str(&stdout(&output)).expect("--json prints JSON");
    let variables = json
        .get("variables")
        .and_then(Value::as_array)
        .expect("variables");
    let paths: Vec<_> = variables
        .iter()
        .filter_map(|v| v.get("path").and_then(Value::as_str))
        .collect();
    assert_eq!(paths, ["Line1/Oven/Actual", "Line1/Oven/Target"]);
    let target = &variables[1];
    assert_eq!(target.get("type").and_then(Value::as_str), Some("f64"));
    assert_eq!(
        target.get("write_role").and_then(Value::as_str),
        Some("operator")
    );
    assert_eq!(
        variables[0].get("write_role").map(Value::is_null),
        Some(true)
    );
    // `f64` has a JSON Schema of its own, found at the field's type.
    let schema = target.get("schema").expect("a schema");
    assert_eq!(schema.get("type").and_then(Value::as_str), Some("number"));
}

#[test]
fn json_has_an_entry_per_method_with_params_policy_and_doc() {
    let output = list_methods(&["--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let json = Value::from_json_str(&stdout(&output)).expect("--json prints JSON");
    let methods = json
        .get("methods")
        .and_then(Value::as_array)
        .expect("an array of methods");
    let names: Vec<&str> = methods
        .iter()
        .filter_map(|method| method.get("name")?.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "Counter.Add",
            "Counter.Count",
            "GetActiveWebSessionsNumber",
            "GetRecipe",
            "GetVariable",
            "ListRecipes",
            "ListVariables",
            "NotifyUser",
            "Oven.SetTarget",
            "Oven.StartTemperature",
            "Oven.Target",
            "SetVariables",
            "ShowNotice",
            "WatchCounts"
        ]
    );
    // The live objects, with the methods a host calls on each.
    let objects = json
        .get("objects")
        .and_then(Value::as_array)
        .expect("objects");
    let oven = objects
        .iter()
        .find(|object| object.get("path").and_then(Value::as_str) == Some("Line1/Oven"))
        .expect("line 1's oven");
    assert_eq!(
        oven.get("methods"),
        Some(&Value::Array(vec![
            Value::from("SetTarget"),
            Value::from("Target")
        ]))
    );
    for method in methods {
        for key in [
            "signature",
            "policy",
            "doc",
            "path",
            "file",
            "line",
            "returns",
            "async",
        ] {
            assert!(method.get(key).is_some(), "no {key:?} in {method}");
        }
    }

    let optix = methods
        .iter()
        .find(|method| {
            method.get("name").and_then(Value::as_str) == Some("GetActiveWebSessionsNumber")
        })
        .expect("the Optix method");
    assert_eq!(optix.get("policy"), Some(&Value::from("require")));
    assert_eq!(
        optix
            .get("doc")
            .and_then(Value::as_str)
            .map(|doc| doc.lines().next()),
        Some(Some(
            "Number of sessions with a logged-in user on the named engine."
        ))
    );
    let params = optix
        .get("params")
        .and_then(Value::as_array)
        .expect("params");
    let param = |name: &str, ty: &str, direction: &str, sentinel: Value| {
        Value::Map(
            [
                ("name", Value::from(name)),
                ("type", Value::from(ty)),
                ("direction", Value::from(direction)),
                ("sentinel", sentinel),
                ("optional", Value::Bool(false)),
            ]
            .into_iter()
            .collect(),
        )
    };
    assert_eq!(
        params,
        [
            param("engine", "String", "in", Value::Null),
            param("active", "i32", "out", Value::from("-1")),
        ]
    );
    let notify = methods
        .iter()
        .find(|m| m.get("name") == Some(&Value::from("NotifyUser")));
    let direction = notify
        .and_then(|m| m.get("params")?.as_array()?.first()?.get("direction"))
        .and_then(Value::as_str);
    assert_eq!(direction, Some("injected"));
}

#[test]
fn a_struct_argument_is_passed_as_json() {
    let args = r#"[[{"name": "Pump", "value": true}, {"name": "Fan", "value": false}]]"#;
    let output = list_methods(&["--call", "SetVariables", args]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).trim(),
        r#"{"error":null,"outs":{},"value":2}"#
    );

    let wrong = r#"[[{"name": "Pump", "value": "yes"}]]"#;
    let output = list_methods(&["--call", "SetVariables", wrong]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("at [0].value (expected bool"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn an_objects_method_is_called_by_its_path() {
    let output = list_methods(&["--call", "Line1/Oven.SetTarget", "[200.0]"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output).trim(),
        r#"{"error":null,"outs":{"previous":180.0},"value":null}"#
    );
    let output = list_methods(&["--call", "Line9/Oven.Target"]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("no exported method named `Line9/Oven.Target`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn call_prints_the_outcome_as_json() {
    let output = list_methods(&["--call", "GetRecipe", r#"["brioche"]"#]);
    assert!(output.status.success(), "{}", stderr(&output));
    let outcome = Value::from_json_str(&stdout(&output)).expect("the outcome is JSON");
    assert_eq!(outcome.get("error"), Some(&Value::Null));
    assert_eq!(outcome.get("value"), Some(&Value::Null));
    let outs = outcome.get("outs").expect("outs");
    assert_eq!(outs.get("batch"), Some(&Value::from(12)));
    assert_eq!(outs.get("oven_celsius"), Some(&Value::from(180.0)));
}

#[test]
fn a_method_that_fails_prints_its_sentinels_logs_and_exits_1() {
    let output = list_methods(&["--call", "GetActiveWebSessionsNumber", r#"["Nowhere"]"#]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let outcome = Value::from_json_str(&stdout(&output)).expect("the outcome is JSON");
    assert_eq!(
        outcome.get("outs").and_then(|outs| outs.get("active")),
        Some(&Value::from(-1))
    );
    assert_eq!(
        outcome.get("error"),
        Some(&Value::from("no engine is named \"Nowhere\""))
    );
    let log = stderr(&output);
    assert!(log.contains("ERROR"), "{log}");
    assert!(
        log.contains(r#"method="GetActiveWebSessionsNumber""#),
        "{log}"
    );
}

/// A call that cannot be made: exit status 1, the reason on stderr, nothing on stdout.
fn assert_refused(args: &[&str], reason: &str) {
    let output = list_methods(args);
    let message = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{message}");
    assert!(message.contains(reason), "{reason:?} not in {message:?}");
    assert!(!message.contains("panicked"), "{message}");
    assert_eq!(stdout(&output), "");
}

#[test]
fn an_unknown_method_is_named_on_stderr() {
    assert_refused(
        &["--call", "NoSuchMethod", "[]"],
        "error: no exported method named `NoSuchMethod`",
    );
}

#[test]
fn a_wrong_number_of_arguments_is_named_with_the_signature() {
    assert_refused(
        &["--call", "GetRecipe", r#"["brioche", 2]"#],
        "error: `GetRecipe` takes 1 argument, got 2\n  the method is: GetRecipe(name: String",
    );
}

#[test]
fn malformed_json_is_a_usage_error() {
    for (args, reason) in [
        (r#"["brioche""#, "error: ARGS is not valid JSON"),
        (r#"{"name": "brioche"}"#, "error: ARGS must be a JSON array"),
    ] {
        let output = list_methods(&["--call", "GetRecipe", args]);
        let message = stderr(&output);
        assert_eq!(output.status.code(), Some(2), "{message}");
        assert!(message.contains(reason), "{reason:?} not in {message:?}");
        assert!(!message.contains("panicked"), "{message}");
    }
}

#[test]
fn typescript_prints_the_declarations_of_both_crates_the_topics_and_the_variables() {
    let output = list_methods(&["--typescript"]);
    let text = stdout(&output);
    assert!(output.status.success(), "{text}\n{}", stderr(&output));
    // What `sessions_core::typescript_with_variables` gives for the table and the engine's
    // variables (line 1's oven): the program adds nothing.
    for expected in [
        "export interface Methods {",
        "  GetRecipe: {\n    params: [name: string];",
        "  ListRecipes: {",
        "  \"Oven.SetTarget\": {",
        "export interface Topics {",
        "  notice: Types.Notice;",
        "export interface Variables {",
        "  \"Line1/Oven/Target\": number;",
        "  \"Line1/Oven/Actual\": number;",
        "export declare function connect(options?: ConnectOptions): Promise<Tab>;",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{text}");
    }
}
