//! The map from session id to session, split into shards.
//!
//! Sharded `RwLock<HashMap>` rather than a lock-free map: lookups (`get`, `enter` by id) take
//! one uncontended read lock on 1/64 of the map, opens and closes from different threads
//! rarely meet on the same shard, and it needs no dependency and no `unsafe`. The ids are
//! uniformly random, so the shard is taken from the id's top bits and the hash is the id's
//! low 64 bits: no hashing work, and no flooding is possible because only the engine
//! inserts ids.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::hash::Fnv1a;
use crate::{Session, SessionId};

const SHARD_BITS: u32 = 6;
const SHARDS: usize = 1 << SHARD_BITS;

type Shard = HashMap<SessionId, Session, BuildHasherDefault<IdHasher>>;

pub(crate) struct Registry {
    shards: Box<[RwLock<Shard>]>,
}

impl Registry {
    pub(crate) fn new() -> Registry {
        Registry {
            shards: (0..SHARDS).map(|_| RwLock::default()).collect(),
        }
    }

    fn shard(&self, id: SessionId) -> &RwLock<Shard> {
        let index = (id.as_u128() >> (128 - SHARD_BITS)) as usize;
        &self.shards[index]
    }

    fn read(shard: &RwLock<Shard>) -> RwLockReadGuard<'_, Shard> {
        shard.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(shard: &RwLock<Shard>) -> RwLockWriteGuard<'_, Shard> {
        shard.write().unwrap_or_else(PoisonError::into_inner)
    }

    /// Inserts `session` unless its id is taken; returns whether it was inserted.
    pub(crate) fn insert(&self, session: &Session) -> bool {
        let mut shard = Self::write(self.shard(session.id()));
        if shard.contains_key(&session.id()) {
            return false;
        }
        shard.insert(session.id(), session.clone());
        true
    }

    pub(crate) fn get(&self, id: SessionId) -> Option<Session> {
        Self::read(self.shard(id)).get(&id).cloned()
    }

    pub(crate) fn remove(&self, id: SessionId) -> Option<Session> {
        Self::write(self.shard(id)).remove(&id)
    }

    /// Every session for which `keep` is true, shard by shard (not one atomic snapshot).
    pub(crate) fn collect(&self, mut keep: impl FnMut(&Session) -> bool) -> Vec<Session> {
        let mut found = Vec::new();
        for shard in self.shards.iter() {
            let shard = Self::read(shard);
            found.extend(shard.values().filter(|s| keep(s)).cloned());
        }
        found
    }

    /// Removes and returns every session.
    pub(crate) fn drain(&self) -> Vec<Session> {
        let mut drained = Vec::new();
        for shard in self.shards.iter() {
            drained.extend(Self::write(shard).drain().map(|(_, session)| session));
        }
        drained
    }
}

/// Hashes a `SessionId` to its low 64 bits, which are already uniformly random.
#[derive(Default)]
pub(crate) struct IdHasher(Fnv1a);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0.finish()
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached if `SessionId`'s `Hash` changes; stay correct, if slower.
        self.0.write(bytes);
    }

    fn write_u128(&mut self, value: u128) {
        // The low 64 bits, as they are (truncation intended).
        self.0 = Fnv1a::with_state(value as u64);
    }
}
