//! A hung Redis (SIGSTOP: its socket open, nothing answered) costs a farm node only the
//! calls that need Redis, each one I/O timeout: other tabs' calls that need no Redis, and
//! opening a new tab, are answered at once, with more Redis calls waiting than the
//! runtime has workers. Over a real web host on 127.0.0.1 and a real redis-server.

mod farm_support;
mod web_support;

use std::time::{Duration, Instant};

use farm_support::Redis;
use serde_json::json;
use sessions_core::farm::Farm;
use sessions_core::web::WebHost;
use sessions_core::Engine;
use web_support::{Handshake, Server, Tab};

// The examples' methods: NotifyUser, ShowNotice.
sessions_core::link!(sessions_examples);

/// The farm's one I/O timeout in this test.
const TIMEOUT: Duration = Duration::from_millis(1000);
/// How long a call that needs no Redis may take while Redis is hung.
const HONEST: Duration = Duration::from_millis(500);
/// How many NotifyUsers wait for the hung Redis at once: more than the runtime's workers.
const STALLED: usize = 4;

/// A tab of a browser of its own, `user` logged in from the demo accounts (password
/// `{user}-demo`).
async fn logged_in(server: &Server, user: &str) -> Tab {
    let mut tab = Tab::open(server, Handshake::default()).await;
    let password = format!("{user}-demo");
    let login = tab
        .call("session.login", json!({"user": user, "password": password}))
        .await;
    assert!(login.get("result").is_some(), "{login}");
    tab
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_redis_costs_only_the_calls_that_need_it_each_one_timeout() {
    let Some(redis) =
        Redis::start("a_hung_redis_costs_only_the_calls_that_need_it_each_one_timeout")
    else {
        return;
    };
    let engine = Engine::new();
    let farm = Farm::builder(&engine, &redis.url(), "a")
        .lease(Duration::from_secs(30))
        .io_timeout(TIMEOUT)
        .join()
        .expect("the node joins");
    let _dispatcher = engine.spawn_dispatcher(Duration::from_millis(5));
    let server = Server::start(engine.clone(), |engine| {
        WebHost::builder(engine).accounts(web_support::demo_accounts())
    })
    .await;

    let mut admins = Vec::new();
    for _ in 0..STALLED {
        admins.push(logged_in(&server, "alice").await);
    }
    let _bob = logged_in(&server, "bob").await;
    let mut honest = logged_in(&server, "carol").await;
    farm.flush().expect("the node's sessions are announced");
    let sent = admins[0]
        .call("NotifyUser", json!({"user": "bob", "text": "before"}))
        .await;
    assert_eq!(sent["result"]["outs"]["sent"], 1, "{sent}");

    let paused = redis.pause();
    // A new tab while Redis is hung: opened at once (the node announces it later), and
    // the node's keeper now waits on Redis with an announcement pending.
    let started = Instant::now();
    let mut new_tab = Tab::open(&server, Handshake::default()).await;
    let took = started.elapsed();
    assert!(
        took < HONEST,
        "opening a tab took {took:?} with Redis hung, over {HONEST:?}"
    );

    // More NotifyUsers than the runtime has workers, each waiting for Redis.
    let mut stalled = Vec::new();
    for mut admin in admins {
        stalled.push(tokio::spawn(async move {
            let started = Instant::now();
            let answer = admin
                .call("NotifyUser", json!({"user": "bob", "text": "during"}))
                .await;
            (answer, started.elapsed(), admin)
        }));
    }
    // Let them reach Redis, then other tabs' calls that need no Redis are answered.
    tokio::time::sleep(TIMEOUT / 5).await;
    for tab in [&mut honest, &mut new_tab] {
        let started = Instant::now();
        let answer = tab
            .call("ShowNotice", json!(["carol", "no Redis needed"]))
            .await;
        let took = started.elapsed();
        assert!(answer.get("result").is_some(), "{answer}");
        assert!(
            took < HONEST,
            "a call that needs no Redis took {took:?} with Redis hung, over {HONEST:?}"
        );
    }

    // Each NotifyUser fails with the farm's error after one timeout, not two or three.
    let mut admins = Vec::new();
    let mut done = Vec::new();
    for call in stalled {
        done.push(call.await.expect("the call's task"));
    }
    for (answer, took, admin) in done {
        assert_eq!(answer["error"]["code"], -32000, "{answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("Redis"), "{answer}");
        assert!(
            took >= TIMEOUT.mul_f32(0.9) && took < TIMEOUT.mul_f32(1.5),
            "a NotifyUser with Redis hung took {took:?}, where the farm's one timeout is {TIMEOUT:?}"
        );
        admins.push(admin);
    }

    // Redis goes on: so does the farm, by itself.
    drop(paused);
    let deadline = Instant::now() + farm_support::WAIT;
    loop {
        let sent = admins[0]
            .call("NotifyUser", json!({"user": "bob", "text": "after"}))
            .await;
        if sent["result"]["outs"]["sent"] == 1 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the farm did not come back: {sent}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(server);
    farm.leave().expect("the node leaves");
}
