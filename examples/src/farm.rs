//! Many servers: the examples' engine on a farm (`sessions_core::farm`), so that a notice
//! from an admin's tab on one server reaches the user's tabs on every server.
//!
//! A program joins with `--farm URL --node NAME` (and `--lease-ms N`: [`FarmArgs`] reads
//! them, [`join`] joins);
//! from then on [`notify_user`](crate::notices::notify_user) finds the user's sessions on
//! every node ([`Farm::sessions_for_user`]) and posts `ShowNotice` to each with
//! [`Farm::post`], which reaches a session on another node through that node's Redis
//! inbox. Without a farm, it posts to the sessions of its own engine, as before.
//!
//! On a farm, the oven's target is shared ([`share_line`]): an operator who sets it on one
//! server sees every server's page show it, and every server's oven heat towards it.

use std::time::Duration;

use sessions_core::farm::{Farm, FarmError, FarmReport, SharedVariable};
use sessions_core::{Engine, Value};

use crate::line::Oven;

/// The options' lines for a program's `--help`.
pub const USAGE: &str =
    "  --farm URL     join the farm on the Redis at URL (redis://127.0.0.1:6379,
                 redis+unix:///path/to/redis.sock), with --node
  --node NAME    this server's name in the farm (A-Z a-z 0-9 _ . -, at most 64)
  --lease-ms N   how long this server's sessions outlive its last lease renewal, in
                 milliseconds (default 10000, at least 300): when it dies, its tabs resume
                 on another server once the lease has ended; shorter moves them sooner,
                 but a server that cannot reach Redis for a third of it loses them";

/// Where and as what to join a farm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FarmOptions {
    /// The Redis URL.
    pub url: String,
    /// This node's name.
    pub node: String,
    /// The node's lease (`--lease-ms`), if not the farm's default
    /// ([`DEFAULT_LEASE`](sessions_core::farm::DEFAULT_LEASE)).
    pub lease: Option<Duration>,
}

/// `--farm URL`, `--node NAME` and `--lease-ms N`, as a command line gives them.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FarmArgs {
    url: Option<String>,
    node: Option<String>,
    lease: Option<String>,
}

impl FarmArgs {
    /// Takes `arg` and its value from `rest` when `arg` is `--farm`, `--node` or
    /// `--lease-ms`, and says whether it did.
    ///
    /// # Errors
    /// The option has no value.
    pub fn take<'a>(
        &mut self,
        arg: &str,
        rest: &mut impl Iterator<Item = &'a str>,
    ) -> Result<bool, String> {
        let slot = match arg {
            "--farm" => &mut self.url,
            "--node" => &mut self.node,
            "--lease-ms" => &mut self.lease,
            _ => return Ok(false),
        };
        let value = rest.next().ok_or_else(|| format!("{arg} needs a value"))?;
        *slot = Some(value.to_owned());
        Ok(true)
    }

    /// The farm to join, if any.
    ///
    /// # Errors
    /// One of `--farm` and `--node` without the other, `--lease-ms` without them, or a
    /// lease that is not a number of milliseconds.
    pub fn finish(self) -> Result<Option<FarmOptions>, String> {
        let lease = self
            .lease
            .map(|ms| {
                ms.parse::<u64>()
                    .map(Duration::from_millis)
                    .map_err(|_| format!("--lease-ms needs a number, got {ms:?}"))
            })
            .transpose()?;
        match (self.url, self.node) {
            (Some(url), Some(node)) => Ok(Some(FarmOptions { url, node, lease })),
            (None, None) if lease.is_some() => Err("--lease-ms needs --farm URL too".to_owned()),
            (None, None) => Ok(None),
            (Some(_), None) => Err("--farm needs --node NAME too".to_owned()),
            (None, Some(_)) => Err("--node needs --farm URL too".to_owned()),
        }
    }
}

/// Joins the farm `options` names with `engine`, with its lease if it gives one (the farm
/// logs that it joined).
///
/// # Errors
/// As [`Farm::join`]: Redis cannot be reached, the node name is taken or invalid.
pub fn join(engine: &Engine, options: &FarmOptions) -> Result<Farm, FarmError> {
    let builder = Farm::builder(engine, &options.url, &options.node);
    match options.lease {
        Some(lease) => builder.lease(lease),
        None => builder,
    }
    .join()
}

/// The farm's side of a server's drain (SIGTERM in `web_host`), in one place: the node
/// waits, up to `deadline`, until other nodes adopted its sessions (released with
/// [`Farm::release`] before `web_host` closed its tabs with 1012, so they reconnect
/// elsewhere), then leaves the farm; what no node adopted is counted in the report
/// ([`Farm::drain`]).
///
/// # Errors
/// As [`Farm::drain`]: Redis could not be told (the node's sessions are then adoptable
/// when its lease ends).
pub fn drain(farm: Farm, deadline: Duration) -> Result<FarmReport, FarmError> {
    farm.drain(deadline)
}

/// Shares the target of line `line`'s oven on the farm, as `"<line>/Oven/Target"`: one value
/// on every server, written by an operator on any of them (`Line1/Oven.SetTarget`, or a
/// host's write of `Line1/Oven/Target`). The actual temperature stays each server's own:
/// every server's heater moves it towards the one target. Shared while the handle lives.
///
/// # Errors
/// As [`Farm::share`]: Redis cannot be read, or this server shares that path already.
pub fn share_line(farm: &Farm, line: &str, oven: &Oven) -> Result<SharedVariable, FarmError> {
    farm.share(oven.target_variable(), &format!("{line}/Oven/Target"))
}

/// Posts `ShowNotice(from, text)` to every session of `user` in the farm, on whichever node
/// it is; returns to how many.
///
/// # Errors
/// Redis cannot be reached, or an inbox is full: the notice may have reached some sessions.
pub fn notify_user(farm: &Farm, user: &str, from: &str, text: &str) -> Result<u32, FarmError> {
    let mut targets = farm.sessions_for_user(user)?;
    // In no particular order from Redis: post in a stable one.
    targets.sort_by(|a, b| (&a.node, a.id).cmp(&(&b.node, b.id)));
    let mut sent = 0;
    for target in targets {
        let args = vec![Value::from(from), Value::from(text)];
        match farm.post(target.id, "ShowNotice", args) {
            Ok(()) => sent += 1,
            // Closed since it was listed: nothing to show it to.
            Err(FarmError::NotFound(_)) => {}
            Err(error) => return Err(error),
        }
    }
    Ok(sent)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(line: &str) -> Result<Option<FarmOptions>, String> {
        let mut args = FarmArgs::default();
        let mut rest = line.split_whitespace();
        while let Some(arg) = rest.next() {
            if !args.take(arg, &mut rest)? {
                return Err(format!("not a farm option: {arg}"));
            }
        }
        args.finish()
    }

    #[test]
    fn reads_both_options_or_neither() {
        assert_eq!(read(""), Ok(None));
        assert_eq!(
            read("--farm redis://127.0.0.1:6379 --node a"),
            Ok(Some(FarmOptions {
                url: "redis://127.0.0.1:6379".to_owned(),
                node: "a".to_owned(),
                lease: None,
            }))
        );
        assert_eq!(
            read("--farm redis://x --node a --lease-ms 2000").map(|o| o.and_then(|o| o.lease)),
            Ok(Some(Duration::from_millis(2000)))
        );
        assert_eq!(
            read("--lease-ms 2000"),
            Err("--lease-ms needs --farm URL too".to_owned())
        );
        assert_eq!(
            read("--farm redis://x --node a --lease-ms soon"),
            Err("--lease-ms needs a number, got \"soon\"".to_owned())
        );
        assert_eq!(
            read("--node a"),
            Err("--node needs --farm URL too".to_owned())
        );
        assert_eq!(
            read("--farm x"),
            Err("--farm needs --node NAME too".to_owned())
        );
        assert_eq!(read("--farm"), Err("--farm needs a value".to_owned()));
        assert_eq!(
            read("--port 1"),
            Err("not a farm option: --port".to_owned())
        );
    }
}
