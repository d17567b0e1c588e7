//! The farm's counts and lookups across three nodes (three engines joined to one farm on a
//! real redis-server): `len`, `active_count`, `sessions_for_user` and `get` right after
//! opens, logins, logouts, changes of user and closes, seen from every node; leaving; and
//! the errors of joining.

mod farm_support;

use std::collections::BTreeSet;

use farm_support::{Redis, LEASE};
use sessions_core::farm::{Farm, FarmError};
use sessions_core::{ClientId, Engine, Session, SessionId, User};

/// `(len, active_count)` as each node sees it: all must agree.
fn counts(farms: &[&Farm]) -> (usize, usize) {
    let seen: Vec<(usize, usize)> = farms
        .iter()
        .map(|farm| {
            (
                farm.len().expect("len"),
                farm.active_count().expect("active_count"),
            )
        })
        .collect();
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "nodes disagree: {seen:?}"
    );
    seen[0]
}

/// The ids and nodes of `user`'s sessions, as each node sees them: all must agree.
fn of_user(farms: &[&Farm], user: &str) -> BTreeSet<(SessionId, String)> {
    let seen: Vec<BTreeSet<(SessionId, String)>> = farms
        .iter()
        .map(|farm| {
            farm.sessions_for_user(user)
                .expect("sessions_for_user")
                .into_iter()
                .map(|s| (s.id, s.node))
                .collect()
        })
        .collect();
    assert!(
        seen.windows(2).all(|w| w[0] == w[1]),
        "nodes disagree: {seen:?}"
    );
    seen[0].clone()
}

fn flush(farms: &[&Farm]) {
    for farm in farms {
        farm.flush().expect("flush");
    }
}

fn on(session: &Session, node: &str) -> (SessionId, String) {
    (session.id(), node.to_owned())
}

#[test]
fn three_nodes_count_and_find_every_session_of_the_farm() {
    let Some(redis) = Redis::start("three_nodes_count_and_find_every_session_of_the_farm") else {
        return;
    };
    let (ea, eb, ec) = (Engine::new(), Engine::new(), Engine::new());
    // A session opened before joining is announced when the node joins.
    let _early = ea.open().expect("open");
    let (a, b, c) = (
        redis.join(&ea, "a"),
        redis.join(&eb, "b"),
        redis.join(&ec, "c"),
    );
    let farms = [&a, &b, &c];
    assert_eq!(a.nodes().expect("nodes"), ["a", "b", "c"]);
    assert_eq!(counts(&farms), (1, 0));

    // Opens.
    let client = ClientId::new("browser-1");
    let a_tabs: Vec<Session> = (0..4)
        .map(|_| ea.open_for_client(client.clone()).expect("open"))
        .collect();
    let b_tabs: Vec<Session> = (0..3).map(|_| eb.open().expect("open")).collect();
    flush(&farms);
    assert_eq!(counts(&farms), (8, 0));

    // Logins: alice on a and b, bob on a.
    a_tabs[0].set_user(Some(User::new("alice")));
    b_tabs[0].set_user(Some(User::new("alice")));
    a_tabs[1].set_user(Some(User::new("bob")));
    flush(&farms);
    assert_eq!(counts(&farms), (8, 3));
    assert_eq!(
        of_user(&farms, "alice"),
        BTreeSet::from([on(&a_tabs[0], "a"), on(&b_tabs[0], "b")])
    );
    assert_eq!(
        of_user(&farms, "bob"),
        BTreeSet::from([on(&a_tabs[1], "a")])
    );
    assert_eq!(of_user(&farms, "nobody"), BTreeSet::new());

    // `get`, from another node: owner, user and client.
    let found = c.get(a_tabs[0].id()).expect("get").expect("announced");
    assert_eq!(found.node, "a");
    assert_eq!(found.user.as_deref(), Some("alice"));
    assert_eq!(found.client, Some(client.clone()));
    let anonymous = c.get(b_tabs[1].id()).expect("get").expect("announced");
    assert_eq!(
        (anonymous.node.as_str(), anonymous.user, anonymous.client),
        ("b", None, None)
    );
    assert_eq!(c.get(SessionId::random()).expect("get"), None);
    let tabs_of_a_browser = c.sessions_for_user("alice").expect("sessions_for_user");
    assert!(tabs_of_a_browser
        .iter()
        .any(|s| s.id == a_tabs[0].id() && s.client == Some(client.clone())));

    // A logout, a change of user, a close.
    a_tabs[0].set_user(None);
    a_tabs[1].set_user(Some(User::new("carol")));
    eb.close(b_tabs[0].id()).expect("close");
    flush(&farms);
    assert_eq!(counts(&farms), (7, 1));
    assert_eq!(of_user(&farms, "alice"), BTreeSet::new());
    assert_eq!(of_user(&farms, "bob"), BTreeSet::new());
    assert_eq!(
        of_user(&farms, "carol"),
        BTreeSet::from([on(&a_tabs[1], "a")])
    );
    assert_eq!(c.get(b_tabs[0].id()).expect("get"), None);

    // A node reads its own changes without a flush.
    let d_tab = ec.open().expect("open");
    d_tab.set_user(Some(User::new("dave")));
    assert_eq!(c.active_count().expect("active_count"), 2);
    assert_eq!(
        c.sessions_for_user("dave").expect("sessions_for_user")[0].id,
        d_tab.id()
    );

    // Leaving withdraws a node's sessions at once; its engine goes on alone.
    let report = c.leave().expect("leave");
    assert_eq!(report.undelivered, 0);
    assert_eq!(counts(&[&a, &b]), (7, 1));
    assert_eq!(a.nodes().expect("nodes"), ["a", "b"]);
    assert_eq!(ec.len(), 1);
    // The engine can join again; its sessions are announced then.
    let c = redis.join(&ec, "c");
    assert_eq!(counts(&[&a, &b, &c]), (8, 2));

    // Dropping the last handle leaves too.
    drop(b);
    assert_eq!(counts(&[&a, &c]), (8 - 2, 2));
}

#[test]
fn joining_refuses_what_is_wrong_and_says_what() {
    let Some(redis) = Redis::start("joining_refuses_what_is_wrong_and_says_what") else {
        return;
    };
    let engine = Engine::new();
    let bad_name = Farm::join(&engine, &redis.url(), "a b").expect_err("refused");
    assert!(
        matches!(
            bad_name,
            FarmError::InvalidName {
                what: "node name",
                ..
            }
        ),
        "{bad_name}"
    );
    let bad_url = Farm::join(&engine, "http://127.0.0.1:1", "a").expect_err("refused");
    assert!(matches!(bad_url, FarmError::Url { .. }), "{bad_url}");
    let nobody = Farm::builder(&engine, "redis+unix:///tmp/sf-none/r.sock", "a")
        .join()
        .expect_err("refused");
    assert!(
        matches!(&nobody, FarmError::Redis { doing, .. } if *doing == "connecting"
            || doing.contains("registering")),
        "{nobody}"
    );
    let secret = Farm::join(&engine, "redis://app:s3cret@127.0.0.1:1/", "a").expect_err("refused");
    assert!(!secret.to_string().contains("s3cret"), "{secret}");

    let farm = Farm::builder(&engine, &redis.url(), "a")
        .lease(LEASE)
        .join()
        .expect("joins");
    let twice = Farm::join(&engine, &redis.url(), "z").expect_err("refused");
    assert_eq!(
        twice,
        FarmError::AlreadyJoined {
            node: "a".to_owned()
        }
    );
    let other = Engine::new();
    let taken = Farm::join(&other, &redis.url(), "a").expect_err("refused");
    assert!(
        matches!(taken, FarmError::NodeTaken { ref node, lease_left_ms } if node == "a" && lease_left_ms <= 1000),
        "{taken}"
    );
    assert_eq!(
        Farm::of(&engine)
            .map(|f| f.node_name().to_owned())
            .as_deref(),
        Some("a")
    );
    assert!(Farm::of(&other).is_none());

    let handle = farm.clone();
    farm.leave().expect("leave");
    assert_eq!(handle.len().expect_err("refused"), FarmError::Left);
    assert!(Farm::of(&engine).is_none());
    // The name is free again at once.
    let again = Farm::join(&other, &redis.url(), "a").expect("the name is free");
    assert_eq!(again.nodes().expect("nodes"), ["a"]);
}
