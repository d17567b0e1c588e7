//! A session's notifications follow it to the node that adopts it: what its tab had not
//! received when its node went (queued, or written to a socket that died) is sent from the
//! adopter, after what the page says it received, and nothing twice. Two web hosts in one
//! process over a real redis-server (see `failover_support`).

mod failover_support;
mod farm_support;
mod web_support;

use failover_support::{drain, logged_in_tab, node, node_with, LONG_DRAIN};
use farm_support::{wait_until, Redis};
use serde_json::{json, Value as Json};
use sessions_core::{SessionId, Value};
use web_support::{Handshake, Tab};

/// The next `count` notices pushed to `tab`, in the order they came. The log-in's
/// `session.user` push is passed over (it may come before or after the log-in's answer,
/// which `Tab::call` waits for); answers to calls are not expected here: anything else
/// fails the test.
async fn notices(tab: &mut Tab, count: usize) -> Vec<i64> {
    let mut got = Vec::with_capacity(count);
    while got.len() < count {
        let message = tab.next_json().await;
        if message["method"] == "session.user" {
            continue;
        }
        assert_eq!(
            message["method"], "notice",
            "only notices are pushed: {message}"
        );
        got.push(message["params"].as_i64().expect("a notice's number"));
    }
    got
}

/// Asks the host something and checks that the answer is the next message: no notice
/// (a duplicate) came before it.
async fn nothing_else_pushed(tab: &mut Tab) {
    let request = json!({"jsonrpc": "2.0", "method": "session.user", "id": 900});
    tab.send_text(request.to_string()).await;
    let next: Json = tab.next_json().await;
    assert_eq!(next["id"], 900, "a push came that was not expected: {next}");
}

fn post_notices(
    node: &failover_support::Node,
    session: SessionId,
    numbers: impl Iterator<Item = i64>,
) {
    for n in numbers {
        node.farm
            .post(session, "FailoverNotice", vec![Value::from(n)])
            .expect("the post is taken");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_a_tab_did_not_receive_is_sent_from_the_adopting_node_once() {
    let Some(redis) = Redis::start("outbox_carried") else {
        return;
    };
    let a = node(&redis, "outbox-a", "a").await;
    let b = node(&redis, "outbox-b", "b").await;
    let (mut tab, cookie) = logged_in_tab(&a).await;
    let id: SessionId = tab.session().parse().expect("a session id");
    let token = tab.resume_token().to_owned();

    // Posted from B, run on A (the session's node), pushed from A.
    post_notices(&b, id, 1..=3);
    assert_eq!(notices(&mut tab, 3).await, [1, 2, 3]);
    // The tab's connection drops; notices keep coming for it on A, unsent.
    tab.drop_connection();
    post_notices(&b, id, 4..=6);
    let mut con = redis.connection();
    let list = format!("sessions:b:{id}");
    // The log-in's push and the six notices.
    wait_until("A writes the session's seven notifications", || {
        redis::cmd("LLEN")
            .arg(&list)
            .query::<i64>(&mut con)
            .expect("LLEN")
            == 7
    });

    let draining = drain(&redis, a.farm, LONG_DRAIN);
    // The page says it received 3 pushes (the log-in's and notices 1 and 2): the third
    // notice reached the socket as it died, not the page.
    let handshake = Handshake {
        seen: Some(3),
        ..Handshake::resuming(Some(&cookie), &token)
    };
    let mut back = Tab::open(&b.host, handshake).await;
    assert_eq!(back.session(), id.to_string());
    assert_eq!(back.opened["resumed"], true, "{}", back.opened);
    assert_eq!(notices(&mut back, 4).await, [3, 4, 5, 6]);
    nothing_else_pushed(&mut back).await;
    // B numbers on from A's count: a later resume on B sends again only what follows.
    post_notices(&b, id, 7..=7);
    assert_eq!(notices(&mut back, 1).await, [7]);
    nothing_else_pushed(&mut back).await;
    back.drop_connection();
    let handshake = Handshake {
        seen: Some(7),
        ..Handshake::resuming(Some(&cookie), &token)
    };
    let mut again = Tab::open(&b.host, handshake).await;
    assert_eq!(again.opened["resumed"], true, "{}", again.opened);
    assert_eq!(notices(&mut again, 1).await, [7]);
    nothing_else_pushed(&mut again).await;

    let report = draining.await.expect("the drain");
    assert_eq!(report.undelivered, 0, "{report:?}");
    assert_eq!(b.farm.report().undelivered, 0, "{:?}", b.farm.report());
    assert_eq!(b.engine.undelivered_notifications(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_failover_notifications_leave_at_once_and_a_drained_session_is_not_adopted() {
    let Some(redis) = Redis::start("outbox_off") else {
        return;
    };
    let a = node_with(&redis, "outbox-off-a", "a", |farm| farm.failover(false)).await;
    let b = node_with(&redis, "outbox-off-b", "b", |farm| farm.failover(false)).await;
    let (mut tab, cookie) = logged_in_tab(&a).await;
    let id: SessionId = tab.session().parse().expect("a session id");
    let token = tab.resume_token().to_owned();
    post_notices(&b, id, 1..=2);
    assert_eq!(notices(&mut tab, 2).await, [1, 2]);
    let mut con = redis.connection();
    let written: i64 = redis::cmd("EXISTS")
        .arg(format!("sessions:b:{id}"))
        .query(&mut con)
        .expect("EXISTS");
    assert_eq!(written, 0, "no notification is written without failover");
    let state: Option<String> = redis::cmd("HGET")
        .arg(format!("sessions:s:{id}"))
        .arg("ver")
        .query(&mut con)
        .expect("HGET");
    assert_eq!(state.as_deref(), Some(""), "no resume verifier is written");

    tab.drop_connection();
    let draining = drain(&redis, a.farm, std::time::Duration::from_millis(300));
    let other = Tab::open(&b.host, Handshake::resuming(Some(&cookie), &token)).await;
    assert_eq!(other.opened["resumed"], false, "{}", other.opened);
    assert_ne!(other.session(), id.to_string());
    draining.await.expect("the drain");
}
