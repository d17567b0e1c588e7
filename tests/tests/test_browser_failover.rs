//! The `web_host` page in a real headless Chromium, through HAProxy, across the death of the
//! node that serves it: a `redis-server`, three `web_host` nodes of one farm (one cookie key
//! file, one accounts file, a short `--lease-ms`) and HAProxy in front, with the
//! configuration the README shows. The page is opened through HAProxy and logged in with
//! its own form; it asks `ServerNode` (through its own client, `window.sessionsTab`) which
//! node serves it, and its counts are shown live. That node is SIGKILLed: nothing drained,
//! nothing told. Within the lease and a reconnect, the same page, never reloaded, shows the
//! same session (`resumed: true`), the same user, and is answered by another node; its
//! counts are that node's and change live when another client logs in there and when
//! another tab of the same browser opens there; a notice from an admin and a new oven
//! target, sent through HAProxy from any node, reach it.
//!
//! Every part is started here on 127.0.0.1 and stopped also when the test fails; without
//! Chromium and chromedriver, `redis-server` or `haproxy` the test says why and returns,
//! unless `SESSIONS_EXTERNAL_TESTS=require`.

mod browser_support;
mod farm_support;
mod fleet_support;
mod haproxy_support;
mod web_support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use browser_support::driver::{Browser, ChromeDriver, Tab, PATIENCE};
use browser_support::{parts_or_skip, TempDir};
use fleet_support::{Fleet, NAMES};
use serde_json::json;
use web_support::Handshake;

const TEST: &str = "a_logged_in_page_stays_logged_in_and_live_across_a_kill_of_its_node";
/// Each node's lease (`web_host --lease-ms`): a killed node's sessions may be adopted this
/// long after its last renewal at most.
const LEASE: Duration = Duration::from_secs(3);
/// From the kill to the page resumed on another node: the lease, then the page's next
/// reconnect (`client.js` tries again every `retryMs`, 500 ms, while the session is held),
/// with room for a busy machine.
const RESUME_BOUND: Duration = Duration::from_secs(3 + 7);
/// How long a killed process may take to be gone.
const KILL_PATIENCE: Duration = Duration::from_secs(5);
/// The users' accounts, one file for every node (the demo accounts the README names).
const ACCOUNTS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../examples/demo-accounts.toml"
);

/// Where the node named `name` is in the fleet's nodes.
fn at(name: &str) -> usize {
    NAMES
        .iter()
        .position(|node| *node == name)
        .unwrap_or_else(|| panic!("no node {name:?}"))
}

/// Where the node named `name` listens, bypassing HAProxy.
fn direct(fleet: &Fleet, name: &str) -> SocketAddr {
    fleet.addresses[at(name)].parse().expect("an address")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_logged_in_page_stays_logged_in_and_live_across_a_kill_of_its_node() {
    let Some(parts) = parts_or_skip(TEST) else {
        return;
    };
    let lease_ms = LEASE.as_millis().to_string();
    let extra = [
        "--accounts",
        ACCOUNTS,
        "--lease-ms",
        &lease_ms,
        // When the test ends, the survivors drain at once (their tabs are gone).
        "--unready-ms",
        "0",
        "--drain-ms",
        "1000",
    ];
    let Some(mut fleet) = Fleet::start(TEST, &extra).await else {
        return;
    };
    // A short name: Chromium's socket goes in a folder of it (see `ChromeDriver::start`).
    let dir = TempDir::new("failover");
    let driver = ChromeDriver::start(&parts, dir.path());
    let lb = fleet.lb;

    // The page, through HAProxy, logged in as bob with its own form.
    let mut browser = driver.browser("bob").await;
    let page = browser.open_tab("1", &format!("http://{lb}/")).await;
    browser
        .wait_for(&page, "#status", "\"live\"", PATIENCE, |text| {
            text == "live"
        })
        .await;
    let id = |text: &str| text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit());
    let session = browser
        .wait_for(&page, "#session", "a session id", PATIENCE, id)
        .await;
    let client = browser
        .wait_for(&page, "#client", "a client id", PATIENCE, id)
        .await;
    log_in(&browser, &page, "bob", "bob-demo").await;
    browser.wait_text(&page, "#user", "bob (operator)").await;
    let (victim, served_in) = served(&browser, &page).await;
    assert_eq!(served_in, session, "the page's calls run in its session");
    eprintln!("{TEST}: the page's session {session} is on {victim}");
    // Its node's counts: one tab of this browser, one session logged in (bob's).
    browser.wait_text(&page, "#tabs", "1").await;
    browser.wait_text(&page, "#active", "1").await;
    // They are live: carol logs in and out on the page's node, and the page shows it.
    let victim_addr = direct(&fleet, &victim);
    let mut carol = direct_tab(victim_addr, None).await;
    log_in_over(&mut carol, "carol", "carol-demo").await;
    browser.wait_text(&page, "#active", "2").await;
    let out = carol.call("session.logout", json!({})).await;
    assert!(out.get("result").is_some(), "{out}");
    browser.wait_text(&page, "#active", "1").await;
    carol.drop_connection();
    let marker = "window.notReloaded = true; return window.notReloaded;";
    assert_eq!(browser.run(&page, marker).await, json!(true));

    // The page's node dies: SIGKILL, nothing drained, nothing told.
    let killed = Instant::now();
    fleet.nodes[at(&victim)].kill(KILL_PATIENCE);

    // The same page comes back, through HAProxy, on another node, in its own session.
    let status = browser
        .wait_for(&page, "#status", "a reconnect", RESUME_BOUND, |text| {
            text.starts_with("live ·")
        })
        .await;
    let back_after = killed.elapsed();
    eprintln!("{TEST}: the page reconnected {back_after:?} after the kill: {status:?}");
    assert_eq!(status, "live · resumed", "the page resumed its session");
    assert!(
        back_after < RESUME_BOUND,
        "the page resumed within the lease and a reconnect: {back_after:?}"
    );
    assert_eq!(browser.text(&page, "#session").await, Some(session.clone()));
    assert_eq!(browser.text(&page, "#client").await, Some(client.clone()));
    assert_eq!(
        browser.text(&page, "#user").await.as_deref(),
        Some("bob (operator)"),
        "the page stays logged in"
    );
    let resumed = browser
        .run(&page, "return window.sessionsTab.resumed;")
        .await;
    assert_eq!(resumed, json!(true), "session.opened said resumed: true");
    let (adopter, served_in) = served(&browser, &page).await;
    assert_ne!(adopter, victim, "another node serves the page");
    assert_eq!(served_in, session, "in the page's own session");
    eprintln!("{TEST}: {adopter} adopted it");
    let still_there = "return window.notReloaded === true;";
    assert_eq!(
        browser.run(&page, still_there).await,
        json!(true),
        "the page was never reloaded"
    );

    // Its counts are now its new node's, and live: bob is counted there, and the page
    // shows another client logging in there, and another tab of this browser opening there.
    browser.wait_text(&page, "#active", "1").await;
    browser.wait_text(&page, "#tabs", "1").await;
    let adopter_addr = direct(&fleet, &adopter);
    let mut carol = direct_tab(adopter_addr, None).await;
    log_in_over(&mut carol, "carol", "carol-demo").await;
    browser.wait_text(&page, "#active", "2").await;
    let cookie = browser
        .cookie(&page, sessions_core::web::CLIENT_COOKIE)
        .await
        .expect("the browser's client cookie");
    let second = direct_tab(adopter_addr, Some(&cookie)).await;
    assert_eq!(
        second.client(),
        client,
        "the same browser, on the page's new node"
    );
    browser.wait_text(&page, "#tabs", "2").await;
    let out = carol.call("session.logout", json!({})).await;
    assert!(out.get("result").is_some(), "{out}");
    browser.wait_text(&page, "#active", "1").await;

    // What any node sends reaches it: an admin's notice to bob, and a new oven target,
    // from a tab that goes through HAProxy.
    let mut alice = web_support::Tab::try_open_at(lb, Handshake::default())
        .await
        .expect("HAProxy gives alice a tab");
    log_in_over(&mut alice, "alice", "alice-demo").await;
    let notice = "Line 1 restarts on another server";
    let sent = alice
        .call("NotifyUser", json!({"user": "bob", "text": notice}))
        .await;
    assert_eq!(sent["result"]["outs"]["sent"], 1, "{sent}");
    let shown = browser
        .wait_for(&page, "#notices li", "the notice", PATIENCE, |text| {
            text.contains(notice)
        })
        .await;
    assert!(shown.starts_with("alice"), "{shown}");
    let wrote = alice
        .call(
            "variable.write",
            json!({"path": "Line1/Oven/Target", "value": 215.5}),
        )
        .await;
    assert!(wrote.get("result").is_some(), "{wrote}");
    browser.wait_text(&page, "#oven-target", "215.5").await;

    for name in NAMES.iter().filter(|name| **name != victim) {
        assert!(fleet.nodes[at(name)].is_running(), "{name} runs on");
    }
    second.drop_connection();
    browser.quit().await;
}

/// Which node answers the page's `ServerNode`, called with the page's own client, and in
/// which session.
async fn served(browser: &Browser, page: &Tab) -> (String, String) {
    let answer = browser
        .run(page, "return window.sessionsTab.call(\"ServerNode\");")
        .await;
    let value = &answer["value"];
    match (value["node"].as_str(), value["session"].as_str()) {
        (Some(node), Some(session)) => (node.to_owned(), session.to_owned()),
        _ => panic!("ServerNode answered {answer}"),
    }
}

/// A WebSocket tab straight to the node at `addr` (not through HAProxy), of the browser
/// whose client cookie is `cookie`, or of a new one.
async fn direct_tab(addr: SocketAddr, cookie: Option<&str>) -> web_support::Tab {
    let handshake = Handshake {
        cookie,
        ..Handshake::default()
    };
    web_support::Tab::try_open_at(addr, handshake)
        .await
        .unwrap_or_else(|refused| panic!("{addr} refused a tab: {refused:?}"))
}

/// Logs `user` in on a WebSocket tab.
async fn log_in_over(tab: &mut web_support::Tab, user: &str, password: &str) {
    let answer = tab
        .call("session.login", json!({"user": user, "password": password}))
        .await;
    assert_eq!(answer["result"]["value"]["user"], user, "{answer}");
}

/// Fills the page's log-in form with `user` and `password` and sends it.
async fn log_in(browser: &Browser, page: &Tab, user: &str, password: &str) {
    browser.fill(page, "#login-user", user).await;
    browser.fill(page, "#login-password", password).await;
    browser.click(page, "#login").await;
}
