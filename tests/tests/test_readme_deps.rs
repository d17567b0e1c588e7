//! Every `[dependencies]` block of the README builds, with the Rust example that follows it,
//! in a scratch crate of its own, as a user who pastes both would build them: the lines
//! name every crate the example uses (`axum::serve` needs `axum` and `tokio`; a derive of
//! `schemars::JsonSchema` needs `schemars`), with the features it needs.
//!
//! The scratch crate depends on this workspace's sessions-core by path (the README's
//! `sessions-core = "0.1"` line, its features kept), starts from the workspace's
//! Cargo.lock (the same versions, so the check needs no network and shares the target
//! directory's builds), and is checked with `cargo check --offline`. Where the registry
//! cache lacks a crate the lines name (`cargo fetch --offline` fails), the test says why and
//! returns, unless `SESSIONS_EXTERNAL_TESTS=require`.

mod process_support;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use process_support::{run_bounded, scratch, write};

/// How long one scratch crate's `cargo check` may take (a first one builds axum and tokio).
const CHECK_LIMIT: Duration = Duration::from_secs(900);

/// One block of `[dependencies]` and the Rust example after it.
struct Snippet {
    /// The README's line of the `toml` block.
    line: usize,
    dependencies: String,
    /// The example as a user pastes it: rustdoc's hidden lines (`# …`) left out.
    program: String,
}

#[test]
fn every_dependencies_block_of_the_readme_builds_with_its_example() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate is in the workspace");
    let readme = std::fs::read_to_string(workspace.join("README.md")).expect("the README");
    let snippets = snippets(&readme);
    assert!(
        snippets.len() >= 2,
        "the README has the first example's and the web host's [dependencies] blocks"
    );
    let core = workspace
        .join("sessions-core")
        .canonicalize()
        .expect("sessions-core");
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory")
        .to_path_buf();
    for snippet in &snippets {
        let dir = scratch("readme-deps", &snippet.line.to_string());
        let manifest = manifest(snippet, &core);
        write(&dir.join("Cargo.toml"), &manifest);
        std::fs::create_dir_all(dir.join("src")).expect("src/");
        write(&dir.join("src/main.rs"), &snippet.program);
        std::fs::copy(workspace.join("Cargo.lock"), dir.join("Cargo.lock"))
            .expect("the workspace's lock file");

        let fetch = cargo(&dir, &target, &["fetch", "--offline"]);
        if !fetch.status.success() {
            let required = std::env::var("SESSIONS_EXTERNAL_TESTS").as_deref() == Ok("require");
            let why = String::from_utf8_lossy(&fetch.stderr);
            assert!(
                !required,
                "README line {}: the crates it names are not in the registry cache, and \
                 SESSIONS_EXTERNAL_TESTS=require:\n{why}",
                snippet.line
            );
            let _ = writeln!(
                std::io::stderr(),
                "README line {}: skipped: a crate its [dependencies] name is not in the \
                 registry cache (`cargo fetch` once online; SESSIONS_EXTERNAL_TESTS=require \
                 makes this a failure):\n{why}",
                snippet.line
            );
            continue;
        }
        let check = cargo(&dir, &target, &["check", "--offline", "--quiet"]);
        assert!(
            check.status.success(),
            "README line {}: the [dependencies] block and the example after it do not \
             build as written:\n{manifest}\n{}",
            snippet.line,
            String::from_utf8_lossy(&check.stderr)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}

#[test]
fn the_snippets_are_read_as_a_user_pastes_them() {
    let readme = "\
text
```toml
[dependencies]
sessions-core = { version = \"0.1\", features = [\"web\"] }
```

```rust,no_run
# #[cfg(feature = \"web\")]
# mod hidden {
use sessions_core::Engine;
fn main() {}
# }
```
";
    let snippets = snippets(readme);
    assert_eq!(snippets.len(), 1);
    assert_eq!(snippets[0].line, 2);
    assert_eq!(
        snippets[0].program,
        "use sessions_core::Engine;\nfn main() {}\n"
    );
    let manifest = manifest(&snippets[0], Path::new("/x/sessions-core"));
    assert!(
        manifest.contains("sessions-core = { path = \"/x/sessions-core\", features = [\"web\"] }"),
        "{manifest}"
    );
    let plain = Snippet {
        line: 1,
        dependencies: "sessions-core = \"0.1\" # a comment\n".to_owned(),
        program: String::new(),
    };
    assert!(manifest_of(&plain).contains("sessions-core = { path = \"/x/sessions-core\" }"));
}

fn manifest_of(snippet: &Snippet) -> String {
    manifest(snippet, Path::new("/x/sessions-core"))
}

/// Each ```toml block holding `[dependencies]`, with the next ```rust block.
fn snippets(readme: &str) -> Vec<Snippet> {
    let lines: Vec<&str> = readme.lines().collect();
    let mut snippets = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        if lines[index].trim() != "```toml" {
            index += 1;
            continue;
        }
        let start = index;
        let block = take_block(&lines, &mut index);
        if !block.iter().any(|line| line.trim() == "[dependencies]") {
            continue;
        }
        let dependencies: String = block
            .iter()
            .filter(|line| line.trim() != "[dependencies]")
            .map(|line| format!("{line}\n"))
            .collect();
        while index < lines.len() && !lines[index].trim().starts_with("```rust") {
            index += 1;
        }
        if index == lines.len() {
            break;
        }
        let program: String = take_block(&lines, &mut index)
            .iter()
            .filter(|line| line.trim() != "#" && !line.trim_start().starts_with("# "))
            .map(|line| format!("{line}\n"))
            .collect();
        snippets.push(Snippet {
            line: start + 1,
            dependencies,
            program,
        });
    }
    snippets
}

/// The lines of the fenced block opening at `index`; `index` ends past its closing fence.
fn take_block<'a>(lines: &[&'a str], index: &mut usize) -> Vec<&'a str> {
    *index += 1;
    let mut block = Vec::new();
    while *index < lines.len() && lines[*index].trim() != "```" {
        block.push(lines[*index]);
        *index += 1;
    }
    *index += 1;
    block
}

/// The scratch crate's manifest: its own workspace, and the README's lines with
/// sessions-core's made a path dependency on `core` (its other keys kept).
fn manifest(snippet: &Snippet, core: &Path) -> String {
    let path = format!("path = {:?}", core.to_str().expect("a UTF-8 path"));
    let dependencies: String = snippet
        .dependencies
        .lines()
        .map(|line| {
            let Some(value) = line.strip_prefix("sessions-core = ") else {
                return format!("{line}\n");
            };
            let value = value.split(" #").next().unwrap_or(value).trim();
            let value = match value.strip_prefix('{') {
                Some(table) => {
                    let keys: Vec<&str> = table
                        .trim_end_matches('}')
                        .split(", ")
                        .map(str::trim)
                        .filter(|key| !key.starts_with("version") && !key.starts_with("path"))
                        .collect();
                    let mut all = vec![path.as_str()];
                    all.extend(keys.iter().filter(|key| !key.is_empty()));
                    format!("{{ {} }}", all.join(", "))
                }
                None => format!("{{ {path} }}"),
            };
            format!("sessions-core = {value}\n")
        })
        .collect();
    format!(
        "[package]\nname = \"readme-line-{}\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
         publish = false\n\n[workspace]\n\n[dependencies]\n{dependencies}",
        snippet.line
    )
}

fn cargo(dir: &Path, target: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO"));
    command
        .args(args)
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    run_bounded(command, CHECK_LIMIT, "cargo")
}
