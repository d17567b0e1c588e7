//! Adoption: a tab whose node died or drained reconnects to this node with its resume
//! token; this node takes the session over (one script: ADOPT checks the verifier and the
//! client and moves ownership, so of two nodes racing one wins), opens it with the same
//! id, user, client and registered state, then takes its waiting messages into its own
//! inbox (HANDOVER), where they run once, in order.

use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

use super::blocking;
use super::node::Node;
use super::reply::{list, text, unexpected};
use super::scripts;
use crate::engine::{Adopter, Adoption};
use crate::{ClientId, Session, SessionId, User};

/// The engine's adopter while it is in a farm: weak, so it does not keep the node alive.
pub(crate) struct FarmAdopter {
    pub(crate) node: Weak<Node>,
}

impl Adopter for FarmAdopter {
    fn adopt(&self, key: &str, verifier: &str, client: &ClientId) -> Adoption {
        let Some(node) = self.node.upgrade() else {
            return Adoption::Refused;
        };
        if node.check_live().is_err() || node.released.load(Ordering::Acquire) {
            return Adoption::Refused;
        }
        blocking::off_worker(|| adopt(&node, key, verifier, client))
    }
}

/// Makes the adopter of `node`.
pub(crate) fn adopter(node: &Arc<Node>) -> Arc<dyn Adopter> {
    Arc::new(FarmAdopter {
        node: Arc::downgrade(node),
    })
}

fn adopt(node: &Node, key: &str, verifier: &str, client: &ClientId) -> Adoption {
    // Counted from before the script moves the session here until it is open (or not): a
    // post to it in between reaches this node's inbox first, and waits (`inbox.rs`).
    node.adopting.fetch_add(1, Ordering::AcqRel);
    let adopted = adopt_open(node, key, verifier, client);
    node.adopting.fetch_sub(1, Ordering::AcqRel);
    match adopted {
        Ok(Some(session)) => Adoption::Adopted(session),
        Ok(None) => Adoption::Refused,
        Err(Held) => Adoption::Held,
    }
}

/// Another live node holds the session (it did not release it, and its lease runs).
struct Held;

fn adopt_open(
    node: &Node,
    key: &str,
    verifier: &str,
    client: &ClientId,
) -> Result<Option<Session>, Held> {
    const DOING: &str = "adopting a session";
    let grace = node.grace_ms().to_string();
    let client_text = client.to_string();
    let reply = node
        .script(
            DOING,
            false,
            &scripts::ADOPT,
            &[&node.name, &node.inc, key, verifier, &client_text, &grace],
        )
        .map_err(|error| {
            tracing::warn!(node = %node.name, %error, "a tab's resume token could not be checked with the farm; the tab gets a new session");
        });
    let Ok(reply) = reply else {
        return Ok(None);
    };
    let Some(items) = list(&reply) else {
        return Ok(None);
    };
    match items.first().and_then(text).as_deref() {
        Some("ok") => {}
        Some("held") => {
            let owner = items.get(1).and_then(text).unwrap_or_default();
            // This node's own (in the farm, not in its host): nothing to wait for.
            if owner == node.name {
                tracing::info!(node = %node.name, "a tab's session is this node's in the farm but not open here; the tab gets a new session");
                return Ok(None);
            }
            tracing::info!(node = %node.name, owner = %owner, "a tab's session is held by a node that did not release it and whose lease runs (dead and not yet expired, or alive: another node adopted it first, or the tab reached another node than its own); the tab is told to try again");
            return Err(Held);
        }
        Some("no") | Some("lost") => return Ok(None),
        _ => {
            tracing::error!(node = %node.name, error = %unexpected(DOING, &reply), "adopting a session failed");
            return Ok(None);
        }
    }
    let field = |at: usize| items.get(at).and_then(text).unwrap_or_default();
    let Ok(id) = field(1).parse::<SessionId>() else {
        return Ok(None);
    };
    let roles: Vec<String> = serde_json::from_str(&field(5)).unwrap_or_default();
    let user = (field(2) == "1").then(|| User::new(field(3)).with_roles(roles));
    let state = field(4);
    let kept: Vec<String> = items
        .get(6)
        .and_then(|kept| super::reply::texts(DOING, kept).ok())
        .unwrap_or_default();
    let carried = super::carry::carried(&kept);
    let session = match node
        .engine
        .open_adopted(id, Some(client.clone()), user, &state, carried)
    {
        Ok(Some(session)) => session,
        Ok(None) => {
            tracing::error!(node = %node.name, session = %id, "an adopted session's id is open on this node already; the tab gets a new session");
            return Ok(None);
        }
        Err(error) => {
            // Ownership moved here but the engine is full: the session stays this node's
            // in the farm until this node withdraws it (it is marked to be written again).
            tracing::error!(node = %node.name, session = %id, %error, "a session adopted from the farm could not be opened here; the tab gets none");
            node.announcer.mark_all([id]);
            return Ok(None);
        }
    };
    match node.hand_over(id) {
        Ok(()) => {
            tracing::info!(node = %node.name, session = %id, "adopted a session from another node")
        }
        // They wait in the session's hold; the keeper moves them when Redis answers.
        Err(error) => {
            tracing::error!(node = %node.name, session = %id, %error, "an adopted session's waiting messages could not be moved to this node's inbox yet; the farm's keeper tries again")
        }
    }
    Ok(Some(session))
}
