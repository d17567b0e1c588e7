//! The farm (feature `farm`): engines in several processes, or on several machines, join
//! one farm through Redis (≥ 7), so that counts, lookups and messages span them all.
//!
//! A web farm runs several app servers behind a load balancer; a browser's tab sticks to
//! the server that holds its WebSocket, so each session lives on one node. The farm makes
//! the rest farm-wide:
//!
//! - **Ownership under a lease.** Every session the engine opens is announced with its
//!   node, user and client; closing it withdraws it; a change of user is announced again.
//!   The node renews its lease three times per lease; a node that stops (killed, hung, cut
//!   off from Redis) loses its sessions when its lease ends, and a live node then removes
//!   what it left ("reaping"). Leases are judged by Redis's clock alone.
//! - **Counts and lookups.** [`Farm::len`], [`Farm::active_count`],
//!   [`Farm::sessions_for_user`] and [`Farm::get`] span all live nodes, and none scans every
//!   key (`lookup.rs` says how each scales).
//! - **Messages.** [`Farm::post`] reaches a session on whichever node owns it, through that
//!   node's inbox: a Redis Stream read by a consumer group, acknowledged after the message
//!   ran, never run twice, in the order queued. A full inbox is an error to the sender; a
//!   message whose session is gone is counted undelivered and logged ([`FarmReport`]).
//! - **Shared variables.** [`Farm::share`] makes a [`Variable`](crate::Variable) one value
//!   on every node that shares its path: a write on any node goes to Redis first, which
//!   gives it the next version (one script: version, value, time and writer stored and
//!   published at once), and reaches the watchers on every node in that one order; a node
//!   takes a change only when it is newer, so a version never goes back. With Redis down, a
//!   write fails within the I/O timeout ([`SessionError::Unavailable`](crate::SessionError::Unavailable))
//!   and changes nothing; a value in Redis that is not of the variable's type is logged and
//!   counted ([`FarmReport::shared_invalid`]), never applied. The node's third thread,
//!   started by its first share, listens for changes (`vars.rs`).
//! - **Sessions that outlive their node.** The owner writes each session's user (and its
//!   roles), client, registered state (the types registered with
//!   [`EngineBuilder::persist`](crate::EngineBuilder::persist); every other type stays
//!   local) and a verifier of its web tab's resume token (a SHA-256 of the token's secret,
//!   never the secret) with its announcements, batched on the keeper thread. When a tab
//!   reconnects to a node that does not know its token, and the session's owner released
//!   it ([`Farm::drain`]) or its lease ended less than the adoption grace ago
//!   ([`FarmBuilder::adoption_grace`]), that node adopts it: one script checks the verifier
//!   and the client and moves the session (of two nodes racing, one wins), and the node
//!   opens it with the same id, user, client and state. The messages posted to it that
//!   were not acknowledged go with it, and run once, in order, on the adopter (`adopt.rs`).
//!   Its notifications follow it: each leaves for the tab only once written to Redis, a
//!   message's with its acknowledgement, so the adopter sends the tab those after what it
//!   says it received, and none twice (`carry.rs`). What is never adopted within the grace
//!   is counted undelivered when the dead node is reaped; what a drain leaves at its
//!   deadline, when the node leaves (`drain.rs`). [`FarmBuilder::failover`] turns all of
//!   this off.
//! - **Redis restarts.** Every connection is made again as needed; a node whose
//!   registration Redis lost registers again and announces every session anew, within one
//!   lease, and reads every shared variable again (putting back what it holds when Redis
//!   lost it), so a write made after the restart is kept and every node converges.
//!
//! ```no_run
//! use sessions_core::farm::Farm;
//! use sessions_core::{Engine, User, Value};
//!
//! let engine = Engine::new();
//! let farm = Farm::join(&engine, "redis://127.0.0.1:6379", "a")?;
//! let tab = engine.open()?;
//! tab.set_user(Some(User::new("bob")));
//! // On any node: bob's tabs, wherever they are, and a message to each.
//! for session in farm.sessions_for_user("bob")? {
//!     farm.post(session.id, "ShowNotice", vec![Value::from("admin"), Value::from("hello")])?;
//! }
//! println!("{} sessions, {} with a user, on {:?}", farm.len()?, farm.active_count()?, farm.nodes()?);
//! farm.leave()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The calls block for one Redis round trip, and never longer than the I/O timeout
//! ([`FarmBuilder::io_timeout`]): one deadline covers all a call does (waiting for this
//! node's own announcements, connecting, a try made again), so a stalled Redis costs each
//! call that needs it one timeout, not two or three. Calls that need no Redis (a post to a
//! session of this node) do not wait for it. Made on a worker of a multi-threaded tokio
//! runtime (a sync exported method that a web host runs), a call blocks off the worker
//! (`tokio::task::block_in_place`): the runtime hands the worker's other tasks to another
//! thread, so other tabs' calls go on while Redis is slow. On a current-thread runtime
//! there is no other thread to hand them to, and the call blocks it. The farm's own work
//! runs on two threads of its own per node (three once it shares a variable), so no async
//! runtime is needed. Redis access is node-level trust: any
//! client that can write the farm's keys can speak for any node (SECURITY.md).

mod adopt;
mod announce;
mod blocking;
mod builder;
mod carry;
mod drain;
mod error;
mod inbox;
mod keeper;
mod keys;
mod link;
mod lookup;
#[cfg(feature = "metrics")]
mod metrics;
mod node;
mod outgoing;
mod post;
mod renewals;
mod replica;
mod reply;
mod report;
mod scripts;
mod shared;
mod vars;
mod wire;

use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, Weak};
use std::thread::{self, JoinHandle};

pub use builder::{
    FarmBuilder, DEFAULT_ADOPTION_GRACE, DEFAULT_INBOX_CAPACITY, DEFAULT_IO_TIMEOUT, DEFAULT_LEASE,
    DEFAULT_MAX_MESSAGE_BYTES, MIN_LEASE,
};
pub use error::FarmError;
pub use lookup::FarmSession;
pub use report::FarmReport;
pub use shared::SharedVariable;

use crate::engine::EngineShared;
use crate::host::{EngineEvent, ObserverHandle};
use crate::lock::lock;
use crate::Engine;
use node::{Node, Registered};

/// This process's node in a farm: a cheap `Clone` handle. The node leaves the farm when
/// [`leave`](Farm::leave) is called, or when the last handle is dropped.
///
/// One engine joins one farm at a time; [`Farm::of`] finds the farm an engine is in, for
/// code that has only the engine (an exported method: `session.engine()`).
#[derive(Clone)]
pub struct Farm {
    handle: Arc<Handle>,
}

/// What the last handle's drop leaves with.
struct Handle {
    node: Arc<Node>,
    /// Taken (and so dropped: the engine stops telling) when the node stops.
    observer: Mutex<Option<ObserverHandle>>,
    threads: Mutex<Vec<JoinHandle<()>>>,
    /// Set by [`Farm::release`]: the engine's sessions when the node released them.
    released: Mutex<Option<Vec<crate::SessionId>>>,
}

/// The name of a node's inbox thread.
const INBOX_THREAD: &str = "sessions-farm-inbox";

/// The farm each engine is in, for [`Farm::of`]: weak on both sides.
static JOINED: Mutex<Vec<(Weak<EngineShared>, Weak<Handle>)>> = Mutex::new(Vec::new());

impl Farm {
    /// Joins the farm on the Redis at `redis_url` (`redis://host:port`,
    /// `redis+unix:///path/to/socket`, with `user:password@` if Redis asks for one) as node
    /// `node_name`, with default settings: see [`Farm::builder`].
    ///
    /// # Errors
    /// As [`FarmBuilder::join`].
    pub fn join(engine: &Engine, redis_url: &str, node_name: &str) -> Result<Farm, FarmError> {
        Farm::builder(engine, redis_url, node_name).join()
    }

    /// Settings for joining: lease, inbox capacity, message size, namespace, timeouts.
    pub fn builder(engine: &Engine, redis_url: &str, node_name: &str) -> FarmBuilder {
        FarmBuilder::new(engine, redis_url, node_name)
    }

    /// The farm `engine` is in, if it joined one and has not left.
    pub fn of(engine: &Engine) -> Option<Farm> {
        let shared = engine.downgrade();
        let joined = lock(&JOINED);
        joined
            .iter()
            .filter(|(other, _)| Weak::ptr_eq(other, &shared))
            .find_map(|(_, handle)| handle.upgrade())
            .filter(|handle| !handle.node.left.load(Ordering::Acquire))
            .map(|handle| Farm { handle })
    }

    pub(crate) fn node(&self) -> &Node {
        &self.handle.node
    }

    pub(crate) fn weak_node(&self) -> Weak<Node> {
        Arc::downgrade(&self.handle.node)
    }

    /// Starts the shared variables' thread (`vars.rs`), unless it runs.
    pub(crate) fn start_vars(&self) -> Result<(), FarmError> {
        let mut threads = lock(&self.handle.threads);
        if threads
            .iter()
            .any(|thread| thread.thread().name() == Some(vars::THREAD))
        {
            return Ok(());
        }
        let node = self.handle.node.clone();
        let thread = thread::Builder::new()
            .name(vars::THREAD.to_owned())
            .spawn(move || vars::run(&node))
            .map_err(|error| FarmError::Thread {
                thread: vars::THREAD,
                reason: error.to_string(),
            })?;
        threads.push(thread);
        Ok(())
    }

    /// This node's name.
    pub fn node_name(&self) -> &str {
        &self.handle.node.name
    }

    /// The engine this node serves.
    pub fn engine(&self) -> &Engine {
        &self.handle.node.engine
    }

    /// What this node did with messages that crossed Redis, so far.
    pub fn report(&self) -> FarmReport {
        self.handle.node.counters.report()
    }

    /// How many times this node has renewed its lease since it joined (three times per
    /// lease while Redis answers). A count that stops growing means the node is cut off
    /// from Redis, and its sessions vanish from the farm when the lease ends.
    pub fn lease_renewals(&self) -> u64 {
        self.handle.node.renewals.count()
    }

    /// The messages waiting in this node's inbox (posted, not yet acknowledged), as Redis
    /// counted them at the node's last lease renewal: at most a third of a lease old, and
    /// read with no round trip of its own. `None` before the first renewal.
    pub fn inbox_len(&self) -> Option<u64> {
        self.handle.node.renewals.inbox()
    }

    /// Writes this node's announcements that wait (opens, closes and changes of user not
    /// written yet), and returns once Redis has them: after it, every node sees them. The
    /// node writes them by itself within about one round trip; this is for a caller that
    /// must know.
    ///
    /// # Errors
    /// [`FarmError::Redis`] when Redis cannot be reached (they stay waiting, and the node
    /// writes them when it can); [`FarmError::Left`].
    pub fn flush(&self) -> Result<(), FarmError> {
        let node = self.node();
        node.check_live()?;
        blocking::off_worker(|| node.flush(node.link.deadline()))
    }

    /// Leaves the farm now, for every handle of this node: no more messages are taken for
    /// its sessions, the inbox is delivered to its end, the node's sessions are withdrawn
    /// and its inbox removed (messages that still came in are counted undelivered and
    /// logged). The engine and its sessions go on, alone. Returns the node's final report.
    /// When Redis cannot be reached, this waits for a failed connection a few times (each
    /// at most the I/O timeout), then returns.
    ///
    /// # Errors
    /// [`FarmError::Redis`] when Redis could not be told: the node's sessions then leave
    /// the farm when its lease ends. [`FarmError::Left`] when it had left already.
    pub fn leave(self) -> Result<FarmReport, FarmError> {
        blocking::off_worker(|| self.handle.leave())
    }

    fn start(node: Node) -> Result<Farm, FarmError> {
        if let Some(farm) = Farm::of(&node.engine) {
            return Err(FarmError::AlreadyJoined {
                node: farm.node_name().to_owned(),
            });
        }
        let node = Arc::new(node);
        // Observe first, so nothing opened while joining is missed.
        let announcer = node.announcer.clone();
        let failover = node.failover;
        let observer = node
            .engine
            .observe(move |event: &EngineEvent<'_>| announcer.heard(event, failover));
        let handle = Arc::new(Handle {
            node: node.clone(),
            observer: Mutex::new(Some(observer)),
            threads: Mutex::new(Vec::new()),
            released: Mutex::new(None),
        });
        let registered = node
            .register_and_resync()
            .and_then(|registered| match registered {
                Registered::Yes => Ok(()),
                Registered::Taken(left) => Err(FarmError::NodeTaken {
                    node: node.name.clone(),
                    lease_left_ms: left,
                }),
            });
        if let Err(error) = registered {
            handle.stop_quietly();
            return Err(error);
        }
        let mut threads = vec![
            ("sessions-farm-keeper", keeper::run as fn(&Arc<Node>)),
            (INBOX_THREAD, inbox::run as fn(&Arc<Node>)),
        ];
        if node.failover {
            threads.push((carry::THREAD, carry::run as fn(&Arc<Node>)));
        }
        for (name, run) in threads {
            let node = node.clone();
            match thread::Builder::new()
                .name(name.to_owned())
                .spawn(move || run(&node))
            {
                Ok(thread) => lock(&handle.threads).push(thread),
                Err(error) => {
                    let _ = handle.leave();
                    return Err(FarmError::Thread {
                        thread: name,
                        reason: error.to_string(),
                    });
                }
            }
        }
        if node.failover {
            node.engine.set_adopter(Some(adopt::adopter(&node)));
            node.engine
                .set_notification_writer(Some(carry::writer(&node)));
        }
        let mut joined = lock(&JOINED);
        joined.retain(|(engine, handle)| engine.strong_count() > 0 && handle.strong_count() > 0);
        joined.push((node.engine.downgrade(), Arc::downgrade(&handle)));
        drop(joined);
        tracing::info!(node = %node.name, redis = node.link.url(), sessions = node.engine.len(), "the node joined the farm");
        Ok(Farm { handle })
    }
}

impl Handle {
    /// Stops everything without telling Redis (joining failed).
    fn stop_quietly(&self) {
        let node = &self.node;
        node.left.store(true, Ordering::Release);
        node.stop.store(true, Ordering::Release);
        lock(&self.observer).take();
    }

    fn leave(&self) -> Result<FarmReport, FarmError> {
        let node = &self.node;
        if node.left.swap(true, Ordering::AcqRel) {
            return Err(FarmError::Left);
        }
        node.engine.set_adopter(None);
        node.engine.set_notification_writer(None);
        lock(&self.observer).take();
        // Shared variables are local again: their writes no longer wait for Redis.
        let shared = std::mem::take(&mut *lock(&node.shared));
        for entry in shared.values() {
            entry.unshare();
        }
        let inc = node.inc.clone();
        let lease = node.lease_ms().to_string();
        // 1. No more posts to this node; its lease runs one more lease, to deliver.
        let leaving = node.script(
            "leaving the farm",
            true,
            &scripts::LEAVING,
            &[&node.name, &inc, &lease],
        );
        // 2. The inbox thread delivers what is left, then ends; the keeper ends.
        node.draining.store(true, Ordering::Release);
        node.wake_inbox();
        let threads = std::mem::take(&mut *lock(&self.threads));
        let (inbox, keeper): (Vec<_>, Vec<_>) = threads
            .into_iter()
            .partition(|t| t.thread().name() == Some(INBOX_THREAD));
        for thread in inbox {
            if thread.thread().id() != thread::current().id() {
                let _ = thread.join();
            }
        }
        node.stop.store(true, Ordering::Release);
        node.announcer.nudge();
        node.outgoing.wake();
        // The sessions are this engine's alone now: what waited to be written may leave.
        outgoing::Outgoing::written(node.outgoing.take(true).1);
        let client = node.vars_client.load(Ordering::Acquire);
        if client != 0 {
            // Wakes the shared variables' thread from its read; it sees `stop` and ends.
            let _ = node.link.run(
                "waking the shared variables' thread",
                true,
                node.link.deadline(),
                |con| {
                    redis::cmd("CLIENT")
                        .arg("KILL")
                        .arg("ID")
                        .arg(client)
                        .query::<redis::Value>(con)
                },
            );
        }
        for thread in keeper {
            if thread.thread().id() != thread::current().id() {
                let _ = thread.join();
            }
        }
        // 3. The lease ends now; the node's sessions and inbox are removed, and what came in
        //    after the inbox was drained is counted undelivered.
        let retired = leaving.and_then(|_| {
            node.script(
                "leaving the farm",
                true,
                &scripts::RETIRE,
                &[&node.name, &inc],
            )
        });
        let reaped = retired.and_then(|_| node.reap(&node.name, 0));
        lock(&JOINED).retain(|(_, handle)| {
            handle.strong_count() > 0 && !std::ptr::eq(handle.as_ptr(), self)
        });
        let report = node.counters.report();
        match reaped {
            Ok(_) => {
                tracing::info!(node = %node.name, ?report, "the node left the farm");
                Ok(report)
            }
            Err(error) => {
                tracing::warn!(node = %node.name, %error, "the node left, but could not tell Redis: its sessions leave the farm when its lease ends");
                Err(error)
            }
        }
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        if !self.node.left.load(Ordering::Acquire) {
            let _ = blocking::off_worker(|| self.leave());
        }
    }
}

impl fmt::Debug for Farm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let node = &self.handle.node;
        f.debug_struct("Farm")
            .field("node", &node.name)
            .field("redis", &node.link.url())
            .field("lease", &node.lease)
            .field("left", &node.left.load(Ordering::Acquire))
            .field("report", &node.counters.report())
            .finish()
    }
}
