//! The command line: `--port N`, `--grace-ms N`, `--accounts FILE`, `--audit FILE`,
//! `--cookie-key FILE`, the
//! connection caps, the drain's `--unready-ms N` and `--drain-ms N`, and the farm's `--farm
//! URL --node NAME [--lease-ms N]`, read by hand (a few options need no parser crate).

use std::path::PathBuf;
use std::time::Duration;

use sessions_core::web::DEFAULT_GRACE_PERIOD;
use sessions_examples::farm::{FarmArgs, FarmOptions};

pub const USAGE: &str = "\
Serves the example methods to browsers: every tab a session, with a page that shows it.

Usage:
  web_host [--port N] [--grace-ms N] [--accounts FILE] [--audit FILE]
           [--max-connections N] [--max-connections-per-peer N] [--cookie-key FILE]
           [--unready-ms N] [--drain-ms N] [--farm URL --node NAME [--lease-ms N]]

Options:
  --port N       the port to listen on, on 127.0.0.1 (default 8080; 0 picks a free one);
                 the first line on stdout is `listening on http://127.0.0.1:PORT`
  --grace-ms N   how long a closed tab's session waits for the tab to come back before
                 it closes, in milliseconds (default 30000)
  --accounts FILE  the users who may log in (password hashes and roles; make entries
                 with `accounts add --file FILE NAME --roles admin`). Without it, the
                 demo file examples/demo-accounts.toml, whose passwords the README names:
                 a demo store, for trying the page only
  --audit FILE   append an audit record of every call to FILE (JSON lines)
  --max-connections N  how many connections the server holds at once (default 10000);
                 one more is refused
  --max-connections-per-peer N  how many of them one address may hold (default 256):
                 raise it for a load test from one machine, or behind a reverse proxy
  --cookie-key FILE  sign the browsers' client cookies with the key in FILE (at least 32
                 random bytes; keep it secret) instead of a random one: servers that share
                 it know each other's browsers, so on a farm a tab resumes on any of them
  --unready-ms N  on SIGTERM, how long readiness fails before the tabs are closed, so
                 the load balancer's health check takes the server out first (default 1000)
  --drain-ms N   on SIGTERM the server drains: GET /sessions/ready answers 503, new tabs
                 are refused, calls stop (answered -32014: not run) and the running
                 ones finish, it hands its sessions to the farm, closes every tab with 1012
                 (service restart:
                 the pages reconnect to another server), leaves the farm and exits 0; each
                 step waits at most N milliseconds (default 10000)
  --help         this text

Many servers (a notice reaches a user's tabs on every server of the farm):";

/// What the command line asks for.
#[derive(Debug, PartialEq)]
pub struct Options {
    pub port: u16,
    pub grace_period: Duration,
    /// The accounts file users log in from; `None`: the shipped demo file.
    pub accounts: Option<PathBuf>,
    /// The audit trail's file, if any.
    pub audit: Option<PathBuf>,
    /// The file of the key client cookies are signed with, if not a random one.
    pub cookie_key: Option<PathBuf>,
    /// The farm to join, if any.
    pub farm: Option<FarmOptions>,
    /// The cap on connections in all, if not the host's default.
    pub max_connections: Option<usize>,
    /// The cap on one peer's connections, if not the host's default.
    pub max_connections_per_peer: Option<usize>,
    /// How long each step of the drain on SIGTERM may wait.
    pub drain_deadline: Duration,
    /// How long readiness fails on SIGTERM before the tabs are closed.
    pub unready: Duration,
}

/// How long readiness fails on SIGTERM before the tabs are closed, by default: a few of
/// the README's HAProxy health checks (every 500 ms).
pub const DEFAULT_UNREADY: Duration = Duration::from_secs(1);

/// How long each step of the drain on SIGTERM waits by default.
pub const DEFAULT_DRAIN: Duration = Duration::from_secs(10);

/// The options, `None` for `--help`, or what is wrong with the command line.
pub fn parse(args: &[String]) -> Result<Option<Options>, String> {
    let mut options = Options {
        port: 8080,
        grace_period: DEFAULT_GRACE_PERIOD,
        accounts: None,
        audit: None,
        cookie_key: None,
        farm: None,
        max_connections: None,
        max_connections_per_peer: None,
        drain_deadline: DEFAULT_DRAIN,
        unready: DEFAULT_UNREADY,
    };
    let mut farm = FarmArgs::default();
    let mut args = args.iter().map(String::as_str);
    while let Some(arg) = args.next() {
        if farm.take(arg, &mut args)? {
            continue;
        }
        match arg {
            "--help" | "-h" => return Ok(None),
            "--port" => options.port = number(arg, args.next())?,
            "--grace-ms" => options.grace_period = Duration::from_millis(number(arg, args.next())?),
            "--max-connections" => options.max_connections = Some(number(arg, args.next())?),
            "--max-connections-per-peer" => {
                options.max_connections_per_peer = Some(number(arg, args.next())?);
            }
            "--accounts" => {
                let file = args.next().ok_or("--accounts needs a file")?;
                options.accounts = Some(PathBuf::from(file));
            }
            "--audit" => {
                let file = args.next().ok_or("--audit needs a FILE")?;
                options.audit = Some(PathBuf::from(file));
            }
            "--unready-ms" => options.unready = Duration::from_millis(number(arg, args.next())?),
            "--drain-ms" => {
                options.drain_deadline = Duration::from_millis(number(arg, args.next())?)
            }
            "--cookie-key" => {
                let file = args.next().ok_or("--cookie-key needs a FILE")?;
                options.cookie_key = Some(PathBuf::from(file));
            }
            option if option.starts_with('-') => return Err(format!("unknown option {option:?}")),
            argument => return Err(format!("unexpected argument {argument:?}")),
        }
    }
    options.farm = farm.finish()?;
    Ok(Some(options))
}

fn number<T: std::str::FromStr>(option: &str, value: Option<&str>) -> Result<T, String> {
    let value = value.ok_or_else(|| format!("{option} needs a number"))?;
    value
        .parse()
        .map_err(|_| format!("{option} needs a number, got {value:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn reads_the_port_and_the_grace_period() {
        assert_eq!(
            parse(&args("")),
            Ok(Some(Options {
                port: 8080,
                grace_period: DEFAULT_GRACE_PERIOD,
                accounts: None,
                audit: None,
                cookie_key: None,
                farm: None,
                max_connections: None,
                max_connections_per_peer: None,
                drain_deadline: DEFAULT_DRAIN,
                unready: DEFAULT_UNREADY,
            }))
        );
        assert_eq!(
            parse(&args("--port 0 --grace-ms 1500")),
            Ok(Some(Options {
                port: 0,
                grace_period: Duration::from_millis(1500),
                accounts: None,
                audit: None,
                cookie_key: None,
                farm: None,
                max_connections: None,
                max_connections_per_peer: None,
                drain_deadline: DEFAULT_DRAIN,
                unready: DEFAULT_UNREADY,
            }))
        );
        assert_eq!(
            parse(&args("--accounts users.toml"))
                .map(|options| options.and_then(|options| options.accounts)),
            Ok(Some(PathBuf::from("users.toml")))
        );
        assert_eq!(
            parse(&args("--accounts")),
            Err("--accounts needs a file".to_owned())
        );
        assert_eq!(
            parse(&args("--audit calls.jsonl")).map(|options| options.and_then(|o| o.audit)),
            Ok(Some(PathBuf::from("calls.jsonl")))
        );
        assert_eq!(
            parse(&args("--audit")),
            Err("--audit needs a FILE".to_owned())
        );
        let farm = FarmOptions {
            url: "redis://127.0.0.1:6379".to_owned(),
            node: "a".to_owned(),
            lease: None,
        };
        assert_eq!(
            parse(&args("--farm redis://127.0.0.1:6379 --node a --port 0"))
                .map(|options| options.and_then(|options| options.farm)),
            Ok(Some(farm))
        );
        assert_eq!(
            parse(&args(
                "--farm redis://127.0.0.1:6379 --node a --lease-ms 2000"
            ))
            .map(|options| options.and_then(|options| options.farm?.lease)),
            Ok(Some(Duration::from_millis(2000)))
        );
        assert_eq!(
            parse(&args("--cookie-key key.bin"))
                .map(|options| options.and_then(|options| options.cookie_key)),
            Ok(Some(PathBuf::from("key.bin")))
        );
        assert_eq!(
            parse(&args("--cookie-key")),
            Err("--cookie-key needs a FILE".to_owned())
        );
        assert_eq!(
            parse(&args("--node a")),
            Err("--node needs --farm URL too".to_owned())
        );
        assert_eq!(
            parse(&args(
                "--max-connections 20000 --max-connections-per-peer 19000"
            ))
            .map(|o| o.map(|o| (o.max_connections, o.max_connections_per_peer))),
            Ok(Some((Some(20000), Some(19000))))
        );
        assert_eq!(
            parse(&args("--drain-ms 2500 --unready-ms 0"))
                .map(|o| o.map(|o| (o.drain_deadline, o.unready))),
            Ok(Some((Duration::from_millis(2500), Duration::ZERO)))
        );
        assert_eq!(
            parse(&args("--drain-ms")),
            Err("--drain-ms needs a number".to_owned())
        );
        assert_eq!(parse(&args("--port 1 --help")), Ok(None));
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        assert_eq!(
            parse(&args("--port")),
            Err("--port needs a number".to_owned())
        );
        assert_eq!(
            parse(&args("--port 70000")),
            Err("--port needs a number, got \"70000\"".to_owned())
        );
        assert_eq!(
            parse(&args("--verbose")),
            Err("unknown option \"--verbose\"".to_owned())
        );
        assert_eq!(
            parse(&args("8080")),
            Err("unexpected argument \"8080\"".to_owned())
        );
    }
}
