//! The host's tabs: each open tab's session, its resume token, which socket holds it, and
//! how many tabs each browser has. A tab whose socket drops keeps its session for the grace
//! period; a socket that comes back with the token within it gets the same session.
//!
//! A resume token is two halves of 128 random bits each: the first finds the tab, the
//! second is compared in constant time, so neither a lookup's timing nor a guessed prefix
//! tells anything about a valid token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

use super::replay::Replay;

use crate::host::Connections;
use crate::lock::lock;
use crate::{ClientId, Engine, Session, SessionError, SessionId, User};

/// Why a tab was not given a session.
#[derive(Debug)]
pub(super) enum Refusal {
    /// The browser has as many tabs as the host allows.
    TooManyTabs(usize),
    /// The engine would not open a session (its `max_sessions`).
    Engine(SessionError),
    /// The tab's session is on another node of the farm, which still holds it under a live
    /// lease: the tab tries again later, with its token.
    HeldElsewhere,
}

/// A socket's hold on a tab: the session, and what the socket needs to let go of it.
pub(super) struct Attached {
    pub session: Session,
    pub token: String,
    pub resumed: bool,
    /// Told when a newer socket of the same tab takes the session over.
    pub taken_over: Arc<Notify>,
    /// The pushes the tab's sockets have sent, for a page that resumes.
    pub replay: Arc<Replay>,
    key: u128,
    generation: u64,
}

struct Tab {
    secret: SessionId,
    client: ClientId,
    replay: Arc<Replay>,
    /// Bumped by each socket that attaches: a socket lets go only of its own attachment.
    generation: u64,
    /// The attached socket's take-over signal; `None` while no socket holds the tab.
    socket: Option<Arc<Notify>>,
}

impl Tab {
    /// A new tab of `client`, held by a socket from the start: the tab, the socket's
    /// take-over signal and the tab's sent pushes.
    fn attached(secret: SessionId, client: &ClientId) -> (Tab, Arc<Notify>, Arc<Replay>) {
        let taken_over = Arc::new(Notify::new());
        let replay = Arc::new(Replay::default());
        let tab = Tab {
            secret,
            client: client.clone(),
            replay: replay.clone(),
            generation: 0,
            socket: Some(taken_over.clone()),
        };
        (tab, taken_over, replay)
    }
}

/// Every tab of one host: its connections (the host boundary's registry, by tab key), and
/// how many tabs each browser has.
pub(super) struct Tabs {
    tabs: Connections<u128, Tab>,
    grace: Duration,
    max_per_client: usize,
    per_client: Mutex<HashMap<ClientId, Browser>>,
}

/// One browser's tabs: how many it has open, and the user it logged in when log-ins hold
/// for the browser. It goes with the browser's last tab, so a log-in ends then too.
#[derive(Default)]
struct Browser {
    tabs: usize,
    user: Option<User>,
}

impl Tabs {
    pub fn new(engine: Engine, grace: Duration, max_per_client: usize) -> Arc<Tabs> {
        Arc::new(Tabs {
            tabs: Connections::new(engine),
            grace,
            max_per_client,
            per_client: Mutex::default(),
        })
    }

    /// Opens a new tab of `client`: a session of the engine with the user the browser
    /// logged in ([`log_in_browser`](Self::log_in_browser)), else `user`, and its token.
    pub fn open(&self, client: &ClientId, user: Option<User>) -> Result<Attached, Refusal> {
        // The tab's place is taken first; the registry opens the session without a lock
        // held (the engine's `on_open` hooks are the application's code).
        let logged_in = {
            let mut per_client = lock(&self.per_client);
            let browser = per_client.entry(client.clone()).or_default();
            if browser.tabs >= self.max_per_client {
                return Err(Refusal::TooManyTabs(self.max_per_client));
            }
            browser.tabs += 1;
            browser.user.clone()
        };
        let fallback = user.clone();
        let user = logged_in.clone().or(user);
        let key = SessionId::random();
        let secret = SessionId::random();
        let (tab, taken_over, replay) = Tab::attached(secret, client);
        let session = match self
            .tabs
            .open(key.as_u128(), Some(client.clone()), user, tab)
        {
            Ok(session) => session,
            Err(error) => {
                self.release(client);
                return Err(Refusal::Engine(error));
            }
        };
        session.set_resume_verifier(key.to_string(), super::verifier::verifier(&secret));
        // A log-in or log-out of the browser while the session was opening passed this tab
        // by (it was not listed yet): it takes the browser's user now.
        let now = self.browser_user(client);
        if now != logged_in {
            session.set_user(now.or(fallback));
        }
        Ok(Attached {
            session,
            token: format!("{key}{secret}"),
            resumed: false,
            taken_over,
            replay,
            key: key.as_u128(),
            generation: 0,
        })
    }

    /// The tab of `token`, if the token is valid, belongs to `client` and its session is
    /// still open: the socket takes it over (a socket still holding it is told to let
    /// go). `None` otherwise, without saying which check failed.
    pub fn resume(&self, token: &str, client: &ClientId) -> Option<Attached> {
        let key = token.get(..32)?.parse::<SessionId>().ok()?;
        let secret = token.get(32..)?.parse::<SessionId>().ok()?;
        self.tabs.with(&key.as_u128(), |session, tab| {
            // Both checks run whatever the first says: the time taken tells nothing.
            let secret_matches = tab.secret.ct_eq(&secret);
            let client_matches = tab.client == *client;
            if !(secret_matches & client_matches) || !session.is_open() {
                return None;
            }
            if let Some(previous) = tab.socket.take() {
                previous.notify_one();
            }
            tab.generation += 1;
            let taken_over = Arc::new(Notify::new());
            tab.socket = Some(taken_over.clone());
            Some(Attached {
                session: session.clone(),
                token: token.to_owned(),
                resumed: true,
                taken_over,
                replay: tab.replay.clone(),
                key: key.as_u128(),
                generation: tab.generation,
            })
        })?
    }

    /// Keeps `session`, adopted from another node of the farm for the token `key` +
    /// `secret` of `client`, as a tab of this host: the socket holds it, as after a resume.
    pub fn insert_adopted(
        &self,
        key: SessionId,
        secret: SessionId,
        client: &ClientId,
        session: Session,
    ) -> Result<Attached, Refusal> {
        {
            let mut per_client = lock(&self.per_client);
            let browser = per_client.entry(client.clone()).or_default();
            if browser.tabs >= self.max_per_client {
                drop(per_client);
                let _ = self.tabs.engine().close(session.id());
                return Err(Refusal::TooManyTabs(self.max_per_client));
            }
            browser.tabs += 1;
        }
        session.set_resume_verifier(key.to_string(), super::verifier::verifier(&secret));
        let (tab, taken_over, replay) = Tab::attached(secret, client);
        self.tabs.insert(key.as_u128(), session.clone(), tab);
        Ok(Attached {
            session,
            token: format!("{key}{secret}"),
            resumed: true,
            taken_over,
            replay,
            key: key.as_u128(),
            generation: 0,
        })
    }

    /// The socket of `attached` is gone. Unless another socket has taken the tab over, the
    /// tab waits for the grace period, then its session closes.
    pub fn detach(self: &Arc<Tabs>, attached: &Attached) {
        let detached = self.tabs.with(&attached.key, |_, tab| {
            if tab.generation != attached.generation {
                return false;
            }
            tab.socket = None;
            true
        });
        if detached != Some(true) {
            return;
        }
        let tabs = Arc::clone(self);
        let (key, generation) = (attached.key, attached.generation);
        tokio::spawn(async move {
            tokio::time::sleep(tabs.grace).await;
            tabs.expire(key, generation);
        });
    }

    /// The engine the tabs' sessions are in.
    pub fn engine(&self) -> &Engine {
        self.tabs.engine()
    }

    /// The user `client` logged in for the whole browser, if any.
    pub fn browser_user(&self, client: &ClientId) -> Option<User> {
        lock(&self.per_client)
            .get(client)
            .and_then(|browser| browser.user.clone())
    }

    /// Logs `user` in (`None`: out) for the whole browser `client`: its tabs opened from
    /// now on start with it, until the browser's last tab goes. Returns the sessions of its
    /// open tabs, for the caller to set the user on (outside every lock: the engine tells
    /// its observers).
    pub fn log_in_browser(&self, client: &ClientId, user: Option<User>) -> Vec<Session> {
        if let Some(browser) = lock(&self.per_client).get_mut(client) {
            browser.user = user;
        }
        self.sessions_of(client)
    }

    /// The sessions of `client`'s open tabs.
    pub fn sessions_of(&self, client: &ClientId) -> Vec<Session> {
        let mut sessions = Vec::new();
        self.tabs.any(|session, tab| {
            if tab.client == *client {
                sessions.push(session.clone());
            }
            false
        });
        sessions
    }

    /// One tab of `client` fewer; with its last tab, the browser's log-in ends.
    fn release(&self, client: &ClientId) {
        let mut per_client = lock(&self.per_client);
        if let Some(browser) = per_client.get_mut(client) {
            browser.tabs -= 1;
            if browser.tabs == 0 {
                per_client.remove(client);
            }
        }
    }

    /// The grace period of the tab's attachment `generation` has passed: unless a socket
    /// came back, the tab goes and its session closes.
    fn expire(&self, key: u128, generation: u64) {
        let gone = self.tabs.close_if(&key, |_, tab| {
            tab.generation == generation && tab.socket.is_none()
        });
        if let Some(tab) = gone {
            self.release(&tab.client);
            tracing::debug!(client = %tab.client, "tab gone past its grace period: session closed");
        }
    }
}
