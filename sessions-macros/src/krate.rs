//! Where `sessions_core` is, seen from the crate being compiled: `::sessions_core`, or the
//! name the crate's manifest gives it when it renames the dependency
//! (`sessions = { package = "sessions-core", … }` makes it `::sessions`), so a renamed
//! dependency needs no `crate = …` on every attribute.
//!
//! The manifest is read as text, for the two ways Cargo writes a renamed dependency: an
//! inline table with `package = "sessions-core"`, and a `[….dependencies.NAME]` section
//! with that key; a `NAME = { workspace = true }` dependency is looked up in the workspace's
//! manifest the same way. Anything else leaves `::sessions_core`, and `crate = path` on the
//! attribute always wins.

use std::path::Path;

/// The package name of the runtime crate.
const PACKAGE: &str = "sessions-core";

/// How the crate being compiled depends on `sessions-core`, read from its manifest.
pub(crate) enum Dependency {
    /// Under its own name (or the crate is `sessions-core`, for its own doctests and
    /// tests), or the manifest could not be read: `::sessions_core`.
    Plain,
    /// Renamed: `::NAME`.
    Renamed(String),
    /// Not named in the manifest at all: `::sessions_core` will not resolve, and the
    /// attribute needs `crate = …` (a re-export, or a rename in the workspace's manifest).
    Missing,
}

/// How the crate being compiled depends on `sessions-core`.
pub(crate) fn dependency() -> Dependency {
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .and_then(|dir| std::fs::read_to_string(Path::new(&dir).join("Cargo.toml")).ok());
    let Some(manifest) = manifest else {
        return Dependency::Plain;
    };
    if let Some(name) = renamed_in(&manifest) {
        Dependency::Renamed(name)
    } else if names_plainly(&manifest) {
        Dependency::Plain
    } else if let Some(name) = workspace_root()
        .and_then(|root| renamed_in(&root))
        .filter(|name| names_key(&manifest, name))
    {
        // `sessions = { workspace = true }`, renamed in `[workspace.dependencies]`.
        Dependency::Renamed(name)
    } else {
        Dependency::Missing
    }
}

/// The text of the nearest manifest above this crate's that has a `[workspace]` table.
fn workspace_root() -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    Path::new(&dir).ancestors().skip(1).find_map(|ancestor| {
        let text = std::fs::read_to_string(ancestor.join("Cargo.toml")).ok()?;
        text.lines()
            .any(|line| line.trim() == "[workspace]")
            .then_some(text)
    })
}

/// Whether the manifest has a dependency key `name` (`name = …` or `name.workspace = …`),
/// `name` written with `_` or `-`.
fn names_key(manifest: &str, name: &str) -> bool {
    code_lines(manifest).any(|line| {
        let key = line.split('=').next().unwrap_or_default().trim();
        let key = key.split('.').next().unwrap_or_default().trim_matches('"');
        key.replace('-', "_") == name
    })
}

/// Whether the manifest names `sessions-core` under its own name: as a dependency (any
/// table, `sessions-core = …`, `sessions-core.workspace = true`, `[dependencies.sessions-core]`)
/// or as the package itself.
fn names_plainly(manifest: &str) -> bool {
    code_lines(manifest).any(|line| {
        let key = line
            .split('=')
            .next()
            .unwrap_or_default()
            .trim()
            .trim_matches('"');
        let is_core = |name: &str| name == PACKAGE || name == "sessions_core";
        is_core(key)
            || key.split('.').next().is_some_and(is_core)
            || dependency_section(line).is_some_and(|name| is_core(name.unwrap_or_default()))
            || (key == "name" && line.contains(&format!("\"{PACKAGE}\"")))
    })
}

/// The manifest's lines without their comments, trimmed.
fn code_lines(manifest: &str) -> impl Iterator<Item = &str> {
    manifest
        .lines()
        .map(|line| line.split('#').next().unwrap_or_default().trim())
}

/// For a table header line, `Some` of the dependency it is about (`[dependencies.NAME]`,
/// `[dev-dependencies.NAME]`, `[target.'…'.dependencies.NAME]`), `Some(None)` for any
/// other table; `None` when the line is not a header.
fn dependency_section(line: &str) -> Option<Option<&str>> {
    let header = line.strip_prefix('[')?.strip_suffix(']')?;
    Some(
        header
            .rsplit_once("dependencies.")
            .map(|(_, name)| name.trim().trim_matches('"')),
    )
}

/// The name a manifest gives `sessions-core` when it renames it (inline, or as a
/// `[dependencies.NAME]` section).
fn renamed_in(manifest: &str) -> Option<String> {
    let mut section_dependency: Option<&str> = None;
    for line in code_lines(manifest) {
        if let Some(section) = dependency_section(line) {
            section_dependency = section;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let (key, value) = (key.trim().trim_matches('"'), value.trim());
        let names_package = |text: &str| {
            text.split(',').any(|part| {
                part.trim_matches(|c: char| c == '{' || c == '}' || c.is_whitespace())
                    .split_once('=')
                    .is_some_and(|(k, v)| {
                        k.trim() == "package" && v.trim().trim_matches('"') == PACKAGE
                    })
            })
        };
        if key == "package" && value.trim_matches('"') == PACKAGE {
            if let Some(name) = section_dependency {
                return Some(name.replace('-', "_"));
            }
        } else if value.starts_with('{') && names_package(value) {
            return Some(key.replace('-', "_"));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_an_inline_rename_and_a_section_rename() {
        let inline = "[dependencies]\nserde = \"1\"\nsessions = { package = \"sessions-core\", path = \"..\" }\n";
        assert_eq!(renamed_in(inline).as_deref(), Some("sessions"));
        let section =
            "[dependencies.my-sessions]\nversion = \"0.1\"\npackage = \"sessions-core\"\n";
        assert_eq!(renamed_in(section).as_deref(), Some("my_sessions"));
        let dev =
            "[dev-dependencies]\ncore = { path = \"x\", package = \"sessions-core\" } # renamed\n";
        assert_eq!(renamed_in(dev).as_deref(), Some("core"));
    }

    #[test]
    fn a_plain_dependency_in_any_form_is_named() {
        for manifest in [
            "[dependencies]\nsessions-core = { path = \"..\" }\n",
            "[dependencies]\nsessions-core.workspace = true\n",
            "[dev-dependencies.sessions-core]\npath = \"..\"\n",
            "[package]\nname = \"sessions-core\"\n",
        ] {
            assert!(names_plainly(manifest), "{manifest}");
        }
        assert!(!names_plainly("[dependencies]\nserde = \"1\"\n"));
        assert!(!names_plainly(
            "[dependencies]\nsessions = { workspace = true }\n"
        ));
    }

    #[test]
    fn a_workspace_rename_is_found_by_its_key() {
        let root = "[workspace]\n[workspace.dependencies]\nsessions = { package = \"sessions-core\", path = \"core\" }\n";
        assert_eq!(renamed_in(root).as_deref(), Some("sessions"));
        assert!(names_key(
            "[dependencies]\nsessions = { workspace = true }\n",
            "sessions"
        ));
        assert!(names_key(
            "[dependencies]\nsessions.workspace = true\n",
            "sessions"
        ));
        assert!(!names_key(
            "[dependencies]\nserde.workspace = true\n",
            "sessions"
        ));
    }

    #[test]
    fn leaves_an_unrenamed_or_other_dependency_alone() {
        assert_eq!(
            renamed_in("[dependencies]\nsessions-core = { path = \"..\" }\n"),
            None
        );
        assert_eq!(
            renamed_in("[dependencies]\nfoo = { package = \"sessions-core-extra\" }\n"),
            None
        );
        assert_eq!(renamed_in("[package]\nname = \"sessions-core\"\n"), None);
        assert_eq!(
            renamed_in("# sessions = { package = \"sessions-core\" }\n"),
            None
        );
    }
}
