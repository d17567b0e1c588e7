//! A draining web host stops its tabs' calls before the sessions' state is written
//! elsewhere: from `Drain::stop_calls` on, a call is answered -32014 ("did not run") and
//! does not run, and `stop_calls` returns once the calls that were running have finished,
//! or says how many still run at its deadline.

mod web_support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use sessions_core::web::{CallsStillRunning, WebHost, SERVER_RESTARTING};
use sessions_core::{export_method, Engine};
use web_support::{Handshake, Server, Tab, WAIT};

/// How many `DrainStep` calls began, and how many ended.
static BEGAN: AtomicUsize = AtomicUsize::new(0);
static ENDED: AtomicUsize = AtomicUsize::new(0);

/// Counts itself in, waits `ms` milliseconds, counts itself out.
#[export_method(name = "DrainStep", session = none)]
async fn drain_step(ms: u64) -> u64 {
    BEGAN.fetch_add(1, Ordering::SeqCst);
    tokio::time::sleep(Duration::from_millis(ms)).await;
    ENDED.fetch_add(1, Ordering::SeqCst);
    ms
}

fn request(id: u64, ms: u64) -> String {
    json!({"jsonrpc": "2.0", "method": "DrainStep", "params": [ms], "id": id}).to_string()
}

async fn started(server: &Server, count: usize) {
    server
        .wait_until("the call runs", || BEGAN.load(Ordering::SeqCst) >= count)
        .await;
}

/// Both cases in one test: the counters are the process's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopped_calls_are_answered_32014_without_running_and_running_ones_are_waited_for() {
    let server = Server::start(Engine::new(), WebHost::builder).await;
    let drain = server.drain.clone().expect("the host's own serve loop");
    let mut tab = Tab::open(&server, Handshake::default()).await;

    // A call that runs when calls stop: `stop_calls` waits for it.
    tab.send_text(request(1, 300)).await;
    started(&server, 1).await;
    assert_eq!(drain.stop_calls(WAIT).await, Ok(1));
    assert_eq!(
        ENDED.load(Ordering::SeqCst),
        1,
        "stop_calls returned before the call ended"
    );
    let answer = tab.next_json().await;
    assert_eq!(
        (answer["id"].clone(), answer["result"]["value"].clone()),
        (json!(1), json!(300))
    );

    // A call after it: answered -32014, not run.
    let refused = tab.call("DrainStep", json!([0])).await;
    assert_eq!(refused["error"]["code"], SERVER_RESTARTING, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("did not run")),
        "{refused}"
    );
    assert_eq!(BEGAN.load(Ordering::SeqCst), 1, "a stopped call ran");
    // The socket stays open until the host closes its tabs.
    assert_eq!(drain.open_tabs(), 1);

    // Another host, a call longer than the deadline: how many still run is told.
    let slow = Server::start(Engine::new(), WebHost::builder).await;
    let slow_drain = slow.drain.clone().expect("the host's own serve loop");
    let mut slow_tab = Tab::open(&slow, Handshake::default()).await;
    slow_tab.send_text(request(7, 2_000)).await;
    started(&slow, 2).await;
    let deadline = Duration::from_millis(100);
    assert_eq!(
        slow_drain.stop_calls(deadline).await,
        Err(CallsStillRunning {
            running: 1,
            deadline
        })
    );
}
