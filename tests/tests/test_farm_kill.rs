//! A node killed under 300 tabs, behind a real load balancer: a `redis-server`, three
//! `web_host --farm` nodes (a 2 s lease) and HAProxy in front (`fleet_support`). 300
//! WebSocket tabs of 20 browsers, logged in as bob or carol, go through HAProxy and spread
//! over the nodes; each changes its session's registered state (`Tally`, a count
//! registered with `Engine::builder().persist`). An admin (alice, on a tab straight to
//! node1) posts numbered notices to bob and carol (`NotifyUser`) while node2 is SIGKILLed,
//! right as one of them is being delivered.
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
mod web_support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use fleet_support::crowd::{self, value, Member};
use fleet_support::{Fleet, NAMES};
use serde_json::json;
use tokio::sync::watch;

const TEST: &str = "test_farm_kill";
/// Tabs in all, of [`BROWSERS`] browsers.
const TABS: usize = 300;
const BROWSERS: usize = 20;
/// The nodes' lease (`web_host --lease-ms`): a dead node's sessions are adoptable after it.
const LEASE: Duration = Duration::from_secs(2);
/// The node killed, and the node the admin's tab is on.
const VICTIM: usize = 1;
const ADMIN_NODE: usize = 0;
/// From the kill to the last of the dead node's tabs back: the lease, and the tabs'
/// reconnects (`client.js`: 0.5 s after the close, then 1, 2, 4 s apart).
const MOVE_BOUND: Duration = Duration::from_secs(2 + 12);
/// How often the admin posts a notice, and after how many the node is killed.
const NOTICE_EVERY: Duration = Duration::from_millis(250);
const KILL_AFTER: usize = 4;
/// How long notices may take to arrive once the admin stopped.
const SETTLE: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_nodes_tabs_resume_on_the_others_with_their_sessions_and_notices() {
    let lease_ms = LEASE.as_millis().to_string();
    // A short drain, for the test's end: the nodes get SIGTERM then.
    let extra = [
        "--lease-ms",
        &lease_ms,
        "--max-connections-per-peer",
        "2000",
        "--unready-ms",
        "0",
        "--drain-ms",
        "1000",
    ];
    let Some(mut fleet) = Fleet::start(TEST, &extra).await else {
        return;
    };
    let started = Instant::now();
    let members = crowd::open(fleet.lb, TABS, BROWSERS).await;
    let mut per_node: BTreeMap<&str, usize> = BTreeMap::new();
    for member in &members {
        *per_node.entry(member.node.as_str()).or_default() += 1;
    }
    eprintln!(
        "{TEST}: {} tabs open in {:?}; per node: {per_node:?}",
        members.len(),
        started.elapsed()
    );
    for name in NAMES {
        assert!(
            per_node.get(name).copied().unwrap_or(0) >= TABS / 6,
            "round robin spreads the tabs: {per_node:?}"
        );
    }

    // The admin, straight to a node that stays.
    let admin = crowd::admin(fleet.addresses[ADMIN_NODE].parse().expect("an address")).await;
    let mut open_before = 0.0;
    for n in 0..NAMES.len() {
        open_before += fleet.metric(n, "sessions_open", &[]).await;
    }
    // The counts are written to Redis off the calls' path: a moment for the last ones.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let owned_by_victim = || -> usize {
        let mut redis = fleet.redis.connection();
        redis::cmd("SCARD")
            .arg(format!("sessions:n:{}:s", NAMES[VICTIM]))
            .query(&mut redis)
            .expect("SCARD")
    };
    assert_eq!(
        owned_by_victim(),
        per_node[NAMES[VICTIM]],
        "Redis lists the victim's sessions"
    );
    let (stop, stopped) = watch::channel(false);
    let (count, mut counted) = watch::channel(0);
    let posting = tokio::spawn(crowd::post_notices(
        admin,
        NOTICE_EVERY,
        stopped,
        Instant::now() + MOVE_BOUND,
        count,
    ));
    // The kill comes as a notice is being delivered: the admin's `NotifyUser` for it has
    // just returned (its posts are queued in the nodes' inboxes, the dead node's too).
    let before_kill = counted.wait_for(|posted| *posted >= KILL_AFTER);
    tokio::time::timeout(MOVE_BOUND, before_kill)
        .await
        .expect("the admin posts")
        .expect("the admin's task runs");

    // SIGKILL: the node's tabs see their sockets end, and come back through HAProxy.
    let killed = Instant::now();
    let until = killed + MOVE_BOUND;
    fleet.nodes[VICTIM].kill(fleet_support::KILLED_WITHIN);
    let victim = NAMES[VICTIM];
    let mut moving = tokio::task::JoinSet::new();
    let mut steady = Vec::new();
    for member in members {
        if member.node != victim {
            steady.push(member);
            continue;
        }
        moving.spawn(async move {
            let mut member = member;
            let before = (member.tab.session(), member.tab.user());
            let (code, reason) = member
                .tab
                .closed(MOVE_BOUND)
                .await
                .expect("a killed node's tab sees its socket end");
            let refused = member.tab.reconnect(code, until).await;
            let back = member.tab.opened_at.duration_since(killed);
            let after = (member.tab.session(), member.tab.user());
            let resumed = member.tab.resumed();
            // Its state: the count goes on from where it was.
            let counted = value(member.tab.call("Tally", json!([])).await, "Tally");
            let moved = Moved {
                before,
                after,
                resumed,
                back,
                refused,
                closed: (code, reason),
            };
            (member, moved, counted)
        });
    }
    let mut moved = Vec::new();
    let mut times = Vec::new();
    let mut lost_state = Vec::new();
    let mut new_sessions = Vec::new();
    let mut refusals = 0;
    while let Some(result) = moving.join_next().await {
        let (mut member, how, counted) = result.expect("a moving tab's task");
        refusals += how.refused;
        if how.after != how.before || !how.resumed {
            new_sessions.push(format!(
                "{:?} came back as {:?} (resumed: {}, closed {:?})",
                how.before, how.after, how.resumed, how.closed
            ));
        } else {
            times.push(how.back);
        }
        assert_ne!(counted["node"], victim, "a moved tab is on a survivor");
        assert_eq!(
            counted["session"],
            member.tab.session(),
            "a call runs in its tab's session"
        );
        let was = member.counts.last().copied().unwrap_or(0);
        if counted["count"] != was + 1 {
            lost_state.push(format!("count {was} before, then {}", counted["count"]));
        }
        member.counts.push(counted["count"].as_u64().unwrap_or(0));
        moved.push(member);
    }
    let slowest = times.iter().max().copied().unwrap_or_default();
    if let Some((p50, p99, max, count)) = crowd::percentiles(&mut times) {
        eprintln!(
            "{TEST}: {count} tabs of {victim} resumed after SIGKILL (lease {LEASE:?}), SIGKILL \
             to session.opened: p50 {p50:?}, p99 {p99:?}, max {max:?} ({refusals} reconnects \
             refused on the way, 4003 while the lease ran)"
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
    for member in &steady {
        assert_eq!(
            member.tab.close_code(),
            None,
            "a tab of a survivor keeps its socket"
        );
    }

    // No session counted lost: the survivors hold every session (the moved ones, and the
    // admin's), and counted no message or notification undelivered.
    let mut open_after = 0.0;
    for n in [0, 2] {
        open_after += fleet.metric(n, "sessions_open", &[]).await;
        for (metric, label) in [
            ("sessions_farm_messages_total", "outcome=\"undelivered\""),
            ("sessions_notifications_undelivered_total", ""),
        ] {
            let undelivered = fleet.metric(n, metric, &[label]).await;
            assert_eq!(undelivered, 0.0, "{} counted {metric} {label}", NAMES[n]);
        }
    }
    // In Redis: none of the dead node's sessions is left to it (to be counted lost when it
    // is reaped), nor any message in its inbox (to be counted undelivered then: one it had
    // taken and not acknowledged when it died).
    let left = owned_by_victim();
    let mut redis = fleet.redis.connection();
    let inbox: usize = redis::cmd("XLEN")
        .arg(format!("sessions:in:{victim}"))
        .query(&mut redis)
        .expect("XLEN");
    eprintln!(
        "{TEST}: sessions open before the kill {open_before}, on the survivors after \
         {open_after}; left to {victim} in Redis: {left} sessions, {inbox} messages"
    );
    assert_eq!(left, 0, "sessions of {victim} nobody adopted");
    assert_eq!(
        open_after, open_before,
        "every session of the farm is open on a survivor (none lost, none made anew)"
    );

    // Every notice exactly once at every tab of its user.
    let all: Vec<&Member> = steady.iter().chain(moved.iter()).collect();
    let tallied = crowd::tally_notices(&all, &posted, SETTLE).await;
    eprintln!("{TEST}: {} notices posted, {tallied}", posted.len());
    assert!(
        posted.iter().all(|p| p.sent.is_some()),
        "the admin's node stayed up"
    );
    assert_eq!(
        tallied.strays, 0,
        "a tab got a notice meant for another user"
    );
    assert!(
        tallied.missing == 0 && tallied.duplicated == 0,
        "every notice exactly once at every tab of its user: {} of {} missing, {} duplicated; \
         e.g. {:?}",
        tallied.missing,
        tallied.pairs,
        tallied.duplicated,
        &tallied.short[..tallied.short.len().min(5)]
    );
    assert_eq!(
        inbox, 0,
        "messages left in {victim}'s inbox, to be counted undelivered"
    );
    assert!(
        tallied.wrong_sent.is_empty(),
        "NotifyUser posted to another number of sessions than the user's tabs: {:?}",
        tallied.wrong_sent
    );
    eprintln!("{TEST}: done in {:?}", started.elapsed());
}

/// How a tab of the dead node came back.
struct Moved {
    before: (String, Option<String>),
    after: (String, Option<String>),
    resumed: bool,
    /// From the kill to its `session.opened`.
    back: Duration,
    /// Handshakes refused on the way.
    refused: u32,
    closed: (u16, String),
}
