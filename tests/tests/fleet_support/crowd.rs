//! A crowd for the failover tests: tabs of a few browsers, logged in as bob or carol, that
//! counted a few calls in their sessions' durable state (`web_host`'s `Tally`); an admin
//! (alice) who posts numbered notices to both users (`NotifyUser`); and the count of which
//! notice reached which tab how many times.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use tokio::sync::watch;

use super::tab::{CallFailed, LiveTab};

/// The users the tabs log in as: a browser's user is `USERS[browser % 2]`.
pub const USERS: [(&str, &str); 2] = [("bob", "bob-demo"), ("carol", "carol-demo")];

/// A tab of the crowd: its browser, the node that first answered it, and its `Tally`
/// answers so far (the count's values, in order).
pub struct Member {
    pub tab: LiveTab,
    pub browser: usize,
    pub node: String,
    pub counts: Vec<u64>,
}

impl Member {
    /// The user its browser logs in as.
    pub fn user(&self) -> &'static str {
        USERS[self.browser % USERS.len()].0
    }
}

/// A call's `result.value`; panics saying what came instead.
pub fn value(answer: Result<Json, CallFailed>, what: &str) -> Json {
    match answer {
        Ok(answer) if answer.get("result").is_some() => answer["result"]["value"].clone(),
        other => panic!("{what} answered {other:?}"),
    }
}

/// Opens `tabs` tabs at `lb`, of `browsers` browsers, a round of one per browser at a time
/// (the first round's tabs get their browsers' cookies). Each is logged in as its browser's
/// user (on a node where the browser is logged in already it opens logged in) and calls
/// `Tally` one to three times.
pub async fn open(lb: SocketAddr, tabs: usize, browsers: usize) -> Vec<Member> {
    let mut cookies: Vec<Option<String>> = vec![None; browsers];
    let mut members = Vec::new();
    for round in 0..tabs.div_ceil(browsers) {
        let mut opening = tokio::task::JoinSet::new();
        for (browser, cookie) in cookies.iter().enumerate().take(tabs - round * browsers) {
            let tallies = 1 + (round + browser) as u64 % 3;
            opening.spawn(member(lb, browser, cookie.clone(), tallies));
        }
        while let Some(member) = opening.join_next().await {
            let member = member.expect("a tab opens");
            if cookies[member.browser].is_none() {
                cookies[member.browser] = member.tab.cookie.clone();
            }
            members.push(member);
        }
    }
    members
}

async fn member(lb: SocketAddr, browser: usize, cookie: Option<String>, tallies: u64) -> Member {
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
    let mut counts = Vec::new();
    for _ in 0..tallies {
        let counted = value(tab.call("Tally", json!([])).await, "Tally");
        assert_eq!(counted["session"], tab.session());
        counts.push(counted["count"].as_u64().expect("a count"));
    }
    assert_eq!(
        counts,
        (1..=tallies).collect::<Vec<_>>(),
        "a new session counts from 1"
    );
    Member {
        tab,
        browser,
        node: served["node"].as_str().unwrap_or_default().to_owned(),
        counts,
    }
}

/// The admin's tab (alice, an admin) at `at`.
pub async fn admin(at: SocketAddr) -> LiveTab {
    let mut admin = LiveTab::open(at, None).await.expect("the admin's tab");
    let login = admin
        .call(
            "session.login",
            json!({"user": "alice", "password": "alice-demo"}),
        )
        .await;
    assert_eq!(value(login, "the admin's log-in")["user"], "alice");
    admin
}

/// A notice the admin posted: its text, its user, and to how many sessions `NotifyUser`
/// said it posted it (`None`: the call's answer was lost with a socket, so it is unknown).
pub struct Posted {
    pub text: String,
    pub user: &'static str,
    pub sent: Option<u64>,
}

/// Posts `notice N` to bob and carol in turn from `admin`, every `every`, until `stop`,
/// telling `count` how many `NotifyUser` calls returned each time one does (the notice is
/// then being delivered). When the admin's socket closes (its node drains) it reconnects
/// as `client.js` does, by `until`; a call lost with the socket is not sent again.
pub async fn post_notices(
    mut admin: LiveTab,
    every: Duration,
    mut stop: watch::Receiver<bool>,
    until: Instant,
    count: watch::Sender<usize>,
) -> Vec<Posted> {
    let mut posted = Vec::new();
    for n in 0..100_000 {
        if *stop.borrow_and_update() {
            break;
        }
        if let Some(code) = admin.close_code() {
            let session = admin.session();
            admin.reconnect(code, until).await;
            assert_eq!(
                admin.session(),
                session,
                "the admin's tab keeps its session"
            );
        }
        let user = USERS[n % USERS.len()].0;
        let text = format!("notice {n}");
        let sent = match admin
            .call("NotifyUser", json!({"user": user, "text": text}))
            .await
        {
            Ok(answer) => Some(
                answer["result"]["outs"]["sent"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("NotifyUser {n} answered {answer}")),
            ),
            // Not sent: posted again on the new socket, as client.js sends what waited.
            Err(CallFailed::NotSent) => continue,
            // Not run by a draining node: posted again once the tab has moved.
            Err(CallFailed::NotRun) => {
                let _ = admin.closed(super::tab::WAIT).await;
                continue;
            }
            Err(CallFailed::Lost) => None,
        };
        posted.push(Posted { text, user, sent });
        count.send_replace(posted.len());
        let _ = tokio::time::timeout(every, stop.changed()).await;
    }
    posted
}

/// What the tabs received of the admin's notices.
#[derive(Debug, Default)]
pub struct Tallied {
    /// (tab, notice) pairs expected: every tab of a notice's user, for each notice whose
    /// `NotifyUser` answered.
    pub pairs: usize,
    /// Of those, how many never arrived, and how many arrived more than once.
    pub missing: usize,
    pub duplicated: usize,
    /// Notices whose `NotifyUser` answer was lost: a tab that got one more than once.
    pub unknown_duplicated: usize,
    /// Notices a tab got that were not meant for its user.
    pub strays: usize,
    /// Notices whose `sent` was not the number of their user's tabs.
    pub wrong_sent: Vec<String>,
    /// Notices that did not reach every tab of their user once: text, sent, reached.
    pub short: Vec<String>,
}

/// The tally as the tests print it.
impl std::fmt::Display for Tallied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} tab-notice pairs: {} missing, {} duplicated, {} not meant for the tab; {} \
             notices whose NotifyUser `sent` was not the user's tab count",
            self.pairs,
            self.missing,
            self.duplicated,
            self.strays,
            self.wrong_sent.len()
        )
    }
}

/// Waits up to `settle` until every tab has at least as many notices as were posted to its
/// user, then counts what each got.
pub async fn tally_notices(members: &[&Member], posted: &[Posted], settle: Duration) -> Tallied {
    let expected = |member: &Member| {
        posted
            .iter()
            .filter(|p| p.user == member.user() && p.sent.is_some())
            .count()
    };
    let deadline = Instant::now() + settle;
    while Instant::now() < deadline
        && members
            .iter()
            .any(|member| member.tab.notices().len() < expected(member))
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let tabs_of = |user: &str| members.iter().filter(|m| m.user() == user).count() as u64;
    let mut tallied = Tallied::default();
    let mut reached: HashMap<&str, u64> = HashMap::new();
    for member in members {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for text in member.tab.notices() {
            *counts.entry(text).or_default() += 1;
        }
        for notice in posted.iter().filter(|p| p.user == member.user()) {
            let got = counts.remove(&notice.text).unwrap_or(0);
            if notice.sent.is_none() {
                tallied.unknown_duplicated += usize::from(got > 1);
                continue;
            }
            tallied.pairs += 1;
            match got {
                0 => tallied.missing += 1,
                1 => *reached.entry(&notice.text).or_default() += 1,
                _ => {
                    tallied.duplicated += 1;
                    *reached.entry(&notice.text).or_default() += 1;
                }
            }
        }
        tallied.strays += counts.values().sum::<usize>();
    }
    for notice in posted {
        let Some(sent) = notice.sent else { continue };
        let tabs = tabs_of(notice.user);
        if sent != tabs {
            tallied
                .wrong_sent
                .push(format!("{} to {}: sent {sent}", notice.text, notice.user));
        }
        let got = reached.get(notice.text.as_str()).copied().unwrap_or(0);
        if got != tabs {
            tallied
                .short
                .push(format!("{}: sent {sent}, reached {got}", notice.text));
        }
    }
    tallied
}

/// p50, p99 and the largest of `times` (sorted here), and how many.
pub fn percentiles(times: &mut [Duration]) -> Option<(Duration, Duration, Duration, usize)> {
    times.sort();
    let last = *times.last()?;
    let at = |q: f64| times[((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1];
    Some((at(0.50), at(0.99), last, times.len()))
}
