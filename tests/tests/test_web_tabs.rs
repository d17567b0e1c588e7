//! The web host's tabs, over real WebSockets on 127.0.0.1: one session per socket, one
//! client per cookie, resume within the grace period and close past it, the guards
//! (origin, size, calls in flight, tabs per browser), and 1,000 tabs at once that never
//! see each other's sessions.

mod web_support;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;
use sessions_core::web::WebHost;
use sessions_core::{export_method, Engine, Session, SessionError, User};
use web_support::{http, too_big, Handshake, Incoming, Refused, Server, Tab, WAIT};

/// The id of the session the call ran in.
#[export_method(name = "TabWhoAmI")]
fn tab_who_am_i(session: &Session) -> Result<String, SessionError> {
    Ok(session.id().to_string())
}

/// The calling session's user, if any.
#[export_method(name = "TabUser")]
fn tab_user(session: &Session) -> Result<Option<String>, SessionError> {
    Ok(session.user().map(|user| user.name().to_owned()))
}

/// Queues `count` notifications for the calling session.
#[export_method(name = "TabQueue")]
fn tab_queue(session: &Session, count: u32) -> Result<(), SessionError> {
    for n in 0..count {
        session.notify("queued", n)?;
    }
    Ok(())
}

/// Waits `ms` milliseconds.
#[export_method(name = "TabWait", session = none)]
async fn tab_wait(ms: u64) {
    tokio::time::sleep(Duration::from_millis(ms)).await;
}

/// How many times `TabMark` ran, in this test binary.
static MARKS: AtomicU32 = AtomicU32::new(0);

/// Counts that it ran.
#[export_method(name = "TabMark", session = none)]
fn tab_mark() {
    MARKS.fetch_add(1, Ordering::SeqCst);
}

const GRACE: Duration = Duration::from_millis(300);

async fn server() -> Server {
    Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).grace_period(GRACE)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sockets_with_one_cookie_are_one_client_and_two_sessions() {
    let server = server().await;
    let first = Tab::open(&server, Handshake::default()).await;
    let cookie = first
        .set_cookie
        .clone()
        .expect("a new browser gets a cookie");
    let second = Tab::open(&server, Handshake::with_cookie(&cookie)).await;
    assert_eq!(second.set_cookie, None, "a browser with a cookie keeps it");
    assert_eq!(first.client(), second.client());
    assert_ne!(first.session(), second.session());
    // The page is told a public id, never the cookie's secret.
    assert!(
        !cookie.contains(first.client()),
        "{cookie} {}",
        first.opened
    );
    let other_browser = Tab::open(&server, Handshake::default()).await;
    assert_ne!(other_browser.client(), first.client());
    let client = sessions_core::ClientId::new(first.client());
    assert_eq!(server.engine.sessions_for_client(&client).len(), 2);
    assert_eq!(server.engine.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_that_comes_back_within_the_grace_period_gets_its_session_and_its_notifications() {
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).grace_period(Duration::from_secs(30))
    })
    .await;
    let tab = Tab::open(&server, Handshake::default()).await;
    let cookie = tab.set_cookie.clone().expect("cookie");
    let (session, token) = (tab.session().to_owned(), tab.resume_token().to_owned());
    tab.drop_connection();

    let engine_session = server
        .engine
        .get(session.parse().expect("id"))
        .expect("still open");
    for n in 0..3 {
        engine_session
            .notify("missed", n)
            .expect("queued while away");
    }
    let handshake = Handshake {
        cookie: Some(&cookie),
        resume: Some(&token),
        ..Handshake::default()
    };
    let mut back = Tab::open(&server, handshake).await;
    assert_eq!(
        (back.session(), &back.opened["resumed"]),
        (session.as_str(), &json!(true))
    );
    for n in 0..3 {
        let missed = back.next_json().await;
        assert_eq!(
            (&missed["method"], &missed["params"]),
            (&json!("missed"), &json!(n))
        );
    }
    assert_eq!(
        back.call("TabWhoAmI", json!([])).await["result"]["value"],
        session
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_is_good_only_for_its_own_browser_and_only_whole() {
    let server = server().await;
    let tab = Tab::open(&server, Handshake::default()).await;
    let cookie = tab.set_cookie.clone().expect("cookie");
    let token = tab.resume_token().to_owned();
    let other_cookie = format!("sessions_client={}", sessions_core::SessionId::random());
    let mut altered = token.clone().into_bytes();
    altered[40] = if altered[40] == b'0' { b'1' } else { b'0' };
    let altered = String::from_utf8(altered).expect("hex");
    for (cookie, token) in [
        (other_cookie.as_str(), token.as_str()),
        (cookie.as_str(), altered.as_str()),
        (cookie.as_str(), &token[..32]),
    ] {
        let handshake = Handshake {
            cookie: Some(cookie),
            resume: Some(token),
            ..Handshake::default()
        };
        let stranger = Tab::open(&server, handshake).await;
        assert_ne!(stranger.session(), tab.session());
        assert_eq!(
            stranger.opened["resumed"], false,
            "a bad token opens a new session"
        );
    }
    // The rightful tab still holds its session.
    assert!(server
        .engine
        .get(tab.session().parse().expect("id"))
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_grace_period_the_session_closes_and_its_notifications_are_counted() {
    let server = server().await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let cookie = tab.set_cookie.clone().expect("cookie");
    let token = tab.resume_token().to_owned();
    tab.call("TabQueue", json!([0])).await;
    let session = server
        .engine
        .get(tab.session().parse().expect("id"))
        .expect("open");
    tab.close().await;
    session
        .notify("never seen", 1)
        .expect("queued while the tab is away");
    server
        .wait_until("the session closes after the grace period", || {
            !session.is_open()
        })
        .await;
    assert_eq!(server.engine.len(), 0);
    assert_eq!(server.engine.undelivered_notifications(), 1);
    let handshake = Handshake {
        cookie: Some(&cookie),
        resume: Some(&token),
        ..Handshake::default()
    };
    let late = Tab::open(&server, handshake).await;
    assert_eq!(late.opened["resumed"], false, "too late: a new session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_closed_under_its_tab_closes_the_socket_with_4001() {
    let server = server().await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    server
        .engine
        .close(tab.session().parse().expect("id"))
        .expect("closed");
    let closed = tab.next_message().await;
    assert_eq!(closed.close_code(), Some(4001), "{closed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_origin_is_refused_and_an_allowed_one_is_not() {
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).allow_origin("https://hmi.example.com")
    })
    .await;
    let refused = Tab::try_open(
        &server,
        Handshake {
            origin: Some("http://evil.example"),
            ..Handshake::default()
        },
    )
    .await;
    assert!(
        matches!(refused, Err(Refused::Status(403))),
        "{:?}",
        refused.err()
    );
    assert_eq!(server.engine.len(), 0, "a refused upgrade opens no session");
    let allowed = Tab::try_open(
        &server,
        Handshake {
            origin: Some("https://hmi.example.com"),
            ..Handshake::default()
        },
    )
    .await;
    assert!(allowed.is_ok());

    let request = r#"{"jsonrpc":"2.0","method":"TabWait","params":[0],"id":1}"#;
    let (status, _, body) = http(
        &server,
        "POST",
        "/sessions/rpc",
        &[("origin", "http://evil.example")],
        request,
    )
    .await;
    assert_eq!(status, 403, "{body}");
    let (status, _, _) = http(
        &server,
        "POST",
        "/sessions/rpc",
        &[("origin", &server.origin())],
        request,
    )
    .await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversize_messages_are_refused() {
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).max_message_bytes(1024)
    })
    .await;
    let padding = "x".repeat(1500);
    let big = format!(r#"{{"jsonrpc":"2.0","method":"TabWait","params":[0],"id":"{padding}"}}"#);
    let mut tab = Tab::open(&server, Handshake::default()).await;
    tab.send_text(big.clone()).await;
    let closed = tab.next_message().await;
    assert_eq!(closed.close_code(), Some(too_big()), "{closed:?}");
    // Far over the limit: cut off by the WebSocket layer, still 1009.
    let mut tab = Tab::open(&server, Handshake::default()).await;
    tab.send_text("y".repeat(10_000)).await;
    assert_eq!(tab.next_message().await.close_code(), Some(too_big()));

    let (status, _, body) = http(&server, "POST", "/sessions/rpc", &[], &big).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("1024 bytes"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_past_the_in_flight_limit_are_refused_with_32005() {
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).max_in_flight_calls(2)
    })
    .await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    for id in 1..=3 {
        tab.send_text(format!(
            r#"{{"jsonrpc":"2.0","method":"TabWait","params":[500],"id":{id}}}"#
        ))
        .await;
    }
    let first = tab.next_json().await;
    assert_eq!(
        (&first["id"], &first["error"]["code"]),
        (&json!(3), &json!(-32005)),
        "{first}"
    );
    let mut done: Vec<i64> = Vec::new();
    for _ in 0..2 {
        let answer = tab.next_json().await;
        assert_eq!(answer["result"]["value"], json!(null), "{answer}");
        done.push(answer["id"].as_i64().expect("id"));
    }
    done.sort_unstable();
    assert_eq!(done, [1, 2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_past_its_tab_limit_is_closed_with_1008() {
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).max_tabs_per_client(2)
    })
    .await;
    let first = Tab::open(&server, Handshake::default()).await;
    let cookie = first.set_cookie.clone().expect("cookie");
    let with_cookie = Handshake::with_cookie(&cookie);
    let _second = Tab::open(&server, with_cookie.clone()).await;
    match Tab::try_open(&server, with_cookie).await {
        Err(Refused::Closed(code, reason)) => {
            assert_eq!(code, 1008);
            assert!(reason.contains("2 tabs"), "{reason}");
        }
        other => panic!("a third tab was not refused: {:?}", other.err()),
    }
    assert_eq!(server.engine.len(), 2);
    // Another browser is not limited by this one.
    Tab::open(&server, Handshake::default()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authentication_hook_gives_the_tabs_user() {
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).authenticate(|credentials| {
            let name = credentials.header("x-remote-user")?;
            Some(User::new(name).with_roles(["admin"]))
        })
    })
    .await;
    let headers = [("x-remote-user", "bob")];
    let mut bob = Tab::open(
        &server,
        Handshake {
            headers: &headers,
            ..Handshake::default()
        },
    )
    .await;
    assert_eq!(
        bob.call("TabUser", json!([])).await["result"]["value"],
        "bob"
    );
    let mut anonymous = Tab::open(&server, Handshake::default()).await;
    assert_eq!(
        anonymous.call("TabUser", json!([])).await["result"]["value"],
        json!(null)
    );
    assert_eq!(server.engine.active_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_binary_message_closes_the_socket_with_a_reason() {
    let server = server().await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    tab.send_binary().await;
    match tab.next_message().await {
        Incoming::Closed(code, reason) => {
            assert_eq!(code, 1003);
            assert!(reason.contains("text"), "{reason}");
        }
        other => panic!("not closed: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_tabs_each_see_only_their_own_session() {
    const TABS: usize = 1000;
    const CALLS: usize = 20;
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine)
            .grace_period(GRACE)
            .max_tabs_per_client(TABS)
            // Every tab comes from 127.0.0.1: one peer.
            .max_connections_per_peer(TABS + 16)
    })
    .await;
    let mut tasks = tokio::task::JoinSet::new();
    let (opened_tx, mut opened_rx) = tokio::sync::mpsc::channel::<()>(TABS);
    let (go_tx, _) = tokio::sync::broadcast::channel::<()>(1);
    for _ in 0..TABS {
        let addr = server.addr;
        let opened_tx = opened_tx.clone();
        let mut go = go_tx.subscribe();
        tasks.spawn(async move {
            let mut tab = Tab::try_open_at(addr, Handshake::default())
                .await
                .expect("the host opens the tab");
            let own = tab.session().to_owned();
            opened_tx.send(()).await.expect("the test waits");
            go.recv().await.expect("the go signal");
            let mut foreign = 0;
            for _ in 0..CALLS {
                let answer = tab.call("TabWhoAmI", json!([])).await;
                if answer["result"]["value"] != own.as_str() {
                    foreign += 1;
                }
            }
            tab.close().await;
            (own, foreign)
        });
    }
    for _ in 0..TABS {
        tokio::time::timeout(Duration::from_secs(60), opened_rx.recv())
            .await
            .expect("every tab opens within a minute")
            .expect("a tab opened");
    }
    assert_eq!(server.engine.len(), TABS, "all tabs connected at once");
    go_tx.send(()).expect("the tabs wait");
    let mut sessions = HashSet::new();
    let mut foreign = 0;
    while let Some(done) = tasks.join_next().await {
        let (own, wrong) = done.expect("a tab's task");
        foreign += wrong;
        sessions.insert(own);
    }
    assert_eq!(foreign, 0, "answers from another tab's session");
    assert_eq!(sessions.len(), TABS, "every tab had its own session");
    server
        .wait_until("every session closes after the grace period", || {
            server.engine.is_empty()
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_tab_expires_and_a_busy_one_does_not() {
    let engine = Engine::builder()
        .idle_timeout(Duration::from_millis(800))
        .build()
        .expect("an engine");
    let server = Server::start(engine, WebHost::builder).await;
    let mut idle = Tab::open(&server, Handshake::default()).await;
    let mut busy = Tab::open(&server, Handshake::default()).await;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1200);
    while tokio::time::Instant::now() < deadline {
        busy.call("TabWhoAmI", json!([])).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        server.engine.expire_idle(),
        1,
        "only the idle tab's session expires"
    );
    assert_eq!(idle.next_message().await.close_code(), Some(4001));
    let answer = busy.call("TabWhoAmI", json!([])).await;
    assert_eq!(answer["result"]["value"], busy.session());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_that_answers_no_ping_is_taken_as_gone_and_a_listening_one_is_not() {
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine)
            .heartbeat(Duration::from_millis(100))
            .grace_period(Duration::from_millis(100))
    })
    .await;
    // Never read: its WebSocket client never answers the host's pings.
    let silent = Tab::open(&server, Handshake::default()).await;
    let silent_session = server
        .engine
        .get(silent.session().parse().expect("id"))
        .expect("open");
    // Reading: its client answers each ping as it reads.
    let mut listening = Tab::open(&server, Handshake::default()).await;
    let listening_session = server
        .engine
        .get(listening.session().parse().expect("id"))
        .expect("open");
    let pusher = listening_session.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(800)).await;
        pusher.notify("late", 1).expect("queued");
    });
    let late = listening.next_json().await;
    assert_eq!(late["method"], "late");
    server
        .wait_until("the silent tab's session closes", || {
            !silent_session.is_open()
        })
        .await;
    assert!(listening_session.is_open());
    drop(silent);
}

/// The web host's drain, in process: readiness 200 → 503, a new tab (and a resume) refused
/// with 503, the open tab still answered until its socket is closed with 1012 and the
/// reason, and the drain's wait ends when the socket has closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_fails_readiness_refuses_new_tabs_and_closes_open_ones_with_1012() {
    let server = server().await;
    let drain = server.drain.clone().expect("the host's own serve loop");
    let (status, _, body) = http(&server, "GET", "/sessions/ready", &[], "").await;
    assert_eq!((status, body.as_str()), (200, "ready\n"));
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let cookie = tab.set_cookie.clone().expect("a cookie");
    let token = tab.resume_token().to_owned();
    let session = tab.session().to_owned();
    assert!(!drain.is_draining());
    assert_eq!(drain.open_tabs(), 1);

    drain.start();
    assert!(drain.is_draining());
    let (status, _, body) = http(&server, "GET", "/sessions/ready", &[], "").await;
    assert_eq!((status, body.as_str()), (503, "draining\n"));
    let refused = Tab::try_open(&server, Handshake::with_cookie(&cookie)).await;
    assert!(
        matches!(refused, Err(Refused::Status(503))),
        "a new tab is refused while draining"
    );
    let (status, headers, body) = http(&server, "GET", "/sessions/ws", &[], "").await;
    assert_eq!(status, 503, "{body}");
    assert!(
        headers
            .iter()
            .any(|(name, value)| name == "retry-after" && value == "0"),
        "{headers:?}"
    );
    assert!(body.contains("another server"), "{body}");
    // The open tab goes on until its socket is closed.
    let answer = tab.call("TabWhoAmI", json!([])).await;
    assert_eq!(answer["result"]["value"], json!(session));

    assert_eq!(drain.close_tabs(WAIT).await, Ok(1));
    assert_eq!(drain.open_tabs(), 0);
    match tab.next_message().await {
        Incoming::Closed(code, reason) => {
            assert_eq!(code, sessions_core::web::SERVICE_RESTART);
            assert_eq!(code, 1012);
            assert!(reason.contains("restarting"), "{reason}");
        }
        other => panic!("expected a close with 1012, got {other:?}"),
    }
    // A resume while draining is refused too: the tab goes to another server.
    let resumed = Tab::try_open(
        &server,
        Handshake {
            cookie: Some(&cookie),
            resume: Some(&token),
            ..Handshake::default()
        },
    )
    .await;
    assert!(matches!(resumed, Err(Refused::Status(503))));
}

/// Before a farm writes its sessions' state, a draining host finishes its tabs' calls: the
/// running ones are answered (the wait fails, saying how many sockets, while one still
/// runs past the deadline), and what a tab sends after is never read, so never run, and
/// stays unanswered when the socket closes with 1012.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn finishing_the_calls_answers_the_running_ones_and_runs_no_new_one() {
    let server = server().await;
    let drain = server.drain.clone().expect("the host's own serve loop");
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let request = |id: u32, method: &str, params: serde_json::Value| {
        json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id}).to_string()
    };
    tab.send_text(request(1, "TabWait", json!([600]))).await;
    tokio::time::sleep(Duration::from_millis(100)).await;

    let started = Instant::now();
    let too_short = Duration::from_millis(50);
    assert_eq!(
        drain.finish_calls(too_short).await,
        Err(sessions_core::web::CallsStillRunning {
            sockets: 1,
            deadline: too_short
        }),
        "a call still runs"
    );
    assert!(drain.is_draining(), "finishing the calls starts the drain");
    // Sent once the host takes no more calls: never run.
    tab.send_text(request(2, "TabMark", json!([]))).await;
    assert_eq!(drain.finish_calls(WAIT).await, Ok(()));
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "the wait ended with the running call: {:?}",
        started.elapsed()
    );
    let answer = tab.next_json().await;
    assert_eq!(
        (answer["id"].clone(), answer.get("error")),
        (json!(1), None),
        "{answer}"
    );

    assert_eq!(drain.close_tabs(WAIT).await, Ok(1));
    match tab.next_message().await {
        Incoming::Closed(code, _) => assert_eq!(code, 1012),
        other => panic!("expected a close with 1012 and no answer to the late call, got {other:?}"),
    }
    assert_eq!(MARKS.load(Ordering::SeqCst), 0, "the late call never ran");
}
