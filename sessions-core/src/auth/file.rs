//! The accounts file: `[[user]]` tables of a TOML file, reloadable, and how an entry is
//! added to it.
//!
//! ```toml
//! [[user]]
//! name = "alice"
//! password_hash = "$argon2id$v=19$m=19456,t=2,p=1$…"
//! roles = ["admin", "operator"]
//! ```

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use serde::Deserialize;

use crate::auth::hash::{check_phc, dummy_hash, matches, HashParams};
use crate::auth::{AccountStore, AccountsError, AuthError};
use crate::User;

/// The users of an accounts file: the [`AccountStore`] that ships.
///
/// The file is TOML: one `[[user]]` table per user, with `name`, `password_hash` (an
/// Argon2id PHC string, never a password) and `roles` (optional, a list of names). Any
/// other key is an error, so that a `password = "…"` in plain text is refused, not ignored.
/// Errors name the file and the line. Make entries with the examples' `accounts` program
/// or [`AccountsFile::add`].
///
/// A name that is not in the file is checked against a dummy hash made, once per load,
/// with the parameters of the file's first entry: it costs what a wrong password costs.
#[derive(Debug)]
pub struct AccountsFile {
    path: PathBuf,
    current: RwLock<Arc<Snapshot>>,
}

/// The users as last read, and what the file looked like then.
#[derive(Debug)]
struct Snapshot {
    users: HashMap<String, Account>,
    /// The users in the file's order.
    order: Vec<String>,
    /// What an unknown name is checked against.
    dummy: String,
    dummy_params: HashParams,
    stamp: Option<Stamp>,
}

#[derive(Debug)]
struct Account {
    user: User,
    password_hash: String,
}

/// What says cheaply whether a file changed: its modification time and its length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Stamp {
    modified: Option<SystemTime>,
    len: u64,
}

/// The file's shape, for serde.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    user: Vec<toml::Spanned<EntryDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryDoc {
    name: String,
    password_hash: String,
    #[serde(default)]
    roles: Vec<String>,
}

/// One entry, checked, with its line.
struct Entry {
    line: usize,
    name: String,
    password_hash: String,
    params: HashParams,
    roles: Vec<String>,
}

impl AccountsFile {
    /// Reads the accounts file at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<AccountsFile, AccountsError> {
        let path = path.as_ref().to_path_buf();
        let snapshot = read(&path, None)?;
        Ok(AccountsFile {
            path,
            current: RwLock::new(Arc::new(snapshot)),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The users, in the file's order, with their roles.
    pub fn users(&self) -> Vec<User> {
        let snapshot = self.snapshot();
        snapshot
            .order
            .iter()
            .filter_map(|name| Some(snapshot.users.get(name)?.user.clone()))
            .collect()
    }

    /// Adds the user `name` with `roles` and the Argon2id PHC string `password_hash` to the
    /// accounts file at `path`, creating it if it is missing, and keeping what is in it
    /// (comments too). Refuses a name that is already there, a file that does not read as
    /// an accounts file, and a hash that is not Argon2id. The file is replaced whole (a
    /// new file renamed over it), so a reader never sees half an entry.
    pub fn add(
        path: impl AsRef<Path>,
        name: &str,
        roles: &[&str],
        password_hash: &str,
    ) -> Result<(), AccountsError> {
        let path = path.as_ref();
        check_name("user name", name)?;
        for role in roles {
            check_name("role", role)?;
        }
        check_phc(password_hash)?;
        let text = match fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(source) => return Err(io_error(path, source)),
        };
        if let Some(existing) = parse(path, &text)?.iter().find(|entry| entry.name == name) {
            return Err(AccountsError::Exists {
                path: path.to_path_buf(),
                name: name.to_owned(),
                line: existing.line,
            });
        }
        let mut new = text;
        if !new.is_empty() && !new.ends_with('\n') {
            new.push('\n');
        }
        if !new.is_empty() {
            new.push('\n');
        }
        let roles: Vec<String> = roles.iter().map(|role| quote(role)).collect();
        new.push_str(&format!(
            "[[user]]\nname = {}\npassword_hash = {}\nroles = [{}]\n",
            quote(name),
            quote(password_hash),
            roles.join(", ")
        ));
        // What is written reads back as the same users and the new one.
        parse(path, &new)?;
        replace(path, &new)
    }

    /// Removes the user `name` from the accounts file at `path`: the lines from its
    /// `[[user]]` line to the next table (comments among them go too), keeping the rest of
    /// the file as it is. Refuses a name that is not in the file, and a file that does not
    /// read as an accounts file. The file is replaced whole, as by [`add`](Self::add).
    pub fn remove(path: impl AsRef<Path>, name: &str) -> Result<(), AccountsError> {
        let path = path.as_ref();
        let text = fs::read_to_string(path).map_err(|source| io_error(path, source))?;
        let entries = parse(path, &text)?;
        let Some(entry) = entries.iter().find(|entry| entry.name == name) else {
            return Err(AccountsError::NoSuchUser {
                path: path.to_path_buf(),
                name: name.to_owned(),
            });
        };
        let lines: Vec<&str> = text.split_inclusive('\n').collect();
        let start = entry.line - 1;
        let end = (start + 1..lines.len())
            .find(|&index| lines[index].trim_start().starts_with('['))
            .unwrap_or(lines.len());
        let new = [&lines[..start], &lines[end..]].concat().concat();
        // What is written reads back as the same users but `name`.
        let left: Vec<String> = parse(path, &new)?
            .into_iter()
            .map(|entry| entry.name)
            .collect();
        let expected: Vec<&String> = entries
            .iter()
            .map(|entry| &entry.name)
            .filter(|other| *other != name)
            .collect();
        if left.iter().collect::<Vec<_>>() != expected {
            return Err(AccountsError::Entry {
                path: path.to_path_buf(),
                line: entry.line,
                name: name.to_owned(),
                reason: "the entry could not be cut out of the file on its own: edit the file"
                    .to_owned(),
            });
        }
        replace(path, &new)
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        Arc::clone(
            &self
                .current
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    fn replace_snapshot(&self, snapshot: Snapshot) {
        *self
            .current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(snapshot);
    }
}

impl AccountStore for AccountsFile {
    fn check(&self, name: &str, password: &str) -> Result<User, AuthError> {
        let snapshot = self.snapshot();
        match snapshot.users.get(name) {
            Some(account) if matches(&account.password_hash, password) => Ok(account.user.clone()),
            Some(_) => Err(AuthError::Invalid),
            None => {
                // The same work as a wrong password: one hash, with the same parameters.
                let _ = matches(&snapshot.dummy, password);
                Err(AuthError::Invalid)
            }
        }
    }

    fn reload(&self) -> Result<(), AccountsError> {
        let before = self.snapshot();
        let snapshot = read(&self.path, Some(&before))?;
        self.replace_snapshot(snapshot);
        Ok(())
    }

    fn reload_if_changed(&self) -> Result<bool, AccountsError> {
        let stamp = stamp(&self.path)?;
        if self.snapshot().stamp == Some(stamp) {
            return Ok(false);
        }
        self.reload()?;
        Ok(true)
    }
}

/// Reads and checks the file, reusing `before`'s dummy hash if the parameters are the same.
fn read(path: &Path, before: Option<&Snapshot>) -> Result<Snapshot, AccountsError> {
    // The stamp is taken first: a change while reading makes the next check read again.
    let stamp = stamp(path)?;
    let text = fs::read_to_string(path).map_err(|source| io_error(path, source))?;
    let entries = parse(path, &text)?;
    let dummy_params = entries
        .first()
        .map(|entry| entry.params)
        .unwrap_or_default();
    let dummy = match before {
        Some(before) if before.dummy_params == dummy_params => before.dummy.clone(),
        _ => dummy_hash(dummy_params)?,
    };
    let order = entries.iter().map(|entry| entry.name.clone()).collect();
    let users = entries
        .into_iter()
        .map(|entry| {
            let user = User::new(entry.name.clone()).with_roles(entry.roles);
            (
                entry.name,
                Account {
                    user,
                    password_hash: entry.password_hash,
                },
            )
        })
        .collect();
    Ok(Snapshot {
        users,
        order,
        dummy,
        dummy_params,
        stamp: Some(stamp),
    })
}

/// The entries of an accounts file's text, checked: TOML, shape, names, hashes, duplicates.
fn parse(path: &Path, text: &str) -> Result<Vec<Entry>, AccountsError> {
    let doc: FileDoc = toml::from_str(text).map_err(|error| {
        let (line, column) = error
            .span()
            .map_or((1, 1), |span| line_and_column(text, span.start));
        AccountsError::Toml {
            path: path.to_path_buf(),
            line,
            column,
            message: error.message().trim_end().to_owned(),
        }
    })?;
    let mut entries: Vec<Entry> = Vec::with_capacity(doc.user.len());
    let mut lines: HashMap<String, usize> = HashMap::new();
    for spanned in doc.user {
        let line = header_line(text, spanned.span().start);
        let doc = spanned.into_inner();
        let bad = |reason: String| AccountsError::Entry {
            path: path.to_path_buf(),
            line,
            name: doc.name.clone(),
            reason,
        };
        check_name("user name", &doc.name).map_err(|error| bad(error.to_string()))?;
        for role in &doc.roles {
            check_name("role", role).map_err(|error| bad(error.to_string()))?;
        }
        let params = check_phc(&doc.password_hash).map_err(|error| bad(error.to_string()))?;
        if let Some(&first_line) = lines.get(&doc.name) {
            return Err(AccountsError::Duplicate {
                path: path.to_path_buf(),
                name: doc.name,
                first_line,
                line,
            });
        }
        lines.insert(doc.name.clone(), line);
        entries.push(Entry {
            line,
            name: doc.name,
            password_hash: doc.password_hash,
            params,
            roles: doc.roles,
        });
    }
    Ok(entries)
}

/// Refuses an empty name, one with spaces around it, and one with control characters.
fn check_name(what: &'static str, value: &str) -> Result<(), AccountsError> {
    let reason = if value.is_empty() {
        "it is empty"
    } else if value.trim() != value {
        "it starts or ends with white space"
    } else if value.chars().any(char::is_control) {
        "it has a control character"
    } else if what == "role" && value.contains(',') {
        "a role has no comma"
    } else {
        return Ok(());
    };
    Err(AccountsError::BadName {
        what,
        value: value.to_owned(),
        reason,
    })
}

/// The line and column (from 1) of byte `offset` in `text`.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before
        .rsplit('\n')
        .next()
        .map_or(0, |last| last.chars().count())
        + 1;
    (line, column)
}

/// The line (from 1) of the `[[user]]` header of the entry whose keys start at `offset`:
/// the last line before it that opens a table, or the line of `offset` if there is none.
fn header_line(text: &str, offset: usize) -> usize {
    let key_line = line_and_column(text, offset).0;
    text.lines()
        .take(key_line)
        .enumerate()
        .filter(|(_, line)| line.trim_start().starts_with('['))
        .map(|(index, _)| index + 1)
        .last()
        .unwrap_or(key_line)
}

/// `value` as a TOML basic string.
fn quote(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            c if c.is_control() => quoted.push_str(&format!("\\u{:04X}", u32::from(c))),
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

fn stamp(path: &Path) -> Result<Stamp, AccountsError> {
    let metadata = fs::metadata(path).map_err(|source| io_error(path, source))?;
    Ok(Stamp {
        modified: metadata.modified().ok(),
        len: metadata.len(),
    })
}

/// Writes `text` to a new file beside `path` and renames it over `path`. A new file is
/// readable by its owner only (on Unix); an existing one keeps its permissions.
fn replace(path: &Path, text: &str) -> Result<(), AccountsError> {
    let file_name = path.file_name().map_or_else(
        || "accounts".into(),
        |name| name.to_string_lossy().into_owned(),
    );
    let temp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&temp)?;
        if let Ok(metadata) = fs::metadata(path) {
            file.set_permissions(metadata.permissions())?;
        }
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        fs::rename(&temp, path)
    };
    write().map_err(|source| {
        let _ = fs::remove_file(&temp);
        io_error(path, source)
    })
}

fn io_error(path: &Path, source: std::io::Error) -> AccountsError {
    AccountsError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_columns_count_from_one() {
        let text = "a\nbc\né = 1";
        assert_eq!(line_and_column(text, 0), (1, 1));
        assert_eq!(line_and_column(text, 3), (2, 2));
        assert_eq!(line_and_column(text, text.len()), (3, 6));
    }

    #[test]
    fn an_entry_is_placed_on_its_header_line() {
        let text = "# c\n[[user]]\n# a comment\nname = \"a\"\n\n  [[user]]\nname = \"b\"\n";
        let first = text.find("name").expect("a key");
        let second = text.rfind("name").expect("a key");
        assert_eq!(header_line(text, first), 2);
        assert_eq!(header_line(text, second), 6);
    }

    #[test]
    fn quoted_strings_read_back_as_they_were() {
        for value in [
            "plain",
            "with \"quotes\"",
            "back\\slash",
            "tab\tand\nnewline",
            "é",
        ] {
            let text = format!("x = {}", quote(value));
            let table: toml::Table = toml::from_str(&text).expect("valid TOML");
            assert_eq!(table["x"].as_str(), Some(value));
        }
    }

    #[test]
    fn names_and_roles_are_checked() {
        assert!(check_name("user name", "alice").is_ok());
        for bad in ["", " alice", "al\u{7}ice"] {
            assert!(matches!(
                check_name("user name", bad),
                Err(AccountsError::BadName { .. })
            ));
        }
        assert!(check_name("role", "a,b").is_err());
    }
}
