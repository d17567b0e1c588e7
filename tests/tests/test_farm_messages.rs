//! Messages across a farm on a real redis-server: 10,000 posts from three nodes to 300
//! sessions spread over them, each run exactly once, in per-session order, in its target's
//! context; arguments by name; a bounded inbox; a message for a session that closed;
//! a message too large; a redelivery after a lost connection, not run twice.

mod farm_support;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use farm_support::{captured, wait_until, Redis, LEASE};
use sessions_core::farm::{Farm, FarmError};
use sessions_core::{current_id, export_method, Args, Engine, Session, SessionId, Value};

/// One run of `FarmRecord`: sender, seq, whether it ran in its target session.
type Run = (String, i64, bool);

/// What `FarmRecord` saw, per target session.
static RECORDS: Mutex<BTreeMap<String, Vec<Run>>> = Mutex::new(BTreeMap::new());

/// Records that message `seq` from `sender` ran, and in which session.
#[export_method(name = "FarmRecord", session = none)]
fn farm_record(target: String, sender: String, seq: i64) {
    let here = current_id().map(|id| id.to_string()) == Some(target.clone());
    RECORDS
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(target)
        .or_default()
        .push((sender, seq, here));
}

#[test]
fn ten_thousand_posts_from_three_nodes_run_once_each_in_order_in_their_session() {
    const NODES: usize = 3;
    const PER_NODE: usize = 100;
    const POSTS: usize = 10_000;
    let Some(redis) = Redis::start("ten_thousand_posts") else {
        return;
    };
    let engines: Vec<Engine> = (0..NODES).map(|_| Engine::new()).collect();
    let farms: Vec<Farm> = engines
        .iter()
        .enumerate()
        .map(|(i, engine)| redis.join(engine, &format!("n{i}")))
        .collect();
    // Posts to a session on the same node go to its mailbox: a dispatcher delivers them.
    let dispatchers: Vec<_> = engines
        .iter()
        .map(|e| e.spawn_dispatcher(Duration::from_millis(1)))
        .collect();
    let sessions: Vec<Vec<Session>> = engines
        .iter()
        .map(|e| (0..PER_NODE).map(|_| e.open().expect("open")).collect())
        .collect();
    for farm in &farms {
        farm.flush().expect("flush");
    }
    let targets: Vec<SessionId> = sessions.iter().flatten().map(Session::id).collect();
    assert_eq!(farms[0].len().expect("len"), NODES * PER_NODE);

    // Each node posts its share from its own thread: message k of sender i goes to target
    // (k * 7 + i) % 300, with its own sequence number per (sender, target).
    let sent: Vec<HashMap<SessionId, Vec<i64>>> = std::thread::scope(|scope| {
        let posters: Vec<_> = farms
            .iter()
            .enumerate()
            .map(|(i, farm)| {
                let targets = &targets;
                scope.spawn(move || {
                    let mut sent: HashMap<SessionId, Vec<i64>> = HashMap::new();
                    let share = POSTS / NODES + usize::from(i < POSTS % NODES);
                    for k in 0..share {
                        let target = targets[(k * 7 + i) % targets.len()];
                        let seqs = sent.entry(target).or_default();
                        let seq = seqs.len() as i64;
                        let args = vec![
                            Value::from(target.to_string()),
                            Value::from(format!("n{i}")),
                            Value::Int(seq),
                        ];
                        farm.post(target, "FarmRecord", args).expect("queued");
                        seqs.push(seq);
                    }
                    sent
                })
            })
            .collect();
        posters
            .into_iter()
            .map(|p| p.join().expect("poster"))
            .collect()
    });

    let count = || -> usize {
        RECORDS
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(target, _)| targets.iter().any(|t| t.to_string() == **target))
            .map(|(_, v)| v.len())
            .sum()
    };
    wait_until("every message ran", || count() >= POSTS);
    // Anything run twice would show up now.
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(count(), POSTS, "a message ran twice");

    let records = RECORDS.lock().unwrap_or_else(|p| p.into_inner()).clone();
    for target in &targets {
        let got = &records[&target.to_string()];
        assert!(
            got.iter().all(|(_, _, here)| *here),
            "a message ran outside its session"
        );
        for (i, sent) in sent.iter().enumerate() {
            let from_i: Vec<i64> = got
                .iter()
                .filter(|(sender, _, _)| *sender == format!("n{i}"))
                .map(|(_, seq, _)| *seq)
                .collect();
            // Exactly what was sent, once each, in the order sent.
            assert_eq!(from_i, sent.get(target).cloned().unwrap_or_default());
        }
    }
    let dispatched: usize = dispatchers.into_iter().map(|d| d.stop().delivered).sum();
    let reports: Vec<_> = farms.iter().map(Farm::report).collect();
    let delivered: u64 = reports.iter().map(|r| r.delivered).sum();
    let sent_remote: u64 = reports.iter().map(|r| r.sent).sum();
    assert_eq!(delivered as usize + dispatched, POSTS, "{reports:?}");
    assert_eq!(sent_remote, delivered);
    assert!(
        reports
            .iter()
            .all(|r| r.failed == 0 && r.undelivered == 0 && r.redelivered == 0),
        "{reports:?}"
    );
}

/// Names and values of the arguments `FarmNamed` got.
static NAMED: Mutex<Vec<(String, Option<i64>)>> = Mutex::new(Vec::new());

/// Takes its arguments by name in tests.
#[export_method(name = "FarmNamed", session = none)]
fn farm_named(text: String, n: Option<i64>) {
    NAMED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((text, n));
}

/// Runs slowly, so an inbox fills behind it.
#[export_method(name = "FarmSlow", session = none)]
fn farm_slow(ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
}

#[test]
fn named_arguments_a_full_inbox_a_closed_session_and_a_large_message() {
    let Some(redis) = Redis::start("named_arguments_a_full_inbox") else {
        return;
    };
    let captured = captured();
    let (ea, eb) = (Engine::new(), Engine::new());
    let a = redis.join(&ea, "a");
    let b = Farm::builder(&eb, &redis.url(), "b")
        .lease(LEASE)
        .inbox_capacity(5)
        .max_message_bytes(1000)
        .join()
        .expect("joins");
    let (b1, b2) = (eb.open().expect("open"), eb.open().expect("open"));
    b.flush().expect("flush");

    // By name, across the farm.
    a.post(
        b1.id(),
        "FarmNamed",
        Args::named([("text", Value::from("hi"))]),
    )
    .expect("queued");
    a.post(
        b1.id(),
        "FarmNamed",
        BTreeMap::from([
            ("n".to_owned(), Value::Int(3)),
            ("text".to_owned(), Value::from("yo")),
        ]),
    )
    .expect("queued");
    wait_until("both named messages ran", || b.report().delivered == 2);
    let named: Vec<_> = NAMED
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(text, _)| text == "hi" || text == "yo")
        .cloned()
        .collect();
    assert_eq!(named, [("hi".to_owned(), None), ("yo".to_owned(), Some(3))]);

    // A full inbox is an error to the sender. The slow message holds its place until it has
    // run; four more fill the inbox of five.
    a.post(b1.id(), "FarmSlow", vec![Value::Int(600)])
        .expect("queued");
    for _ in 0..3 {
        a.post(b1.id(), "FarmSlow", vec![Value::Int(0)])
            .expect("queued");
    }
    // The last one goes to b2, which closes before its turn comes.
    a.post(b2.id(), "FarmSlow", vec![Value::Int(0)])
        .expect("queued");
    let full = a
        .post(b1.id(), "FarmSlow", vec![Value::Int(0)])
        .expect_err("refused");
    assert_eq!(
        full,
        FarmError::InboxFull {
            session: b1.id(),
            node: "b".to_owned(),
            capacity: 5
        }
    );
    eb.close(b2.id()).expect("close");
    wait_until("the inbox is done", || b.report().total() == 7);
    let report = b.report();
    assert_eq!(
        (report.delivered, report.undelivered, report.failed),
        (6, 1, 0),
        "{report:?}"
    );
    let logged = captured.events().into_iter().any(|e| {
        e.level == tracing::Level::WARN
            && e.field("session") == Some(&b2.id().to_string())
            && e.field("message")
                .is_some_and(|m| m.contains("no longer open"))
    });
    assert!(logged, "the undelivered message is logged with its session");

    // Larger than b takes, and to an unknown session: refused.
    let large = a
        .post(b1.id(), "FarmSlow", vec![Value::from("x".repeat(2000))])
        .expect_err("refused");
    assert!(
        matches!(&large, FarmError::MessageTooLarge { limit: 1000, node, .. } if node == "b"),
        "{large}"
    );
    let nobody = SessionId::random();
    assert_eq!(
        a.post(nobody, "FarmSlow", vec![]),
        Err(FarmError::NotFound(nobody))
    );
    assert_eq!(a.report().sent, 7);
}

/// How many times `FarmKill` ran.
static KILLS: AtomicUsize = AtomicUsize::new(0);

/// Kills every client connection of the Redis at `url` but its own: the inbox's
/// acknowledgement of this very message is lost with its connection.
#[export_method(name = "FarmKill", session = none)]
fn farm_kill(url: String) {
    KILLS.fetch_add(1, Ordering::SeqCst);
    let mut con = redis::Client::open(url)
        .and_then(|c| c.get_connection())
        .expect("a connection");
    let _: redis::Value = redis::cmd("CLIENT")
        .arg("KILL")
        .arg("TYPE")
        .arg("normal")
        .query(&mut con)
        .expect("CLIENT KILL");
}

#[test]
fn a_message_whose_acknowledgement_was_lost_is_not_run_twice() {
    let Some(redis) = Redis::start("a_message_whose_acknowledgement_was_lost") else {
        return;
    };
    let (ea, eb) = (Engine::new(), Engine::new());
    let (a, b) = (redis.join(&ea, "a"), redis.join(&eb, "b"));
    let target = eb.open().expect("open");
    b.flush().expect("flush");
    a.post(target.id(), "FarmKill", vec![Value::from(redis.url())])
        .expect("queued");
    wait_until("the redelivered message is acknowledged", || {
        b.report().redelivered >= 1
    });
    // After it, messages still flow, and each runs once.
    for n in 0..5 {
        a.post(
            target.id(),
            "FarmNamed",
            vec![Value::from(format!("after-{n}"))],
        )
        .expect("queued");
    }
    wait_until("the next messages ran", || b.report().delivered == 6);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(KILLS.load(Ordering::SeqCst), 1, "the message ran twice");
    let report = b.report();
    assert_eq!(
        (report.delivered, report.failed, report.undelivered),
        (6, 0, 0),
        "{report:?}"
    );
    let named = NAMED.lock().unwrap_or_else(|p| p.into_inner()).clone();
    assert_eq!(
        named
            .iter()
            .filter(|(t, _)| t.starts_with("after-"))
            .count(),
        5
    );
}
