//! The farm when things break, on a real redis-server: a node process killed with SIGKILL
//! while it sends (its sessions leave the farm within one lease, messages to them are
//! counted undelivered, nothing to a live session is lost or run twice), and Redis
//! restarted empty (every node registers again and announces its sessions within one
//! lease).

mod farm_support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use farm_support::{captured, wait_until, Redis, LEASE};
use sessions_core::farm::{Farm, FarmError};
use sessions_core::{export_method, Engine, Session, SessionError, SessionId, User, Value};

/// Messages run, per target session: (sender, seq).
static RAN: Mutex<BTreeMap<SessionId, Vec<(String, i64)>>> = Mutex::new(BTreeMap::new());

/// Records that message `k` from `node` ran in `session`. The child process posts it.
#[export_method(name = "FarmChildSeq")]
fn farm_child_seq(session: &Session, node: String, k: i64) -> Result<(), SessionError> {
    RAN.lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(session.id())
        .or_default()
        .push((node, k));
    Ok(())
}

fn ran(session: SessionId, sender: &str) -> Vec<i64> {
    RAN.lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&session)
        .map(|v| {
            v.iter()
                .filter(|(s, _)| s == sender)
                .map(|(_, k)| *k)
                .collect()
        })
        .unwrap_or_default()
}

/// A node that adopts nothing: a dead node's sessions leave the farm when its lease ends
/// (no adoption grace; `test_farm_failover` has the grace).
fn join(redis: &Redis, engine: &Engine, node: &str) -> Farm {
    Farm::builder(engine, &redis.url(), node)
        .lease(LEASE)
        .adoption_grace(Duration::ZERO)
        .join()
        .expect("the node joins")
}

fn open_as(engine: &Engine, n: usize, user: &str) -> Vec<Session> {
    (0..n)
        .map(|_| {
            let s = engine.open().expect("open");
            s.set_user(Some(User::new(user)));
            s
        })
        .collect()
}

/// A line the child printed.
enum Line {
    Session(SessionId),
    Ready,
    Sent(i64),
    Other(String),
}

#[test]
fn a_killed_node_leaves_within_one_lease_and_nothing_to_a_live_session_is_lost() {
    let Some(redis) = Redis::start("a_killed_node_leaves_within_one_lease") else {
        return;
    };
    let captured = captured();
    let (ea, eb) = (Engine::new(), Engine::new());
    let (a, b) = (join(&redis, &ea, "a"), join(&redis, &eb, "b"));
    let _dispatchers = (
        ea.spawn_dispatcher(Duration::from_millis(1)),
        eb.spawn_dispatcher(Duration::from_millis(1)),
    );
    let a_targets = open_as(&ea, 10, "target");
    let b_targets = open_as(&eb, 10, "target");
    a.flush().expect("flush");
    b.flush().expect("flush");

    // The third node, in a process of its own.
    let mut child = Command::new(env!("CARGO_BIN_EXE_farm_node"))
        .args([
            &redis.url(),
            "c",
            &LEASE.as_millis().to_string(),
            "30",
            "target",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the farm_node program starts");
    let stdout = child.stdout.take().expect("its stdout");
    let (tx, lines) = mpsc::channel();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            let parsed = match line.split_once(' ') {
                Some(("session", id)) => {
                    id.parse().map_or(Line::Other(line.clone()), Line::Session)
                }
                Some(("sent", k)) => k.parse().map_or(Line::Other(line.clone()), Line::Sent),
                _ if line == "ready" => Line::Ready,
                _ => Line::Other(line),
            };
            if tx.send(parsed).is_err() {
                break;
            }
        }
    });
    let mut doomed = Vec::new();
    loop {
        match lines
            .recv_timeout(Duration::from_secs(20))
            .expect("the child starts")
        {
            Line::Session(id) => doomed.push(id),
            Line::Ready => break,
            Line::Sent(_) => unreachable!("sent before ready"),
            Line::Other(line) => panic!("the child said: {line}"),
        }
    }
    assert_eq!(a.len().expect("len"), 50);
    assert_eq!(a.sessions_for_user("doomed").expect("for user").len(), 30);
    assert_eq!(
        b.get(doomed[0]).expect("get").map(|s| s.node).as_deref(),
        Some("c")
    );

    // Meanwhile a and b send to each other: none of it may be lost or run twice.
    let last_sent = std::thread::scope(|scope| {
        let traffic = scope.spawn(|| {
            for k in 0..600i64 {
                let (from, to, name) = match k % 2 {
                    0 => (&a, &b_targets[(k / 2) as usize % 10], "a"),
                    _ => (&b, &a_targets[(k / 2) as usize % 10], "b"),
                };
                from.post(
                    to.id(),
                    "FarmChildSeq",
                    vec![Value::from(name), Value::Int(k)],
                )
                .expect("queued");
                std::thread::sleep(Duration::from_micros(500));
            }
        });

        // Kill the child mid-stream, once it has sent a few hundred.
        let mut last_sent = -1;
        while last_sent < 300 {
            match lines
                .recv_timeout(Duration::from_secs(20))
                .expect("the child sends")
            {
                Line::Sent(k) => last_sent = k,
                Line::Other(line) => panic!("the child said: {line}"),
                _ => {}
            }
        }
        child.kill().expect("SIGKILL");
        let killed_at = Instant::now();
        child.wait().expect("the child is reaped");
        reader
            .join()
            .expect("the reader ends with the child's stdout");
        while let Ok(line) = lines.try_recv() {
            if let Line::Sent(k) = line {
                last_sent = k;
            }
        }

        // Messages to the dead node's sessions: taken while its lease runs, refused after;
        // and its sessions leave the counts at the same time.
        let mut accepted = 0u64;
        let mut vanished = None;
        for round in 0..200 {
            let mut refused = 0;
            for id in &doomed {
                match a.post(
                    *id,
                    "FarmChildSeq",
                    vec![Value::from("late"), Value::Int(round)],
                ) {
                    Ok(()) => accepted += 1,
                    Err(FarmError::NotFound(_)) => refused += 1,
                    Err(error) => panic!("{error}"),
                }
            }
            if vanished.is_none() && a.len().expect("len") == 20 {
                vanished = Some(killed_at.elapsed());
            }
            if refused == doomed.len() && vanished.is_some() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let vanished = vanished.expect("the dead node's sessions left the farm");
        eprintln!("the killed node's sessions left the farm {vanished:?} after the kill (lease {LEASE:?})");
        assert!(
            vanished <= LEASE + Duration::from_millis(300),
            "{vanished:?}"
        );
        assert!(a.sessions_for_user("doomed").expect("for user").is_empty());
        assert_eq!(b.get(doomed[0]).expect("get"), None);
        assert_eq!(a.nodes().expect("nodes"), ["a", "b"]);
        assert!(
            accepted > 0,
            "no message reached the dead node's inbox in its last lease"
        );

        // What was queued for the dead node is counted undelivered by whoever reaped it.
        wait_until("the dead node's inbox is counted", || {
            a.report().undelivered + b.report().undelivered == accepted
        });
        let logged = captured
            .events()
            .into_iter()
            .any(|e| e.field("dead") == Some("c") && e.field("undelivered").is_some());
        assert!(logged, "the reaping is logged");
        traffic.join().expect("traffic");
        last_sent
    });

    // The child's messages: every one it saw queued ran once, in order, in its session;
    // at most one more (queued, then killed before it could say so).
    let mut targets: Vec<SessionId> = a_targets
        .iter()
        .chain(&b_targets)
        .map(Session::id)
        .collect();
    targets.sort();
    let expected = |upto: i64| -> BTreeMap<SessionId, Vec<i64>> {
        let mut by_target: BTreeMap<SessionId, Vec<i64>> = BTreeMap::new();
        for k in 0..=upto {
            by_target
                .entry(targets[k as usize % targets.len()])
                .or_default()
                .push(k);
        }
        by_target
    };
    wait_until("the child's messages ran", || {
        targets
            .iter()
            .map(|t| ran(*t, "c").len() as i64)
            .sum::<i64>()
            > last_sent
    });
    std::thread::sleep(Duration::from_millis(200));
    let got: BTreeMap<SessionId, Vec<i64>> = targets
        .iter()
        .map(|t| (*t, ran(*t, "c")))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    assert!(
        got == expected(last_sent) || got == expected(last_sent + 1),
        "the child's messages: sent up to {last_sent}, ran {got:?}"
    );
    // The peers' messages: all 600, once each, in order.
    wait_until("the peers' messages ran", || {
        targets
            .iter()
            .map(|t| ran(*t, "a").len() + ran(*t, "b").len())
            .sum::<usize>()
            >= 600
    });
    for t in &targets {
        for sender in ["a", "b"] {
            let seqs = ran(*t, sender);
            assert!(
                seqs.windows(2).all(|w| w[0] < w[1]),
                "out of order: {seqs:?}"
            );
        }
    }
    let total: usize = targets
        .iter()
        .map(|t| ran(*t, "a").len() + ran(*t, "b").len())
        .sum();
    assert_eq!(total, 600, "a peer message was lost or ran twice");
    let late: usize = targets.iter().map(|t| ran(*t, "late").len()).sum();
    assert_eq!(late, 0);
}

#[test]
fn after_redis_restarts_every_node_is_counted_again_within_one_lease() {
    let Some(mut redis) = Redis::start("after_redis_restarts") else {
        return;
    };
    let (ea, eb, ec) = (Engine::new(), Engine::new(), Engine::new());
    let (a, b, c) = (
        redis.join(&ea, "a"),
        redis.join(&eb, "b"),
        redis.join(&ec, "c"),
    );
    let _alice = open_as(&ea, 2, "alice");
    let _anonymous: Vec<Session> = (0..2).map(|_| ea.open().expect("open")).collect();
    let _bob = open_as(&eb, 1, "bob");
    let _b_more: Vec<Session> = (0..2).map(|_| eb.open().expect("open")).collect();
    let c_tabs: Vec<Session> = (0..2).map(|_| ec.open().expect("open")).collect();
    let right = |farm: &Farm| {
        farm.len().ok() == Some(9)
            && farm.active_count().ok() == Some(3)
            && farm.sessions_for_user("alice").ok().map(|v| v.len()) == Some(2)
            && farm.nodes().ok() == Some(vec!["a".to_owned(), "b".to_owned(), "c".to_owned()])
    };
    for farm in [&a, &b, &c] {
        farm.flush().expect("flush");
    }
    assert!(right(&a) && right(&b) && right(&c));

    redis.restart();
    let restarted = Instant::now();
    // Counting fails or is wrong until the nodes have registered again.
    wait_until("every node counts right again", || {
        right(&a) && right(&b) && right(&c)
    });
    let took = restarted.elapsed();
    eprintln!("after the restart, every node counted right again in {took:?} (lease {LEASE:?})");
    assert!(took <= LEASE, "{took:?}");

    // And the farm works as before: a login is counted, a message crosses.
    c_tabs[0].set_user(Some(User::new("carol")));
    c.flush().expect("flush");
    assert_eq!(a.active_count().expect("active"), 4);
    a.post(
        c_tabs[1].id(),
        "FarmChildSeq",
        vec![Value::from("after-restart"), Value::Int(1)],
    )
    .expect("queued");
    wait_until("the message crossed", || {
        ran(c_tabs[1].id(), "after-restart") == [1]
    });
    assert_eq!(c.report().delivered, 1);
}
