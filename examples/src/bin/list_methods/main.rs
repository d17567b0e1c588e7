//! What a host sees: every exported method linked into this program, from every crate
//! (here `sessions_examples` and `sessions_examples_plugin`), and a way to call one.
//!
//! ```sh
//! cargo run -p sessions-examples --bin list_methods
//! cargo run -p sessions-examples --bin list_methods -- --json
//! cargo run -p sessions-examples --bin list_methods -- --openrpc
//! cargo run -p sessions-examples --bin list_methods -- --typescript > client.d.ts
//! cargo run -p sessions-examples --bin list_methods -- --call GetRecipe '["brioche"]'
//! ```
//!
//! In Optix, the `[ExportMethod]`s of every NetLogic are what the UI can call; here
//! `#[export_method]` registers each function, with its signature and doc comment, and
//! [`sessions_core::methods`] collects them from every linked crate on first use.

use std::io::{self, Write};
use std::process::ExitCode;

use sessions_core::{methods, Engine};
use sessions_examples::line::export_line;
use sessions_examples::ENGINE_NAME;

mod call;
mod json;
mod table;

// A crate's methods are in the table when the program links the crate, and Rust links a
// dependency only when the program names it: this line names both crates of methods.
sessions_core::link!(sessions_examples, sessions_examples_plugin);

const USAGE: &str = "\
Lists the exported methods a host can call, or calls one.

Usage:
  list_methods                     every exported method, as a table, then the live objects
                                   (line 1's oven and counter) with the methods they have,
                                   then the exported variables (the oven's Target and Actual)
  list_methods --json              the same, as JSON ({\"methods\": [...], \"objects\": [...],
                                   \"variables\": [...]}), for a host to build its UI from
  list_methods --openrpc           the OpenRPC 1.3 document of the methods: each parameter's
                                   and result's JSON Schema, for JSON-RPC clients and tools
  list_methods --typescript        TypeScript declarations of the methods and the notification
                                   topics (a .d.ts file), which type client.js's calls in a page
  list_methods --call NAME [ARGS]  calls NAME (a method, or \"<object path>.<method>\") as the
                                   root session of an engine named
                                   \"WebPresentationEngine\" and prints the outcome as JSON
                                   ({\"value\", \"outs\", \"error\"}); ARGS is a JSON array of
                                   the in arguments, [] when left out
  list_methods --help              this text

Exit status:
  0  success
  1  the call failed: it could not be made (unknown method, wrong number or type of
     arguments: the reason is on stderr), or the method ran and reported an error (the
     outcome, with its sentinels and error, is still printed)
  2  usage error: unknown option, missing NAME, ARGS not a JSON array";

/// What the command line asks for.
enum Command {
    Table,
    Json,
    OpenRpc,
    TypeScript,
    Call { name: String, args: String },
    Help,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match parse(&args) {
        Ok(command) => command,
        Err(message) => {
            eprintln!("error: {message}\n(`list_methods --help` shows the usage)");
            return ExitCode::from(2);
        }
    };
    // The engine the example methods look for (`GetActiveWebSessionsNumber` finds it by
    // name), with line 1's objects exported on it while the program runs.
    let engine = match Engine::builder().name(ENGINE_NAME).build() {
        Ok(engine) => engine,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    let _line1 = match export_line(&engine, "Line1") {
        Ok(handles) => handles,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    let mut out = io::stdout().lock();
    let written = match command {
        Command::Help => writeln!(out, "{USAGE}"),
        Command::Table => table::write(&mut out, methods(), &engine.objects(), &engine.variables()),
        Command::Json => json::methods(methods(), &engine.objects(), &engine.variables())
            .map_err(io::Error::other)
            .and_then(|text| writeln!(out, "{text}")),
        Command::OpenRpc => json::openrpc(methods())
            .map_err(io::Error::other)
            .and_then(|text| writeln!(out, "{text}")),
        Command::TypeScript => write!(
            out,
            "{}",
            sessions_core::typescript_with_variables(methods(), &engine.variables())
        ),
        Command::Call { name, args } => return call(&engine, &name, &args),
    };
    exit(written, ExitCode::SUCCESS)
}

/// `status`, unless the output could not be written. A reader that stops early
/// (`list_methods | head`) is not an error.
fn exit(written: io::Result<()>, status: ExitCode) -> ExitCode {
    match written {
        Err(error) if error.kind() != io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write the output: {error}");
            ExitCode::from(1)
        }
        _ => status,
    }
}

/// Reads the command line by hand: six forms need no parser crate.
fn parse(args: &[String]) -> Result<Command, String> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] => Ok(Command::Table),
        ["--json"] => Ok(Command::Json),
        ["--openrpc"] => Ok(Command::OpenRpc),
        ["--typescript"] => Ok(Command::TypeScript),
        ["--help" | "-h"] => Ok(Command::Help),
        ["--call", name] => Ok(call_command(name, "[]")),
        ["--call", name, args] => Ok(call_command(name, args)),
        ["--call"] => Err("--call needs the NAME of a method".to_owned()),
        ["--call", ..] => Err(
            "--call takes NAME and one JSON array of arguments: quote it, e.g. '[1, \"two\"]'"
                .to_owned(),
        ),
        [option, ..] if option.starts_with('-') => Err(format!("unknown option {option:?}")),
        [argument, ..] => Err(format!("unexpected argument {argument:?}")),
    }
}

fn call_command(name: &str, args: &str) -> Command {
    Command::Call {
        name: name.to_owned(),
        args: args.to_owned(),
    }
}

/// `--call NAME ARGS`: exit status 0, 1 or 2 as the usage text says.
fn call(engine: &Engine, name: &str, args: &str) -> ExitCode {
    let args = match call::parse_args(args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    call::init_logging();
    match call::as_root(engine, name, args) {
        Ok(outcome) => {
            let written = json::outcome(&outcome)
                .map_err(io::Error::other)
                .and_then(|json| writeln!(io::stdout(), "{json}"));
            let status = if outcome.is_ok() { 0 } else { 1 };
            exit(written, ExitCode::from(status))
        }
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}
