//! The OPC UA host's limits on sessions, over async-opcua's own client on 127.0.0.1:
//! - anonymous sessions are bounded in all (by default half of `max_sessions`): one
//!   anonymous client that opens sessions in a loop gets its share and is then refused
//!   with `BadTooManySessions`, while a user logs in;
//! - the sessions of a client that was killed (no CloseSession) give their places back
//!   within the session timeout, configured short here (1 s): another client then gets in.
//!
//! Sessions per client address are not bounded: async-opcua 0.19 gives the host neither
//! the client's address nor a hook at CreateSession (see SECURITY.md).

mod opcua_support;

use std::time::{Duration, Instant};

use opcua::client::IdentityToken;
use opcua::types::StatusCode;
use opcua_support::{user, Client, Host};

/// How long an honest client's log-in and first call may take while the host is flooded.
const HONEST: Duration = Duration::from_secs(5);

/// Connects a user and checks its call runs as that user, within [`HONEST`].
async fn honest_log_in(host: &Host, name: &str, password: &str) -> Client {
    let started = Instant::now();
    let client = Client::connect(&host.url(), user(name, password))
        .await
        .unwrap_or_else(|error| panic!("{name} logs in: {error}"));
    let who = client.call("WhoAmI", vec![]).await;
    assert_eq!(who.status_code, StatusCode::Good, "{who:?}");
    let took = started.elapsed();
    assert!(
        took < HONEST,
        "{name}'s log-in and call took {took:?}, over {HONEST:?}"
    );
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_anonymous_client_gets_its_share_of_sessions_and_a_user_still_logs_in() {
    const MAX_SESSIONS: usize = 6;
    // The default cap on anonymous sessions: half of max_sessions.
    let host = Host::start("anonymous-share", |b| b.max_sessions(MAX_SESSIONS)).await;
    let mut anonymous = Vec::new();
    let mut refused = None;
    for _ in 0..MAX_SESSIONS {
        match Client::connect(&host.url(), IdentityToken::Anonymous).await {
            Ok(client) => anonymous.push(client),
            Err(error) => {
                refused = Some(error);
                break;
            }
        }
    }
    assert_eq!(
        anonymous.len(),
        MAX_SESSIONS / 2,
        "an anonymous client gets half the sessions"
    );
    let refused = refused.expect("the anonymous session past the cap is refused");
    assert_eq!(
        refused.status(),
        StatusCode::BadTooManySessions,
        "a clear status: {refused}"
    );
    assert_eq!(host.engine.len(), MAX_SESSIONS / 2);

    // The admin is not locked out, and neither is another user.
    let admin = honest_log_in(&host, "admin", "admin-pw").await;
    let operator = honest_log_in(&host, "operator", "operator-pw").await;
    assert_eq!(host.engine.active_count(), 2);

    // An anonymous session that closes gives its place back, once the host has seen it
    // close. (An anonymous activation refused meanwhile would hold a place of max_sessions
    // until its timeout, as the refused one above does: so the client waits for it.)
    anonymous.pop().expect("one").disconnect().await;
    host.wait_until("the closed session is closed here too", || {
        host.engine.len() == MAX_SESSIONS / 2 + 1
    })
    .await;
    let again = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("the anonymous place that was given back is taken");
    for client in anonymous.into_iter().chain([again, admin, operator]) {
        client.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configured_anonymous_cap_holds_and_users_fill_the_rest() {
    let host = Host::start("anonymous-cap", |b| {
        b.max_sessions(4).max_anonymous_sessions(1)
    })
    .await;
    let first = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("the one anonymous session");
    let refused = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .err()
        .expect("a second anonymous session is refused");
    assert_eq!(
        refused.status(),
        StatusCode::BadTooManySessions,
        "{refused}"
    );
    // The refused session holds a place of max_sessions until its timeout (async-opcua
    // created it before the host saw its identity): two places are left for users.
    let admin = honest_log_in(&host, "admin", "admin-pw").await;
    let viewer = honest_log_in(&host, "viewer", "viewer-pw").await;
    for client in [first, admin, viewer] {
        client.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_clients_sessions_give_their_places_back_within_the_session_timeout() {
    const TIMEOUT: Duration = Duration::from_secs(1);
    let host = Host::start("killed", |b| {
        b.max_sessions(2)
            .max_anonymous_sessions(2)
            .max_session_timeout(TIMEOUT)
    })
    .await;
    let first = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("one");
    let second = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("two");
    // Killed: the connections drop without a CloseSession.
    drop(first);
    drop(second);
    let killed = Instant::now();
    let full = Client::connect(&host.url(), user("admin", "admin-pw")).await;
    if let Err(error) = &full {
        assert_eq!(error.status(), StatusCode::BadTooManySessions, "{error}");
    }
    let mut admin = full.ok();
    // Within the session timeout (and the host's sweep, and a busy machine's slack) the
    // admin gets in, and so does an anonymous client. (The honest clients are checked at
    // once: with a 1 s timeout, an idle client's own session would expire as well.)
    let bound = TIMEOUT + Duration::from_secs(3);
    while admin.is_none() {
        assert!(
            killed.elapsed() < bound,
            "the killed client's sessions still held their places {bound:?} after it died"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
        admin = Client::connect(&host.url(), user("admin", "admin-pw"))
            .await
            .ok();
    }
    let admin = admin.expect("the admin got in");
    let who = admin.call("WhoAmI", vec![]).await;
    assert_eq!(who.status_code, StatusCode::Good, "{who:?}");
    // The killed client's sessions are closed here too (the host's sweep), and their
    // anonymous places are free: an anonymous client gets in.
    host.wait_until("the killed client's sessions are closed here too", || {
        host.engine
            .sessions()
            .iter()
            .all(|session| session.user().is_some())
    })
    .await;
    let anonymous = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("an anonymous place is free again");
    let who = anonymous.call("WhoAmI", vec![]).await;
    assert_eq!(who.status_code, StatusCode::Good, "{who:?}");
    assert!(
        killed.elapsed() < bound,
        "the killed client's places came back {:?} after it died, over {bound:?}",
        killed.elapsed()
    );
    anonymous.disconnect().await;
    admin.disconnect().await;
}
