//! A rolling deploy's drain behind a real load balancer: a `redis-server`, three `web_host`
//! nodes of one farm (one cookie key file, so a browser is the same client on each), and
//! HAProxy in front with the configuration the README shows
//! (`examples/haproxy/haproxy.cfg`). Thirty WebSocket tabs of three browsers go through
//! HAProxy and spread over the nodes; one node gets SIGTERM. Its tabs are closed with 1012,
//! HAProxy's health check (`GET /sessions/ready`) marks it down, the tabs reconnect through
//! HAProxy (as `client.js` does: at once, jittered, with their resume token) and are
//! answered on the other nodes, each in the session it had (adopted from the drained
//! node: same id, `resumed: true`), each call in the tab's own session; the node exits 0
//! within its deadline; the other tabs' sockets and sessions never notice.
//!
//! Every part is started here on 127.0.0.1 (`fleet_support`, which the 300-tab kill and
//! rolling-restart tests share) and stopped also when the test fails; without
//! `redis-server` or `haproxy` the test says why and returns, unless
//! `SESSIONS_EXTERNAL_TESTS=require`.

mod browser_support;
mod farm_support;
mod fleet_support;
mod haproxy_support;
mod web_support;

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fleet_support::{rand_below, Fleet};
use serde_json::json;
use tokio::sync::watch;
use web_support::{Handshake, Incoming, Refused, Tab};

const TEST: &str = "draining_a_node_behind_haproxy_moves_its_tabs_to_the_others";
/// Tabs in all, of [`BROWSERS`] browsers.
const TABS: usize = 30;
const BROWSERS: usize = 3;
/// What each node's drain step may wait (`web_host --drain-ms`).
const DRAIN: Duration = Duration::from_secs(3);
/// How long a node's readiness fails before it closes its tabs (`web_host --unready-ms`):
/// three of HAProxy's health checks (every 500 ms, one failure takes a node out).
const UNREADY: Duration = Duration::from_millis(1500);
/// How long the drained process may take to exit 0 after SIGTERM: readiness failing, its
/// two waiting steps (leaving the farm, closing the tabs), the serve loop's shutdown
/// deadline (10 s) for requests in progress, the runtime's 2 s, and slack.
const EXIT_BOUND: Duration = Duration::from_millis(1500 + 2 * 3000 + 10_000 + 2000 + 4000);
/// From SIGTERM to the last of the node's tabs answered on another node.
const MOVE_BOUND: Duration = Duration::from_secs(15);
/// The most a tab waits before reconnecting after 1012 (`client.js`'s `restartJitterMs`).
const JITTER_MS: u64 = 250;
/// How long a tab waits before trying again when the load balancer has no node for it.
const RETRY: Duration = Duration::from_millis(100);

/// What `ServerNode` says: the node that answered, and the session the call ran in.
async fn served(tab: &mut Tab) -> (String, String) {
    let answer = tab.call("ServerNode", json!([])).await;
    let value = &answer["result"]["value"];
    let node = value["node"].as_str();
    let session = value["session"].as_str();
    match (node, session) {
        (Some(node), Some(session)) => (node.to_owned(), session.to_owned()),
        _ => panic!("ServerNode answered {answer}"),
    }
}

/// A tab through the load balancer at `lb`, with the browser's `cookie` (and `resume`
/// token), trying again while HAProxy has no node to give it (503), up to `until`.
async fn open_through(
    lb: SocketAddr,
    cookie: Option<&str>,
    resume: Option<&str>,
    until: Instant,
) -> (Tab, u32) {
    let mut retries = 0;
    loop {
        let handshake = Handshake {
            cookie,
            resume,
            ..Handshake::default()
        };
        match Tab::try_open_at(lb, handshake).await {
            Ok(tab) => return (tab, retries),
            Err(Refused::Status(503) | Refused::Closed(1012, _)) if Instant::now() < until => {
                retries += 1;
                tokio::time::sleep(RETRY).await;
            }
            Err(refused) => panic!("the load balancer refused a tab: {refused:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn draining_a_node_behind_haproxy_moves_its_tabs_to_the_others() {
    let drain_ms = DRAIN.as_millis().to_string();
    let unready_ms = UNREADY.as_millis().to_string();
    let extra = ["--drain-ms", &drain_ms, "--unready-ms", &unready_ms];
    let Some(mut fleet) = Fleet::start(TEST, &extra).await else {
        return;
    };
    let lb = fleet.lb;
    let names = fleet_support::NAMES;

    // Thirty tabs of three browsers, through HAProxy: each browser's first tab gets its
    // cookie, which its other tabs send (on whichever node they land).
    let start = Instant::now() + MOVE_BOUND;
    let mut cookies: Vec<String> = Vec::new();
    let mut clients: Vec<String> = Vec::new();
    let mut tabs: Vec<(usize, Tab, String)> = Vec::new();
    for n in 0..TABS {
        let browser = n % BROWSERS;
        let (mut tab, _) =
            open_through(lb, cookies.get(browser).map(String::as_str), None, start).await;
        if cookies.len() == browser {
            cookies.push(tab.set_cookie.clone().expect("a new browser gets a cookie"));
            clients.push(tab.client().to_owned());
        }
        assert_eq!(
            tab.client(),
            clients[browser],
            "one browser is one client on every node (one cookie key)"
        );
        let (node, session) = served(&mut tab).await;
        assert_eq!(session, tab.session(), "a call runs in its tab's session");
        tabs.push((browser, tab, node));
    }
    let mut per_node: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, node) in &tabs {
        *per_node.entry(node.as_str()).or_default() += 1;
    }
    eprintln!("{TEST}: tabs per node before the drain: {per_node:?}");
    for name in names {
        assert!(
            per_node.get(name).copied().unwrap_or(0) > 0,
            "round robin gives every node tabs: {per_node:?}"
        );
    }
    let sessions: HashSet<String> = tabs
        .iter()
        .map(|(_, tab, _)| tab.session().to_owned())
        .collect();
    assert_eq!(sessions.len(), TABS, "a session per tab");

    // The other nodes' tabs call all through the drain; each call must be answered on the
    // same node, in the same session, on the same socket (a close fails the call).
    let victim = "node2";
    let (stop, stopped) = watch::channel(false);
    let mut steady = Vec::new();
    let mut moving = Vec::new();
    for (browser, tab, node) in tabs {
        if node == victim {
            moving.push((browser, tab));
        } else {
            let mut stopped = stopped.clone();
            steady.push(tokio::spawn(async move {
                let mut tab = tab;
                let mut calls = 0u32;
                while !*stopped.borrow_and_update() {
                    let (now_node, now_session) = served(&mut tab).await;
                    assert_eq!(now_node, node, "a steady tab stays on its node");
                    assert_eq!(now_session, tab.session(), "a steady tab keeps its session");
                    calls += 1;
                    let _ =
                        tokio::time::timeout(Duration::from_millis(50), stopped.changed()).await;
                }
                (tab, node, calls)
            }));
        }
    }

    // SIGTERM: the node's tabs get 1012 and come back through HAProxy, on another node.
    let terminated = Instant::now();
    let until = terminated + MOVE_BOUND;
    fleet.nodes[1].terminate();
    // New tabs while the node drains, before its tabs are closed (HAProxy may not have
    // seen its readiness fail yet): each is answered by another node, and none is refused
    // (HAProxy tries a 503 again on another node: `retry-on 503`).
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut newcomers = Vec::new();
    for _ in 0..6 {
        let (mut tab, refused) = open_through(lb, None, None, until).await;
        assert_eq!(refused, 0, "a new tab was refused while a node drains");
        let (node, session) = served(&mut tab).await;
        assert_ne!(node, victim, "a draining node takes no new tab");
        assert_eq!(session, tab.session());
        newcomers.push(tab);
    }
    let mut moves = Vec::new();
    for (browser, mut tab) in moving {
        let cookie = cookies[browser].clone();
        let client = clients[browser].clone();
        moves.push(tokio::spawn(async move {
            let before = tab.session().to_owned();
            let token = tab.resume_token().to_owned();
            match tab.next_message().await {
                Incoming::Closed(code, reason) => {
                    assert_eq!(
                        code, 1012,
                        "a draining node's tab is closed with 1012: {reason}"
                    );
                    assert!(reason.contains("restarting"), "{reason}");
                }
                other => panic!("expected a close with 1012, got {other:?}"),
            }
            // As client.js: at once, after a small random delay, with the resume token.
            let jitter = u64::from(rand_below(JITTER_MS as u32));
            tokio::time::sleep(Duration::from_millis(jitter)).await;
            let (mut moved, retries) = open_through(lb, Some(&cookie), Some(&token), until).await;
            assert_eq!(moved.client(), client, "the same browser, on another node");
            // The farm-wide resume: another node adopted the tab's session.
            assert_eq!(moved.session(), before, "a moved tab gets its session back");
            assert_eq!(moved.opened["resumed"], true, "{}", moved.opened);
            let (node, session) = served(&mut moved).await;
            assert_ne!(node, victim, "a moved tab lands on another node");
            assert_eq!(
                session,
                moved.session(),
                "a moved tab's call runs in its own session"
            );
            (moved, node, retries, terminated.elapsed())
        }));
    }
    let mut moved_tabs = Vec::new();
    let mut slowest = Duration::ZERO;
    let mut retries = 0;
    for handle in moves {
        let (tab, node, tries, took) = handle.await.expect("a moving tab's task");
        slowest = slowest.max(took);
        retries += tries;
        moved_tabs.push((tab, node));
    }
    eprintln!(
        "{TEST}: {} tabs moved off {victim}; the last answered {slowest:?} after SIGTERM \
         ({retries} upgrades tried again after a 503)",
        moved_tabs.len()
    );
    assert!(
        slowest < MOVE_BOUND,
        "the tabs moved within {MOVE_BOUND:?}: {slowest:?}"
    );

    // HAProxy's health check took the node out.
    fleet.wait_down(1, MOVE_BOUND).await;

    // HAProxy's health check took the node out, for its readiness (503), before the node
    // closed its tabs and stopped listening.
    let log = fleet.haproxy.log_text();
    let down = log
        .lines()
        .find(|line| line.contains("node2 is DOWN"))
        .unwrap_or_default();
    eprintln!("{TEST}: HAProxy: {down}");
    assert!(
        down.contains("503"),
        "node2 went down for its readiness: {down}"
    );

    // The drained process exits 0 within its deadline, and said what it did.
    let status = fleet.nodes[1].wait_exit(EXIT_BOUND.saturating_sub(terminated.elapsed()));
    let log = fleet.log(1);
    let status = status.unwrap_or_else(|| {
        panic!("node2 still runs {EXIT_BOUND:?} after SIGTERM; its log:\n{log}")
    });
    assert!(status.success(), "node2 exited {status}; its log:\n{log}");
    assert!(log.contains("closed with 1012"), "{log}");
    eprintln!(
        "{TEST}: node2 exited 0 {:?} after SIGTERM",
        terminated.elapsed()
    );

    // The other tabs never noticed: same node, same session, calls answered throughout.
    let _ = stop.send(true);
    let mut all_sessions: HashSet<String> = HashSet::new();
    for handle in steady {
        let (mut tab, node, calls) = handle.await.expect("a steady tab's task");
        assert!(calls > 0, "a steady tab called during the drain");
        assert_eq!(served(&mut tab).await, (node, tab.session().to_owned()));
        assert!(
            all_sessions.insert(tab.session().to_owned()),
            "a session per tab"
        );
    }
    for (mut tab, node) in moved_tabs {
        assert_eq!(served(&mut tab).await, (node, tab.session().to_owned()));
        assert!(
            all_sessions.insert(tab.session().to_owned()),
            "a session per tab"
        );
    }
    assert_eq!(all_sessions.len(), TABS);
    for mut tab in newcomers {
        let (_, session) = served(&mut tab).await;
        assert!(all_sessions.insert(session), "a session per tab");
    }
    // The survivors still take new tabs.
    let (mut late, _) = open_through(lb, None, None, Instant::now() + MOVE_BOUND).await;
    assert_ne!(served(&mut late).await.0, victim);
    for n in [0, 2] {
        assert!(fleet.nodes[n].is_running(), "the other nodes go on");
    }
}

/// The README's "Deploying a farm" shows the very HAProxy configuration this test runs.
#[test]
fn the_readme_shows_the_haproxy_configuration_the_tests_use() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("the README");
    let config = std::fs::read_to_string(haproxy_support::CONFIG).expect("haproxy.cfg");
    let section = readme
        .split("## Deploying a farm")
        .nth(1)
        .expect("the README has a \"Deploying a farm\" section");
    let quoted = section
        .split("```text\n")
        .nth(1)
        .and_then(|block| block.split("```").next())
        .expect("the section quotes a configuration");
    assert_eq!(
        quoted, config,
        "README.md's \"Deploying a farm\" quotes examples/haproxy/haproxy.cfg exactly"
    );
    for needed in [
        "balance roundrobin",
        "option httpchk GET /sessions/ready",
        "timeout tunnel",
    ] {
        assert!(config.contains(needed), "haproxy.cfg has {needed:?}");
    }
    let directives: Vec<&str> = config
        .lines()
        .map(str::trim)
        .filter(|line| !line.starts_with('#'))
        .collect();
    assert!(
        !directives
            .iter()
            .any(|line| line.starts_with("cookie") || line.starts_with("stick")),
        "no stickiness beyond the WebSocket's own connection"
    );
}
