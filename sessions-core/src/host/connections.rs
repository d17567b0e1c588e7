//! [`Connections`]: one registry of a host's connections and their sessions.

use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::sync::Mutex;

use crate::lock::lock;
use crate::{ClientId, Engine, Session, SessionError, User};

/// A host's connections, each with its session of one engine and the host's own data about
/// it (`D`: a web tab's resume secret, an OPC UA session's handle), by the host's key `K`
/// (a tab's id, an OPC UA session id, a serial port's name).
///
/// Every web tab and every OPC UA session is one entry here: opened with its user, its user
/// changed, closed when the connection ends, all closed at shutdown. The session closes with
/// its entry, never before: an engine's session that its application closed stays listed
/// until the host notices ([`Session::is_open`] is then `false`).
///
/// No lock is held while the engine opens or closes a session (its `on_open` and
/// `on_close` hooks are the application's code), nor while `D` is handed to a closure of
/// the host's beyond [`with`](Self::with).
///
/// ```
/// use sessions_core::host::Connections;
/// use sessions_core::{Engine, User};
///
/// let engine = Engine::new();
/// let ports: Connections<&str> = Connections::new(engine.clone());
/// let session = ports.open("COM1", None, Some(User::new("ada")), ())?;
/// assert_eq!(engine.active_count(), 1);
/// ports.set_user(&"COM1", None);
/// assert_eq!(engine.active_count(), 0);
/// assert!(ports.close(&"COM1"));
/// assert!(!session.is_open());
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
pub struct Connections<K, D = ()> {
    engine: Engine,
    by_key: Mutex<HashMap<K, Entry<D>>>,
}

struct Entry<D> {
    session: Session,
    data: D,
}

impl<K: Eq + Hash + Clone, D> Connections<K, D> {
    /// No connections yet; their sessions will be `engine`'s.
    pub fn new(engine: Engine) -> Connections<K, D> {
        Connections {
            engine,
            by_key: Mutex::new(HashMap::new()),
        }
    }

    /// The engine the sessions are opened on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Opens a session for the new connection `key` (of the browser `client`, when the host
    /// knows one) with `user` logged in, and keeps `data` with it.
    ///
    /// # Errors
    /// What [`Engine::open`] says (its `max_sessions`: [`SessionError::Capacity`]). A `key`
    /// already open is replaced: its session is closed first.
    pub fn open(
        &self,
        key: K,
        client: Option<ClientId>,
        user: Option<User>,
        data: D,
    ) -> Result<Session, SessionError> {
        let session = match client {
            Some(client) => self.engine.open_for_client(client)?,
            None => self.engine.open()?,
        };
        if user.is_some() {
            session.set_user(user);
        }
        let entry = Entry {
            session: session.clone(),
            data,
        };
        let replaced = lock(&self.by_key).insert(key, entry);
        if let Some(replaced) = replaced {
            self.end(&replaced.session);
        }
        Ok(session)
    }

    /// Keeps `session`, opened elsewhere (a session a host adopted from another node of a
    /// farm), as the session of the connection `key`, with `data`. A `key` already open is
    /// replaced: its session is closed first.
    #[cfg_attr(not(feature = "web"), allow(dead_code))]
    pub(crate) fn insert(&self, key: K, session: Session, data: D) {
        let entry = Entry { session, data };
        let replaced = lock(&self.by_key).insert(key, entry);
        if let Some(replaced) = replaced {
            self.end(&replaced.session);
        }
    }

    /// The session of `key`, or a new one opened with [`open`](Self::open) (its data made
    /// by `data`) when the key has none yet.
    ///
    /// # Errors
    /// As [`open`](Self::open).
    pub fn get_or_open(
        &self,
        key: &K,
        client: Option<ClientId>,
        user: impl FnOnce() -> Option<User>,
        data: impl FnOnce() -> D,
    ) -> Result<Session, SessionError> {
        if let Some(session) = self.get(key) {
            return Ok(session);
        }
        self.open(key.clone(), client, user(), data())
    }

    /// The session of `key`.
    pub fn get(&self, key: &K) -> Option<Session> {
        lock(&self.by_key)
            .get(key)
            .map(|entry| entry.session.clone())
    }

    /// Runs `f` with the session and data of `key`, under the registry's lock (keep it
    /// short); `None` when the key has none.
    pub fn with<R>(&self, key: &K, f: impl FnOnce(&Session, &mut D) -> R) -> Option<R> {
        let mut by_key = lock(&self.by_key);
        let entry = by_key.get_mut(key)?;
        Some(f(&entry.session, &mut entry.data))
    }

    /// Logs `user` in on the session of `key` (`None` logs out); `false` when the key has
    /// none.
    pub fn set_user(&self, key: &K, user: Option<User>) -> bool {
        // Set outside the lock: the engine tells its observers, which may take their time.
        match self.get(key) {
            Some(session) => {
                session.set_user(user);
                true
            }
            None => false,
        }
    }

    /// Ends the connection `key` and closes its session; `false` when the key has none.
    pub fn close(&self, key: &K) -> bool {
        self.close_if(key, |_, _| true).is_some()
    }

    /// Ends the connection `key` and closes its session if `end` says so of its
    /// session and data: the data, when it did.
    pub fn close_if(&self, key: &K, end: impl FnOnce(&Session, &D) -> bool) -> Option<D> {
        let entry = {
            let mut by_key = lock(&self.by_key);
            let entry = by_key.get(key)?;
            if !end(&entry.session, &entry.data) {
                return None;
            }
            by_key.remove(key)?
        };
        self.end(&entry.session);
        Some(entry.data)
    }

    /// Ends every connection `end` picks (a sweep of those whose transport is gone) and
    /// closes their sessions; returns how many.
    pub fn close_where(&self, mut end: impl FnMut(&K, &Session, &D) -> bool) -> usize {
        let ended: Vec<Entry<D>> = {
            let mut by_key = lock(&self.by_key);
            let keys: Vec<K> = by_key
                .iter()
                .filter(|(key, entry)| end(key, &entry.session, &entry.data))
                .map(|(key, _)| key.clone())
                .collect();
            keys.iter().filter_map(|key| by_key.remove(key)).collect()
        };
        for entry in &ended {
            self.end(&entry.session);
        }
        ended.len()
    }

    /// Ends every connection and closes its session (the host is shutting down); returns
    /// how many.
    pub fn close_all(&self) -> usize {
        self.close_where(|_, _, _| true)
    }

    /// Whether any entry's data satisfies `f`.
    pub fn any(&self, mut f: impl FnMut(&Session, &D) -> bool) -> bool {
        lock(&self.by_key)
            .values()
            .any(|entry| f(&entry.session, &entry.data))
    }

    /// The number of connections.
    pub fn len(&self) -> usize {
        lock(&self.by_key).len()
    }

    /// Whether there is no connection.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn end(&self, session: &Session) {
        // Closed already (idle expiry, the application) is fine: it is closed either way.
        let _ = self.engine.close(session.id());
    }
}

impl<K, D> fmt::Debug for Connections<K, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connections")
            .field("engine", &self.engine)
            .field("len", &lock(&self.by_key).len())
            .finish()
    }
}
