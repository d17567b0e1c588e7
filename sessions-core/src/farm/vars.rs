//! The shared variables' thread: subscribed to the channel every change of a shared
//! variable is published on, it hands each change to the variable of its path on this
//! node. On every (re)connect it subscribes first, then reads again what Redis holds for
//! every variable this node shares (`VAR_SEED`), so a change published while it was cut
//! off, or data Redis lost in a restart, is not missed: every node converges on one value.
//!
//! Started by the first `Farm::share` of a node; it ends when the node stops.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::Value as Reply;

use super::node::Node;
use super::replica::{by_args, Remote, Replica};
use super::reply::{text, unexpected};
use super::report::Counters;
use super::scripts;
use super::FarmError;
use crate::lock::lock;

/// The thread's name.
pub(crate) const THREAD: &str = "sessions-farm-vars";
/// How long one read of the subscription waits before the thread looks at `stop` again (a
/// leaving node wakes it at once with `CLIENT KILL`).
const POLL: Duration = Duration::from_millis(500);
/// After this long without a message, the subscription is checked with a `PING`, so a
/// connection that died without a word is found and made again.
const CHECK_AFTER: Duration = Duration::from_secs(5);
/// The longest a failed connection waits before the next try.
const RETRY: Duration = Duration::from_millis(200);
/// How much larger than the farm's message limit a published change may be (its writer and
/// path around the value) before it is refused unread.
const ENVELOPE: usize = 4096;

const DOING: &str = "watching shared variables";

/// Runs until the node stops.
pub(crate) fn run(node: &Arc<Node>) {
    let mut trouble: Option<Instant> = None;
    loop {
        if node.stop.load(Ordering::Acquire) {
            return;
        }
        let error = subscribed(node, &mut trouble);
        if node.stop.load(Ordering::Acquire) {
            return;
        }
        if trouble.is_none() {
            trouble = Some(Instant::now());
            tracing::warn!(node = %node.name, %error, "the farm's shared variables are cut off from Redis; trying again every {} ms, then reading every one again", RETRY.as_millis());
        }
        std::thread::sleep(RETRY);
    }
}

/// One connection's life: subscribes, reads every shared variable again, then takes each
/// change published until the connection fails (the error) or the node stops.
fn subscribed(node: &Node, trouble: &mut Option<Instant>) -> FarmError {
    let fail = |error: redis::RedisError| node.link.error(DOING, &error);
    let mut con = match node.link.connect(DOING, None) {
        Ok(con) => con,
        Err(error) => return error,
    };
    match redis::cmd("CLIENT").arg("ID").query::<i64>(&mut con) {
        Ok(id) => node.vars_client.store(id, Ordering::Release),
        Err(error) => return fail(error),
    }
    let mut pubsub = con.as_pubsub();
    if let Err(error) = pubsub.subscribe(node.keys.vars_channel()) {
        return fail(error);
    }
    // From here on every change comes on the subscription: what Redis holds now is read.
    if let Err(error) = resync(node) {
        return error;
    }
    if let Some(since) = trouble.take() {
        tracing::info!(node = %node.name, after_ms = since.elapsed().as_millis() as u64, "the farm's shared variables are connected again and were read again");
    }
    if let Err(error) = pubsub.set_read_timeout(Some(POLL)) {
        return fail(error);
    }
    let mut heard = Instant::now();
    loop {
        if node.stop.load(Ordering::Acquire) {
            return FarmError::Left;
        }
        match pubsub.get_message() {
            Ok(message) => {
                heard = Instant::now();
                take(node, message.get_payload_bytes());
            }
            Err(error) if error.is_timeout() => {
                if heard.elapsed() >= CHECK_AFTER {
                    let checked = pubsub
                        .set_read_timeout(Some(node.link.io_timeout()))
                        .and_then(|()| pubsub.ping::<Reply>())
                        .and_then(|_| pubsub.set_read_timeout(Some(POLL)));
                    if let Err(error) = checked {
                        return fail(error);
                    }
                    heard = Instant::now();
                }
            }
            Err(error) => return fail(error),
        }
    }
}

/// Reads again what Redis holds for every variable this node shares.
fn resync(node: &Node) -> Result<(), FarmError> {
    let entries: Vec<(String, Arc<dyn Replica>)> = lock(&node.shared)
        .iter()
        .map(|(path, entry)| (path.clone(), entry.clone()))
        .collect();
    for (path, entry) in entries {
        match seed(node, &path, &*entry, node.link.deadline()) {
            Ok(()) => {}
            // This variable's value is no JSON: logged, the others go on.
            Err(FarmError::CannotShare { path, why }) => {
                tracing::error!(node = %node.name, %path, %why, "a shared variable could not be read again");
            }
            Err(error) => return Err(error),
        }
    }
    Ok(())
}

/// Puts what this node holds of the variable at `path` in Redis unless Redis holds a change
/// as new (`VAR_SEED`), and takes what Redis holds then, by `deadline`.
///
/// # Errors
/// [`FarmError::CannotShare`] when the value held cannot be written as JSON;
/// [`FarmError::Redis`] or [`FarmError::Protocol`] when Redis did not answer as the script
/// does.
pub(crate) fn seed(
    node: &Node,
    path: &str,
    entry: &dyn Replica,
    deadline: Instant,
) -> Result<(), FarmError> {
    const READING: &str = "reading a shared variable";
    let held = entry.held().map_err(|why| FarmError::CannotShare {
        path: path.to_owned(),
        why,
    })?;
    let [s, r, hu, u] = by_args(held.by.as_ref());
    let reply = node.script_by(
        deadline,
        READING,
        true,
        &scripts::VAR_SEED,
        &[
            path,
            &held.value,
            &held.version.to_string(),
            &held.at_ms.to_string(),
            &s,
            &r,
            &hu,
            &u,
        ],
    )?;
    let Some(change) = text(&reply) else {
        return Err(unexpected(READING, &reply));
    };
    take_into(node, path, entry, &change);
    Ok(())
}

/// Takes a change published on the channel: hands it to the variable of its path, if this
/// node shares one there.
fn take(node: &Node, payload: &[u8]) {
    if payload.len() > node.max_message_bytes + ENVELOPE {
        invalid(
            node,
            "?",
            &format!(
                "{} bytes, more than the farm's message limit ({} bytes)",
                payload.len(),
                node.max_message_bytes
            ),
        );
        return;
    }
    let remote = match std::str::from_utf8(payload)
        .map_err(|_| "not UTF-8".to_owned())
        .and_then(Remote::parse)
    {
        Ok(remote) => remote,
        Err(why) => return invalid(node, "?", &why),
    };
    let entry = lock(&node.shared).get(&remote.path).cloned();
    if let Some(entry) = entry {
        apply(node, &*entry, remote);
    }
}

/// Takes `change` (as `VAR_SEED` answers it) into the variable at `path`.
fn take_into(node: &Node, path: &str, entry: &dyn Replica, change: &str) {
    match Remote::parse(change) {
        Ok(remote) if remote.path == path => apply(node, entry, remote),
        Ok(remote) => invalid(
            node,
            path,
            &format!("Redis answered with the path {:?}", remote.path),
        ),
        Err(why) => invalid(node, path, &why),
    }
}

fn apply(node: &Node, entry: &dyn Replica, remote: Remote) {
    let path = remote.path.clone();
    let version = remote.version;
    match entry.apply(remote) {
        Ok(true) => Counters::add(&node.counters.shared_changes, 1),
        Ok(false) => {}
        Err(why) => invalid(node, &path, &format!("version {version}: {why}")),
    }
}

/// Logs a change that was not taken, then counts it: whoever sees the count finds the event.
fn invalid(node: &Node, path: &str, why: &str) {
    tracing::error!(node = %node.name, path, why, "a change of a shared variable from Redis was not taken (another program wrote the farm's keys, or nodes share this path with different types); counted in shared_invalid");
    Counters::add(&node.counters.shared_invalid, 1);
}
