//! This node's part of the farm: its registration under a lease, the announcement of its
//! sessions, and the reaping of nodes whose lease ended. The threads that drive it are in
//! `keeper.rs` (lease, announcements, reaping) and `inbox.rs` (messages).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use redis::Value as Reply;

use super::announce::Announcer;
use super::keys::{Keys, GROUP};
use super::link::{pipeline_by, Link};
use super::outgoing::Outgoing;
use super::renewals::Renewals;
use super::replica::Replica;
use super::reply::{int, list, text, texts, unexpected};
use super::report::Counters;
use super::scripts;
use super::FarmError;
use crate::lock::lock;
use crate::{Engine, SessionId};

/// How many sessions one reaping step removes (one script run: Redis is busy with nothing
/// else meanwhile, so a step is kept short).
pub(crate) const REAP_BATCH: usize = 500;
/// How many announcements go to Redis in one pipeline.
const ANNOUNCE_BATCH: usize = 512;
/// The most the inbox waits for this node's adoptions under way before it calls a message
/// for a session it does not have undelivered (an adoption is one script and an opening).
const ADOPTION_WAIT: Duration = Duration::from_secs(2);

/// Everything the farm's threads and handles share.
pub(crate) struct Node {
    pub(crate) engine: Engine,
    pub(crate) name: String,
    /// This incarnation's token: writes of a node whose registration was lost (Redis
    /// restarted, or the node was reaped) are refused until it registers again.
    pub(crate) inc: String,
    pub(crate) keys: Keys,
    pub(crate) link: Link,
    pub(crate) lease: Duration,
    /// How long after this node's lease ended (or another node's) its sessions may still be
    /// adopted: their messages wait, and nothing is counted undelivered before it ends.
    pub(crate) grace: Duration,
    pub(crate) inbox_capacity: u64,
    pub(crate) max_message_bytes: usize,
    pub(crate) counters: Counters,
    pub(crate) renewals: Renewals,
    pub(crate) announcer: Arc<Announcer>,
    /// Notifications that wait to be written (`carry.rs`).
    pub(crate) outgoing: Outgoing,
    /// Whether sessions' state and notifications are written for another node to adopt
    /// them (`FarmBuilder::failover`).
    pub(crate) failover: bool,
    /// One writer of announcements at a time, so an older state never lands after a newer;
    /// waited for by the deadline of the call that waits.
    writer: Writer,
    /// Whether this node is registered as far as it knows; when not, the keeper registers
    /// it again and announces every session anew.
    pub(crate) registered: AtomicBool,
    /// Set when the node leaves: its threads end, its calls answer `FarmError::Left`.
    pub(crate) left: AtomicBool,
    /// Set when the inbox thread must deliver what is left and stop.
    pub(crate) draining: AtomicBool,
    /// Set by a drain: the sessions are released to other nodes; this node writes no more
    /// announcements and its inbox thread stops reading (messages wait for the adopters).
    pub(crate) released: AtomicBool,
    /// Adoptions under way here: from the script that moves a session to this node to its
    /// opening on the engine. A post to the session in between reaches this node's inbox
    /// before the engine has it; the inbox waits for them before calling it undelivered.
    pub(crate) adopting: AtomicUsize,
    /// Adopted sessions whose waiting messages are still to be moved to this node's inbox
    /// (a HANDOVER that failed): the keeper tries again each round.
    pub(crate) handovers: Mutex<BTreeSet<SessionId>>,
    /// Set when every thread must stop now.
    pub(crate) stop: AtomicBool,
    /// The inbox connection's `CLIENT ID`, to wake its blocking read (0: none).
    pub(crate) inbox_client: AtomicI64,
    /// How many times this node made its inbox's consumer group: a new group is a new
    /// inbox, whose entries the inbox thread must not judge by the old one's watermark.
    pub(crate) inbox_made: AtomicU64,
    /// The variables this node shares, by path (`shared.rs`), read by the shared
    /// variables' thread (`vars.rs`).
    pub(crate) shared: Mutex<BTreeMap<String, Arc<dyn Replica>>>,
    /// The shared variables' thread's `CLIENT ID`, to wake it when the node leaves (0: none).
    pub(crate) vars_client: AtomicI64,
}

/// What a reaping found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Reaped {
    /// Sessions removed by this call.
    pub(crate) sessions: usize,
    /// Messages left in the node's inbox (counted by whoever removed it: this call, if not 0).
    pub(crate) left: u64,
    /// Whether the node turned out to be alive (nothing was done).
    pub(crate) alive: bool,
}

/// How a registration went.
pub(crate) enum Registered {
    Yes,
    /// Another process holds the name; its lease runs this long.
    Taken(u64),
}

impl Node {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        engine: Engine,
        name: String,
        keys: Keys,
        link: Link,
        lease: Duration,
        grace: Duration,
        inbox_capacity: u64,
        max_message_bytes: usize,
        failover: bool,
    ) -> Node {
        Node {
            engine,
            name,
            inc: SessionId::random().to_string(),
            keys,
            link,
            lease,
            grace,
            inbox_capacity,
            max_message_bytes,
            counters: Counters::default(),
            renewals: Renewals::default(),
            announcer: Arc::new(Announcer::default()),
            outgoing: Outgoing::default(),
            failover,
            writer: Writer::default(),
            registered: AtomicBool::new(false),
            left: AtomicBool::new(false),
            draining: AtomicBool::new(false),
            released: AtomicBool::new(false),
            adopting: AtomicUsize::new(0),
            handovers: Mutex::new(BTreeSet::new()),
            stop: AtomicBool::new(false),
            inbox_client: AtomicI64::new(0),
            inbox_made: AtomicU64::new(0),
            shared: Mutex::new(BTreeMap::new()),
            vars_client: AtomicI64::new(0),
        }
    }

    /// Waits until no adoption is under way here (at most [`ADOPTION_WAIT`]); whether none
    /// is. Blocks: for the inbox thread.
    pub(crate) fn wait_for_adoptions(&self) -> bool {
        let until = Instant::now() + ADOPTION_WAIT;
        while self.adopting.load(Ordering::Acquire) > 0 {
            if Instant::now() >= until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }

    /// How long after a node's lease ended its sessions may still be adopted, in ms.
    pub(crate) fn grace_ms(&self) -> u64 {
        u64::try_from(self.grace.as_millis()).unwrap_or(u64::MAX)
    }

    pub(crate) fn lease_ms(&self) -> u64 {
        u64::try_from(self.lease.as_millis()).unwrap_or(u64::MAX)
    }

    /// Runs one of the farm's scripts with `args` after the prefix, within one I/O timeout.
    pub(crate) fn script(
        &self,
        doing: &'static str,
        repeatable: bool,
        script: &scripts::Script,
        args: &[&str],
    ) -> Result<Reply, FarmError> {
        self.script_by(self.link.deadline(), doing, repeatable, script, args)
    }

    /// Runs one of the farm's scripts with `args` after the prefix, by `deadline`.
    pub(crate) fn script_by(
        &self,
        deadline: Instant,
        doing: &'static str,
        repeatable: bool,
        script: &scripts::Script,
        args: &[&str],
    ) -> Result<Reply, FarmError> {
        let mut cmd = script.call();
        cmd.arg(self.keys.prefix());
        for arg in args {
            cmd.arg(*arg);
        }
        self.link
            .run(doing, repeatable, deadline, |con| cmd.query(con))
    }

    /// Registers this node (reaping its dead former self first if need be), announces every
    /// session of the engine anew, and makes sure its inbox's consumer group exists.
    pub(crate) fn register_and_resync(&self) -> Result<Registered, FarmError> {
        let lease = self.lease_ms().to_string();
        let cap = self.inbox_capacity.to_string();
        let max = self.max_message_bytes.to_string();
        let grace = self.grace_ms().to_string();
        // Each round either registers, or reaps the dead former node to its end; a name that
        // keeps coming back dead (another process joining and dying in a loop) gives up.
        for _ in 0..8 {
            let reply = self.script(
                "registering the node",
                true,
                &scripts::REGISTER,
                &[&self.name, &self.inc, &lease, &cap, &max, &grace],
            )?;
            let fields = texts("registering the node", &reply)?;
            match fields.first().map(String::as_str) {
                Some("ok") => {
                    self.ensure_group()?;
                    self.registered.store(true, Ordering::Release);
                    self.resync()?;
                    return Ok(Registered::Yes);
                }
                Some("taken") => {
                    let left = fields.get(1).and_then(|ms| ms.parse().ok()).unwrap_or(0);
                    return Ok(Registered::Taken(left));
                }
                Some("reap") => {
                    self.reap(&self.name, 0)?;
                }
                _ => return Err(unexpected("registering the node", &reply)),
            }
        }
        Err(FarmError::Protocol {
            what: "registering the node",
            found: "the name stayed held by a dead node after 8 reapings".to_owned(),
        })
    }

    /// Creates the inbox's consumer group (and the stream) unless it exists; `Ok(true)` when
    /// it was created.
    pub(crate) fn ensure_group(&self) -> Result<bool, FarmError> {
        let inbox = self.keys.inbox(&self.name);
        let deadline = self.link.deadline();
        let created = self.link.run("creating the inbox", true, deadline, |con| {
            let reply: redis::RedisResult<()> = redis::cmd("XGROUP")
                .arg("CREATE")
                .arg(&inbox)
                .arg(GROUP)
                .arg("0")
                .arg("MKSTREAM")
                .query(con);
            match reply {
                Ok(()) => Ok(true),
                Err(error) if error.code() == Some("BUSYGROUP") => Ok(false),
                Err(error) => Err(error),
            }
        })?;
        if created {
            self.inbox_made.fetch_add(1, Ordering::AcqRel);
        }
        Ok(created)
    }

    /// Marks every session of the engine, and every one Redis says this node announced, to
    /// be written again, and writes them.
    fn resync(&self) -> Result<(), FarmError> {
        let reply = self.script(
            "listing the node's sessions",
            true,
            &scripts::OWNED,
            &[&self.name, &self.inc],
        )?;
        let owned = texts("listing the node's sessions", &reply)?;
        let owned = owned.iter().filter_map(|id| id.parse::<SessionId>().ok());
        let local = self.engine.sessions().into_iter().map(|s| s.id());
        self.announcer.mark_all(owned.chain(local));
        self.flush(self.link.deadline())
    }

    /// Writes every announcement that waits, by `deadline`. Errors leave them waiting.
    pub(crate) fn flush(&self, deadline: Instant) -> Result<(), FarmError> {
        let Some(_one_writer) = self.writer.lock_by(deadline) else {
            return Err(self.link.timed_out("waiting for this node's announcements"));
        };
        let ids: Vec<SessionId> = self.announcer.take().into_iter().collect();
        if self.released.load(Ordering::Acquire) {
            // Released for a drain: the sessions are other nodes' to adopt, as written.
            return Ok(());
        }
        for (at, chunk) in ids.chunks(ANNOUNCE_BATCH).enumerate() {
            if let Err(error) = self.write(chunk, deadline) {
                // What was not written waits for the next flush.
                self.announcer
                    .mark_all(ids[at * ANNOUNCE_BATCH..].iter().copied());
                return Err(error);
            }
        }
        Ok(())
    }

    /// Writes the state of each session in `ids`: announced when open here, withdrawn when
    /// not.
    fn write(&self, ids: &[SessionId], deadline: Instant) -> Result<(), FarmError> {
        const DOING: &str = "announcing sessions";
        let mut pipe = redis::pipe();
        for id in ids {
            let id_text = id.to_string();
            let cmd = match self.engine.get(*id).filter(|s| s.is_open()) {
                Some(session) => {
                    let user = session.user();
                    let client = session.client();
                    let mut cmd = scripts::ANNOUNCE.call();
                    cmd.arg(self.keys.prefix())
                        .arg(&self.name)
                        .arg(&self.inc)
                        .arg(id_text)
                        .arg(if user.is_some() { "1" } else { "0" })
                        .arg(user.as_ref().map_or("", |u| u.name()))
                        .arg(if client.is_some() { "1" } else { "0" })
                        .arg(client.map(|c| c.to_string()).unwrap_or_default())
                        .arg(self.failover_state(&session));
                    match session.resume_verifier().filter(|_| self.failover) {
                        Some(verifier) => cmd.arg(&verifier.key).arg(&verifier.hash),
                        None => cmd.arg("").arg(""),
                    };
                    let roles: Vec<&str> = user.iter().flat_map(|u| u.roles()).collect();
                    cmd.arg(serde_json::to_string(&roles).unwrap_or_else(|_| "[]".to_owned()));
                    cmd
                }
                None => {
                    let mut cmd = scripts::WITHDRAW.call();
                    cmd.arg(self.keys.prefix())
                        .arg(&self.name)
                        .arg(&self.inc)
                        .arg(id_text);
                    cmd
                }
            };
            pipe.add_command(cmd);
        }
        let replies = self.link.run(DOING, true, deadline, |con| {
            pipeline_by(con, &pipe, deadline)
        })?;
        let mut lost = false;
        for (id, reply) in ids.iter().zip(&replies) {
            match int(reply) {
                Some(1) => {}
                Some(0) => lost = true,
                Some(-1) => tracing::error!(
                    node = %self.name,
                    session = %id,
                    "another node announces a session with this id; this node's session is not announced"
                ),
                _ => return Err(unexpected(DOING, reply)),
            }
        }
        if lost {
            self.registered.store(false, Ordering::Release);
            self.announcer.mark_all(ids.iter().copied());
            self.announcer.nudge();
            return Err(FarmError::Redis {
                doing: DOING,
                url: self.link.url().to_owned(),
                reason: "the node's registration is gone (Redis restarted, or the node's lease \
                         ended and it was reaped); it registers again and announces every session"
                    .to_owned(),
            });
        }
        Ok(())
    }

    /// The session's registered state as written for an adopter; none without failover.
    fn failover_state(&self, session: &crate::Session) -> String {
        if !self.failover {
            return String::new();
        }
        self.engine.durable_state(session).unwrap_or_default()
    }

    /// Writes waiting announcements if there are any, by `deadline`, for a read that must
    /// see this node's own changes. A node that is not registered now answers from what
    /// Redis holds.
    pub(crate) fn flush_if_dirty(&self, deadline: Instant) -> Result<(), FarmError> {
        if !self.announcer.is_dirty() || !self.registered.load(Ordering::Acquire) {
            return Ok(());
        }
        match self.flush(deadline) {
            Err(FarmError::Redis { .. }) if !self.registered.load(Ordering::Acquire) => Ok(()),
            other => other,
        }
    }

    /// Wakes the inbox thread from its blocking read (`CLIENT UNBLOCK` of its connection),
    /// so that it sees a flag just set; best effort: a read that is not blocked sees the
    /// flag when its block of at most a second ends.
    pub(crate) fn wake_inbox(&self) {
        let client = self.inbox_client.load(Ordering::Acquire);
        if client != 0 {
            let _ = self
                .link
                .run("waking the inbox", true, self.link.deadline(), |con| {
                    redis::cmd("CLIENT")
                        .arg("UNBLOCK")
                        .arg(client)
                        .query::<redis::Value>(con)
                });
        }
    }

    /// Renews the lease; `Ok(false)` when the registration was lost (the keeper then
    /// registers again, reaping the expired former self first). A renewal is counted, with
    /// the length of the node's inbox that Redis read in the same step.
    pub(crate) fn renew(&self) -> Result<bool, FarmError> {
        const WHAT: &str = "renewing the node's lease";
        let lease = self.lease_ms().to_string();
        let reply = self.script(
            WHAT,
            true,
            &scripts::RENEW,
            &[&self.name, &self.inc, &lease],
        )?;
        if let Some([status, inbox]) = list(&reply) {
            let inbox = int(inbox).and_then(|n| u64::try_from(n).ok());
            return match (text(status).as_deref(), inbox) {
                (Some("ok"), Some(inbox)) => {
                    self.renewals.record(inbox);
                    Ok(true)
                }
                _ => Err(unexpected(WHAT, &reply)),
            };
        }
        match text(&reply).as_deref() {
            Some("lost") | Some("expired") => {
                self.registered.store(false, Ordering::Release);
                Ok(false)
            }
            _ => Err(unexpected(WHAT, &reply)),
        }
    }

    /// Reaps nodes whose lease ended (a few per call).
    pub(crate) fn reap_dead(&self) -> Result<(), FarmError> {
        let grace = self.grace_ms().to_string();
        let reply = self.script(
            "looking for dead nodes",
            true,
            &scripts::DEAD,
            &["4", &grace],
        )?;
        for dead in texts("looking for dead nodes", &reply)? {
            self.reap(&dead, self.grace_ms())?;
        }
        Ok(())
    }

    /// Removes the sessions and the inbox of `node`, whose lease ended at least `grace_ms`
    /// ago (its sessions were not adopted within it); the messages left in its inbox, or
    /// waiting for a removed session's adopter, are counted undelivered here and logged.
    pub(crate) fn reap(&self, node: &str, grace_ms: u64) -> Result<Reaped, FarmError> {
        const DOING: &str = "reaping a dead node";
        let batch = REAP_BATCH.to_string();
        let grace = grace_ms.to_string();
        let mut reaped = Reaped::default();
        loop {
            let reply = self.script(DOING, true, &scripts::REAP, &[node, &batch, &grace])?;
            let items = list(&reply).ok_or_else(|| unexpected(DOING, &reply))?;
            let kind = items.first().and_then(text);
            let n = items.get(1).and_then(int).unwrap_or(0);
            match kind.as_deref() {
                Some("alive") => {
                    reaped.alive = true;
                    return Ok(reaped);
                }
                Some("more") => {
                    reaped.sessions += usize::try_from(n).unwrap_or(0);
                    reaped.left += items
                        .get(2)
                        .and_then(int)
                        .and_then(|n| u64::try_from(n).ok())
                        .unwrap_or(0);
                }
                Some("done") => {
                    reaped.left += items
                        .get(2)
                        .and_then(int)
                        .and_then(|n| u64::try_from(n).ok())
                        .unwrap_or(0);
                    break;
                }
                _ => return Err(unexpected(DOING, &reply)),
            }
        }
        // Logged before it is counted: whoever sees the count finds the event.
        if reaped.sessions > 0 || reaped.left > 0 {
            tracing::warn!(
                node = %self.name,
                dead = node,
                sessions = reaped.sessions,
                undelivered = reaped.left,
                "node {node}'s lease ended: its sessions left the farm, and the messages left \
                 in its inbox are counted undelivered"
            );
        }
        if reaped.left > 0 {
            Counters::add(&self.counters.undelivered, reaped.left);
        }
        Ok(reaped)
    }

    /// Moves the waiting messages of the adopted session `id` to this node's inbox; on a
    /// failure the keeper tries again.
    pub(crate) fn hand_over(&self, id: SessionId) -> Result<(), FarmError> {
        let moved = self.script(
            "handing an adopted session's messages over",
            false,
            &scripts::HANDOVER,
            &[&self.name, &id.to_string()],
        );
        match moved {
            Ok(_) => {
                lock(&self.handovers).remove(&id);
                Ok(())
            }
            Err(error) => {
                lock(&self.handovers).insert(id);
                self.announcer.nudge();
                Err(error)
            }
        }
    }

    /// Tries again the handovers that failed.
    pub(crate) fn retry_handovers(&self) -> Result<(), FarmError> {
        let waiting: Vec<SessionId> = lock(&self.handovers).iter().copied().collect();
        for id in waiting {
            self.hand_over(id)?;
            tracing::info!(node = %self.name, session = %id, "an adopted session's waiting messages were moved to this node's inbox");
        }
        Ok(())
    }

    /// Whether this node has left.
    pub(crate) fn check_live(&self) -> Result<(), FarmError> {
        if self.left.load(Ordering::Acquire) {
            Err(FarmError::Left)
        } else {
            Ok(())
        }
    }
}

/// A lock that a waiter gives up on at its deadline (`std`'s `Mutex` waits for ever): one
/// writer of announcements at a time.
#[derive(Default)]
struct Writer {
    busy: Mutex<bool>,
    freed: Condvar,
}

/// Held while writing; frees the [`Writer`] when dropped.
struct Writing<'a>(&'a Writer);

impl Writer {
    /// The lock, once it is free, or `None` when it is not free by `deadline`.
    fn lock_by(&self, deadline: Instant) -> Option<Writing<'_>> {
        let mut busy = lock(&self.busy);
        while *busy {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            busy = self
                .freed
                .wait_timeout(busy, left)
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .0;
        }
        *busy = true;
        Some(Writing(self))
    }
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        *lock(&self.0.busy) = false;
        self.0.freed.notify_one();
    }
}
