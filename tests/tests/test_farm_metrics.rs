//! The farm's series in a Prometheus scrape, on a real redis-server: a node's inbox length
//! (messages posted to it and not yet acknowledged) and its lease renewals, which stop
//! growing while Redis does not answer.

mod farm_support;

use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use farm_support::{wait_until, Redis, LEASE};
use sessions_core::farm::Farm;
use sessions_core::metrics::Metrics;
use sessions_core::{export_method, Engine, Value};

/// Whether `FarmMetricsGate` calls may return.
static OPEN: Mutex<bool> = Mutex::new(false);
static OPENED: Condvar = Condvar::new();

/// The longest a gate call waits for the test, so that a failed test cannot hang its node.
const GATE_LIMIT: Duration = Duration::from_secs(20);

/// Holds the inbox thread of the node that runs it until the test opens the gate (or
/// [`GATE_LIMIT`] passes): the messages posted after it wait in the node's inbox.
#[export_method(name = "FarmMetricsGate", session = none)]
fn farm_metrics_gate() {
    let open = OPEN.lock().unwrap_or_else(|p| p.into_inner());
    let _ = OPENED
        .wait_timeout_while(open, GATE_LIMIT, |open| !*open)
        .unwrap_or_else(|p| p.into_inner());
}

fn open_gate() {
    *OPEN.lock().unwrap_or_else(|p| p.into_inner()) = true;
    OPENED.notify_all();
}

/// The value of the one sample of `series` (name and labels, as the scrape writes them).
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
}

#[test]
fn a_scrape_reports_each_nodes_inbox_length_and_lease_renewals() {
    const WAITING: usize = 5;
    let Some(redis) = Redis::start("farm_metrics") else {
        return;
    };
    let (a, b) = (Engine::new(), Engine::new());
    let (farm_a, farm_b) = (redis.join(&a, "a"), redis.join(&b, "b"));
    let metrics = Metrics::new();
    metrics.farm(&farm_a);
    metrics.farm(&farm_b);
    let target = a.open().expect("a session on node a");
    farm_a.flush().expect("node a's session is announced");

    // The first message holds node a's inbox thread; the others wait behind it, unacknowledged.
    for _ in 0..=WAITING {
        farm_b
            .post(target.id(), "FarmMetricsGate", Vec::<Value>::new())
            .expect("node b posts to node a's session");
    }
    let waiting = (WAITING + 1) as u64;
    wait_until("node a's renewal reads its full inbox", || {
        farm_a.inbox_len() == Some(waiting)
    });
    let scrape = metrics.encode();
    assert_eq!(
        sample(&scrape, r#"sessions_farm_inbox_messages{node="a"}"#),
        Some(waiting as f64),
        "{scrape}"
    );
    assert_eq!(
        sample(&scrape, r#"sessions_farm_inbox_messages{node="b"}"#),
        farm_b.inbox_len().map(|n| n as f64),
        "node b's inbox is empty once it has renewed, and has no sample before: {scrape}"
    );
    let renewals = sample(&scrape, r#"sessions_farm_lease_renewals_total{node="a"}"#)
        .expect("node a's renewals are in the scrape");
    assert!(renewals >= 1.0, "{scrape}");

    // Once the gate opens, every message runs and is acknowledged: the next renewal reads 0.
    open_gate();
    wait_until("node a's inbox is read empty", || {
        farm_a.inbox_len() == Some(0)
    });
    let scrape = metrics.encode();
    assert_eq!(
        sample(&scrape, r#"sessions_farm_inbox_messages{node="a"}"#),
        Some(0.0)
    );
    assert_eq!(
        sample(
            &scrape,
            r#"sessions_farm_messages_total{node="a",outcome="delivered"}"#
        ),
        Some(waiting as f64),
        "{scrape}"
    );
    assert!(
        sample(&scrape, r#"sessions_farm_lease_renewals_total{node="a"}"#) > Some(renewals),
        "renewals grow while Redis answers: {scrape}"
    );

    // While Redis is hung, no renewal succeeds: the count stands still for two ticks.
    let paused = redis.pause();
    // A renewal already under way when Redis stopped cannot finish; let it fail first.
    std::thread::sleep(LEASE / 3);
    let stalled = farm_a.lease_renewals();
    let until = Instant::now() + LEASE * 2 / 3;
    while Instant::now() < until {
        assert_eq!(farm_a.lease_renewals(), stalled, "no renewal without Redis");
        std::thread::sleep(Duration::from_millis(50));
    }
    drop(paused);
    wait_until("renewals resume with Redis", || {
        farm_a.lease_renewals() > stalled
    });
}

#[test]
fn without_a_renewal_yet_the_inbox_has_no_sample() {
    let Some(redis) = Redis::start("farm_metrics_first") else {
        return;
    };
    let engine = Engine::new();
    // A lease of a minute: the first renewal is 20 s away, long after this test.
    let farm = Farm::builder(&engine, &redis.url(), "slow")
        .lease(Duration::from_secs(60))
        .join()
        .expect("the node joins");
    let metrics = Metrics::new();
    metrics.farm(&farm);
    let scrape = metrics.encode();
    assert_eq!(farm.inbox_len(), None);
    assert_eq!(farm.lease_renewals(), 0);
    assert!(
        !scrape.contains(r#"sessions_farm_inbox_messages{node="slow"}"#),
        "an unread inbox is not reported as empty: {scrape}"
    );
    assert_eq!(
        sample(
            &scrape,
            r#"sessions_farm_lease_renewals_total{node="slow"}"#
        ),
        Some(0.0)
    );
}
