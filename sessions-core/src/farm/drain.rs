//! A drain, for a rolling deploy: the node writes every session's state, releases its
//! sessions (any node may adopt one at once, on its tab's reconnect, without waiting for
//! the lease), stops running its inbox (messages wait for the adopters), and leaves once
//! its sessions were adopted or the deadline passed.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::{Duration, Instant};

use super::report::FarmReport;
use super::{blocking, scripts, Farm, FarmError};
use crate::lock::lock;
use crate::SessionId;

/// How often a drain looks whether its sessions were adopted.
const POLL: Duration = Duration::from_millis(50);

impl Farm {
    /// Drains this node out of the farm, for a restart or a rolling deploy (steps 1 to 3
    /// are [`release`](Farm::release), done here unless it was called before):
    ///
    /// 1. every session's user, client, registered state and resume verifier is written;
    /// 2. the node releases its sessions: another node adopts each one when its tab
    ///    reconnects there with its resume token (a host closes its sockets for that: the
    ///    web host with 1012), with the same id, user and state;
    /// 3. its inbox is no longer run here: posts to its sessions wait in Redis, and run,
    ///    once and in order, on the node that adopts each session;
    /// 4. once none of its sessions is left to adopt, or `deadline` has passed, it leaves
    ///    the farm ([`leave`](Farm::leave)): a session not adopted by then leaves the farm,
    ///    and the messages that waited for it are counted undelivered in the report, never
    ///    lost silently;
    /// 5. each session another node adopted is closed on this node's engine (its
    ///    `on_close` hook runs), so this node cannot hand it out a second time.
    ///
    /// The engine and the sessions not adopted go on, alone, as after `leave`. Blocks up to `deadline`
    /// plus one I/O timeout.
    ///
    /// # Errors
    /// [`FarmError::Left`] when the node had left; [`FarmError::Redis`] when Redis could
    /// not be told (the node's sessions are then adoptable when its lease ends, within the
    /// adoption grace).
    pub fn drain(&self, deadline: Duration) -> Result<FarmReport, FarmError> {
        self.node().check_live()?;
        blocking::off_worker(|| self.drain_now(Instant::now() + deadline))
    }

    /// Releases this node's sessions, the first steps of a [`drain`](Farm::drain): every
    /// session's state is written, the node's inbox is no longer run here (posts wait in
    /// Redis for the adopters), and any node may adopt one of its sessions from now on, on
    /// its tab's reconnect. A host closes its tabs after this (the web host with 1012), so
    /// that they reconnect elsewhere, then calls `drain`, which waits for the adoptions and
    /// leaves. A second call does nothing.
    ///
    /// # Errors
    /// [`FarmError::Left`] when the node had left; [`FarmError::Redis`] when Redis could
    /// not be told (the sessions are then adoptable when the node's lease ends).
    pub fn release(&self) -> Result<(), FarmError> {
        self.node().check_live()?;
        blocking::off_worker(|| self.release_now().1)
    }

    /// Releases the node's sessions (once); returns the ids of the engine's sessions then.
    fn release_now(&self) -> (Vec<SessionId>, Result<(), FarmError>) {
        let node = self.node();
        let mut released = lock(&self.handle.released);
        if let Some(ours) = &*released {
            return (ours.clone(), Ok(()));
        }
        // 1. Every session written as it is now, after what its mailbox held (an
        //    `Engine::post` of this node's own) ran.
        node.engine.dispatch();
        let ours: Vec<SessionId> = node.engine.sessions().iter().map(|s| s.id()).collect();
        node.announcer.mark_all(ours.iter().copied());
        let written = node
            .flush(node.link.deadline())
            .and_then(|()| super::carry::write(node));
        // 2. No more writes (the sessions are the adopters' now) nor runs of the inbox.
        node.released.store(true, Ordering::Release);
        node.wake_inbox();
        let inbox: Vec<_> = {
            let mut threads = lock(&self.handle.threads);
            let (inbox, rest) = std::mem::take(&mut *threads)
                .into_iter()
                .partition(|t| t.thread().name() == Some(super::INBOX_THREAD));
            *threads = rest;
            inbox
        };
        for thread in inbox {
            if thread.thread().id() != thread::current().id() {
                let _ = thread.join();
            }
        }
        let result = written.and_then(|()| {
            node.script(
                "releasing the node's sessions",
                true,
                &scripts::RELEASE,
                &[&node.name, &node.inc],
            )
        });
        if result.is_ok() {
            *released = Some(ours.clone());
        }
        (ours, result.map(|_| ()))
    }

    fn drain_now(&self, until: Instant) -> Result<FarmReport, FarmError> {
        let node = self.node();
        let (ours, released) = self.release_now();
        let mut not_adopted: Option<HashSet<SessionId>> = None;
        if let Err(error) = &released {
            tracing::warn!(node = %node.name, %error, "a draining node could not release its sessions; they are adoptable when its lease ends");
        } else {
            // 3. Wait for the adopters.
            let owned = format!("{}n:{}:s", node.keys.prefix(), node.name);
            loop {
                let listed = node.link.run(
                    "listing the draining node's sessions",
                    true,
                    node.link.deadline(),
                    |con| redis::cmd("SMEMBERS").arg(&owned).query::<Vec<String>>(con),
                );
                if let Ok(ids) = listed {
                    let ids: HashSet<SessionId> =
                        ids.iter().filter_map(|id| id.parse().ok()).collect();
                    let done = ids.is_empty();
                    not_adopted = Some(ids);
                    if done {
                        break;
                    }
                }
                if Instant::now() >= until {
                    break;
                }
                thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
            }
            let left = not_adopted.as_ref().map_or(ours.len(), HashSet::len);
            tracing::info!(node = %node.name, not_adopted = left, "the draining node leaves the farm");
        }
        let report = self.handle.leave()?;
        // A session another node adopted lives there now: closed here, so this host cannot
        // hand it out too (a tab that comes back here gets a new session).
        if let Some(not_adopted) = not_adopted {
            for id in ours.iter().filter(|id| !not_adopted.contains(id)) {
                let _ = node.engine.close(*id);
            }
        }
        released.map(|_| report)
    }
}
