//! Makes and lists the entries of an accounts file (`sessions_core::auth::AccountsFile`), so
//! that nobody writes a password hash by hand.
//!
//! ```sh
//! echo 'a long passphrase' | cargo run -p sessions-examples --bin accounts -- \
//!     add --file accounts.toml alice --roles admin,operator
//! cargo run -p sessions-examples --bin accounts -- list --file accounts.toml
//! cargo run -p sessions-examples --bin accounts -- remove --file accounts.toml alice
//! ```
//!
//! `add` reads the password from the first line of stdin (without its line end), hashes it
//! with Argon2id and OWASP's parameters, and appends a `[[user]]` entry to the file,
//! creating the file if it is missing. It refuses a name that is already in the file, and a
//! file that does not read as an accounts file. `remove` takes a user's entry out. `list`
//! prints each user and their roles.
//! `hash` prints the PHC string of the password on stdin, for a store of your own.

use std::io::BufRead;
use std::process::ExitCode;

use sessions_core::auth::{hash_password, AccountsFile};

const USAGE: &str = "\
usage: accounts add --file FILE NAME [--roles ROLE,ROLE]   (the password on stdin)
       accounts remove --file FILE NAME
       accounts list --file FILE
       accounts hash                                      (the password on stdin)
  add    adds the user NAME to FILE (made if missing), with an Argon2id hash of the
         password read from the first line of stdin; refuses a NAME already in FILE
  remove removes the user NAME from FILE
  list   prints the users of FILE and their roles
  hash   prints the Argon2id PHC string of the password on stdin";

/// A command line, parsed.
#[derive(Debug, PartialEq)]
enum Command {
    Add {
        file: String,
        name: String,
        roles: Vec<String>,
    },
    Remove {
        file: String,
        name: String,
    },
    List {
        file: String,
    },
    Hash,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let command = args
        .next()
        .ok_or("a command is needed: add, remove, list or hash")?;
    let mut file = None;
    let mut roles = Vec::new();
    let mut names = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--file" => file = Some(args.next().ok_or("--file needs a path")?),
            "--roles" => {
                let list = args.next().ok_or("--roles needs ROLE,ROLE")?;
                roles = list
                    .split(',')
                    .map(str::trim)
                    .filter(|role| !role.is_empty())
                    .map(str::to_owned)
                    .collect();
            }
            "-h" | "--help" => return Err(String::new()),
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag:?}")),
            _ => names.push(arg),
        }
    }
    let file = || file.clone().ok_or(format!("{command} needs --file FILE"));
    match command.as_str() {
        "add" => {
            let [name] = <[String; 1]>::try_from(names)
                .map_err(|names| format!("add takes one NAME, not {}", names.len()))?;
            Ok(Command::Add {
                file: file()?,
                name,
                roles,
            })
        }
        "remove" => {
            let [name] = <[String; 1]>::try_from(names)
                .map_err(|names| format!("remove takes one NAME, not {}", names.len()))?;
            Ok(Command::Remove {
                file: file()?,
                name,
            })
        }
        "list" if names.is_empty() => Ok(Command::List { file: file()? }),
        "hash" if names.is_empty() && file().is_err() => Ok(Command::Hash),
        "list" | "hash" => Err(format!("{command}: unexpected arguments {names:?}")),
        "-h" | "--help" => Err(String::new()),
        other => Err(format!(
            "unknown command {other:?}: add, remove, list or hash"
        )),
    }
}

/// The first line of stdin, without its line end.
fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|error| format!("reading the password from stdin: {error}"))?;
    let password = line.trim_end_matches(['\n', '\r']);
    if password.is_empty() {
        return Err("the password (the first line of stdin) is empty".to_owned());
    }
    Ok(password.to_owned())
}

fn run(command: Command) -> Result<(), String> {
    match command {
        Command::Add { file, name, roles } => {
            let password = read_password()?;
            let hash = hash_password(&password).map_err(|error| error.to_string())?;
            let roles: Vec<&str> = roles.iter().map(String::as_str).collect();
            AccountsFile::add(&file, &name, &roles, &hash).map_err(|error| error.to_string())?;
            println!("added {name} to {file} with roles [{}]", roles.join(", "));
        }
        Command::Remove { file, name } => {
            AccountsFile::remove(&file, &name).map_err(|error| error.to_string())?;
            println!("removed {name} from {file}");
        }
        Command::List { file } => {
            let accounts = AccountsFile::load(&file).map_err(|error| error.to_string())?;
            for user in accounts.users() {
                println!("{user}\t{}", user.roles().collect::<Vec<_>>().join(","));
            }
        }
        Command::Hash => {
            let password = read_password()?;
            println!(
                "{}",
                hash_password(&password).map_err(|error| error.to_string())?
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let command = match parse(std::env::args().skip(1)) {
        Ok(command) => command,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("accounts: {why}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(why) => {
            eprintln!("accounts: {why}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_args(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(|arg| (*arg).to_owned()))
    }

    #[test]
    fn add_takes_a_file_a_name_and_roles() {
        assert_eq!(
            parse_args(&[
                "add",
                "--file",
                "a.toml",
                "alice",
                "--roles",
                "admin, operator"
            ]),
            Ok(Command::Add {
                file: "a.toml".into(),
                name: "alice".into(),
                roles: vec!["admin".into(), "operator".into()],
            })
        );
        assert_eq!(
            parse_args(&["list", "--file", "a.toml"]),
            Ok(Command::List {
                file: "a.toml".into()
            })
        );
        assert_eq!(parse_args(&["hash"]), Ok(Command::Hash));
    }

    #[test]
    fn bad_command_lines_say_what_is_wrong() {
        for (args, expected) in [
            (&["add", "alice"][..], "add needs --file FILE"),
            (&["add", "--file", "a.toml"], "add takes one NAME, not 0"),
            (
                &["add", "--file", "a.toml", "a", "b"],
                "add takes one NAME, not 2",
            ),
            (&["delete"], "unknown command \"delete\""),
            (
                &["remove", "--file", "a.toml"],
                "remove takes one NAME, not 0",
            ),
            (&["add", "--password", "x"], "unknown option \"--password\""),
            (&[], "a command is needed"),
        ] {
            let error = parse_args(args).expect_err("refused");
            assert!(error.starts_with(expected), "{args:?}: {error}");
        }
    }
}
