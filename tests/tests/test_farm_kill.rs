//! A node killed under 300 tabs, behind a real load balancer: a `redis-server`, three
//! `web_host --farm` nodes (a 2 s lease) and HAProxy in front (`fleet_support`). 300
//! WebSocket tabs of 20 browsers, logged in as bob or carol, go through HAProxy and spread
//! over the nodes; each changes its session's registered state (`Tally`, a count
//! registered with `Engine::builder().persist`). An admin (alice, on a tab straight to
//! node1) posts numbered notices to bob and carol (`NotifyUser`) while node2 is SIGKILLed.
//! Within the lease and the tabs' reconnect time (`client.js`'s: after 500 ms, doubling),
//! every tab of node2 must be back on node1 or node3 with the same session id, user and
//! count; every notice must reach every tab of its user exactly once; no session may be
//! counted lost. The time from the kill to each moved tab's `session.opened` (`resumed:
//! true`) is printed (BENCHMARKS.md, section 18).
//!
//! Every part is started here on 127.0.0.1 and stopped also when the test fails; without
//! `redis-server` or `haproxy` the test says why and returns, unless
//! `SESSIONS_EXTERNAL_TESTS=require`.

mod browser_support;
mod farm_support;
mod fleet_support;
mod haproxy_support;

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use fleet_support::tab::LiveTab;
use fleet_support::{Fleet, NAMES};
use serde_json::{json, Value as Json};
use tokio::sync::watch;

const TEST: &str = "test_farm_kill";
/// Tabs in all, of [`BROWSERS`] browsers; a browser's user is `USERS[browser % 2]`.
const TABS: usize = 300;
const BROWSERS: usize = 20;
const USERS: [(&str, &str); 2] = [("bob", "bob-demo"), ("carol", "carol-demo")];
/// The nodes' lease (`web_host --lease-ms`): a dead node's sessions are adoptable after it.
const LEASE: Duration = Duration::from_secs(2);
/// The node killed, and the node the admin's tab is on.
const VICTIM: usize = 1;
const ADMIN_NODE: usize = 0;
/// From the kill to the last of the dead node's tabs back: the lease, and the tabs'
/// reconnects (`client.js`: 0.5 s, then 1, 2, 4 s apart).
const MOVE_BOUND: Duration = Duration::from_secs(2 + 12);
/// How often the admin posts a notice.
const NOTICE_EVERY: Duration = Duration::from_millis(250);
/// How long notices may take to arrive once the admin stopped.
const SETTLE: Duration = Duration::from_secs(10);
/// How many tabs open at once.
const OPENING: usize = 20;

/// A tab of the test: its browser, its user, and its session's count before the kill.
struct Tab {
    tab: LiveTab,
    browser: usize,
    node: String,
    count: u64,
}

/// What a call answered: its `result.value`, or a panic saying what came.
fn value(answer: Result<Json, fleet_support::tab::CallFailed>, what: &str) -> Json {
    match answer {
        Ok(answer) if answer.get("result").is_some() => answer["result"]["value"].clone(),
        other => panic!("{what} answered {other:?}"),
    }
}

/// A tab of `browser` through the load balancer, logged in as the browser's user (on a node
/// where the browser is logged in already, it opens logged in), having called `Tally`
/// `tallies` times.
async fn open_tab(
    lb: std::net::SocketAddr,
    browser: usize,
    cookie: Option<String>,
    tallies: u64,
) -> Tab {
    let mut tab = LiveTab::open(lb, cookie)
        .await
        .unwrap_or_else(|refused| panic!("HAProxy refused a tab: {refused:?}"));
    let (user, password) = USERS[browser % USERS.len()];
    if tab.user().as_deref() != Some(user) {
        let login = tab
            .call("session.login", json!({"user": user, "password": password}))
            .await;
        assert_eq!(value(login, "session.login")["user"], user);
        tab.opened["user"] = json!({"user": user});
    }
    let served = value(tab.call("ServerNode", json!([])).await, "ServerNode");
    assert_eq!(
        served["session"],
        tab.session(),
        "a call runs in its tab's session"
    );
    let mut count = 0;
    for _ in 0..tallies {
        let counted = value(tab.call("Tally", json!([])).await, "Tally");
        count += 1;
        assert_eq!(counted["count"], count, "{counted}");
    }
    Tab {
        tab,
        browser,
        node: served["node"].as_str().unwrap_or_default().to_owned(),
        count,
    }
}

/// The admin's notices: each text, to whom, and to how many sessions `NotifyUser` posted it.
type Posted = Vec<(String, &'static str, u64)>;

/// Posts `notice N` to bob and carol in turn from `admin`, every [`NOTICE_EVERY`], until
/// `stop`.
async fn post_notices(mut admin: LiveTab, mut stop: watch::Receiver<bool>) -> Posted {
    let mut posted = Vec::new();
    for n in 0..10_000 {
        if *stop.borrow_and_update() {
            break;
        }
        let user = USERS[n % USERS.len()].0;
        let text = format!("notice {n}");
        let answer = admin
            .call("NotifyUser", json!({"user": user, "text": text}))
            .await;
        let answer = answer.unwrap_or_else(|failed| panic!("NotifyUser {n}: {failed:?}"));
        let sent = answer["result"]["outs"]["sent"]
            .as_u64()
            .unwrap_or_else(|| panic!("NotifyUser {n} answered {answer}"));
        posted.push((text, user, sent));
        let _ = tokio::time::timeout(NOTICE_EVERY, stop.changed()).await;
    }
    posted
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_tabs_resume_on_the_others_with_their_sessions_and_notices() {
    let lease_ms = LEASE.as_millis().to_string();
    let extra = [
        "--lease-ms",
        &lease_ms,
        "--max-connections-per-peer",
        "2000",
    ];
    let Some(mut fleet) = Fleet::start(TEST, &extra).await else {
        return;
    };
    let lb = fleet.lb;
    let started = Instant::now();

    // 300 tabs, a round of one per browser at a time: the first round's tabs get their
    // browsers' cookies and log them in.
    let mut cookies: Vec<Option<String>> = vec![None; BROWSERS];
    let mut tabs: Vec<Tab> = Vec::new();
    for round in 0..TABS / OPENING {
        let mut opening = tokio::task::JoinSet::new();
        for browser in 0..BROWSERS {
            let cookie = cookies[browser].clone();
            let tallies = 1 + (round + browser) as u64 % 3;
            opening.spawn(open_tab(lb, browser, cookie, tallies));
        }
        while let Some(tab) = opening.join_next().await {
            let tab = tab.expect("a tab opens");
            if cookies[tab.browser].is_none() {
                cookies[tab.browser] = tab.tab.cookie.clone();
            }
            tabs.push(tab);
        }
    }
    let mut per_node: BTreeMap<&str, usize> = BTreeMap::new();
    for tab in &tabs {
        *per_node.entry(tab.node.as_str()).or_default() += 1;
    }
    eprintln!(
        "{TEST}: {} tabs open in {:?}; per node: {per_node:?}",
        tabs.len(),
        started.elapsed()
    );
    for name in NAMES {
        assert!(
            per_node.get(name).copied().unwrap_or(0) >= TABS / 6,
            "round robin spreads the tabs: {per_node:?}"
        );
    }
    let tabs_of = |user: &str| {
        tabs.iter()
            .filter(|tab| USERS[tab.browser % USERS.len()].0 == user)
            .count() as u64
    };
    let tabs_of_user: HashMap<&str, u64> = USERS
        .iter()
        .map(|(user, _)| (*user, tabs_of(user)))
        .collect();

    // The admin, straight to a node that stays.
    let admin_at = fleet.addresses[ADMIN_NODE].parse().expect("an address");
    let mut admin = LiveTab::open(admin_at, None)
        .await
        .expect("the admin's tab");
    let login = admin
        .call(
            "session.login",
            json!({"user": "alice", "password": "alice-demo"}),
        )
        .await;
    assert_eq!(value(login, "the admin's log-in")["user"], "alice");
    let mut open_before = 0.0;
    for n in 0..NAMES.len() {
        open_before += fleet.metric(n, "sessions_open", &[]).await;
    }
    // The counts are written to Redis off the calls' path: a moment for the last ones.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let (stop, stopped) = watch::channel(false);
    let posting = tokio::spawn(post_notices(admin, stopped));
    tokio::time::sleep(Duration::from_secs(1)).await;

    // SIGKILL: the node's tabs see their sockets end, and come back through HAProxy.
    let killed = Instant::now();
    let until = killed + MOVE_BOUND;
    fleet.nodes[VICTIM].kill();
    let victim = NAMES[VICTIM];
    let mut moving = tokio::task::JoinSet::new();
    let mut steady = Vec::new();
    for tab in tabs {
        if tab.node != victim {
            steady.push(tab);
            continue;
        }
        moving.spawn(async move {
            let mut tab = tab;
            let before = (tab.tab.session(), tab.tab.user());
            let (code, reason) = tab
                .tab
                .closed(MOVE_BOUND)
                .await
                .expect("a killed node's tab sees its socket end");
            let failures = tab.tab.reconnect(code, until).await;
            let back = killed.elapsed();
            let after = (tab.tab.session(), tab.tab.user());
            let resumed = tab.tab.resumed();
            // Its state: the count goes on from where it was.
            let counted = value(tab.tab.call("Tally", json!([])).await, "Tally");
            (
                tab,
                before,
                after,
                resumed,
                counted,
                back,
                failures,
                (code, reason),
            )
        });
    }
    let mut moved = Vec::new();
    let mut times = Vec::new();
    let mut lost_state = Vec::new();
    let mut new_sessions = Vec::new();
    let mut reconnects = 0;
    while let Some(result) = moving.join_next().await {
        let (tab, before, after, resumed, counted, back, failures, close) =
            result.expect("a moving tab's task");
        reconnects += failures;
        if after != before || !resumed {
            new_sessions.push(format!(
                "{before:?} came back as {after:?} (resumed: {resumed}, closed {close:?})"
            ));
        } else {
            times.push(back);
        }
        assert_ne!(counted["node"], victim, "a moved tab is on a survivor");
        assert_eq!(
            counted["session"],
            tab.tab.session(),
            "a call runs in its tab's session"
        );
        if counted["count"] != tab.count + 1 {
            lost_state.push(format!(
                "count {} before, then {}",
                tab.count, counted["count"]
            ));
        }
        moved.push(tab);
    }
    times.sort();
    let slowest = times.last().copied().unwrap_or_default();
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    if !times.is_empty() {
        eprintln!(
            "{TEST}: {} tabs of {victim} resumed after SIGKILL (lease {LEASE:?}): p50 {:?}, p99 \
             {:?}, max {slowest:?} ({reconnects} reconnects failed on the way)",
            times.len(),
            at(0.50),
            at(0.99)
        );
    }
    // Notices go on a moment after the last tab came back, then stop.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = stop.send(true);
    let posted = posting.await.expect("the admin's task");

    // Every tab of the dead node back, in its session, with its user and its state.
    assert!(
        new_sessions.is_empty(),
        "{} of {} tabs of {victim} did not get their sessions back, e.g. {:?}",
        new_sessions.len(),
        moved.len(),
        &new_sessions[..new_sessions.len().min(3)]
    );
    assert!(
        lost_state.is_empty(),
        "{} of {} moved tabs lost their registered state, e.g. {:?}",
        lost_state.len(),
        moved.len(),
        &lost_state[..lost_state.len().min(3)]
    );
    assert!(
        slowest < MOVE_BOUND,
        "the tabs were back within the lease and the reconnect time: {slowest:?}"
    );
    for tab in &steady {
        assert_eq!(
            tab.tab.close_code(),
            None,
            "a tab of a survivor keeps its socket"
        );
    }

    // No session counted lost: the survivors hold every session (the moved ones too, the
    // admin's included), and counted no message undelivered.
    let survivors = [0, 2];
    let mut open_after = 0.0;
    for n in survivors {
        open_after += fleet.metric(n, "sessions_open", &[]).await;
        for (metric, label) in [
            ("sessions_farm_messages_total", "outcome=\"undelivered\""),
            ("sessions_notifications_undelivered_total", ""),
        ] {
            let undelivered = fleet.metric(n, metric, &[label]).await;
            assert_eq!(undelivered, 0.0, "{} counted {metric} {label}", NAMES[n]);
        }
    }
    eprintln!(
        "{TEST}: sessions open before the kill {open_before}, on the survivors after {open_after}"
    );
    assert_eq!(
        open_after, open_before,
        "every session of the farm is open on a survivor (none lost, none made anew)"
    );
    assert!(
        fleet.log(0).contains("adopted a session") || fleet.log(2).contains("adopted a session")
    );

    // Every notice exactly once at every tab of its user.
    let all: Vec<&Tab> = steady.iter().chain(moved.iter()).collect();
    let expected = |tab: &Tab| -> Vec<&str> {
        let user = USERS[tab.browser % USERS.len()].0;
        posted
            .iter()
            .filter(|(_, to, _)| *to == user)
            .map(|(text, _, _)| text.as_str())
            .collect()
    };
    let settle = Instant::now() + SETTLE;
    while Instant::now() < settle
        && all
            .iter()
            .any(|tab| tab.tab.notices().len() < expected(tab).len())
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut missing = [0usize; 2];
    let mut duplicated = [0usize; 2];
    let mut unknown = 0;
    let mut reached: HashMap<&str, u64> = HashMap::new();
    let moved_ids: Vec<String> = moved.iter().map(|tab| tab.tab.session()).collect();
    for tab in &all {
        let on_moved = usize::from(moved_ids.contains(&tab.tab.session()));
        let mut counts: HashMap<String, usize> = HashMap::new();
        for text in tab.tab.notices() {
            *counts.entry(text).or_default() += 1;
        }
        for text in expected(tab) {
            match counts.remove(text).unwrap_or(0) {
                0 => missing[on_moved] += 1,
                1 => *reached.entry(text).or_default() += 1,
                _ => {
                    duplicated[on_moved] += 1;
                    *reached.entry(text).or_default() += 1;
                }
            }
        }
        unknown += counts.values().sum::<usize>();
    }
    let pairs: usize = all.iter().map(|tab| expected(tab).len()).sum();
    let wrong_sent: Vec<String> = posted
        .iter()
        .filter(|(_, user, sent)| *sent != tabs_of_user[user])
        .map(|(text, user, sent)| format!("{text} to {user}: sent {sent}"))
        .collect();
    let short: Vec<String> = posted
        .iter()
        .filter(|(text, user, _)| {
            reached.get(text.as_str()).copied().unwrap_or(0) != tabs_of_user[user]
        })
        .map(|(text, _, sent)| {
            format!(
                "{text}: sent {sent}, reached {}",
                reached.get(text.as_str()).copied().unwrap_or(0)
            )
        })
        .collect();
    eprintln!(
        "{TEST}: {} notices posted ({pairs} tab-notice pairs); missing on steady tabs {}, on \
         moved tabs {}; duplicated on steady tabs {}, on moved tabs {}; not meant for the tab \
         {unknown}; NotifyUser's sent not the user's tab count: {}",
        posted.len(),
        missing[0],
        missing[1],
        duplicated[0],
        duplicated[1],
        wrong_sent.len()
    );
    assert_eq!(unknown, 0, "a tab got a notice meant for another user");
    assert!(
        missing == [0, 0] && duplicated == [0, 0],
        "every notice exactly once at every tab of its user: missing {missing:?}, duplicated \
         {duplicated:?} (steady, moved tabs) of {pairs}; notices not reaching all: {:?}",
        &short[..short.len().min(5)]
    );
    assert!(
        wrong_sent.is_empty(),
        "NotifyUser reached another number of sessions than the user's tabs: {wrong_sent:?}"
    );
    eprintln!("{TEST}: done in {:?}", started.elapsed());
}
