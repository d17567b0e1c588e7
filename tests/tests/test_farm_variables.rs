//! Variables shared on a farm (`Farm::share`), on a real redis-server: writes on node A
//! reach a watcher on node B in order, with the versions Redis gave; writes from both nodes
//! give one order that both see; the session rule still refuses, and a refused write is not
//! published; after a Redis restart a later write is not lost and both nodes converge; with
//! Redis hung or down, `set` fails within the farm's I/O timeout and changes nothing; a
//! malformed value in Redis is logged and counted, never applied, never a panic; a node
//! whose subscription was cut reads what it missed; a node sharing later never goes back;
//! the examples' oven target across two nodes; and two web hosts' tabs over real
//! WebSockets, a write on one node watched on the other.

mod farm_support;
mod web_support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use farm_support::{captured, wait_until, Redis, LEASE, WAIT};
use serde_json::json;
use sessions_core::farm::{Farm, FarmError};
use sessions_core::web::WebHost;
use sessions_core::{
    Change, Engine, SessionError, User, Value, Variable, VariableError, VariableValue, Watch,
};
use web_support::{Handshake, Server, Tab};

const PATH: &str = "Line1/Oven/Target";

/// The next change a watcher gets, failing the test after [`WAIT`].
async fn next<T: VariableValue>(watch: &mut Watch<T>) -> Change<T> {
    tokio::time::timeout(WAIT, watch.changed())
        .await
        .expect("a change arrives in time")
        .expect("the variable is alive")
}

/// The hash Redis holds for the variable at `path`, field by field.
fn held(redis: &Redis, path: &str) -> BTreeMap<String, String> {
    redis::cmd("HGETALL")
        .arg(format!("sessions:v:{path}"))
        .query(&mut redis.connection())
        .expect("HGETALL")
}

/// Waits until `nodes` nodes listen on the channel of changes: until then, a change
/// published by hand reaches none (the nodes read what Redis holds when they start
/// listening, not what was published before).
fn wait_listening(redis: &Redis, nodes: i64) {
    let mut con = redis.connection();
    wait_until("the nodes listen for changes", || {
        redis::cmd("PUBSUB")
            .arg("NUMSUB")
            .arg("sessions:vars")
            .query::<(String, i64)>(&mut con)
            .is_ok_and(|(_, n)| n == nodes)
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_on_a_reach_a_watcher_on_b_in_order_with_the_versions_redis_gave() {
    let Some(redis) = Redis::start("writes_on_a_reach_b") else {
        return;
    };
    let (a, b) = (Engine::new(), Engine::new());
    let (farm_a, farm_b) = (redis.join(&a, "a"), redis.join(&b, "b"));
    let on_a = Variable::new(0_i64);
    let on_b = Variable::new(0_i64);
    let _shared_a = farm_a.share(&on_a, PATH).expect("shared on a");
    let _shared_b = farm_b.share(&on_b, PATH).expect("shared on b");
    let mut watch = on_b.watch();

    // One by one: each write arrives on B with the version it got from Redis, one more than
    // the last, written by A's root session.
    let root = a.root().id();
    let mut last = on_a.version();
    for n in 1..=20_i64 {
        {
            let _root = a.impersonate_root();
            on_a.set(n).expect("a root session writes");
        }
        let version = on_a.version();
        assert_eq!(version, last + 1, "Redis gives the next version");
        last = version;
        let change = next(&mut watch).await;
        assert_eq!((change.value, change.version), (n, version));
        let by = change.by.expect("a change has a writer");
        assert_eq!((by.session, by.root, by.user), (root, true, None));
        assert!(held(&redis, PATH).get("v") == Some(&version.to_string()));
    }

    // A burst: a watcher on B that reads as fast as it can sees versions that only go up,
    // each with the value written as that version, and ends on the last one.
    let versions: Vec<(i64, u64)> = {
        let _root = a.impersonate_root();
        (21..=220_i64)
            .map(|n| {
                on_a.set(n).expect("written");
                (n, on_a.version())
            })
            .collect()
    };
    let written: BTreeMap<u64, i64> = versions.iter().map(|&(n, v)| (v, n)).collect();
    let (&final_version, &final_value) = written.last_key_value().expect("writes");
    let mut seen = Vec::new();
    loop {
        let change = next(&mut watch).await;
        seen.push((change.version, change.value));
        if change.version >= final_version {
            break;
        }
    }
    assert!(
        seen.windows(2).all(|w| w[0].0 < w[1].0),
        "versions only go up on B: {seen:?}"
    );
    for (version, value) in &seen {
        assert_eq!(written.get(version), Some(value), "B sees Redis's order");
    }
    assert_eq!(
        (on_b.get(), on_b.version()),
        (final_value, final_version),
        "B ends on A's last write"
    );
    assert!(farm_b.report().shared_changes >= seen.len() as u64);
    assert_eq!(farm_b.report().shared_invalid, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_from_both_nodes_give_one_order_that_both_see() {
    const EACH: usize = 100;
    let Some(redis) = Redis::start("writes_from_both_nodes") else {
        return;
    };
    let engines = [Engine::new(), Engine::new()];
    let farms = [redis.join(&engines[0], "a"), redis.join(&engines[1], "b")];
    let variables = [Variable::new(String::new()), Variable::new(String::new())];
    let _shared: Vec<_> = farms
        .iter()
        .zip(&variables)
        .map(|(farm, variable)| farm.share(variable, PATH).expect("shared"))
        .collect();
    // Both write through the erased view a host holds, which answers each write's version.
    let _exported: Vec<_> = engines
        .iter()
        .zip(&variables)
        .map(|(engine, variable)| engine.export_variable(PATH, variable).expect("exported"))
        .collect();
    let watchers: Vec<_> = variables
        .iter()
        .map(|variable| {
            let mut watch = variable.watch();
            tokio::spawn(async move {
                let mut seen = Vec::new();
                while seen.len() < 2 * EACH {
                    let change = next(&mut watch).await;
                    let done = change.version >= (2 * EACH) as u64;
                    seen.push((change.version, change.value));
                    if done {
                        break;
                    }
                }
                seen
            })
        })
        .collect();
    let writes: Vec<Vec<(u64, String)>> = std::thread::scope(|scope| {
        let writers: Vec<_> = engines
            .iter()
            .enumerate()
            .map(|(i, engine)| {
                scope.spawn(move || {
                    let variable = engine.variable(PATH).expect("exported");
                    let _root = engine.impersonate_root();
                    (0..EACH)
                        .map(|k| {
                            let value = format!("{i}:{k}");
                            let version = variable
                                .write(Value::from(value.as_str()))
                                .expect("written");
                            (version, value)
                        })
                        .collect()
                })
            })
            .collect();
        writers
            .into_iter()
            .map(|w| w.join().expect("writer"))
            .collect()
    });
    // Redis gave every write its own version: 1 to 200, each once.
    let order: BTreeMap<u64, String> = writes.iter().flatten().cloned().collect();
    assert_eq!(order.len(), 2 * EACH, "no version given twice");
    assert_eq!(
        order.keys().copied().collect::<Vec<_>>(),
        (1..=(2 * EACH) as u64).collect::<Vec<_>>()
    );
    // Each writer's own versions go up in the order it wrote.
    for own in &writes {
        assert!(own.windows(2).all(|w| w[0].0 < w[1].0));
    }
    // Each node's watcher sees versions that only go up, each with the value Redis ordered
    // as that version, and both end on the same one.
    for watcher in watchers {
        let seen = watcher.await.expect("the watcher ends");
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0), "{seen:?}");
        for (version, value) in &seen {
            assert_eq!(order.get(version), Some(value), "one order on both nodes");
        }
        assert_eq!(seen.last().map(|s| s.0), Some((2 * EACH) as u64));
    }
    let last = order.get(&((2 * EACH) as u64)).cloned();
    for variable in &variables {
        assert_eq!(
            (Some(variable.get()), variable.version()),
            (last.clone(), (2 * EACH) as u64)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_session_rule_still_refuses_and_a_refused_write_is_not_published() {
    let Some(redis) = Redis::start("session_rule_refuses") else {
        return;
    };
    let (a, b) = (Engine::new(), Engine::new());
    let (farm_a, farm_b) = (redis.join(&a, "a"), redis.join(&b, "b"));
    let on_a = Variable::builder(180.0_f64).write_role("operator").build();
    let on_b = Variable::builder(180.0_f64).write_role("operator").build();
    let _shared_a = farm_a.share(&on_a, PATH).expect("shared on a");
    let _shared_b = farm_b.share(&on_b, PATH).expect("shared on b");
    let _exported = a.export_variable(PATH, &on_a).expect("exported");
    let mut watch = on_b.watch();
    let before = held(&redis, PATH);
    assert_eq!(before.get("v").map(String::as_str), Some("0"));

    // No session context: NoContext, here and through a host's erased write.
    assert_eq!(on_a.set(200.0), Err(SessionError::NoContext));
    assert_eq!(
        a.variable(PATH)
            .expect("exported")
            .write(Value::from(200.0)),
        Err(VariableError::Session(SessionError::NoContext))
    );
    // A user without the role: Forbidden, both ways.
    let visitor = a.open().expect("open");
    visitor.set_user(Some(User::new("eve")));
    {
        let _in = visitor.enter().expect("enter");
        assert!(matches!(
            on_a.set(250.0),
            Err(SessionError::Forbidden { role }) if role == "operator"
        ));
        assert!(matches!(
            a.variable(PATH)
                .expect("exported")
                .write(Value::from(250.0)),
            Err(VariableError::Session(SessionError::Forbidden { .. }))
        ));
    }
    // Nothing reached Redis or B.
    assert_eq!(held(&redis, PATH), before, "nothing was written in Redis");
    assert_eq!((on_a.get(), on_a.version()), (180.0, 0));
    assert!(!watch.has_changed());

    // An operator's write is the next version, and the first change B's watcher gets: the
    // refused writes took no version.
    let operator = a.open().expect("open");
    operator.set_user(Some(User::new("ada").with_roles(["operator"])));
    {
        let _in = operator.enter().expect("enter");
        on_a.set(210.0).expect("an operator writes");
    }
    let change = next(&mut watch).await;
    assert_eq!((change.value, change.version), (210.0, 1));
    let by = change.by.expect("a writer");
    assert_eq!(by.session, operator.id());
    assert_eq!(by.user.map(|u| u.name().to_owned()).as_deref(), Some("ada"));
    assert_eq!(farm_b.report().shared_invalid, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_redis_restart_a_later_write_is_not_lost_and_both_nodes_converge() {
    let Some(mut redis) = Redis::start("redis_restart") else {
        return;
    };
    let (a, b) = (Engine::new(), Engine::new());
    let farm_a = Farm::builder(&a, &redis.url(), "a")
        .lease(LEASE)
        .io_timeout(Duration::from_millis(500))
        .join()
        .expect("a joins");
    let farm_b = Farm::builder(&b, &redis.url(), "b")
        .lease(LEASE)
        .io_timeout(Duration::from_millis(500))
        .join()
        .expect("b joins");
    let on_a = Variable::new(0_u32);
    let on_b = Variable::new(0_u32);
    let _shared_a = farm_a.share(&on_a, PATH).expect("shared on a");
    let _shared_b = farm_b.share(&on_b, PATH).expect("shared on b");
    let mut watch = on_b.watch();
    {
        let _root = a.impersonate_root();
        for n in 1..=5 {
            on_a.set(n).expect("written");
        }
    }
    wait_until("B has A's writes", || on_b.version() == 5);
    let mut seen = vec![next(&mut watch).await.version];

    redis.restart();
    // Redis lost everything; the nodes put back what they hold.
    wait_until("the nodes put the shared value back in Redis", || {
        held(&redis, PATH).get("v").map(String::as_str) == Some("5")
    });
    // A write after the restart: the first tries may meet a connection the restart broke
    // (refused, nothing changed); one goes through.
    let start = Instant::now();
    let mut failures = 0;
    loop {
        let written = {
            let _root = a.impersonate_root();
            on_a.set(42)
        };
        match written {
            Ok(()) => break,
            Err(SessionError::Unavailable { reason }) => {
                failures += 1;
                assert!(reason.contains(PATH), "{reason}");
                assert!(start.elapsed() < WAIT, "no write went through: {reason}");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(other) => panic!("not an error a write to a restarted Redis gives: {other}"),
        }
    }
    assert!(failures < 20, "{failures} writes failed after the restart");
    assert!(on_a.version() > 5, "a version never goes back");
    let after = on_a.version();
    loop {
        let change = next(&mut watch).await;
        seen.push(change.version);
        if change.value == 42 {
            assert_eq!(change.version, after);
            break;
        }
    }
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert_eq!((on_a.get(), on_a.version()), (on_b.get(), on_b.version()));
    assert_eq!(
        held(&redis, PATH).get("val").map(String::as_str),
        Some("42")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_redis_hung_or_down_set_fails_within_the_io_timeout_and_changes_nothing() {
    const IO_TIMEOUT: Duration = Duration::from_millis(300);
    let Some(mut redis) = Redis::start("redis_hung_or_down") else {
        return;
    };
    let a = Engine::new();
    let farm = Farm::builder(&a, &redis.url(), "a")
        .lease(Duration::from_secs(5))
        .io_timeout(IO_TIMEOUT)
        .join()
        .expect("a joins");
    let variable = Variable::new(1_u8);
    let _shared = farm.share(&variable, PATH).expect("shared");

    // Hung: the set, made on a worker of the runtime, gives up at the I/O timeout, and the
    // runtime's other tasks go on meanwhile.
    let ticks = Arc::new(AtomicU64::new(0));
    let ticker = {
        let ticks = ticks.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(5)).await;
                ticks.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    let paused = redis.pause();
    let (engine, shared) = (a.clone(), variable.clone());
    let (result, took, after) = tokio::spawn(async move {
        let _root = engine.impersonate_root();
        let start = Instant::now();
        let result = shared.set(2);
        (result, start.elapsed(), (shared.get(), shared.version()))
    })
    .await
    .expect("the task ends");
    let ticked = ticks.load(Ordering::Relaxed);
    // Nothing changed here (a hung Redis may still run the write when it wakes, as the
    // error says: then every node takes it).
    assert_eq!(after, (1, 0), "nothing changed");
    drop(paused);
    ticker.abort();
    assert!(
        matches!(&result, Err(SessionError::Unavailable { reason }) if reason.contains(PATH)),
        "{result:?}"
    );
    assert!(
        took < IO_TIMEOUT + Duration::from_millis(700),
        "set took {took:?}, the I/O timeout is {IO_TIMEOUT:?}"
    );
    assert!(ticked > 0, "the runtime's other tasks went on");
    let message = result.expect_err("failed").to_string();
    assert!(
        message.contains("nothing changed on this node"),
        "{message}"
    );
    // Awake, Redis and the node agree again (on 1, or on 2 if Redis ran the write late).
    wait_until("the node holds what Redis holds", || {
        held(&redis, PATH).get("v") == Some(&variable.version().to_string())
    });

    // Down: the same, at once or within the timeout.
    redis.kill();
    let before = (variable.get(), variable.version());
    let start = Instant::now();
    let result = {
        let _root = a.impersonate_root();
        variable.set(3)
    };
    assert!(
        matches!(result, Err(SessionError::Unavailable { .. })),
        "{result:?}"
    );
    assert!(start.elapsed() < IO_TIMEOUT + Duration::from_millis(700));
    assert_eq!(
        (variable.get(), variable.version()),
        before,
        "nothing changed"
    );
    // A host's write: not a refusal, but the variable's own error, with the reason.
    let exported = a.export_variable(PATH, &variable).expect("exported");
    let written = {
        let _root = a.impersonate_root();
        a.variable(PATH).expect("exported").write(Value::from(3))
    };
    assert!(
        matches!(&written, Err(VariableError::Unavailable { reason }) if reason.contains(PATH)),
        "{written:?}"
    );
    assert_eq!(
        (variable.get(), variable.version()),
        before,
        "nothing changed"
    );
    drop(exported);
    // Sharing another variable now fails, and leaves it local: its writes work here.
    let other = Variable::new(0_u8);
    assert!(matches!(
        farm.share(&other, "Line1/Other"),
        Err(FarmError::Redis { .. })
    ));
    {
        let _root = a.impersonate_root();
        other
            .set(5)
            .expect("a variable that is not shared is written here");
    }
    assert_eq!((other.get(), other.version()), (5, 1));

    // Back: a write goes through again, and Redis holds it.
    redis.restart();
    let start = Instant::now();
    loop {
        let result = {
            let _root = a.impersonate_root();
            variable.set(4)
        };
        match result {
            Ok(()) => break,
            Err(error) => assert!(start.elapsed() < WAIT, "{error}"),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(variable.get(), 4);
    assert!(variable.version() >= 1);
    assert_eq!(held(&redis, PATH).get("val").map(String::as_str), Some("4"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_value_in_redis_is_logged_and_counted_never_applied() {
    let captured = captured();
    let Some(redis) = Redis::start("malformed_value") else {
        return;
    };
    let (a, b, c) = (Engine::new(), Engine::new(), Engine::new());
    let (farm_a, farm_b) = (redis.join(&a, "a"), redis.join(&b, "b"));
    let on_a = Variable::new(7_i64);
    let on_b = Variable::new(7_i64);
    let _shared_a = farm_a.share(&on_a, PATH).expect("shared on a");
    let _shared_b = farm_b.share(&on_b, PATH).expect("shared on b");
    let mut con = redis.connection();
    wait_listening(&redis, 2);

    // Published by another program: not JSON, a change without fields, a value of another
    // type with a newer version.
    let of_another_type = serde_json::json!({
        "p": PATH, "v": "100", "val": "\"hot\"", "t": "0", "s": "", "r": "0", "hu": "0", "u": "",
    })
    .to_string();
    for message in [
        "garbage",
        "{\"p\": \"Line1/Oven/Target\"}",
        &of_another_type,
    ] {
        let _: i64 = redis::cmd("PUBLISH")
            .arg("sessions:vars")
            .arg(message)
            .query(&mut con)
            .expect("PUBLISH");
    }
    wait_until(
        "both nodes counted three changes they could not take",
        || farm_a.report().shared_invalid == 3 && farm_b.report().shared_invalid == 3,
    );
    let metrics = sessions_core::metrics::Metrics::new();
    metrics.farm(&farm_a);
    let scrape = metrics.encode();
    assert!(
        scrape
            .lines()
            .any(|line| line
                == r#"sessions_farm_shared_changes_total{node="a",outcome="invalid"} 3"#),
        "the scrape counts them: {scrape}"
    );
    assert_eq!((on_a.get(), on_a.version()), (7, 0));
    assert_eq!((on_b.get(), on_b.version()), (7, 0));
    assert!(
        captured.events().iter().any(|event| {
            event.level == tracing::Level::ERROR
                && event.field("path") == Some(PATH)
                && event
                    .field("why")
                    .is_some_and(|why| why.contains("not a `i64`"))
        }),
        "the change of another type is logged with its path and why"
    );

    // Held by Redis: a node that shares the path now finds a value of another type. It
    // is shared, keeps its own value, and counts it.
    let _: () = redis::cmd("HSET")
        .arg(format!("sessions:v:{PATH}"))
        .arg("v")
        .arg("100")
        .arg("val")
        .arg("{\"not\": \"a number\"}")
        .arg("seed")
        .arg("0")
        .query(&mut con)
        .expect("HSET");
    let farm_c = redis.join(&c, "c");
    let on_c = Variable::new(7_i64);
    let _shared_c = farm_c.share(&on_c, PATH).expect("shared on c");
    assert_eq!(farm_c.report().shared_invalid, 1);
    assert_eq!((on_c.get(), on_c.version()), (7, 0));

    // A write repairs it: every node takes it, above the malformed version.
    {
        let _root = a.impersonate_root();
        on_a.set(8).expect("written");
    }
    assert_eq!(on_a.version(), 101);
    wait_until("b and c take the write", || {
        (on_b.get(), on_b.version()) == (8, 101) && (on_c.get(), on_c.version()) == (8, 101)
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_path_is_shared_once_per_node_and_an_unshared_variable_is_local_again() {
    let Some(redis) = Redis::start("shared_once") else {
        return;
    };
    let (a, b) = (Engine::new(), Engine::new());
    let (farm_a, farm_b) = (redis.join(&a, "a"), redis.join(&b, "b"));
    let on_a = Variable::new(1_i32);
    let on_b = Variable::new(1_i32);
    let shared_a = farm_a.share(&on_a, PATH).expect("shared on a");
    let _shared_b = farm_b.share(&on_b, PATH).expect("shared on b");
    assert_eq!(shared_a.path(), PATH);
    assert!(matches!(
        farm_a.share(&Variable::new(0_i32), PATH),
        Err(FarmError::CannotShare { .. })
    ));
    assert!(matches!(
        farm_a.share(&on_a, "Line1/Other"),
        Err(FarmError::CannotShare { .. })
    ));
    assert!(matches!(
        farm_a.share(&on_a, "Line1/Bad path"),
        Err(FarmError::CannotShare { .. })
    ));
    // A's write reaches B; unshared, A's writes stay on A.
    {
        let _root = a.impersonate_root();
        on_a.set(2).expect("written");
    }
    wait_until("b takes a's write", || on_b.get() == 2);
    shared_a.unshare();
    {
        let _root = a.impersonate_root();
        on_a.set(3).expect("written here");
    }
    assert_eq!((on_a.get(), on_a.version()), (3, 2));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        on_b.get(),
        2,
        "an unshared variable's writes stay on its node"
    );
    assert_eq!(held(&redis, PATH).get("val").map(String::as_str), Some("2"));
    // A node that leaves unshares its variables: B's writes are local then.
    farm_b.leave().expect("b leaves");
    {
        let _root = b.impersonate_root();
        on_b.set(9).expect("written here");
    }
    assert_eq!(held(&redis, PATH).get("val").map(String::as_str), Some("2"));
}

/// The examples' line on two servers of a farm: an operator's `SetTarget` on A is the
/// target on B, through the exported method's `replace` on the shared variable.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_examples_oven_target_set_on_one_server_is_the_target_on_the_other() {
    let Some(redis) = Redis::start("examples_oven_target") else {
        return;
    };
    let (a, b) = (Engine::new(), Engine::new());
    let (farm_a, farm_b) = (redis.join(&a, "a"), redis.join(&b, "b"));
    let line_a = sessions_examples::line::export_line(&a, "Line1").expect("line on a");
    let line_b = sessions_examples::line::export_line(&b, "Line1").expect("line on b");
    let _shared_a =
        sessions_examples::farm::share_line(&farm_a, "Line1", &line_a.oven).expect("shared on a");
    let _shared_b =
        sessions_examples::farm::share_line(&farm_b, "Line1", &line_b.oven).expect("shared on b");
    let mut watch = b.variable(PATH).expect("exported on b").watch_values();

    let ada = a.open().expect("open");
    ada.set_user(Some(User::new("ada").with_roles(["operator"])));
    let set = ada
        .call("Line1/Oven.SetTarget", vec![Value::from(215.0)])
        .expect("called");
    assert!(set.is_ok(), "{set:?}");
    assert_eq!(set.out("previous"), Some(&Value::from(180.0)));
    let change = tokio::time::timeout(WAIT, watch.changed())
        .await
        .expect("in time")
        .expect("alive")
        .expect("readable");
    assert_eq!((change.value, change.version), (Value::from(215.0), 1));
    assert_eq!(line_b.oven.target_variable().get(), 215.0);
    // A visitor's call is refused on A, and B never hears of it.
    let eve = a.open().expect("open");
    let refused = eve
        .call("Line1/Oven.SetTarget", vec![Value::from(999.0)])
        .expect("called");
    assert!(refused.failure().is_some());
    assert_eq!(line_b.oven.target_variable().version(), 1);
}

/// A node that shares a variable it wrote before holds a version above what the farm has:
/// its version never goes back, and every node converges on one value.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_sharing_later_never_goes_back_and_the_nodes_converge() {
    let Some(redis) = Redis::start("sharing_later") else {
        return;
    };
    let (a, b, c) = (Engine::new(), Engine::new(), Engine::new());
    let farms = [
        redis.join(&a, "a"),
        redis.join(&b, "b"),
        redis.join(&c, "c"),
    ];
    let write = |engine: &Engine, variable: &Variable<String>, value: &str| {
        let _root = engine.impersonate_root();
        variable.set(value.to_owned()).expect("written");
    };
    // Nobody wrote through the farm yet: the node holding the newest version wins.
    let on_a = Variable::new("a0".to_owned());
    let _shared_a = farms[0].share(&on_a, PATH).expect("shared on a");
    let on_b = Variable::new("b0".to_owned());
    for n in 1..=3 {
        write(&b, &on_b, &format!("b{n}"));
    }
    let _shared_b = farms[1].share(&on_b, PATH).expect("shared on b");
    assert_eq!((on_b.get(), on_b.version()), ("b3".to_owned(), 3));
    wait_until("a takes b's newer value", || {
        (on_a.get(), on_a.version()) == ("b3".to_owned(), 3)
    });
    // Written through the farm: that value wins, above the newcomer's version.
    write(&a, &on_a, "farm");
    let on_c = Variable::new("c0".to_owned());
    for n in 1..=9 {
        write(&c, &on_c, &format!("c{n}"));
    }
    let _shared_c = farms[2].share(&on_c, PATH).expect("shared on c");
    assert_eq!(
        (on_c.get(), on_c.version()),
        ("farm".to_owned(), 10),
        "the farm's write, above c's 9"
    );
    wait_until("every node holds the farm's value as version 10", || {
        [&on_a, &on_b, &on_c]
            .iter()
            .all(|v| (v.get(), v.version()) == ("farm".to_owned(), 10))
    });
}

/// A node whose subscription was cut (Redis closed it) reads every shared value again when
/// it is back: the writes made meanwhile are not missed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_cut_off_from_the_changes_reads_them_again_when_back() {
    let Some(redis) = Redis::start("subscription_cut") else {
        return;
    };
    let (a, b) = (Engine::new(), Engine::new());
    let (farm_a, farm_b) = (redis.join(&a, "a"), redis.join(&b, "b"));
    let on_a = Variable::new(0_u32);
    let on_b = Variable::new(0_u32);
    let _shared_a = farm_a.share(&on_a, PATH).expect("shared on a");
    let _shared_b = farm_b.share(&on_b, PATH).expect("shared on b");
    let mut con = redis.connection();
    for round in 1..=3_u32 {
        // Every subscription (both nodes') is closed; A's writes right after it are made
        // while B is not listening.
        wait_listening(&redis, 2);
        let killed: i64 = redis::cmd("CLIENT")
            .arg("KILL")
            .arg("TYPE")
            .arg("pubsub")
            .query(&mut con)
            .expect("CLIENT KILL");
        assert_eq!(killed, 2, "both nodes were subscribed");
        {
            let _root = a.impersonate_root();
            for n in 1..=5 {
                on_a.set(round * 100 + n).expect("written");
            }
        }
        let last = (on_a.get(), on_a.version());
        assert_eq!(last.0, round * 100 + 5);
        wait_until("b holds a's last write", || {
            (on_b.get(), on_b.version()) == last
        });
    }
    assert_eq!(farm_b.report().shared_invalid, 0);
}

/// Two web hosts on one farm, over real WebSockets: an operator's `variable.write` in a tab
/// on node A reaches a tab watching on node B, with Redis's version; a visitor's write is
/// refused as a refused call is and reaches no one; with Redis down, the write fails with
/// the reason and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_on_node_a_writes_and_a_tab_on_node_b_sees_it() {
    let Some(mut redis) = Redis::start("web_tabs_on_two_nodes") else {
        return;
    };
    let (ea, eb) = (Engine::new(), Engine::new());
    let farm_a = Farm::builder(&ea, &redis.url(), "a")
        .lease(LEASE)
        .io_timeout(Duration::from_millis(500))
        .join()
        .expect("a joins");
    let farm_b = redis.join(&eb, "b");
    let target = || Variable::builder(180.0_f64).write_role("operator").build();
    let (on_a, on_b) = (target(), target());
    let _shared = (
        farm_a.share(&on_a, PATH).expect("shared on a"),
        farm_b.share(&on_b, PATH).expect("shared on b"),
    );
    let _exported = (
        ea.export_variable(PATH, &on_a).expect("exported on a"),
        eb.export_variable(PATH, &on_b).expect("exported on b"),
    );
    let accounts = web_support::demo_accounts();
    let (for_a, for_b) = (accounts.clone(), accounts);
    let host_a = Server::start(ea.clone(), move |e| WebHost::builder(e).accounts(for_a)).await;
    let host_b = Server::start(eb.clone(), move |e| WebHost::builder(e).accounts(for_b)).await;

    let mut watcher = Tab::open(&host_b, Handshake::default()).await;
    let watched = watcher.call("variable.watch", json!({"path": PATH})).await;
    assert_eq!(watched["result"]["value"], 180.0, "{watched}");
    assert_eq!(watched["result"]["version"], 0);

    // A visitor on A: refused as a call refused by its role is; B hears nothing of it.
    let mut visitor = Tab::open(&host_a, Handshake::default()).await;
    let refused = visitor
        .call("variable.write", json!({"path": PATH, "value": 999.0}))
        .await;
    assert_eq!(refused["error"]["code"], -32004, "{refused}");

    // An operator on A: each write reaches the tab on B, with the version Redis gave.
    let mut bob = Tab::open(&host_a, Handshake::default()).await;
    let login = bob
        .call(
            "session.login",
            json!({"user": "bob", "password": "bob-demo"}),
        )
        .await;
    assert!(login.get("result").is_some(), "{login}");
    for (n, value) in [200.0, 210.5, 220.0].into_iter().enumerate() {
        let written = bob
            .call("variable.write", json!({"path": PATH, "value": value}))
            .await;
        assert_eq!(written["result"]["version"], n + 1, "{written}");
        let change = watcher.next_change().await;
        assert_eq!(change["path"], PATH);
        assert_eq!(change["value"], value, "{change}");
        assert_eq!(
            change["version"],
            n + 1,
            "the refused write took no version"
        );
        assert_eq!(change["by"]["session"], bob.session());
        assert_eq!(change["by"]["user"], "bob");
    }

    // Redis down: the write fails, says why, and changes nothing on either node.
    redis.kill();
    let failed = bob
        .call("variable.write", json!({"path": PATH, "value": 300.0}))
        .await;
    let message = failed["error"]["message"].as_str().unwrap_or_default();
    assert!(failed["error"]["code"].is_i64(), "{failed}");
    assert!(
        message.contains("not written") && message.contains(PATH),
        "{failed}"
    );
    assert_eq!((on_a.get(), on_a.version()), (220.0, 3));
    assert_eq!((on_b.get(), on_b.version()), (220.0, 3));
    drop((host_a, host_b));
}
