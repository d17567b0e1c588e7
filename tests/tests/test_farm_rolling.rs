//! A rolling restart under 300 tabs, behind a real load balancer: a `redis-server`, three
//! `web_host --farm` nodes and HAProxy in front (`fleet_support`). 300 WebSocket tabs of 20
//! browsers, logged in as bob or carol, keep calling `Tally` (a per-session count kept as
//! registered, durable state) and receive an admin's numbered notices (`NotifyUser`, from
//! alice's tab, through HAProxy too) while each node in turn is drained (SIGTERM: its tabs
//! are closed with 1012 and resume elsewhere) and started again under its name and cookie
//! key. The tabs behave as `client.js` does: they reconnect with their resume token and
//! the pushes they saw, and a call whose answer was lost with a socket is not sent again
//! (it fails).
//!
//! Checked: no session lost (every tab keeps its session, `resumed: true` each time, and
//! the nodes hold them all at the end); no notice lost or duplicated; no call answered
//! from another session; no call run twice: per session, the counts answered are distinct
//! and increasing, and the final count is at least the answered calls and at most those
//! plus the calls lost in flight.
//!
//! Every part is started here on 127.0.0.1 and stopped also when the test fails; without
//! `redis-server` or `haproxy` the test says why and returns, unless
//! `SESSIONS_EXTERNAL_TESTS=require`.

mod browser_support;
mod farm_support;
mod fleet_support;
mod haproxy_support;
mod web_support;

use std::time::{Duration, Instant};

use fleet_support::crowd::{self, Member};
use fleet_support::rand_below;
use fleet_support::tab::CallFailed;
use fleet_support::{Fleet, NAMES};
use serde_json::json;
use tokio::sync::watch;

const TEST: &str = "test_farm_rolling";
const TABS: usize = 300;
const BROWSERS: usize = 20;
/// Each drain step's deadline (`web_host --drain-ms`) and how long readiness fails first
/// (`--unready-ms`: a few of HAProxy's health checks, every 500 ms).
const DRAIN: Duration = Duration::from_secs(3);
const UNREADY: Duration = Duration::from_millis(1000);
/// How long a drained node may take to exit 0 after SIGTERM: readiness failing, its two
/// waiting steps, the serve loop's 10 s for requests in progress, the runtime's 2 s, slack.
const EXIT_BOUND: Duration = Duration::from_secs(1 + 2 * 3 + 10 + 2 + 4);
/// The longest the whole restart may take, every wait of a tab included.
const ROLL_BOUND: Duration = Duration::from_secs(70);
/// A tab's pause between calls (and up to as much again, at random).
const CALL_EVERY: Duration = Duration::from_millis(400);
const NOTICE_EVERY: Duration = Duration::from_millis(300);
const SETTLE: Duration = Duration::from_secs(10);

/// What one tab saw through the restart.
#[derive(Default)]
struct Calls {
    /// Calls answered with an error (the code).
    errors: Vec<i64>,
    /// Calls whose answer was lost with a socket (not sent again).
    lost: u32,
    /// Calls a draining node answered -32014 (not run), made again once the tab moved.
    not_run: u32,
    /// Answers from another session than the tab's.
    foreign: Vec<String>,
    /// Reconnects that gave the tab another session, or `resumed: false`.
    new_sessions: Vec<String>,
    /// Times the tab moved (its socket closed and it resumed).
    moves: u32,
    /// The codes its sockets were closed with.
    closes: Vec<u16>,
    /// Nodes that answered it.
    nodes: Vec<String>,
}

/// Calls `Tally` every [`CALL_EVERY`] (jittered) until `stop`, reconnecting as `client.js`
/// does whenever the socket closed.
async fn keep_calling(
    mut member: Member,
    mut stop: watch::Receiver<bool>,
    until: Instant,
) -> (Member, Calls) {
    let mut calls = Calls::default();
    for _ in 0..100_000 {
        if *stop.borrow_and_update() {
            break;
        }
        if let Some(code) = member.tab.close_code() {
            let session = member.tab.session();
            member.tab.reconnect(code, until).await;
            calls.moves += 1;
            calls.closes.push(code);
            if member.tab.session() != session || !member.tab.resumed() {
                calls.new_sessions.push(format!(
                    "{session} came back as {} (resumed: {})",
                    member.tab.session(),
                    member.tab.resumed()
                ));
            }
        }
        match member.tab.call("Tally", json!([])).await {
            Ok(answer) if answer.get("result").is_some() => {
                let value = &answer["result"]["value"];
                if value["session"] != member.tab.session() {
                    calls.foreign.push(value.to_string());
                }
                member.counts.push(value["count"].as_u64().unwrap_or(0));
                let node = value["node"].as_str().unwrap_or_default();
                if calls.nodes.last().map(String::as_str) != Some(node) {
                    calls.nodes.push(node.to_owned());
                }
            }
            Ok(answer) => calls
                .errors
                .push(answer["error"]["code"].as_i64().unwrap_or(0)),
            // Sent on the next socket, as client.js sends what waited for it.
            Err(CallFailed::NotSent) => continue,
            // Not run by a draining node: made again once the tab has moved.
            Err(CallFailed::NotRun) => {
                calls.not_run += 1;
                let _ = member.tab.closed(fleet_support::tab::WAIT).await;
                continue;
            }
            Err(CallFailed::Lost) => calls.lost += 1,
        }
        let pause = CALL_EVERY + Duration::from_millis(u64::from(rand_below(400)));
        let _ = tokio::time::timeout(pause, stop.changed()).await;
    }
    (member, calls)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_restart_under_300_tabs_loses_no_session_notice_or_call() {
    let drain_ms = DRAIN.as_millis().to_string();
    let unready_ms = UNREADY.as_millis().to_string();
    let extra = [
        "--max-connections-per-peer",
        "2000",
        "--drain-ms",
        &drain_ms,
        "--unready-ms",
        &unready_ms,
    ];
    let Some(mut fleet) = Fleet::start(TEST, &extra).await else {
        return;
    };
    let started = Instant::now();
    let until = started + ROLL_BOUND;
    let members = crowd::open(fleet.lb, TABS, BROWSERS).await;
    let sessions: Vec<String> = members.iter().map(|m| m.tab.session()).collect();
    eprintln!(
        "{TEST}: {} tabs open in {:?}",
        members.len(),
        started.elapsed()
    );
    let admin = crowd::admin(fleet.lb).await;
    let (stop, stopped) = watch::channel(false);
    let posting = tokio::spawn(crowd::post_notices(
        admin,
        NOTICE_EVERY,
        stopped.clone(),
        until,
        watch::Sender::new(0),
    ));
    let calling: Vec<_> = members
        .into_iter()
        .map(|member| tokio::spawn(keep_calling(member, stopped.clone(), until)))
        .collect();
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Each node in turn: drained (SIGTERM), then started again under its name.
    for (n, name) in NAMES.iter().enumerate() {
        let terminated = Instant::now();
        fleet.nodes[n].terminate();
        let status = fleet.wait_exit(n, EXIT_BOUND).await;
        let log = fleet.log(n);
        let status = status.unwrap_or_else(|| {
            panic!(
                "{} still runs {EXIT_BOUND:?} after SIGTERM; its log:\n{log}",
                name
            )
        });
        assert!(
            status.success(),
            "{} exited {status}; its log:\n{log}",
            name
        );
        let exited = terminated.elapsed();
        // Every session it had was adopted by another node, and none of its messages was
        // left undelivered.
        let leaving = log
            .lines()
            .find(|line| line.contains("the draining node leaves the farm"))
            .unwrap_or_else(|| panic!("{} did not leave the farm; its log:\n{log}", name));
        assert!(leaving.contains("not_adopted=0"), "{leaving}");
        let left = log
            .lines()
            .find(|line| line.contains("left the farm"))
            .unwrap_or_default();
        assert!(left.contains("undelivered: 0"), "{}: {left}", name);
        fleet.restart(n).await;
        eprintln!(
            "{TEST}: {} drained (exited 0 {exited:?} after SIGTERM) and back in {:?}",
            name,
            terminated.elapsed()
        );
        // A moment on three nodes, before the next one goes.
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let _ = stop.send(true);
    let posted = posting.await.expect("the admin's task");
    let mut done = Vec::new();
    for task in calling {
        done.push(task.await.expect("a tab's task"));
    }

    // No session lost, none answered from another, none told a call ran that did not.
    let (mut ok, mut lost, mut not_run, mut moves, mut still, mut errors) =
        (0, 0, 0, 0, 0, Vec::new());
    let (mut new_sessions, mut foreign, mut twice) = (Vec::new(), Vec::new(), Vec::new());
    let mut not_1012: Vec<u16> = Vec::new();
    let mut members = Vec::new();
    for ((mut member, calls), session) in done.into_iter().zip(&sessions) {
        // One more call, on whichever node the tab is now: the session's final count.
        if let Some(code) = member.tab.close_code() {
            member.tab.reconnect(code, until).await;
        }
        assert_eq!(&member.tab.session(), session, "a tab keeps its session");
        let last = crowd::value(member.tab.call("Tally", json!([])).await, "Tally");
        assert_eq!(last["session"], member.tab.session());
        member.counts.push(last["count"].as_u64().unwrap_or(0));
        let answered = member.counts.len() as u64;
        let increasing = member.counts.windows(2).all(|pair| pair[0] < pair[1]);
        let last = member.counts.last().copied().unwrap_or(0);
        if !increasing || last < answered || last > answered + u64::from(calls.lost) {
            twice.push(format!(
                "{session}: {answered} answered, {} lost, counts {:?}",
                calls.lost, member.counts
            ));
        }
        ok += answered;
        lost += calls.lost;
        not_run += calls.not_run;
        moves += calls.moves;
        still += usize::from(calls.moves == 0);
        not_1012.extend(calls.closes.iter().filter(|code| **code != 1012).copied());
        errors.extend(calls.errors);
        new_sessions.extend(calls.new_sessions);
        foreign.extend(calls.foreign);
        members.push(member);
    }
    eprintln!(
        "{TEST}: {ok} calls answered, {lost} lost in flight (not sent again), {not_run} not \
         run by a draining node (made again), {} answered with an error {errors:?}; {moves} \
         moves of a tab to another node",
        errors.len()
    );
    assert!(
        new_sessions.is_empty(),
        "{} reconnects gave a tab another session: {:?}",
        new_sessions.len(),
        &new_sessions[..new_sessions.len().min(3)]
    );
    assert!(
        not_1012.is_empty(),
        "a drained node's tabs are closed with 1012, which client.js answers at once: {not_1012:?}"
    );
    assert_eq!(
        still, 0,
        "every tab moved at least once (every node was drained)"
    );
    assert!(
        foreign.is_empty(),
        "answered from another session: {foreign:?}"
    );
    // A call made during a switch is answered; or the draining node says it did not run it
    // (-32014), and the tab makes it again once moved; or (sent as its socket was told to
    // close) it fails in the tab, unanswered and not sent again: none comes back as an
    // error.
    assert!(
        errors.is_empty(),
        "calls answered with an error: {errors:?}"
    );
    assert!(
        twice.is_empty(),
        "a call ran twice, or a count went back: {twice:?}"
    );
    let mut open = 0.0;
    for (n, name) in NAMES.iter().enumerate() {
        open += fleet.metric(n, "sessions_open", &[]).await;
        for (metric, label) in [
            ("sessions_farm_messages_total", "outcome=\"undelivered\""),
            ("sessions_notifications_undelivered_total", ""),
        ] {
            let undelivered = fleet.metric(n, metric, &[label]).await;
            assert_eq!(undelivered, 0.0, "{name} counted {metric} {label}");
        }
    }
    assert_eq!(
        open,
        (TABS + 1) as f64,
        "the nodes hold every tab's session and the admin's, once"
    );

    // No notice lost or duplicated.
    let all: Vec<&Member> = members.iter().collect();
    let tallied = crowd::tally_notices(&all, &posted, SETTLE).await;
    let unknown = posted.iter().filter(|p| p.sent.is_none()).count();
    eprintln!(
        "{TEST}: {} notices posted ({unknown} whose NotifyUser answer was lost), {tallied}",
        posted.len()
    );
    assert_eq!(
        tallied.strays, 0,
        "a tab got a notice meant for another user"
    );
    assert!(
        tallied.missing == 0 && tallied.duplicated == 0 && tallied.unknown_duplicated == 0,
        "0 notices lost or duplicated: {} of {} missing, {} duplicated ({} of notices whose \
         answer was lost); e.g. {:?}",
        tallied.missing,
        tallied.pairs,
        tallied.duplicated,
        tallied.unknown_duplicated,
        &tallied.short[..tallied.short.len().min(5)]
    );
    assert!(
        tallied.wrong_sent.is_empty(),
        "NotifyUser posted to another number of sessions than the user's tabs: {:?}",
        tallied.wrong_sent
    );
    eprintln!("{TEST}: done in {:?}", started.elapsed());
}
