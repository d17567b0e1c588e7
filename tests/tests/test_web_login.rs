//! The web host's log-in (`session.login`, `session.logout`) over a real WebSocket on
//! 127.0.0.1, against an accounts file: the store's roles on every tab of the browser and
//! on its new tabs, one error for an unknown user and a wrong password, throttling, roles
//! sent by a client ignored, throttling per peer with connect info, log-out on every tab, the per-tab scope, the browser's log-in
//! gone with its last tab, a log-in over POST, no accounts store, and other tabs' calls
//! kept fast during concurrent log-ins.

mod web_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use sessions_core::auth::{hash_password_with, Accounts, AccountsFile, HashParams};
use sessions_core::web::{
    LoginScope, WebHost, FORBIDDEN, LOGIN_REFUSED, LOGIN_THROTTLED, NO_ACCOUNTS, SESSION_GONE,
};
use sessions_core::{export_method, Engine, Session, SessionError};
use web_support::{Handshake, Server, Tab};

/// Only an admin may call it.
#[export_method(name = "LoginAdminOnly", role = "admin")]
fn login_admin_only() -> Result<bool, SessionError> {
    Ok(true)
}

/// The session's user and roles, as the engine sees them.
#[export_method(name = "LoginWhoAmI")]
fn login_who_am_i(session: &Session) -> Result<String, SessionError> {
    Ok(session.user().map_or_else(
        || "nobody".to_owned(),
        |user| format!("{user} {:?}", user.roles().collect::<Vec<_>>()),
    ))
}

/// A trivial call, to time while log-ins run.
#[export_method(name = "LoginPing", session = none)]
fn login_ping() -> i64 {
    1
}

/// Cheap Argon2id parameters, for the tests that do not time anything.
fn fast() -> HashParams {
    HashParams::new(64, 1, 1).expect("valid parameters")
}

/// An accounts file of its own for one test, under the target folder: alice (admin,
/// operator), bob (operator), carol (no role).
fn accounts(test: &str, params: HashParams) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("test_web_login-{test}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch folder");
    let path = dir.join("accounts.toml");
    let users: [(&str, &str, &[&str]); 3] = [
        ("alice", "alice-pw", &["admin", "operator"]),
        ("bob", "bob-pw", &["operator"]),
        ("carol", "carol-pw", &[]),
    ];
    for (name, password, roles) in users {
        let hash = hash_password_with(password, params).expect("hash");
        AccountsFile::add(&path, name, roles, &hash).expect("entry added");
    }
    path
}

async fn server(test: &str, scope: LoginScope) -> Server {
    let accounts = Accounts::load(accounts(test, fast())).expect("the accounts load");
    Server::start(Engine::new(), move |engine| {
        WebHost::builder(engine)
            .accounts(accounts)
            .login_scope(scope)
    })
    .await
}

/// A second tab of the same browser as `tab` (its client cookie).
async fn same_browser(server: &Server, tab: &Tab) -> Tab {
    let cookie = tab.set_cookie.clone().expect("the first tab got a cookie");
    Tab::open(server, Handshake::with_cookie(&cookie)).await
}

fn user_of(server: &Server, tab: &Tab) -> Option<String> {
    let session = server
        .engine
        .get(tab.session().parse().expect("an id"))
        .expect("the tab's session is open");
    session.user().map(|user| user.name().to_owned())
}

fn code(answer: &Json) -> i64 {
    answer["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("an error: {answer}"))
}

/// The next push of `topic` on `tab` (other messages before it are skipped).
async fn next_push(tab: &mut Tab, topic: &str) -> Json {
    loop {
        let message = tab.next_json().await;
        if message["method"] == topic {
            return message["params"].clone();
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_in_holds_for_every_tab_of_the_browser_with_the_stores_roles() {
    let server = server("browser", LoginScope::Browser).await;
    let mut first = Tab::open(&server, Handshake::default()).await;
    let mut second = same_browser(&server, &first).await;
    let mut stranger = Tab::open(&server, Handshake::default()).await;
    assert_eq!(first.opened["user"], Json::Null);

    let forbidden = second.call("LoginAdminOnly", json!([])).await;
    assert_eq!(
        code(&forbidden),
        i64::from(FORBIDDEN),
        "anonymous: {forbidden}"
    );

    let answer = first
        .call(
            "session.login",
            json!({"user": "alice", "password": "alice-pw"}),
        )
        .await;
    assert_eq!(
        answer["result"]["value"],
        json!({"user": "alice", "roles": ["admin", "operator"]}),
        "{answer}"
    );
    // The other open tab of the browser is told, and its calls run as alice.
    let pushed = next_push(&mut second, "session.user").await;
    assert_eq!(
        pushed,
        json!({"user": "alice", "roles": ["admin", "operator"]})
    );
    assert_eq!(user_of(&server, &second).as_deref(), Some("alice"));
    let allowed = second.call("LoginAdminOnly", json!([])).await;
    assert_eq!(allowed["result"]["value"], true, "{allowed}");
    let who = second.call("LoginWhoAmI", json!([])).await;
    assert_eq!(who["result"]["value"], r#"alice ["admin", "operator"]"#);

    // A new tab of the browser opens logged in, and says so in `session.opened`.
    let mut third = same_browser(&server, &first).await;
    assert_eq!(third.opened["user"]["user"], "alice", "{}", third.opened);
    assert_eq!(user_of(&server, &third).as_deref(), Some("alice"));
    let allowed = third.call("LoginAdminOnly", json!([])).await;
    assert_eq!(allowed["result"]["value"], true, "{allowed}");

    // Another browser is not logged in.
    assert_eq!(user_of(&server, &stranger), None);
    let forbidden = stranger.call("LoginAdminOnly", json!([])).await;
    assert_eq!(code(&forbidden), i64::from(FORBIDDEN));
    assert_eq!(server.engine.active_count(), 3, "three tabs with a user");

    // A log-out from any tab logs out all of them.
    let answer = third.call("session.logout", json!({})).await;
    assert_eq!(answer["result"]["value"], Json::Null, "{answer}");
    // The tab that logged in was told too, before or after its answer: skip that push.
    let mut told = next_push(&mut first, "session.user").await;
    if told["user"] == "alice" {
        told = next_push(&mut first, "session.user").await;
    }
    assert_eq!(told, Json::Null);
    assert_eq!(next_push(&mut second, "session.user").await, Json::Null);
    for tab in [&first, &second, &third] {
        assert_eq!(user_of(&server, tab), None);
    }
    let forbidden = first.call("LoginAdminOnly", json!([])).await;
    assert_eq!(code(&forbidden), i64::from(FORBIDDEN));
    let fourth = same_browser(&server, &first).await;
    assert_eq!(fourth.opened["user"], Json::Null, "{}", fourth.opened);
    assert_eq!(server.engine.active_count(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_and_an_unknown_user_get_the_same_error() {
    let server = server("refused", LoginScope::Browser).await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let wrong = tab
        .call(
            "session.login",
            json!({"user": "alice", "password": "nope"}),
        )
        .await;
    let unknown = tab
        .call(
            "session.login",
            json!({"user": "mallory", "password": "nope"}),
        )
        .await;
    assert_eq!(code(&wrong), i64::from(LOGIN_REFUSED), "{wrong}");
    assert_eq!(wrong["error"], unknown["error"], "one answer for both");
    assert_eq!(user_of(&server, &tab), None);
    // By position too; and a log-in without a password is a wrong argument.
    let right = tab.call("session.login", json!(["bob", "bob-pw"])).await;
    assert_eq!(right["result"]["value"]["user"], "bob", "{right}");
    let bad = tab.call("session.login", json!({"user": "bob"})).await;
    assert_eq!(code(&bad), -32602, "{bad}");
    assert_eq!(user_of(&server, &tab).as_deref(), Some("bob"), "unchanged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_is_throttled_after_five_failures() {
    // Served by axum without the peers' addresses (the host's own loop gives them, and then
    // the peer's failures throttle it too: `…one_peer_is_throttled_across_names`), so only
    // the name is throttled here.
    let accounts = Accounts::load(accounts("throttled", fast())).expect("the accounts load");
    let server = Server::start_with_axum(Engine::new(), move |engine| {
        WebHost::builder(engine)
            .accounts(accounts)
            .login_scope(LoginScope::Browser)
    })
    .await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    for attempt in 1..=5 {
        let answer = tab
            .call(
                "session.login",
                json!({"user": "carol", "password": "guess"}),
            )
            .await;
        assert_eq!(code(&answer), i64::from(LOGIN_REFUSED), "attempt {attempt}");
    }
    // Even the right password is not checked now.
    let answer = tab
        .call(
            "session.login",
            json!({"user": "carol", "password": "carol-pw"}),
        )
        .await;
    assert_eq!(code(&answer), i64::from(LOGIN_THROTTLED), "{answer}");
    let retry = answer["error"]["data"]["retry_after_ms"]
        .as_u64()
        .unwrap_or_else(|| panic!("retry_after_ms: {answer}"));
    assert!(retry > 0, "{answer}");
    assert_eq!(user_of(&server, &tab), None);
    // Another name is not held up by carol's failures.
    let answer = tab
        .call(
            "session.login",
            json!({"user": "bob", "password": "bob-pw"}),
        )
        .await;
    assert_eq!(answer["result"]["value"]["user"], "bob", "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn roles_a_client_sends_are_ignored() {
    let server = server("roles", LoginScope::Browser).await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let answer = tab
        .call(
            "session.login",
            json!({"user": "bob", "password": "bob-pw", "roles": ["admin"]}),
        )
        .await;
    assert_eq!(
        answer["result"]["value"],
        json!({"user": "bob", "roles": ["operator"]}),
        "{answer}"
    );
    let forbidden = tab.call("LoginAdminOnly", json!([])).await;
    assert_eq!(code(&forbidden), i64::from(FORBIDDEN), "{forbidden}");
    let who = tab.call("LoginWhoAmI", json!([])).await;
    assert_eq!(who["result"]["value"], r#"bob ["operator"]"#);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_the_tab_scope_each_tab_logs_in_by_itself() {
    let server = server("tab-scope", LoginScope::Tab).await;
    let mut first = Tab::open(&server, Handshake::default()).await;
    let mut second = same_browser(&server, &first).await;
    let answer = first
        .call(
            "session.login",
            json!({"user": "alice", "password": "alice-pw"}),
        )
        .await;
    assert_eq!(answer["result"]["value"]["user"], "alice", "{answer}");
    assert_eq!(user_of(&server, &first).as_deref(), Some("alice"));
    assert_eq!(
        user_of(&server, &second),
        None,
        "the other tab is not logged in"
    );
    let third = same_browser(&server, &first).await;
    assert_eq!(third.opened["user"], Json::Null);
    assert_eq!(user_of(&server, &third), None, "nor a new tab");
    let answer = second
        .call(
            "session.login",
            json!({"user": "bob", "password": "bob-pw"}),
        )
        .await;
    assert_eq!(answer["result"]["value"]["user"], "bob");
    second.call("session.logout", json!([])).await;
    assert_eq!(user_of(&server, &second), None);
    assert_eq!(
        user_of(&server, &first).as_deref(),
        Some("alice"),
        "untouched"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_accounts_store_the_reserved_methods_say_so() {
    let server = Server::start(Engine::new(), WebHost::builder).await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    for method in ["session.login", "session.logout"] {
        let answer = tab
            .call(method, json!({"user": "alice", "password": "alice-pw"}))
            .await;
        assert_eq!(code(&answer), i64::from(NO_ACCOUNTS), "{answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("no accounts store"), "{answer}");
    }
}

/// Ten log-ins at once, each one full Argon2id hash with OWASP's parameters, while another
/// tab makes trivial calls: the hashes run on tokio's blocking pool, so the other tab's
/// calls are not queued behind them. The bound: each of those calls answers within 250 ms,
/// where ten hashes on this machine's cores take far longer in all (measured and printed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_tabs_stay_fast_during_ten_concurrent_log_ins() {
    let path = accounts("concurrent", HashParams::OWASP);
    let accounts = Accounts::load(path).expect("the accounts load");
    let server = Server::start(Engine::new(), move |engine| {
        WebHost::builder(engine).accounts(accounts)
    })
    .await;
    let mut other = Tab::open(&server, Handshake::default()).await;
    let mut tabs = Vec::new();
    for _ in 0..10 {
        tabs.push(Tab::open(&server, Handshake::default()).await);
    }
    // Right and wrong passwords, never five wrong for one name (the throttle's limit).
    let logins = [
        ("alice", "alice-pw"),
        ("bob", "bob-pw"),
        ("carol", "carol-pw"),
        ("alice", "wrong"),
        ("bob", "wrong"),
        ("carol", "wrong"),
        ("alice", "alice-pw"),
        ("bob", "bob-pw"),
        ("carol", "carol-pw"),
        ("mallory", "wrong"),
    ];
    let started = Instant::now();
    let running: Vec<_> = tabs
        .into_iter()
        .zip(logins)
        .map(|(mut tab, (user, password))| {
            tokio::spawn(async move {
                let answer = tab
                    .call("session.login", json!({"user": user, "password": password}))
                    .await;
                (password != "wrong", answer)
            })
        })
        .collect();
    let mut slowest = Duration::ZERO;
    let mut calls = 0;
    while running.iter().any(|task| !task.is_finished()) && calls < 1000 {
        let call = Instant::now();
        let answer = other.call("LoginPing", json!([])).await;
        assert_eq!(answer["result"]["value"], 1, "{answer}");
        slowest = slowest.max(call.elapsed());
        calls += 1;
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    for task in running {
        let (right, answer) = task.await.expect("the log-in task");
        if right {
            assert!(answer["result"]["value"]["user"].is_string(), "{answer}");
        } else {
            assert_eq!(code(&answer), i64::from(LOGIN_REFUSED), "{answer}");
        }
    }
    let all = started.elapsed();
    println!(
        "10 log-ins took {all:?}; {calls} calls of another tab meanwhile, the slowest {slowest:?}"
    );
    // At least one call ran while the hashes did (each takes tens of milliseconds).
    assert!(
        calls >= 1,
        "the other tab made no call while the log-ins ran ({all:?})"
    );
    assert!(
        slowest < Duration::from_millis(250),
        "another tab's call took {slowest:?} during the log-ins ({all:?} in all)"
    );
}

/// The browser's log-in is kept only while it has a tab: when its last tab's session has
/// closed (past the grace period), a new tab with the same cookie opens with nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browsers_log_in_ends_with_its_last_tab() {
    let accounts = Accounts::load(accounts("last-tab", fast())).expect("the accounts load");
    let server = Server::start(Engine::new(), move |engine| {
        WebHost::builder(engine)
            .accounts(accounts)
            .grace_period(Duration::from_millis(100))
    })
    .await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let cookie = tab.set_cookie.clone().expect("a cookie");
    let client = tab.client().to_owned();
    let answer = tab
        .call(
            "session.login",
            json!({"user": "bob", "password": "bob-pw"}),
        )
        .await;
    assert_eq!(answer["result"]["value"]["user"], "bob", "{answer}");
    tab.close().await;
    server
        .wait_until("the last tab's session closed", || server.engine.is_empty())
        .await;
    let again = Tab::open(&server, Handshake::with_cookie(&cookie)).await;
    assert_eq!(again.client(), client, "the same browser");
    assert_eq!(again.opened["user"], Json::Null, "{}", again.opened);
    assert_eq!(user_of(&server, &again), None);
}

/// `POST {base}/rpc` logs in the tab its `Sessions-Session` header names (for this
/// browser), and without the header answers -32001: a log-in is a tab's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_logs_in_the_tab_it_names_and_none_without_one() {
    let server = server("post", LoginScope::Browser).await;
    let tab = Tab::open(&server, Handshake::default()).await;
    let cookie = tab.set_cookie.clone().expect("a cookie");
    let origin = server.origin();
    let body = json!({"jsonrpc": "2.0", "method": "session.login",
        "params": {"user": "alice", "password": "alice-pw"}, "id": 1})
    .to_string();
    let (status, _, text) = web_support::http(
        &server,
        "POST",
        "/sessions/rpc",
        &[("origin", &origin), ("content-type", "application/json")],
        &body,
    )
    .await;
    assert_eq!(status, 200);
    let answer: Json = serde_json::from_str(&text).expect("JSON");
    assert_eq!(code(&answer), i64::from(SESSION_GONE), "{answer}");
    let (status, _, text) = web_support::http(
        &server,
        "POST",
        "/sessions/rpc",
        &[
            ("origin", &origin),
            ("content-type", "application/json"),
            ("cookie", &cookie),
            ("sessions-session", tab.session()),
        ],
        &body,
    )
    .await;
    assert_eq!(status, 200);
    let answer: Json = serde_json::from_str(&text).expect("JSON");
    assert_eq!(answer["result"]["value"]["user"], "alice", "{answer}");
    assert_eq!(user_of(&server, &tab).as_deref(), Some("alice"));
}

/// Served with each connection's address (`into_make_service_with_connect_info`), failed
/// log-ins are throttled per peer too: five failures from one address, each for another
/// name, throttle the next attempt from it, whatever the name.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_connect_info_one_peer_is_throttled_across_names() {
    let accounts = Accounts::load(accounts("peer", fast())).expect("the accounts load");
    let router = WebHost::builder(Engine::new()).accounts(accounts).build();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port on 127.0.0.1");
    let addr = listener.local_addr().expect("its address");
    let serving = tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<std::net::SocketAddr>();
        axum::serve(listener, service)
            .await
            .expect("the server runs");
    });
    let mut tab = Tab::try_open_at(addr, Handshake::default())
        .await
        .expect("the tab opens");
    for name in ["n1", "n2", "n3", "n4", "n5"] {
        let answer = tab
            .call("session.login", json!({"user": name, "password": "guess"}))
            .await;
        assert_eq!(code(&answer), i64::from(LOGIN_REFUSED), "{answer}");
    }
    let answer = tab
        .call(
            "session.login",
            json!({"user": "bob", "password": "bob-pw"}),
        )
        .await;
    assert_eq!(code(&answer), i64::from(LOGIN_THROTTLED), "{answer}");
    serving.abort();
}
