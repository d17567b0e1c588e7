//! The web host's guards against a hostile client, over real sockets on 127.0.0.1:
//! - cookies: only a cookie the host issued names a browser (a made-up or chosen secret
//!   gets a new cookie, so the per-browser tab limit holds and cookie fixation fails), and
//!   hosts that share a key take each other's cookies;
//! - the origin guard: `Host` must name this host (DNS rebinding is refused), and origins
//!   are compared by scheme, host and port, on WebSocket upgrades and POSTs alike.
//!
//! Throughout, an honest tab's call is answered within [`HONEST`].

mod web_support;

use std::time::{Duration, Instant};

use serde_json::{json, Value as Json};
use sessions_core::web::{CookieKey, WebHost};
use sessions_core::{export_method, Engine, Session, SessionError};
use web_support::{http, Handshake, Refused, Server, Tab};

/// How long an honest tab's call may take while the host is under attack.
const HONEST: Duration = Duration::from_secs(2);

/// The id of the session the call ran in.
#[export_method(name = "GuardWhoAmI")]
fn guard_who_am_i(session: &Session) -> Result<String, SessionError> {
    Ok(session.id().to_string())
}

/// Checks that `tab` is still served: its call is answered, in its own session, within
/// [`HONEST`].
async fn honest_call(tab: &mut Tab) {
    let started = Instant::now();
    let answer = tab.call("GuardWhoAmI", json!([])).await;
    let took = started.elapsed();
    assert_eq!(answer["result"]["value"], tab.session(), "{answer}");
    assert!(
        took < HONEST,
        "an honest call took {took:?}, over {HONEST:?}"
    );
}

fn cookie_of(tab: &Tab) -> String {
    tab.set_cookie.clone().expect("the host set a cookie")
}

/// A cookie value that the host did not issue, in the host's own shape.
fn made_up(n: u32) -> String {
    format!("sessions_client={n:032x}.{:032x}", u128::from(n) * 7919)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn made_up_secrets_get_a_new_cookie_and_the_tab_limit_holds() {
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).max_tabs_per_client(2)
    })
    .await;
    let mut honest = Tab::open(&server, Handshake::default()).await;
    let cookie = cookie_of(&honest);
    let second = Tab::open(&server, Handshake::with_cookie(&cookie)).await;
    assert_eq!(second.set_cookie, None, "an issued cookie is kept");
    assert_eq!(second.client(), honest.client());

    // A client that makes secrets up (in the old shape, in the new one, or the honest
    // browser's public id) is never taken for a browser it names: each socket gets a new
    // cookie and a client of its own, so it cannot pin a client id of its choosing.
    let mut clients = std::collections::HashSet::new();
    let mut attacker_tabs = Vec::new();
    for n in 1..=10u32 {
        let forged = match n % 3 {
            0 => format!("sessions_client={n:032x}"),
            1 => made_up(n),
            _ => format!("sessions_client={}", honest.client()),
        };
        let tab = Tab::open(&server, Handshake::with_cookie(&forged)).await;
        let new_cookie = tab.set_cookie.clone();
        assert!(
            new_cookie.is_some(),
            "a made-up secret ({forged}) gets a new cookie"
        );
        assert_ne!(new_cookie.as_deref(), Some(forged.as_str()));
        assert_ne!(tab.client(), honest.client());
        assert!(
            clients.insert(tab.client().to_owned()),
            "a new client each time"
        );
        attacker_tabs.push(tab);
        honest_call(&mut honest).await;
    }
    // The same made-up secret twice is two clients, not one the attacker chose.
    let again = Tab::open(&server, Handshake::with_cookie(&made_up(1))).await;
    assert!(!clients.contains(again.client()));

    // The browser's own limit means what it says: its third tab is refused.
    let third = Tab::try_open(&server, Handshake::with_cookie(&cookie)).await;
    assert!(
        matches!(third, Err(Refused::Closed(1008, _))),
        "{:?}",
        third.err()
    );
    // And a client that keeps the cookie it was given is held to the limit too.
    let given = attacker_tabs[0].set_cookie.clone().expect("a cookie");
    let kept = Tab::open(&server, Handshake::with_cookie(&given)).await;
    assert_eq!(kept.client(), attacker_tabs[0].client());
    let past = Tab::try_open(&server, Handshake::with_cookie(&given)).await;
    assert!(
        matches!(past, Err(Refused::Closed(1008, _))),
        "{:?}",
        past.err()
    );
    honest_call(&mut honest).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chosen_cookie_planted_in_a_browser_gives_its_planter_nothing() {
    let server = Server::start(Engine::new(), WebHost::builder).await;
    // The attacker plants a secret of its choosing (128 bits in hex, the shape of a
    // secret) in the victim's browser, then the victim opens a tab with it.
    let chosen = format!("sessions_client={:032x}", 42u128 * 7919);
    let mut victim = Tab::open(&server, Handshake::with_cookie(&chosen)).await;
    let victims_cookie = cookie_of(&victim);
    assert_ne!(victims_cookie, chosen, "the chosen secret is replaced");

    // The attacker, knowing the chosen secret (and even the victim's session id), cannot
    // call in the victim's session, nor resume its tab.
    let request = r#"{"jsonrpc":"2.0","method":"GuardWhoAmI","id":1}"#;
    let (status, _, body) = http(
        &server,
        "POST",
        "/sessions/rpc",
        &[("cookie", &chosen), ("sessions-session", victim.session())],
        request,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let answer: Json = serde_json::from_str(&body).expect("JSON");
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    let resumed = Tab::open(
        &server,
        Handshake {
            cookie: Some(&chosen),
            resume: Some(victim.resume_token()),
            ..Handshake::default()
        },
    )
    .await;
    assert_eq!(resumed.opened["resumed"], false, "{}", resumed.opened);
    assert_ne!(resumed.session(), victim.session());

    // The victim's own cookie works.
    let (_, _, body) = http(
        &server,
        "POST",
        "/sessions/rpc",
        &[
            ("cookie", &victims_cookie),
            ("sessions-session", victim.session()),
        ],
        request,
    )
    .await;
    let answer: Json = serde_json::from_str(&body).expect("JSON");
    assert_eq!(answer["result"]["value"], victim.session(), "{answer}");
    honest_call(&mut victim).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hosts_that_share_a_key_take_each_others_cookies_and_no_other_host_does() {
    let key = CookieKey::new(*b"a farm's key, 32 bytes or more!!").expect("32 bytes");
    let a = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).cookie_key(key.clone())
    })
    .await;
    let b = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).cookie_key(key.clone())
    })
    .await;
    let other = Server::start(Engine::new(), WebHost::builder).await;

    let on_a = Tab::open(&a, Handshake::default()).await;
    let cookie = cookie_of(&on_a);
    let mut on_b = Tab::open(&b, Handshake::with_cookie(&cookie)).await;
    assert_eq!(on_b.set_cookie, None, "node b takes node a's cookie");
    assert_eq!(
        on_b.client(),
        on_a.client(),
        "one browser, one id on every node"
    );

    let elsewhere = Tab::open(&other, Handshake::with_cookie(&cookie)).await;
    assert!(
        elsewhere.set_cookie.is_some(),
        "a host with its own key does not take it"
    );
    assert_ne!(elsewhere.client(), on_a.client());
    honest_call(&mut on_b).await;
}

/// What the origin tests send: the `Host` header and the `Origin` header.
struct Sent {
    host: String,
    origin: Option<String>,
}

/// Whether the host takes a WebSocket upgrade and a POST that carry `sent`; fails the test
/// when the two disagree.
async fn taken(server: &Server, sent: &Sent) -> bool {
    let mut headers: Vec<(&'static str, &str)> = vec![("host", &sent.host)];
    if let Some(origin) = &sent.origin {
        headers.push(("origin", origin));
    }
    let upgrade = Tab::try_open(
        server,
        Handshake {
            origin: sent.origin.as_deref(),
            no_origin: sent.origin.is_none(),
            headers: &headers,
            ..Handshake::default()
        },
    )
    .await;
    let upgrade_taken = match upgrade {
        Ok(_) => true,
        Err(Refused::Status(403)) => false,
        Err(other) => panic!("the upgrade was neither taken nor refused with 403: {other:?}"),
    };
    let request = r#"{"jsonrpc":"2.0","method":"GuardWhoAmI","id":1}"#;
    let (status, _, body) = http(server, "POST", "/sessions/rpc", &headers, request).await;
    let post_taken = match status {
        200 => true,
        403 => false,
        other => panic!("the POST was answered {other}: {body}"),
    };
    assert_eq!(
        upgrade_taken, post_taken,
        "the upgrade and the POST with Host {} and Origin {:?} are judged alike",
        sent.host, sent.origin
    );
    upgrade_taken
}

fn sent(host: impl Into<String>, origin: Option<String>) -> Sent {
    Sent {
        host: host.into(),
        origin,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_origin_guard_refuses_dns_rebinding_and_a_wrong_scheme() {
    let server = Server::start(Engine::new(), WebHost::builder).await;
    let mut honest = Tab::open(&server, Handshake::default()).await;
    let port = server.addr.port();

    // A page of evil.example, whose name now resolves to this server: Host and Origin
    // agree, and name the attacker's site.
    let rebinding = sent(
        format!("evil.example:{port}"),
        Some(format!("http://evil.example:{port}")),
    );
    assert!(
        !taken(&server, &rebinding).await,
        "DNS rebinding is refused"
    );
    // Nor without an Origin, nor with this host's origin but another Host.
    assert!(!taken(&server, &sent(format!("evil.example:{port}"), None)).await);
    assert!(
        !taken(
            &server,
            &sent(format!("evil.example:{port}"), Some(server.origin()))
        )
        .await
    );
    // The scheme is compared: an https:// origin is not this http host's.
    let wrong_scheme = sent(
        format!("127.0.0.1:{port}"),
        Some(format!("https://127.0.0.1:{port}")),
    );
    assert!(
        !taken(&server, &wrong_scheme).await,
        "https:// is not http://"
    );
    // And so is the port.
    let wrong_port = sent(
        format!("127.0.0.1:{port}"),
        Some(format!("http://127.0.0.1:{}", port.wrapping_add(1))),
    );
    assert!(!taken(&server, &wrong_port).await);
    assert_eq!(
        server.engine.len(),
        1,
        "no refused upgrade opened a session"
    );
    honest_call(&mut honest).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_origin_loopback_and_configured_public_origins_are_taken() {
    // The host as a proxy reaches it: the browser's site is https://hmi.example.com, and
    // the proxy passes the browser's Host on.
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine)
            .public_origin("https://hmi.example.com")
            .public_origin("http://10.1.2.3:8080")
    })
    .await;
    let mut honest = Tab::open(&server, Handshake::default()).await;
    let port = server.addr.port();

    for name in ["127.0.0.1", "localhost", "[::1]"] {
        let loopback = sent(
            format!("{name}:{port}"),
            Some(format!("http://{name}:{port}")),
        );
        assert!(
            taken(&server, &loopback).await,
            "{name}: same-origin loopback"
        );
    }
    assert!(
        taken(&server, &sent(format!("127.0.0.1:{port}"), None)).await,
        "a script"
    );
    let public = sent(
        "hmi.example.com",
        Some("https://hmi.example.com".to_owned()),
    );
    assert!(taken(&server, &public).await, "the public origin");
    let lan = sent("10.1.2.3:8080", Some("http://10.1.2.3:8080".to_owned()));
    assert!(taken(&server, &lan).await, "the second public origin");
    // The public origin's scheme and port are compared too.
    let http_public = sent("hmi.example.com", Some("http://hmi.example.com".to_owned()));
    assert!(
        !taken(&server, &http_public).await,
        "http:// is not the public https://"
    );
    let other_port = sent("10.1.2.3:8081", Some("http://10.1.2.3:8081".to_owned()));
    assert!(!taken(&server, &other_port).await);
    // A public origin does not let in a rebinding of another name.
    let rebinding = sent("evil.example", Some("https://evil.example".to_owned()));
    assert!(!taken(&server, &rebinding).await);
    honest_call(&mut honest).await;
}
