//! The keeper thread: writes this node's announcements as they come, renews its lease three
//! times per lease, registers it again (announcing every session anew) when Redis lost it,
//! and reaps nodes whose lease ended.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::node::{Node, Registered};
use super::FarmError;

/// The longest a failed round waits before the next try.
const RETRY: Duration = Duration::from_millis(200);

/// Runs until the node stops.
pub(crate) fn run(node: &Arc<Node>) {
    let tick = node.lease / 3;
    let mut next_renew = Instant::now() + tick;
    let mut retry_at: Option<Instant> = None;
    let mut trouble = Trouble::default();
    loop {
        let now = Instant::now();
        let wait = match retry_at {
            Some(at) => at.saturating_duration_since(now),
            None => next_renew.saturating_duration_since(now),
        };
        // While waiting to retry, announcements wait too (only a nudge cuts it short).
        node.announcer.wait(wait, retry_at.is_some());
        if node.stop.load(Ordering::Acquire) {
            return;
        }
        retry_at = None;
        match round(node, &mut next_renew, tick) {
            Ok(()) => trouble.over(node),
            Err(error) => {
                trouble.report(node, &error);
                retry_at = Some(Instant::now() + RETRY.min(tick));
            }
        }
    }
}

/// One round: register if need be, write announcements, and when due renew and reap.
fn round(node: &Node, next_renew: &mut Instant, tick: Duration) -> Result<(), FarmError> {
    if !node.registered.load(Ordering::Acquire) {
        match node.register_and_resync()? {
            Registered::Yes => {
                tracing::info!(node = %node.name, "the node is registered in the farm again and has announced its sessions");
                *next_renew = Instant::now() + tick;
            }
            Registered::Taken(left) => {
                return Err(FarmError::NodeTaken {
                    node: node.name.clone(),
                    lease_left_ms: left,
                })
            }
        }
    }
    node.flush(node.link.deadline())?;
    node.retry_handovers()?;
    if Instant::now() >= *next_renew {
        if !node.renew()? {
            tracing::warn!(node = %node.name, "the node's registration was lost (Redis restarted, or its lease ended); registering again");
            return round(node, next_renew, tick);
        }
        *next_renew = Instant::now() + tick;
        node.reap_dead()?;
    }
    Ok(())
}

/// Logs the first failure of a run of them, and the end of the run.
#[derive(Default)]
struct Trouble {
    since: Option<Instant>,
}

impl Trouble {
    fn report(&mut self, node: &Node, error: &FarmError) {
        if self.since.is_none() {
            self.since = Some(Instant::now());
            tracing::warn!(node = %node.name, %error, "the farm's keeper failed; it tries again every {} ms", RETRY.min(node.lease / 3).as_millis());
        }
    }

    fn over(&mut self, node: &Node) {
        if let Some(since) = self.since.take() {
            tracing::info!(node = %node.name, after_ms = since.elapsed().as_millis() as u64, "the farm's keeper works again");
        }
    }
}
