//! The examples' methods and line 1's objects, served to OPC UA clients, as an Optix runtime
//! serves its NetLogic methods.
//!
//! ```sh
//! cargo run -p sessions-examples --bin opcua_server [-- --port N --accounts FILE --audit FILE --user NAME:PASSWORD[:ROLE,ROLE] …]
//! ```
//!
//! Defaults: port 4840 on 127.0.0.1, anonymous clients allowed, no users. `--accounts FILE`
//! logs users in from an accounts file (Argon2id hashes, with roles; make entries with the
//! `accounts` program), failed attempts throttled. `--user` is for quick tests only: the
//! password is in plain text on the command line, where the machine's other users can see
//! it (its failures are throttled by name, as every user's are). The first line on
//! stdout is `listening on opc.tcp://127.0.0.1:PORT/`. The engine is named
//! `WebPresentationEngine`, so `GetActiveWebSessionsNumber("WebPresentationEngine")`,
//! called by an OPC UA client, counts the OPC UA clients with a user, as in Optix. Line 1's
//! oven and counter are the objects `Line1/Oven` and `Line1/Counter`; the oven's variables
//! are the Variable nodes `Line1/Oven/Target` (a Double; only a user with the role
//! `operator` may write it) and `Line1/Oven/Actual` (which the line's heater moves towards
//! the target by 5 °C a second), under the object `Variables` and under the oven's node.
//! `Sessions/Active` is the count of sessions with a user (`live::ACTIVE`), which no user
//! may write: a client subscribes to it to see log-ins and log-outs. Ctrl-C stops it.
//!
//! With Python's `asyncua` (`pip install asyncua`):
//!
//! ```python
//! import asyncio
//! from asyncua import Client, ua
//!
//! class Printer:
//!     def datachange_notification(self, node, value, data):
//!         print("actual:", value)
//!
//! async def main():
//!     async with Client("opc.tcp://127.0.0.1:4840/") as client:
//!         ns = await client.get_namespace_index("urn:sessions:methods")
//!         methods = client.get_node(ua.NodeId(1, ns))
//!         active = await methods.call_method(ua.QualifiedName("GetActiveWebSessionsNumber", ns),
//!                                            "WebPresentationEngine")
//!         print("active sessions:", active)
//!         target = client.get_node(ua.NodeId("Line1/Oven/Target", ns))
//!         print("target:", await target.read_value())
//!         subscription = await client.create_subscription(100, Printer())
//!         await subscription.subscribe_data_change(client.get_node(ua.NodeId("Line1/Oven/Actual", ns)))
//!         await asyncio.sleep(5)
//!
//! asyncio.run(main())
//! ```
//!
//! Writing the target (`await target.write_value(200.0)`) needs a user with the role
//! `operator` (`client.set_user`, `client.set_password`): anyone else gets
//! `BadUserAccessDenied`, and the write is audited (`--audit FILE`).

use std::error::Error;
use std::path::PathBuf;
use std::process::ExitCode;

use sessions_core::auth::Accounts;
use sessions_core::opcua::OpcUaHost;
use sessions_core::Engine;
use sessions_examples::line::export_line;
use sessions_examples::live;
use sessions_examples::ENGINE_NAME;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

const USAGE: &str = "\
usage: opcua_server [--port N] [--accounts FILE] [--audit FILE] [--user NAME:PASSWORD[:ROLE,ROLE]]...
  --port N                          the TCP port (default 4840; 0 picks a free one)
  --accounts FILE                   log users in from this accounts file (password hashes
                                    and roles; make entries with `accounts add`)
  --audit FILE                      append an audit record of every call to FILE (JSON lines)
  --user NAME:PASSWORD[:ROLES]      for quick tests only (the password is in plain text on
                                    the command line): a user who may log in, with
                                    comma-separated roles (repeat for more users; anonymous
                                    clients are allowed)";

/// A user given with `--user`.
#[derive(Debug, PartialEq)]
struct UserArg {
    name: String,
    password: String,
    roles: Vec<String>,
}

#[derive(Debug, PartialEq)]
struct Args {
    port: u16,
    accounts: Option<PathBuf>,
    users: Vec<UserArg>,
    audit: Option<PathBuf>,
}

fn parse(args: impl IntoIterator<Item = String>) -> Result<Args, String> {
    let mut parsed = Args {
        port: 4840,
        accounts: None,
        users: Vec::new(),
        audit: None,
    };
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let port = args.next().ok_or("--port needs a number")?;
                parsed.port = port
                    .parse()
                    .map_err(|_| format!("--port {port}: not a port number (0 to 65535)"))?;
            }
            "--accounts" => {
                let file = args.next().ok_or("--accounts needs a file")?;
                parsed.accounts = Some(file.into());
            }
            "--user" => {
                let user = args
                    .next()
                    .ok_or("--user needs NAME:PASSWORD[:ROLE,ROLE]")?;
                let mut parts = user.splitn(3, ':');
                let (Some(name), Some(password)) = (parts.next(), parts.next()) else {
                    return Err(format!("--user {user}: expected NAME:PASSWORD[:ROLE,ROLE]"));
                };
                if name.is_empty() {
                    return Err(format!("--user {user}: the name is empty"));
                }
                let roles = parts
                    .next()
                    .map(|roles| {
                        roles
                            .split(',')
                            .filter(|r| !r.is_empty())
                            .map(str::to_owned)
                            .collect()
                    })
                    .unwrap_or_default();
                parsed.users.push(UserArg {
                    name: name.to_owned(),
                    password: password.to_owned(),
                    roles,
                });
            }
            "--audit" => {
                let file = args.next().ok_or("--audit needs a FILE")?;
                parsed.audit = Some(PathBuf::from(file));
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(parsed)
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("opcua_server: {why}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    // async-opcua 0.19 logs two ERRORs per connection and one at start when the server has
    // no certificate ("Failed to read own certificate"): this server has none on purpose
    // (security policy None only), so those two targets are silenced.
    let filter = Targets::new()
        .with_default(LevelFilter::INFO)
        .with_target("opcua_core::comms::secure_channel", LevelFilter::OFF)
        .with_target("opcua_crypto::certificate_store", LevelFilter::OFF);
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(filter)
        .init();
    match serve(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("opcua_server: {error}");
            ExitCode::FAILURE
        }
    }
}

#[tokio::main]
async fn serve(args: Args) -> Result<(), Box<dyn Error>> {
    // A closing session is logged out first, so the live count drops with it.
    let mut engine = Engine::builder().name(ENGINE_NAME).on_close(live::closed);
    if let Some(file) = &args.audit {
        engine = engine.audit(sessions_examples::audit::trail(file)?);
    }
    let engine = engine.build()?;
    let _line1 = export_line(&engine, "Line1")?;
    // The count of sessions with a user, a variable clients read and subscribe to.
    let _active = live::export_active(&engine)?;
    let _users = engine.observe(live::user_changed);
    let mut builder = OpcUaHost::builder(engine).port(args.port);
    if let Some(file) = &args.accounts {
        let accounts = Accounts::load(file)?;
        eprintln!(
            "opcua_server: users log in from the accounts file {}",
            file.display()
        );
        builder = builder.accounts(accounts);
    }
    for user in args.users {
        builder = builder.user(user.name, user.password, user.roles);
    }
    let host = builder.start().await?;
    println!("listening on {}", host.endpoint_url());
    tokio::signal::ctrl_c().await?;
    host.shutdown().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> Result<Args, String> {
        parse(text.split_whitespace().map(str::to_owned))
    }

    #[test]
    fn users_ports_and_mistakes() {
        assert_eq!(
            args(""),
            Ok(Args {
                port: 4840,
                accounts: None,
                users: vec![],
                audit: None,
            })
        );
        let parsed = args("--accounts users.toml").expect("valid");
        assert_eq!(parsed.accounts, Some("users.toml".into()));
        assert!(args("--accounts")
            .expect_err("refused")
            .contains("needs a file"));
        let parsed = args("--port 0 --user ada:pw:admin,operator --user bob:b:").expect("valid");
        assert_eq!(parsed.port, 0);
        assert_eq!(
            parsed.users,
            [
                UserArg {
                    name: "ada".into(),
                    password: "pw".into(),
                    roles: vec!["admin".into(), "operator".into()]
                },
                UserArg {
                    name: "bob".into(),
                    password: "b".into(),
                    roles: vec![]
                },
            ]
        );
        assert!(args("--port 70000")
            .expect_err("refused")
            .contains("not a port number"));
        assert!(args("--user ada")
            .expect_err("refused")
            .contains("NAME:PASSWORD"));
        assert!(args("--user :pw")
            .expect_err("refused")
            .contains("name is empty"));
        assert!(args("--verbose")
            .expect_err("refused")
            .contains("unknown argument"));
    }
}
