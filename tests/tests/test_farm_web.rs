//! Two web hosts on one farm (two engines, each served on its own port of 127.0.0.1, each a
//! node of a farm on a real redis-server): an admin's `NotifyUser` from a tab on node A
//! reaches every tab of bob on node B, pushed as `notice` on bob's sockets.

mod farm_support;
mod web_support;

use std::time::Duration;

use farm_support::Redis;
use serde_json::json;
use sessions_core::web::WebHost;
use sessions_core::Engine;
use web_support::{Handshake, Incoming, Server, Tab};

// The examples' methods: NotifyUser, ShowNotice.
sessions_core::link!(sessions_examples);

/// The next `notice` on `tab`, skipping anything else.
async fn next_notice(tab: &mut Tab) -> serde_json::Value {
    loop {
        match tab.next_message().await {
            Incoming::Json(message) if message["method"] == "notice" => {
                return message["params"].clone()
            }
            Incoming::Json(_) => continue,
            Incoming::Closed(code, reason) => panic!("bob's socket closed: {code} {reason}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_from_a_tab_on_node_a_reaches_bobs_tabs_on_node_b() {
    let Some(redis) = Redis::start("a_notice_from_a_tab_on_node_a_reaches_bobs_tabs_on_node_b")
    else {
        return;
    };
    let (ea, eb) = (Engine::new(), Engine::new());
    let (a, b) = (redis.join(&ea, "a"), redis.join(&eb, "b"));
    // Each host delivers what is posted to its own sessions, as web_host does.
    let _dispatchers = (
        ea.spawn_dispatcher(Duration::from_millis(5)),
        eb.spawn_dispatcher(Duration::from_millis(5)),
    );
    // Users log in from the examples' demo accounts; both hosts share one store.
    let accounts = web_support::demo_accounts();
    let (for_a, for_b) = (accounts.clone(), accounts);
    let host_a = Server::start(ea.clone(), move |e| WebHost::builder(e).accounts(for_a)).await;
    let host_b = Server::start(eb.clone(), move |e| WebHost::builder(e).accounts(for_b)).await;

    let mut alice = Tab::open(&host_a, Handshake::default()).await;
    let login = alice
        .call(
            "session.login",
            json!({"user": "alice", "password": "alice-demo"}),
        )
        .await;
    assert!(login.get("result").is_some(), "{login}");
    let mut bob_tabs = Vec::new();
    for _ in 0..2 {
        let mut tab = Tab::open(&host_b, Handshake::default()).await;
        let login = tab
            .call(
                "session.login",
                json!({"user": "bob", "password": "bob-demo"}),
            )
            .await;
        assert!(login.get("result").is_some(), "{login}");
        bob_tabs.push(tab);
    }
    // Bob's node has announced his tabs (it does so by itself within a round trip).
    b.flush().expect("flush");
    assert_eq!(a.sessions_for_user("bob").expect("bob's tabs").len(), 2);

    let sent = alice
        .call(
            "NotifyUser",
            json!({"user": "bob", "text": "the line stops at noon"}),
        )
        .await;
    assert_eq!(sent["result"]["outs"]["sent"], 2, "{sent}");
    for tab in &mut bob_tabs {
        let notice = next_notice(tab).await;
        assert_eq!(
            notice,
            json!({"from": "alice", "text": "the line stops at noon"})
        );
    }
    // Counted once each call has ended, which is just after its push went out.
    farm_support::wait_until("node B counts the two notices delivered", || {
        b.report().delivered == 2
    });
    assert_eq!(a.report().sent, 2);

    // Nobody else is told: a notice to a user with no tab anywhere reaches no one.
    let none = alice
        .call("NotifyUser", json!({"user": "carol", "text": "hello?"}))
        .await;
    assert_eq!(none["result"]["outs"]["sent"], 0, "{none}");
    drop((host_a, host_b));
}
