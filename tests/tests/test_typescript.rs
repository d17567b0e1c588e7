//! The TypeScript declarations (`sessions_core::typescript_with_variables`) checked by the
//! real TypeScript compiler: a file calling the examples' methods and using the oven's
//! variables correctly compiles against them, and the example page (`web_host`'s `page.js`,
//! `// @ts-check`) too; files with a wrong method name, a wrong argument type, a missing
//! argument, a wrong use of a result, a wrong variable path or value each fail, with the
//! error on the line that is wrong.
//!
//! `tsc` is `typescript` 5 from npm, installed by this test into the target directory once.
//! Without `node` and `npm` the test says why and returns, unless
//! `SESSIONS_EXTERNAL_TESTS=require`, when it fails.

mod process_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use process_support::{run_bounded, scratch, write};

use serde::{Deserialize, Serialize};
use sessions_core::{export_method, methods, Engine};
use sessions_examples::line::export_line;
use sessions_examples::live;

// The examples' methods and topics are what the declarations list.
sessions_core::link!(sessions_examples);

/// The TypeScript release line the test installs.
const TYPESCRIPT: &str = "typescript@5";

/// How long the one-time `npm install` and each `tsc` run may take.
const INSTALL_LIMIT: Duration = Duration::from_secs(300);
const TSC_LIMIT: Duration = Duration::from_secs(120);

/// The start of every checked file: the client module's API, connected.
const PRELUDE: &str = "\
import { connect, CallError } from \"./client.js\";
const tab = await connect();
";

/// A file that uses every part of the declarations as a page would, correctly.
const CORRECT: &str = "\
const recipe = await tab.call(\"GetRecipe\", [\"brioche\"]);
const batch: number = recipe.outs.batch;
const celsius: number = recipe.outs.oven_celsius;
const nothing: null = recipe.value;
await tab.call(\"GetRecipe\", { name: \"brioche\" });
const who = await tab.login(\"bob\", \"bob-demo\");
const roles: string[] = who.roles;
const now: string | undefined = tab.user?.user;
tab.on(\"session.user\", (user) => console.log(user?.user ?? \"nobody\"));
await tab.logout();
await tab.call(\"NotifyUser\", [\"bob\", \"hi\"]);
const names: string[] = (await tab.call(\"ListRecipes\")).value;
const variables = (await tab.call(\"ListVariables\")).value;
const first: boolean | undefined = variables[0]?.value;
await tab.call(\"SetVariables\", [[{ name: \"SomeVariable\", value: true }]]);
const sent: number = (await tab.call(\"NotifyUser\", { user: \"bob\", text: \"hi\" })).outs.sent;
const total: number = (await tab.call(\"Counter.Add\", [3])).value;
tab.on(\"notice\", (notice) => console.log(notice.from.toUpperCase(), notice.text));
await tab.watch(\"Sessions/Active\", (count) => console.log(count + 1));
tab.on(\"session.opened\", ({ session, resumed }) => console.log(session, resumed));
try {
  await tab.call(\"WatchCounts\");
} catch (error) {
  if (error instanceof CallError) console.log(error.code, error.data);
}
const target: number = (await tab.read(\"Line1/Oven/Target\")).value;
const { version } = await tab.write(\"Line1/Oven/Target\", target + 5);
await tab.watch(\"Line1/Oven/Actual\", (actual, change) => console.log(actual.toFixed(1), change.version));
tab.close();
console.log(batch, celsius, nothing, names, first, sent, total, roles, now, version);
";

/// Each wrong file: its name, its one wrong line (after [`PRELUDE`]), and the TypeScript
/// error codes it may be reported with.
const WRONG: &[(&str, &str, &[&str])] = &[
    // No method of that name (TS2345: not assignable to `keyof Methods`).
    (
        "wrong_method_name",
        "await tab.call(\"GetRecipes\", [\"brioche\"]);",
        &["TS2345", "TS2769"],
    ),
    // `text` is a string, not a number.
    (
        "wrong_argument_type",
        "await tab.call(\"NotifyUser\", { user: \"bob\", text: 3 });",
        &["TS2322", "TS2345"],
    ),
    // `text` is required.
    (
        "missing_argument",
        "await tab.call(\"NotifyUser\", { user: \"bob\" });",
        &["TS2345", "TS2741"],
    ),
    // Nor may the parameters be left out altogether.
    (
        "missing_arguments",
        "await tab.call(\"NotifyUser\");",
        &["TS2554"],
    ),
    // `oven_celsius` is a number, and there is no `temperature` out.
    (
        "wrong_result_use",
        "const label: string = (await tab.call(\"GetRecipe\", [\"brioche\"])).outs.oven_celsius;",
        &["TS2322"],
    ),
    (
        "wrong_out_name",
        "console.log((await tab.call(\"GetRecipe\", [\"brioche\"])).outs.temperature);",
        &["TS2339"],
    ),
    // A topic's payload has its declared type.
    (
        "wrong_topic_payload",
        "tab.on(\"notice\", (notice) => console.log(notice.subject));",
        &["TS2339"],
    ),
    // Only the engine's variables have paths (TS2345: not assignable to `keyof Variables`).
    (
        "wrong_variable_path",
        "tab.watch(\"Line1/Oven/Targt\", (value) => console.log(value));",
        &["TS2345"],
    ),
    // The oven's target is a number.
    (
        "wrong_variable_value",
        "await tab.write(\"Line1/Oven/Target\", \"hot\");",
        &["TS2345"],
    ),
    (
        "wrong_variable_use",
        "const hot: string = (await tab.read(\"Line1/Oven/Actual\")).value;",
        &["TS2322"],
    ),
];

#[test]
fn the_declarations_type_calls_results_topics_and_the_example_page() {
    let Some(tsc) = tsc("the_declarations_type_calls_results_topics_and_the_example_page") else {
        return;
    };
    let dir = scratch("typescript", "checks");
    // The engine web_host serves: line 1, whose oven exports its target and actual value,
    // and the live count of logged-in sessions.
    let engine = Engine::new();
    let _line1 = export_line(&engine, "Line1").expect("line 1 is exported");
    let _active = live::export_active(&engine).expect("the live count is exported");
    let declarations = sessions_core::typescript_with_variables(methods(), &engine.variables());
    assert!(
        !declarations.contains(": any") && !declarations.contains("<any>"),
        "no `any` in the declarations:\n{declarations}"
    );
    write(&dir.join("client.d.ts"), &declarations);

    // The correct file and the page, in one run: no error at all.
    write(&dir.join("correct.ts"), &format!("{PRELUDE}{CORRECT}"));
    // The page is served at `/page.js` and imports `./sessions/client.js`, where the host
    // serves the client (default base `/sessions`); the declarations sit beside it, as
    // `client.d.ts`. The same layout here: the page's text, and the declarations under
    // `sessions/`.
    let page =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/src/bin/web_host/page/page.js");
    let page = std::fs::read_to_string(&page).expect("the example page");
    assert!(
        page.starts_with("// @ts-check\n"),
        "the page asks to be checked"
    );
    write(&dir.join("page.js"), &page);
    std::fs::create_dir_all(dir.join("sessions")).expect("a directory");
    write(&dir.join("sessions/client.d.ts"), &declarations);
    let config = serde_json::json!({
        "compilerOptions": {
            "strict": true,
            "noEmit": true,
            "allowJs": true,
            "checkJs": true,
            "pretty": false,
            "target": "es2022",
            "module": "es2022",
            "moduleResolution": "bundler",
            "lib": ["es2022", "dom"],
            "types": [],
        },
        "files": ["correct.ts", "page.js"],
    });
    write(&dir.join("tsconfig.json"), &config.to_string());
    let output = run_tsc(&tsc, &dir, &["-p", "tsconfig.json"]);
    assert!(
        output.status.success(),
        "the correct file and the example page compile against the declarations:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    // The wrong files, in one run: each has errors, all on its wrong line.
    let mut args: Vec<String> = [
        "--strict",
        "--noEmit",
        "--pretty",
        "false",
        "--target",
        "es2022",
        "--module",
        "es2022",
        "--moduleResolution",
        "bundler",
        "--lib",
        "es2022,dom",
    ]
    .iter()
    .map(|arg| (*arg).to_owned())
    .collect();
    for (name, line, _) in WRONG {
        let file = format!("{name}.ts");
        write(
            &dir.join(&file),
            &format!("{PRELUDE}{line}\nexport {{}};\n"),
        );
        args.push(file);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run_tsc(&tsc, &dir, &args);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(2),
        "tsc reports errors (exit status 2):\n{stdout}"
    );
    let errors = parse_errors(&stdout);
    let wrong_line = PRELUDE.lines().count() + 1;
    for (name, _, codes) in WRONG {
        let file = format!("{name}.ts");
        let found: Vec<&TscError> = errors.iter().filter(|error| error.file == file).collect();
        assert!(!found.is_empty(), "{file} fails to compile:\n{stdout}");
        for error in found {
            assert_eq!(
                error.line, wrong_line,
                "{file}: the error is on the wrong line:\n{stdout}"
            );
            assert!(
                codes.contains(&error.code.as_str()),
                "{file}: {} is none of {codes:?}:\n{stdout}",
                error.code
            );
        }
    }
    assert!(
        errors.iter().all(|error| WRONG
            .iter()
            .any(|(name, ..)| error.file == format!("{name}.ts"))),
        "errors only in the wrong files:\n{stdout}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_declarations_list_methods_by_position_and_by_name_and_the_declared_topics() {
    let declarations = sessions_core::typescript(methods());
    // An `Option` parameter at the end may be left out by position (the plugin's
    // `ListRecipes` has none; the table's own example in the crate docs has one), and every
    // method has both forms.
    for name in [
        "GetRecipe",
        "NotifyUser",
        "\"Counter.Add\"",
        "\"Oven.SetTarget\"",
    ] {
        let entry = declarations
            .find(&format!("  {name}: {{\n"))
            .unwrap_or_else(|| panic!("{name} is listed:\n{declarations}"));
        let body = &declarations[entry..];
        let end = body.find("\n  };").expect("the entry ends");
        let body = &body[..end];
        for part in ["params: [", "named: ", "result: ", "outs: "] {
            assert!(body.contains(part), "{name} has {part}: {body}");
        }
    }
    assert!(declarations.contains("params: [user: string, text: string];"));
    assert!(declarations.contains("  \"session.user\": LoggedIn | null;"));
    assert!(declarations.contains("login(user: string, password: string): Promise<LoggedIn>;"));
    assert!(declarations.contains("  notice: Types.Notice;"));
    assert!(declarations.contains("  active: number;"));
    assert!(declarations.contains("  tabs: number;"));
    assert!(declarations.contains("export type Notice = {"));
}

/// A user type that derives `schemars::JsonSchema` from this crate's own `schemars = "1"`,
/// with no `#[schemars(crate = …)]`: the way the README documents.
#[derive(Serialize, Deserialize, schemars::JsonSchema)]
struct Setpoint {
    /// Degrees Celsius.
    celsius: f64,
    label: Option<String>,
}

/// A user type without a schema.
#[derive(Serialize, Deserialize)]
struct Opaque {
    blob: String,
}

/// Takes both kinds of user type.
#[export_method(name = "TsUserTypes", session = none)]
fn ts_user_types(setpoint: Setpoint, opaque: Opaque, history: &mut Vec<Setpoint>) -> Opaque {
    history.push(setpoint);
    opaque
}

#[test]
fn a_user_type_deriving_json_schema_is_typed_and_one_without_is_unknown() {
    let method = methods().get("TsUserTypes").expect("registered");
    let schema = method.schema();
    let setpoint = &schema.params.as_value()["$defs"]["Setpoint"];
    assert_eq!(
        setpoint["required"],
        serde_json::json!(["celsius"]),
        "{setpoint}"
    );
    let opaque = &schema.params.as_value()["properties"]["opaque"];
    assert!(opaque.get("type").is_none(), "an open schema: {opaque}");
    assert!(opaque["description"]
        .as_str()
        .is_some_and(|text| text.contains("schemars = \"1\"")));

    let declarations = sessions_core::typescript(methods());
    assert!(
        declarations.contains("params: [setpoint: Types.Setpoint, opaque: unknown];"),
        "{declarations}"
    );
    // As serde writes it, `label` is always there (null or not): a type of its own.
    assert!(
        declarations.contains("      history: Types.SetpointOutput[];"),
        "{declarations}"
    );
    assert!(
        declarations.contains("  export type SetpointOutput = {\n    /** Degrees Celsius. */\n    celsius: number;\n    label: string | null;\n  };"),
        "{declarations}"
    );
    assert!(
        declarations.contains("    result: unknown;"),
        "{declarations}"
    );
    assert!(
        declarations.contains(
            "  export type Setpoint = {\n    /** Degrees Celsius. */\n    celsius: number;\n    label?: string | null;\n  };"
        ),
        "{declarations}"
    );
}

/// One error of tsc's plain output: `file(line,column): error TSnnnn: text`.
struct TscError {
    file: String,
    line: usize,
    code: String,
}

fn parse_errors(stdout: &str) -> Vec<TscError> {
    stdout
        .lines()
        .filter_map(|line| {
            let (place, rest) = line.split_once("): error ")?;
            let (file, position) = place.rsplit_once('(')?;
            let (row, _column) = position.split_once(',')?;
            let code = rest.split(':').next()?.to_owned();
            Some(TscError {
                file: file.to_owned(),
                line: row.parse().ok()?,
                code,
            })
        })
        .collect()
}

/// The installed `tsc` (its JavaScript entry), installing it once; `None` (after saying
/// why) when node or npm is missing and external parts are not required.
fn tsc(test: &str) -> Option<PathBuf> {
    let required = std::env::var("SESSIONS_EXTERNAL_TESTS").as_deref() == Ok("require");
    let has = |program: &str| {
        Command::new(program)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    };
    if !has("node") || !has("npm") {
        assert!(
            !required,
            "{test}: node and npm are needed, and SESSIONS_EXTERNAL_TESTS=require \
             (install them: apt-get install -y nodejs npm)"
        );
        let _ = writeln!(
            std::io::stderr(),
            "{test}: skipped: node or npm is not installed (apt-get install -y nodejs npm; \
             SESSIONS_EXTERNAL_TESTS=require makes this a failure)"
        );
        return None;
    }
    let prefix = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tsc");
    let entry = prefix.join("node_modules/typescript/bin/tsc");
    if !entry.exists() {
        let mut install = Command::new("npm");
        install
            .args(["install", "--no-audit", "--no-fund", "--prefix"])
            .arg(&prefix)
            .arg(TYPESCRIPT);
        let output = run_bounded(install, INSTALL_LIMIT, "npm install typescript");
        assert!(
            output.status.success() && entry.exists(),
            "{test}: npm install {TYPESCRIPT} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Some(entry)
}

fn run_tsc(tsc: &Path, dir: &Path, args: &[&str]) -> Output {
    let mut command = Command::new("node");
    command.arg(tsc).args(args).current_dir(dir);
    run_bounded(command, TSC_LIMIT, "tsc")
}
