//! Farm-wide counts and lookups of sessions, none of which scans every key:
//!
//! | call | Redis work | grows with |
//! | --- | --- | --- |
//! | [`Farm::len`], [`Farm::active_count`], [`Farm::nodes`] | one script: the live nodes from the sorted set, then each node's two counts | live nodes |
//! | [`Farm::get`] | one script: the session's hash, then its node's lease | nothing |
//! | [`Farm::sessions_for_user`] | one script: the user's set, each session's hash, each node's lease (and whether it leaves) once | that user's sessions |
//!
//! Each node keeps its own counts (`len`, `active`) in Redis, changed in the same script that
//! announces or withdraws a session, so they are always those of its announced sessions; a
//! node whose lease ended stops counting at once, before it is reaped.

use super::blocking::off_worker;
use super::reply::{int, list, text, texts, unexpected};
use super::{scripts, Farm, FarmError};
use crate::{ClientId, SessionId};

/// A session as the farm knows it, on whichever node it lives.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct FarmSession {
    /// The session's id.
    pub id: SessionId,
    /// The node that owns it (the process holding its tab's connection).
    pub node: String,
    /// The name of its user, `None` while it is anonymous (as announced; roles are not).
    pub user: Option<String>,
    /// The browser it came from, if it was opened for one.
    pub client: Option<ClientId>,
}

/// The farm-wide counts.
struct Counts {
    len: usize,
    active: usize,
    nodes: Vec<String>,
}

impl Farm {
    fn counts(&self) -> Result<Counts, FarmError> {
        const DOING: &str = "counting sessions";
        let node = self.node();
        node.check_live()?;
        let reply = off_worker(|| {
            let deadline = node.link.deadline();
            node.flush_if_dirty(deadline)?;
            node.script_by(deadline, DOING, true, &scripts::COUNT, &[])
        })?;
        let items = list(&reply).ok_or_else(|| unexpected(DOING, &reply))?;
        let count = |at: usize| {
            items
                .get(at)
                .and_then(int)
                .and_then(|n| usize::try_from(n).ok())
                .ok_or_else(|| unexpected(DOING, &reply))
        };
        let nodes = items
            .iter()
            .skip(2)
            .map(|item| text(item).ok_or_else(|| unexpected(DOING, &reply)))
            .collect::<Result<_, _>>()?;
        Ok(Counts {
            len: count(0)?,
            active: count(1)?,
            nodes,
        })
    }

    /// How many sessions are open on all live nodes of the farm (root sessions not
    /// counted): the farm's [`Engine::len`](crate::Engine::len). One Redis round trip,
    /// growing with the number of nodes, not of sessions.
    ///
    /// This node's own changes are written first, so they are in the count; another node's
    /// are within about one round trip of being made (that node's [`flush`](Farm::flush)
    /// waits for them).
    ///
    /// # Errors
    /// [`FarmError::Redis`] when Redis cannot be reached; [`FarmError::Left`].
    pub fn len(&self) -> Result<usize, FarmError> {
        Ok(self.counts()?.len)
    }

    /// Whether no session is open on any live node.
    ///
    /// # Errors
    /// As [`len`](Farm::len).
    pub fn is_empty(&self) -> Result<bool, FarmError> {
        Ok(self.len()? == 0)
    }

    /// How many sessions of all live nodes have a user logged in: the Optix
    /// `Sessions.Where(s => s.User != null).Count()` over the whole farm. Costs as
    /// [`len`](Farm::len).
    ///
    /// # Errors
    /// As [`len`](Farm::len).
    pub fn active_count(&self) -> Result<usize, FarmError> {
        Ok(self.counts()?.active)
    }

    /// The names of the live nodes (whose lease runs), this one included, in name order.
    ///
    /// # Errors
    /// As [`len`](Farm::len).
    pub fn nodes(&self) -> Result<Vec<String>, FarmError> {
        let mut nodes = self.counts()?.nodes;
        nodes.sort();
        Ok(nodes)
    }

    /// The session with this id, wherever it lives: its node, user and client. `None` when
    /// no live node announces it. One Redis round trip, the same at any size of farm.
    ///
    /// # Errors
    /// As [`len`](Farm::len).
    pub fn get(&self, id: SessionId) -> Result<Option<FarmSession>, FarmError> {
        const DOING: &str = "looking a session up";
        let node = self.node();
        node.check_live()?;
        let reply = off_worker(|| {
            let deadline = node.link.deadline();
            node.flush_if_dirty(deadline)?;
            node.script_by(deadline, DOING, true, &scripts::GET, &[&id.to_string()])
        })?;
        let fields = texts(DOING, &reply)?;
        match fields.as_slice() {
            [] => Ok(None),
            [owner, has_user, user, has_client, client] => Ok(Some(FarmSession {
                id,
                node: owner.clone(),
                user: (has_user == "1").then(|| user.clone()),
                client: (has_client == "1").then(|| ClientId::new(client.clone())),
            })),
            _ => Err(unexpected(DOING, &reply)),
        }
    }

    /// The sessions of the user named `name` that a [`post`](Farm::post) reaches (every
    /// tab, on whichever node holds it), in no particular order: on live nodes, and on a
    /// node that died or drained less than the adoption grace ago
    /// ([`FarmBuilder::adoption_grace`](super::FarmBuilder::adoption_grace)), whose
    /// sessions may yet be adopted (a post to one waits for its adopter). So a notice to a
    /// user sent while a node fails over reaches the tabs that are moving too. One Redis
    /// round trip, growing with the number of that user's sessions.
    ///
    /// # Errors
    /// As [`len`](Farm::len).
    pub fn sessions_for_user(&self, name: &str) -> Result<Vec<FarmSession>, FarmError> {
        const DOING: &str = "finding a user's sessions";
        let node = self.node();
        node.check_live()?;
        let reply = off_worker(|| {
            let deadline = node.link.deadline();
            node.flush_if_dirty(deadline)?;
            let grace = node.grace_ms().to_string();
            node.script_by(deadline, DOING, true, &scripts::FOR_USER, &[name, &grace])
        })?;
        let fields = texts(DOING, &reply)?;
        if fields.len() % 4 != 0 {
            return Err(unexpected(DOING, &reply));
        }
        fields
            .chunks(4)
            .map(|row| {
                let id = row[0].parse().map_err(|_| unexpected(DOING, &reply))?;
                Ok(FarmSession {
                    id,
                    node: row[1].clone(),
                    user: Some(name.to_owned()),
                    client: (row[2] == "1").then(|| ClientId::new(row[3].clone())),
                })
            })
            .collect()
    }
}
