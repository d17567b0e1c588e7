//! Sessions that outlive their node: two (or three) web hosts in one process, each on its
//! own engine and farm node over a real redis-server, sharing one `CookieKey`, so a
//! browser's client id means the same on each. A tab logged in on node A, with registered
//! state, comes back on node B with its resume token after A drains: same session id,
//! user, client and state, `resumed: true`, and a message posted to it while it moved runs
//! once, on B. A wrong cookie or token gets a new session; two nodes racing to adopt one
//! session: exactly one wins, and the other is told to try again (1013), not given a new
//! session.

mod farm_support;
mod web_support;

use std::sync::Mutex;
use std::time::Duration;

use farm_support::{wait_until, Redis, LEASE};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sessions_core::farm::{Farm, FarmReport};
use sessions_core::web::{CookieKey, WebHost};
use sessions_core::{current, export_method, Engine, SessionId, Value};
use web_support::{Handshake, Refused, Server, Tab};

/// A tab's registered state: it travels with the session.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cart(Vec<String>);

/// A tab's unregistered state: it stays on the node that had it.
#[derive(Debug)]
struct Scratch;

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

fn runs_of(session: &str) -> Vec<(String, i64)> {
    RUNS.lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(_, id, _)| id == session)
        .map(|(engine, _, seq)| (engine.clone(), *seq))
        .collect()
}

fn key() -> CookieKey {
    CookieKey::new(b"failover-test-key-0123456789abcdef").expect("a long enough key")
}

/// A node: its engine (named `name`, with `Cart` registered), its farm node, its web host.
struct Node {
    engine: Engine,
    /// Runs what is posted to the node's own sessions, as `web_host` does.
    _dispatcher: sessions_core::Dispatcher,
    farm: Farm,
    host: Server,
}

async fn node(redis: &Redis, name: &str, node: &str) -> Node {
    let engine = Engine::builder()
        .name(name)
        .persist::<Cart>()
        .build()
        .expect("the engine");
    let farm = Farm::builder(&engine, &redis.url(), node)
        .lease(LEASE)
        .adoption_grace(Duration::from_secs(20))
        .join()
        .expect("the node joins");
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
async fn logged_in_tab(node: &Node) -> (Tab, String) {
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
const LONG_DRAIN: Duration = Duration::from_secs(15);

/// Starts draining `farm` with `deadline` on a thread of its own (a drain blocks until its
/// sessions are adopted or the deadline passes), and waits until Redis says it released
/// its sessions.
fn drain(redis: &Redis, farm: Farm, deadline: Duration) -> tokio::task::JoinHandle<FarmReport> {
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drained_nodes_tab_resumes_on_another_node_with_its_id_user_state_and_messages() {
    let Some(redis) = Redis::start("failover_drain") else {
        return;
    };
    let a = node(&redis, "failover-drain-a", "a").await;
    let b = node(&redis, "failover-drain-b", "b").await;
    let (old, cookie) = logged_in_tab(&a).await;
    let id = old.session().to_owned();
    let client = old.client().to_owned();
    let token = old.resume_token().to_owned();

    let draining = drain(&redis, a.farm.clone(), LONG_DRAIN);
    // Posted while the session moves: it waits for the adopter, and runs there once.
    let session_id: SessionId = id.parse().expect("a session id");
    b.farm
        .post(session_id, "FailoverRecord", vec![Value::from(1_i64)])
        .expect("a post to a released session is taken");
    b.farm
        .post(session_id, "FailoverRecord", vec![Value::from(2_i64)])
        .expect("a post to a released session is taken");
    old.drop_connection();

    // A wrong token (its secret half changed) with the right cookie: a new session.
    let mut wrong = token.clone();
    let last = if wrong.ends_with('0') { "1" } else { "0" };
    wrong.replace_range(wrong.len() - 1.., last);
    let refused = Tab::open(&b.host, Handshake::resuming(Some(&cookie), &wrong)).await;
    assert_ne!(refused.session(), id, "a wrong token adopts nothing");
    assert_eq!(refused.opened["resumed"], false);
    // The right token from another browser (no cookie: a new client): a new session.
    let stranger = Tab::open(&b.host, Handshake::resuming(None, &token)).await;
    assert_ne!(
        stranger.session(),
        id,
        "another browser's token adopts nothing"
    );
    assert_ne!(stranger.client(), client);
    assert_eq!(stranger.opened["resumed"], false);

    // What Redis holds for the session (a figure for the report, not a check).
    let mut con = redis.connection();
    let bytes: Option<u64> = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(format!("sessions:s:{id}"))
        .query(&mut con)
        .expect("MEMORY USAGE");
    let key_bytes: Option<u64> = redis::cmd("MEMORY")
        .arg("USAGE")
        .arg(format!("sessions:r:{}", &token[..32]))
        .query(&mut con)
        .expect("MEMORY USAGE");
    eprintln!(
        "Redis memory for the session: {bytes:?} bytes (hash), {key_bytes:?} bytes (resume key)"
    );

    // The tab itself: the same session, user, client and registered state.
    let started = std::time::Instant::now();
    let mut back = Tab::open(&b.host, Handshake::resuming(Some(&cookie), &token)).await;
    eprintln!(
        "adopted on B in {:?} (handshake to session.opened)",
        started.elapsed()
    );
    assert_eq!(back.session(), id);
    assert_eq!(back.client(), client);
    assert_eq!(back.opened["resumed"], true, "{}", back.opened);
    assert_eq!(back.opened["user"]["user"], "alice", "{}", back.opened);
    let adopted = b.engine.get(session_id).expect("the session is open on B");
    let user = adopted.user().expect("alice is logged in on B");
    assert_eq!(user.name(), "alice");
    assert!(
        user.has_role("admin") && user.has_role("operator"),
        "{user:?}"
    );
    assert_eq!(
        adopted.get::<Cart>().as_deref(),
        Some(&Cart(vec!["apple".into(), "pear".into()]))
    );
    assert!(
        adopted.get::<Scratch>().is_none(),
        "unregistered state stays on A"
    );
    // The messages posted while it moved ran once each, in order, on B.
    wait_until("the messages run on B", || runs_of(&id).len() >= 2);
    let report = draining.await.expect("the drain ends");
    assert_eq!(
        runs_of(&id),
        vec![
            ("failover-drain-b".to_owned(), 1),
            ("failover-drain-b".to_owned(), 2)
        ]
    );
    assert_eq!(report.undelivered, 0, "{report:?}");
    assert!(
        a.engine.get(session_id).is_none(),
        "the drained node closed the session B adopted"
    );
    // The tab's calls run on B, in its session.
    let answer = back.call("FailoverRecord", json!([4])).await;
    assert!(answer.get("result").is_some(), "{answer}");
    // The farm counts it once, on B: with the two new tabs, three sessions, one logged in.
    b.farm.flush().expect("flush");
    assert_eq!(b.farm.len().expect("len"), 3);
    assert_eq!(b.farm.active_count().expect("active"), 1);
    assert_eq!(b.farm.nodes().expect("nodes"), ["b"]);
    assert_eq!(
        b.farm.get(session_id).expect("get").map(|s| s.node),
        Some("b".to_owned())
    );
    // A post now goes to B directly, and runs there.
    b.farm
        .post(session_id, "FailoverRecord", vec![Value::from(3_i64)])
        .expect("post");
    wait_until("the third message runs on B", || runs_of(&id).len() >= 4);
    assert_eq!(runs_of(&id)[2], ("failover-drain-b".to_owned(), 4));
    assert_eq!(runs_of(&id)[3], ("failover-drain-b".to_owned(), 3));
    assert_eq!(b.farm.report().undelivered, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_nodes_racing_to_adopt_one_session_one_wins_and_it_moves_again_on_the_next_drain() {
    let Some(redis) = Redis::start("failover_race") else {
        return;
    };
    let a = node(&redis, "failover-race-a", "a").await;
    let b = node(&redis, "failover-race-b", "b").await;
    let c = node(&redis, "failover-race-c", "c").await;
    let (old, cookie) = logged_in_tab(&a).await;
    let id = old.session().to_owned();
    let token = old.resume_token().to_owned();
    let draining = drain(&redis, a.farm.clone(), LONG_DRAIN);
    old.drop_connection();
    let handshake = Handshake::resuming(Some(&cookie), &token);
    let (on_b, on_c) = tokio::join!(
        Tab::try_open(&b.host, handshake.clone()),
        Tab::try_open(&c.host, handshake.clone())
    );
    // The loser finds the session held by the live winner: it is told to try again (1013)
    // with its token, rather than given a new session.
    let (winner_tab, loser) = match (on_b, on_c) {
        (Ok(tab), Err(refused)) | (Err(refused), Ok(tab)) => (tab, refused),
        (b, c) => panic!(
            "exactly one node adopts the session: {:?}, {:?}",
            b.map(|t| t.opened),
            c.map(|t| t.opened)
        ),
    };
    assert_eq!(winner_tab.session(), id);
    assert_eq!(winner_tab.opened["resumed"], true);
    assert!(
        matches!(&loser, Refused::Closed(1013, reason) if reason.contains("try again")),
        "{loser:?}"
    );
    let session_id: SessionId = id.parse().expect("id");
    let open_on = [&b, &c]
        .iter()
        .filter(|node| node.engine.get(session_id).is_some())
        .count();
    assert_eq!(open_on, 1, "the session is open on one node only");
    let report = draining.await.expect("the drain ends");
    assert_eq!(report.undelivered, 0, "{report:?}");

    // The winner drains in turn: the tab moves again, to the other node, the same session.
    let (winner, other) = if b.engine.get(session_id).is_some() {
        (&b, &c)
    } else {
        (&c, &b)
    };
    let token = winner_tab.resume_token().to_owned();
    let draining = drain(&redis, winner.farm.clone(), LONG_DRAIN);
    let again = Tab::open(&other.host, Handshake::resuming(Some(&cookie), &token)).await;
    assert_eq!(again.session(), id);
    assert_eq!(again.opened["resumed"], true, "{}", again.opened);
    let adopted = other
        .engine
        .get(session_id)
        .expect("open on the other node");
    assert_eq!(
        adopted.get::<Cart>().as_deref(),
        Some(&Cart(vec!["apple".into(), "pear".into()]))
    );
    let report = draining.await.expect("the second drain ends");
    assert_eq!(report.undelivered, 0, "{report:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_nobody_adopts_by_the_drains_deadline_is_counted_with_its_messages() {
    let Some(redis) = Redis::start("failover_unadopted") else {
        return;
    };
    let a = node(&redis, "failover-unadopted-a", "a").await;
    let b = node(&redis, "failover-unadopted-b", "b").await;
    let (old, _cookie) = logged_in_tab(&a).await;
    let session_id: SessionId = old.session().parse().expect("id");
    let draining = drain(&redis, a.farm.clone(), Duration::from_millis(1500));
    for seq in [1_i64, 2] {
        b.farm
            .post(session_id, "FailoverRecord", vec![Value::from(seq)])
            .expect("a post to a released session is taken");
    }
    // The tab never comes back: at the deadline the node leaves, and counts what waited.
    let report = draining.await.expect("the drain ends");
    assert_eq!(report.undelivered, 2, "{report:?}");
    assert!(
        a.engine.get(session_id).is_some(),
        "a session nobody adopted stays open on its node, alone"
    );
    assert!(runs_of(&session_id.to_string()).is_empty(), "nothing ran");
    assert_eq!(b.farm.get(session_id).expect("get"), None);
    assert!(
        matches!(
            b.farm
                .post(session_id, "FailoverRecord", vec![Value::from(3_i64)]),
            Err(sessions_core::farm::FarmError::NotFound(_))
        ),
        "a session that left the farm takes no more posts"
    );
    drop(old);
}

/// The `web_host` example's executable, built (once) as a user builds it.
fn web_host_binary() -> std::path::PathBuf {
    let output = std::process::Command::new(env!("CARGO"))
        .args([
            "build",
            "-q",
            "-p",
            "sessions-examples",
            "--bin",
            "web_host",
            "--message-format=json",
        ])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("cargo starts");
    assert!(output.status.success(), "web_host builds");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == "web_host")
        .find_map(|message| message["executable"].as_str().map(std::path::PathBuf::from))
        .expect("cargo names the web_host executable")
}

/// A file removed when dropped, also when the test fails.
struct TempFile(std::path::PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Starts `web_host` as node `a` of the farm on `redis`, signing cookies with `key_file`;
/// returns it (killed when dropped) and where it listens.
async fn web_host(
    binary: &std::path::Path,
    redis: &Redis,
    key_file: &TempFile,
) -> (tokio::process::Child, std::net::SocketAddr) {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut host = tokio::process::Command::new(binary)
        .args(["--port", "0", "--node", "a", "--farm", &redis.url()])
        .arg("--cookie-key")
        .arg(&key_file.0)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("web_host starts");
    let stdout = host.stdout.take().expect("piped");
    let first = tokio::time::timeout(
        farm_support::WAIT,
        BufReader::new(stdout).lines().next_line(),
    )
    .await
    .expect("web_host says where it listens")
    .expect("its stdout")
    .expect("a line");
    let addr = first
        .strip_prefix("listening on http://")
        .unwrap_or_else(|| panic!("the first line is `listening on URL`: {first:?}"))
        .parse()
        .expect("an address");
    (host, addr)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_web_hosts_tab_is_adopted_by_another_node_after_its_lease_even_once_it_restarted()
{
    let Some(redis) = Redis::start("failover_kill") else {
        return;
    };
    let key_file = TempFile(
        std::env::temp_dir().join(format!("sessions-failover-key-{}", std::process::id())),
    );
    std::fs::write(&key_file.0, b"failover-test-key-0123456789abcdef").expect("the key file");
    // Node A: the web_host example, a process of its own, on the farm.
    let binary = web_host_binary();
    let (mut host_a, addr) = web_host(&binary, &redis, &key_file).await;
    let b = node(&redis, "failover-kill-b", "b").await;

    let mut old = Tab::try_open_at(addr, Handshake::default())
        .await
        .expect("web_host opens a tab");
    let cookie = old.set_cookie.clone().expect("the client cookie");
    let login = old
        .call(
            "session.login",
            json!({"user": "alice", "password": "alice-demo"}),
        )
        .await;
    assert!(login.get("result").is_some(), "{login}");
    let id = old.session().to_owned();
    let token = old.resume_token().to_owned();
    let session_id: SessionId = id.parse().expect("id");
    wait_until("node A announces the tab's user", || {
        b.farm.get(session_id).ok().flatten().and_then(|s| s.user) == Some("alice".to_owned())
    });

    // A hard stop: SIGKILL, no drain, nothing told.
    host_a.start_kill().expect("SIGKILL");
    let killed_at = std::time::Instant::now();
    host_a.wait().await.expect("web_host is gone");
    old.drop_connection();
    // Posted while A is dead (its lease not yet over): it waits in A's inbox.
    b.farm
        .post(session_id, "FailoverRecord", vec![Value::from(7_i64)])
        .expect("a post to a session whose node died is taken, for its adopter");
    wait_until("node A's lease ends", || {
        matches!(b.farm.get(session_id), Ok(None))
    });
    // A is started again under its name (a supervisor restarting it): the dead
    // incarnation's sessions stay adoptable (a ghost node) until the grace ends.
    let (_host_a_again, _) = web_host(&binary, &redis, &key_file).await;
    let back = Tab::open(&b.host, Handshake::resuming(Some(&cookie), &token)).await;
    eprintln!(
        "the killed node's tab was adopted {:?} after the kill (web_host's lease: the farm's default)",
        killed_at.elapsed()
    );
    assert_eq!(back.session(), id);
    assert_eq!(back.opened["resumed"], true, "{}", back.opened);
    assert_eq!(back.opened["user"]["user"], "alice", "{}", back.opened);
    wait_until("the message posted to the dead node runs on B", || {
        !runs_of(&id).is_empty()
    });
    assert_eq!(runs_of(&id), vec![("failover-kill-b".to_owned(), 7)]);
    assert_eq!(b.farm.report().undelivered, 0, "{:?}", b.farm.report());
}
