//! Nodes of a farm in one process for the failover tests: each on its own engine (named,
//! with `Cart` registered), farm node and web host over a real redis-server, sharing one
//! `CookieKey` (so a browser's client id means the same on each), and what the tests post
//! and check.

#![allow(dead_code)] // Each test binary uses its own part of this module.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use sessions_core::farm::{Farm, FarmBuilder, FarmReport};
use sessions_core::web::{CookieKey, WebHost};
use sessions_core::{current, export_method, Engine};

use crate::farm_support::{wait_until, Redis, LEASE};
use crate::web_support::{self, Handshake, Server, Tab};

/// A tab's registered state: it travels with the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cart(pub Vec<String>);

/// A tab's unregistered state: it stays on the node that had it.
#[derive(Debug)]
pub struct Scratch;

/// Runs of `FailoverRecord`: (engine name, session id, seq), in order.
static RUNS: Mutex<Vec<(String, String, i64)>> = Mutex::new(Vec::new());

/// Records that it ran, where and in which session.
#[export_method(name = "FailoverRecord", session = none)]
fn failover_record(seq: i64) {
    let session = current().expect("a posted message runs in its session");
    let engine = session
        .engine()
        .and_then(|engine| engine.name().map(str::to_owned))
        .unwrap_or_default();
    RUNS.lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((engine, session.id().to_string(), seq));
}

/// Pushes `n` to the calling session's page (topic `notice`).
#[export_method(name = "FailoverNotice", session = none)]
fn failover_notice(n: i64) {
    let session = current().expect("a posted message runs in its session");
    session.notify("notice", n).expect("the outbox takes it");
}

pub fn runs_of(session: &str) -> Vec<(String, i64)> {
    RUNS.lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(_, id, _)| id == session)
        .map(|(engine, _, seq)| (engine.clone(), *seq))
        .collect()
}

pub fn key() -> CookieKey {
    CookieKey::new(b"failover-test-key-0123456789abcdef").expect("a long enough key")
}

/// A node: its engine (named `name`, with `Cart` registered), its farm node, its web host.
pub struct Node {
    pub engine: Engine,
    /// Runs what is posted to the node's own sessions, as `web_host` does.
    _dispatcher: sessions_core::Dispatcher,
    pub farm: Farm,
    pub host: Server,
}

pub async fn node(redis: &Redis, name: &str, node: &str) -> Node {
    node_with(redis, name, node, |farm| farm).await
}

/// [`node`], its farm builder changed by `farm` before it joins.
pub async fn node_with(
    redis: &Redis,
    name: &str,
    node: &str,
    farm: impl FnOnce(FarmBuilder) -> FarmBuilder,
) -> Node {
    let engine = Engine::builder()
        .name(name)
        .persist::<Cart>()
        .build()
        .expect("the engine");
    let builder = Farm::builder(&engine, &redis.url(), node)
        .lease(LEASE)
        .adoption_grace(Duration::from_secs(20));
    let farm = farm(builder).join().expect("the node joins");
    let accounts = web_support::demo_accounts();
    let host = Server::start(engine.clone(), move |e| {
        WebHost::builder(e).accounts(accounts).cookie_key(key())
    })
    .await;
    let _dispatcher = engine.spawn_dispatcher(Duration::from_millis(5));
    Node {
        engine,
        _dispatcher,
        farm,
        host,
    }
}

/// A tab on `node` with alice logged in and a cart; returns it and its cookie.
pub async fn logged_in_tab(node: &Node) -> (Tab, String) {
    let mut tab = Tab::open(&node.host, Handshake::default()).await;
    let cookie = tab
        .set_cookie
        .clone()
        .expect("the host sets the client cookie");
    let login = tab
        .call(
            "session.login",
            json!({"user": "alice", "password": "alice-demo"}),
        )
        .await;
    assert!(login.get("result").is_some(), "{login}");
    let session = node
        .engine
        .get(tab.session().parse().expect("a session id"))
        .expect("the tab's session is open on its node");
    session.insert(Cart(vec!["apple".into(), "pear".into()]));
    session.insert(Scratch);
    node.farm.flush().expect("the node writes its sessions");
    (tab, cookie)
}

/// A drain's deadline long enough for its tabs to be adopted in every test.
pub const LONG_DRAIN: Duration = Duration::from_secs(15);

/// Starts draining `farm` with `deadline` on a thread of its own (a drain blocks until its
/// sessions are adopted or the deadline passes), and waits until Redis says it released
/// its sessions.
pub fn drain(redis: &Redis, farm: Farm, deadline: Duration) -> tokio::task::JoinHandle<FarmReport> {
    let name = farm.node_name().to_owned();
    let draining =
        tokio::task::spawn_blocking(move || farm.drain(deadline).expect("the node drains"));
    let mut con = redis.connection();
    wait_until("the draining node releases its sessions", || {
        redis::cmd("HEXISTS")
            .arg(format!("sessions:n:{name}"))
            .arg("released")
            .query::<i64>(&mut con)
            .expect("HEXISTS")
            == 1
    });
    draining
}
