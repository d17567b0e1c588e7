//! The examples are safe to copy: what any anonymous tab can grow is bounded or ends with
//! its session, arithmetic on a client's numbers is checked, and the engine's hooks cost
//! work in proportion to the sessions that must be told, not to every session. The
//! examples' methods are called over a real WebSocket (the web host on 127.0.0.1); an
//! honest tab's call is answered within [`HONEST`] throughout.

mod web_support;

use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use sessions_core::web::WebHost;
use sessions_core::{ClientId, Engine, User};
use sessions_examples::model::{MAX_NAME_BYTES, MAX_VARIABLES};
use sessions_examples::notices::{Inbox, MAX_NOTICES, MAX_NOTICE_BYTES};
use sessions_examples::{line, live};
use web_support::{Handshake, Server, Tab};

// The examples' methods.
sessions_core::link!(sessions_examples);

/// How long an honest tab's call may take while another tab fills what it can.
const HONEST: Duration = Duration::from_secs(2);

async fn honest_call(tab: &mut Tab) {
    let started = Instant::now();
    let answer = tab.call("ListVariables", json!([])).await;
    let took = started.elapsed();
    assert!(answer.get("result").is_some(), "{answer}");
    assert!(
        took < HONEST,
        "an honest call took {took:?}, over {HONEST:?}"
    );
}

fn error_message(answer: &Json) -> &str {
    assert_eq!(answer["error"]["code"], -32000, "{answer}");
    answer["error"]["message"].as_str().unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_model_holds_a_bounded_number_of_variables_of_bounded_names() {
    let server = Server::start(Engine::new(), WebHost::builder).await;
    let mut attacker = Tab::open(&server, Handshake::default()).await;
    let mut honest = Tab::open(&server, Handshake::default()).await;

    // Fill the model in batches, up to its bound.
    for batch in 0..(MAX_VARIABLES / 250) {
        let variables: Vec<Json> = (0..250)
            .map(|n| json!({"name": format!("v{batch}-{n}"), "value": true}))
            .collect();
        let answer = attacker.call("SetVariables", json!([variables])).await;
        assert_eq!(answer["result"]["value"], 250, "{answer}");
        honest_call(&mut honest).await;
    }
    let one_more = attacker
        .call(
            "SetVariables",
            json!([[{"name": "one-more", "value": true}]]),
        )
        .await;
    assert!(
        error_message(&one_more).contains(&format!("holds {MAX_VARIABLES} variables")),
        "{one_more}"
    );
    let listed = honest.call("ListVariables", json!([])).await;
    let count = listed["result"]["value"].as_array().map(Vec::len);
    assert_eq!(
        count,
        Some(MAX_VARIABLES),
        "the model did not grow past its bound"
    );
    // An existing variable can still be set.
    let again = attacker
        .call("SetVariables", json!([[{"name": "v0-0", "value": false}]]))
        .await;
    assert_eq!(again["result"]["value"], 1, "{again}");
    let read = honest.call("GetVariable", json!(["v0-0"])).await;
    assert_eq!(read["result"]["value"], false, "{read}");

    // A name longer than the bound is refused whole.
    let long = "n".repeat(MAX_NAME_BYTES + 1);
    let refused = attacker
        .call("SetVariables", json!([[{"name": long, "value": true}]]))
        .await;
    assert!(
        error_message(&refused).contains("variable name"),
        "{refused}"
    );
    honest_call(&mut honest).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_counter_that_would_overflow_answers_an_error_and_stays_as_it_was() {
    let engine = Engine::new();
    let _line = line::export_line(&engine, "Bounds").expect("the line's objects");
    let server = Server::start(engine, WebHost::builder).await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let mut honest = Tab::open(&server, Handshake::default()).await;

    let near = u64::MAX - 1;
    let added = tab.call("Bounds/Counter.Add", json!([near])).await;
    assert_eq!(added["result"]["value"], near, "{added}");
    let overflow = tab.call("Bounds/Counter.Add", json!([5])).await;
    assert!(
        error_message(&overflow).contains("would pass"),
        "{overflow}"
    );
    let count = tab.call("Bounds/Counter.Count", json!([])).await;
    assert_eq!(
        count["result"]["value"], near,
        "the count is unchanged: {count}"
    );
    // The largest sum that fits is still taken.
    let last = tab.call("Bounds/Counter.Add", json!([1])).await;
    assert_eq!(last["result"]["value"], u64::MAX, "{last}");
    honest_call(&mut honest).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sessions_notices_are_bounded_and_end_with_it() {
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).grace_period(Duration::from_millis(50))
    })
    .await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let mut honest = Tab::open(&server, Handshake::default()).await;
    let extra = 50;
    for n in 0..MAX_NOTICES + extra {
        let answer = tab
            .call("ShowNotice", json!(["me", format!("notice {n}")]))
            .await;
        assert!(answer.get("result").is_some(), "{answer}");
    }
    honest_call(&mut honest).await;
    let id = tab.session().parse().expect("a session id");
    let session = server.engine.get(id).expect("the tab's session");
    let inbox = session.get::<Inbox>().expect("its inbox");
    let notices = inbox.notices();
    assert_eq!(notices.len(), MAX_NOTICES);
    assert_eq!(
        inbox.dropped(),
        extra as u64,
        "the dropped notices are counted"
    );
    assert_eq!(notices.first().map(String::as_str), Some("me: notice 50"));
    assert_eq!(
        notices.last().map(String::as_str),
        Some(format!("me: notice {}", MAX_NOTICES + extra - 1).as_str())
    );

    let long = "x".repeat(MAX_NOTICE_BYTES + 1);
    let refused = tab.call("ShowNotice", json!(["me", long])).await;
    assert!(error_message(&refused).contains("notice"), "{refused}");
    assert_eq!(
        inbox.notices().len(),
        MAX_NOTICES,
        "a refused notice is not kept"
    );

    // The inbox is the session's: it goes when the session closes.
    let weak = std::sync::Arc::downgrade(&inbox);
    drop(inbox);
    server.engine.close(id).expect("close the tab's session");
    drop(session);
    let closed = tab.next_message().await;
    assert_eq!(closed.close_code(), Some(4001), "{closed:?}");
    server
        .wait_until("the inbox ends with its session", || {
            weak.upgrade().is_none()
        })
        .await;
}

#[test]
fn closing_five_thousand_sessions_costs_work_in_proportion_to_them() {
    const SESSIONS: usize = 5_000;
    const WATCHING: usize = 10;
    let engine = Engine::builder()
        .on_open(live::opened)
        .on_close(live::closed)
        .build()
        .expect("an engine");
    let _users = engine.observe(live::user_changed);
    let _active = live::export_active(&engine).expect("the live count is exported");
    let mut ids = Vec::with_capacity(SESSIONS);
    for n in 0..SESSIONS {
        let session = engine
            .open_for_client(ClientId::new(format!("browser-{n}")))
            .expect("open");
        session.set_user(Some(User::new(format!("user-{n}"))));
        if n < WATCHING {
            session.call("WatchCounts", vec![]).expect("WatchCounts");
        }
        ids.push(session.id());
    }
    assert_eq!(engine.active_count(), SESSIONS);
    assert_eq!(live::active(&engine), Some(SESSIONS));

    let before = live::visits();
    let started = Instant::now();
    // The watching sessions close last: every other close writes the count of logged-in
    // sessions, which is one variable write whoever watches.
    for id in ids.into_iter().rev() {
        engine.close(id).expect("close");
    }
    let took = started.elapsed();
    let visits = live::visits() - before;
    eprintln!("closing {SESSIONS} sessions: {visits} sessions looked at, {took:?}");
    // Each close looks at its browser's one tab (to push `tabs`) at most: never at every
    // session, which was 12.5 million looks, nor at the watching sessions.
    let bound = SESSIONS as u64;
    assert!(
        visits <= bound,
        "closing {SESSIONS} sessions looked at {visits} sessions, over {bound}"
    );
    assert_eq!(engine.len(), 0);
    assert_eq!(engine.active_count(), 0);
    assert_eq!(
        live::active(&engine),
        Some(0),
        "the live count followed every close"
    );
    // A generous bound (the machine is shared): the scans took 9 s here.
    assert!(took < Duration::from_secs(5), "closing took {took:?}");
}
