//! Sessions that outlive their node: two (or three) web hosts in one process, each on its
//! own engine and farm node over a real redis-server, sharing one `CookieKey`, so a
//! browser's client id means the same on each. A tab logged in on node A, with registered
//! state, comes back on node B with its resume token after A drains: same session id,
//! user, client and state, `resumed: true`, and a message posted to it while it moved runs
//! once, on B. A wrong cookie or token gets a new session; two nodes racing to adopt one
//! session: exactly one wins, the other refuses the tab for now (4003), as a node does while
//! a killed owner's lease runs.

mod browser_support;
mod failover_support;
mod farm_support;
mod web_support;

use std::path::Path;
use std::time::Duration;

use browser_support::server::WebHostProcess;
use browser_support::TempDir;

use failover_support::{drain, logged_in_tab, node, runs_of, Cart, Scratch, LONG_DRAIN};
use farm_support::{wait_until, Redis};
use serde_json::json;
use sessions_core::web::SESSION_HELD;
use sessions_core::{SessionId, Value};
use web_support::{Handshake, Refused, Tab};

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
    // The loser finds the session held by the winner, a live node: it is refused for now
    // (4003, try again), not given a new session.
    let (on_b, on_c) = match (on_b, on_c) {
        (Ok(tab), Err(Refused::Closed(SESSION_HELD, _))) => (Some(tab), None),
        (Err(Refused::Closed(SESSION_HELD, _)), Ok(tab)) => (None, Some(tab)),
        (b, c) => panic!(
            "exactly one node adopts the session, the other refuses with 4003: {:?}, {:?}",
            b.map(|tab| tab.opened.clone()),
            c.map(|tab| tab.opened.clone())
        ),
    };
    let won = on_b.as_ref().or(on_c.as_ref()).expect("a winner");
    assert_eq!(won.session(), id, "the winner has the session");
    assert_eq!(won.opened["resumed"], true);
    let winners = [won];
    let session_id: SessionId = id.parse().expect("id");
    let open_on = [&b, &c]
        .iter()
        .filter(|node| node.engine.get(session_id).is_some())
        .count();
    assert_eq!(open_on, 1, "the session is open on one node only");
    let report = draining.await.expect("the drain ends");
    assert_eq!(report.undelivered, 0, "{report:?}");

    // The winner drains in turn: the tab moves again, to the other node, the same session.
    let (winner, other) = if on_b.is_some() { (&b, &c) } else { (&c, &b) };
    let token = winners[0].resume_token().to_owned();
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

/// How long a killed `web_host` may take to be gone.
const KILLED_WITHIN: Duration = Duration::from_secs(5);

/// Starts `web_host` as node `a` of the farm on `redis`, signing cookies with `key_file`,
/// its log in `dir`; it is stopped when dropped.
fn web_host(dir: &Path, redis: &Redis, key_file: &str) -> WebHostProcess {
    std::fs::create_dir_all(dir).expect("a log directory");
    let url = redis.url();
    WebHostProcess::start(
        dir,
        &["--node", "a", "--farm", &url, "--cookie-key", key_file],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_web_hosts_tab_is_adopted_by_another_node_after_its_lease_even_once_it_restarted()
{
    let Some(redis) = Redis::start("failover_kill") else {
        return;
    };
    let dir = TempDir::new("failover-kill");
    let key_file = dir.path().join("cookie.key");
    std::fs::write(&key_file, b"failover-test-key-0123456789abcdef").expect("the key file");
    let key_file = key_file.to_str().expect("a UTF-8 path").to_owned();
    // Node A: the web_host example, a process of its own, on the farm.
    let mut host_a = web_host(&dir.path().join("a"), &redis, &key_file);
    let addr = host_a.addr().parse().expect("an address");
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
    let killed_at = std::time::Instant::now();
    host_a.kill(KILLED_WITHIN);
    old.drop_connection();
    // The tab reconnects at once (as a browser does) to B: A's lease still runs, so B may
    // not adopt the session yet; it refuses the socket with 4003 (client.js tries again
    // with its token) instead of giving the tab a new session, which would lose its own.
    let early = Tab::try_open(&b.host, Handshake::resuming(Some(&cookie), &token)).await;
    match early {
        Err(Refused::Closed(SESSION_HELD, reason)) => assert!(reason.contains("held"), "{reason}"),
        Err(refused) => panic!("expected 4003 while A's lease runs, got {refused:?}"),
        Ok(tab) => panic!("a tab got a session while A's lease runs: {}", tab.opened),
    }
    assert_eq!(b.engine.len(), 0, "no session was opened on B for it");
    // Posted while A is dead (its lease not yet over): they wait in A's inbox. The first
    // is taken as A's inbox thread takes a message (read, not acknowledged), as if A died
    // running it: its notifications had not left, so it runs again on the adopter.
    for seq in [7_i64, 8] {
        b.farm
            .post(session_id, "FailoverRecord", vec![Value::from(seq)])
            .expect("a post to a session whose node died is taken, for its adopter");
        if seq == 7 {
            let taken: redis::Value = redis::cmd("XREADGROUP")
                .arg("GROUP")
                .arg("sessions")
                .arg("a")
                .arg("COUNT")
                .arg(1)
                .arg("STREAMS")
                .arg("sessions:in:a")
                .arg(">")
                .query(&mut redis.connection())
                .expect("XREADGROUP");
            assert_ne!(taken, redis::Value::Nil, "the message was in A's inbox");
        }
    }
    wait_until("node A's lease ends", || {
        matches!(b.farm.get(session_id), Ok(None))
    });
    // A is started again under its name (a supervisor restarting it): the dead
    // incarnation's sessions stay adoptable (a ghost node) until the grace ends.
    let _host_a_again = web_host(&dir.path().join("a-again"), &redis, &key_file);
    let back = Tab::open(&b.host, Handshake::resuming(Some(&cookie), &token)).await;
    eprintln!(
        "the killed node's tab was adopted {:?} after the kill (web_host's lease: the farm's default)",
        killed_at.elapsed()
    );
    assert_eq!(back.session(), id);
    assert_eq!(back.opened["resumed"], true, "{}", back.opened);
    assert_eq!(back.opened["user"]["user"], "alice", "{}", back.opened);
    wait_until("the messages posted to the dead node run on B", || {
        runs_of(&id).len() >= 2
    });
    assert_eq!(
        runs_of(&id),
        vec![
            ("failover-kill-b".to_owned(), 7),
            ("failover-kill-b".to_owned(), 8)
        ]
    );
    assert_eq!(b.farm.report().undelivered, 0, "{:?}", b.farm.report());
}
