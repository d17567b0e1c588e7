//! The audit trail wired into every way a call comes in: a scenario through a browser tab
//! (WebSocket), a POST, an OPC UA client (async-opcua's) and Rust code's `Session::call`
//! leaves exactly one record per call in the JSON-lines file, with its host, peer, session,
//! user, target, outcome and, only for a method marked `audit = "args"`, its arguments; a
//! sink that blocks does not hold up calls through a real host, and what it cannot take is
//! counted; a message posted across a farm (a real redis-server) is recorded once, as from
//! the farm; a sink that fails or panics is logged and never changes a call's answer; the
//! `web_host` example's `--audit FILE` writes the file.

mod browser_support;
mod export_support;
mod farm_support;
mod opcua_support;
mod web_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use opcua::types::Variant;
use serde_json::{json, Value as Json};
use sessions_core::audit::{
    AuditError, AuditHost, AuditKind, AuditOutcome, AuditQueue, AuditRecord, AuditSink,
    FlushPolicy, JsonLinesFile,
};
use sessions_core::opcua::OpcUaHost;
use sessions_core::web::WebHost;
use sessions_core::{export_method, export_methods, methods, Engine, SessionError, User, Value};
use web_support::{Handshake, Server, Tab, WAIT};

/// Sets a line's speed; the audit trail keeps its arguments.
#[export_method(name = "AuditSetSpeed", audit = "args")]
pub fn audit_set_speed(line: String, rpm: f64) -> Result<f64, SessionError> {
    let _ = line;
    Ok(rpm)
}

/// A valve, exported as an object.
#[derive(Default)]
pub struct AuditValve;

#[export_methods]
impl AuditValve {
    /// Opens the valve to `percent`; the audit trail keeps its argument.
    #[export(name = "Open", audit = "args", session = none)]
    pub fn open(&self, percent: u8) -> u8 {
        percent
    }

    /// Closes the valve; its arguments are not kept.
    #[export(name = "Shut", session = none)]
    pub fn shut(&self, reason: String) -> bool {
        !reason.is_empty()
    }
}

fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("test_audit_trail-{test}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// One record as the test compares it: host, user, session, target, outcome, arguments.
type Row = (
    AuditHost,
    Option<String>,
    Option<String>,
    String,
    AuditOutcome,
    Json,
);

fn row(record: &AuditRecord) -> Row {
    (
        record.host,
        record.user.clone(),
        record.session.map(|id| id.to_string()),
        record.target.clone(),
        record.outcome,
        serde_json::to_value(&record.args).expect("arguments as JSON"),
    )
}

fn expect(
    host: AuditHost,
    user: Option<&str>,
    session: Option<&str>,
    target: &str,
    outcome: AuditOutcome,
    args: Json,
) -> Row {
    (
        host,
        user.map(str::to_owned),
        session.map(str::to_owned),
        target.to_owned(),
        outcome,
        args,
    )
}

#[test]
fn the_attribute_says_which_methods_keep_their_arguments() {
    let info = |name: &str| methods().get(name).expect("exported");
    assert!(info("AuditSetSpeed").audits_args());
    assert!(!info("add").audits_args());
    assert!(info("AuditValve.Open").audits_args());
    assert!(!info("AuditValve.Shut").audits_args());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_host_leaves_exactly_one_record_per_call() {
    let dir = scratch("every-host");
    let path = dir.join("audit.jsonl");
    let file = JsonLinesFile::builder(&path)
        .flush(FlushPolicy::Batch)
        .open()
        .expect("the audit file opens");
    let queue = Arc::new(AuditQueue::builder(file).spawn().expect("the queue starts"));
    let engine = Engine::builder()
        .name("test_audit_trail-every-host")
        .audit(Arc::clone(&queue))
        .build()
        .expect("an engine");
    let _valve = engine
        .export_object("V1", Arc::new(AuditValve))
        .expect("exported");
    let mut expected: Vec<Row> = Vec::new();
    use AuditHost::{Opcua, Rpc, Rust, Web};
    use AuditOutcome::{Failed, Invalid, Ok as Done, Panicked, Refused};

    // A browser tab, as alice (an operator, not an admin).
    let server = Server::start_with_peers(engine.clone(), |engine| {
        WebHost::builder(engine).authenticate(|credentials| {
            credentials
                .header("x-user")
                .map(|name| User::new(name).with_roles(["operator"]))
        })
    })
    .await;
    let mut tab = Tab::try_open_at(
        server.addr,
        Handshake {
            headers: &[("x-user", "alice")],
            ..Handshake::default()
        },
    )
    .await
    .expect("the tab opens");
    let tab_session = tab.session().to_owned();
    let tab_calls = [
        ("add", json!([2, 3]), Done, Json::Null),
        ("Divide", json!([1.0, 0.0]), Failed, Json::Null),
        ("ResetCounters", json!([]), Refused, Json::Null),
        ("Explode", json!([]), Panicked, Json::Null),
        ("NoSuchMethod", json!([]), Invalid, Json::Null),
        (
            "AuditSetSpeed",
            json!({"line": "L1", "rpm": 1200.5}),
            Done,
            json!({"line": "L1", "rpm": 1200.5}),
        ),
    ];
    for (method, params, outcome, args) in tab_calls {
        let answer = tab.call(method, params).await;
        assert!(answer.get("id").is_some(), "{method} answered: {answer}");
        expected.push(expect(
            Web,
            Some("alice"),
            Some(&tab_session),
            method,
            outcome,
            args,
        ));
    }

    // POSTs with no session: recorded by the host's engine.
    for (method, params, outcome, args) in [
        ("add", json!([1, 2]), Done, Json::Null),
        (
            "AuditSetSpeed",
            json!(["L2", 5.5]),
            Refused,
            json!(["L2", 5.5]),
        ),
    ] {
        let body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1});
        let origin = server.origin();
        let (status, _, text) = web_support::http(
            &server,
            "POST",
            "/sessions/rpc",
            &[("content-type", "application/json"), ("origin", &origin)],
            &body.to_string(),
        )
        .await;
        assert_eq!(status, 200, "{text}");
        expected.push(expect(Rpc, None, None, method, outcome, args));
    }

    // An OPC UA client logged in as admin.
    let opcua = opcua_support::with_users(
        OpcUaHost::builder(engine.clone())
            .port(0)
            .pki_dir(opcua_support::pki_dir()),
    )
    .start()
    .await
    .expect("the OPC UA host starts");
    let client = opcua_support::Client::connect(
        opcua.endpoint_url(),
        opcua_support::user("admin", "admin-pw"),
    )
    .await
    .expect("connects");
    let opcua_calls = [
        (
            "add",
            vec![Variant::Int64(2), Variant::Int64(3)],
            Done,
            Json::Null,
        ),
        ("ResetCounters", vec![], Done, Json::Null),
        (
            "Divide",
            vec![Variant::Double(1.0), Variant::Double(0.0)],
            Failed,
            Json::Null,
        ),
        (
            "AuditSetSpeed",
            vec![Variant::from("L3"), Variant::Double(7.5)],
            Done,
            json!(["L3", 7.5]),
        ),
    ];
    let opcua_rows = opcua_calls.len();
    for (method, args, outcome, kept) in opcua_calls {
        let _ = client.call(method, args).await;
        // The OPC UA session's id is the engine's; it is checked below to be one id.
        expected.push(expect(Opcua, Some("admin"), None, method, outcome, kept));
    }
    client.disconnect().await;

    // Rust code, in a session of bob's.
    let session = engine.open().expect("open");
    session.set_user(Some(User::new("bob")));
    let bob = session.id().to_string();
    assert!(session
        .call("add", vec![Value::from(1), Value::from(1)])
        .is_ok());
    expected.push(expect(
        Rust,
        Some("bob"),
        Some(&bob),
        "add",
        Done,
        Json::Null,
    ));
    let _ = session.call("Divide", vec![Value::from(1.0), Value::from(0.0)]);
    expected.push(expect(
        Rust,
        Some("bob"),
        Some(&bob),
        "Divide",
        Failed,
        Json::Null,
    ));
    let named =
        sessions_core::Args::named([("line", Value::from("L4")), ("rpm", Value::from(9.5))]);
    let outcome = session.call_async("AuditSetSpeed", named).await;
    assert!(outcome.is_ok(), "{outcome:?}");
    expected.push(expect(
        Rust,
        Some("bob"),
        Some(&bob),
        "AuditSetSpeed",
        Done,
        json!({"line": "L4", "rpm": 9.5}),
    ));
    let _ = session.call("V1.Open", vec![Value::from(40)]);
    expected.push(expect(
        Rust,
        Some("bob"),
        Some(&bob),
        "V1.Open",
        Done,
        json!([40]),
    ));
    let _ = session.call("V1.Shut", vec![Value::from("maintenance")]);
    expected.push(expect(
        Rust,
        Some("bob"),
        Some(&bob),
        "V1.Shut",
        Done,
        Json::Null,
    ));
    // A message posted to bob's session, delivered by the engine's dispatch.
    engine
        .post(session.id(), "add", vec![Value::from(5), Value::from(6)])
        .expect("posted");
    assert_eq!(engine.dispatch().delivered, 1);
    expected.push(expect(
        Rust,
        Some("bob"),
        Some(&bob),
        "add",
        Done,
        Json::Null,
    ));
    let closed = engine.open().expect("open");
    let closed_id = closed.id().to_string();
    engine.close(closed.id()).expect("closes");
    assert!(closed
        .call("add", vec![Value::from(1), Value::from(2)])
        .is_err());
    expected.push(expect(
        Rust,
        None,
        Some(&closed_id),
        "add",
        Invalid,
        Json::Null,
    ));

    queue
        .flush_within(WAIT)
        .expect("the queue writes everything");
    assert_eq!((queue.dropped(), queue.failed()), (0, 0));
    let records = JsonLinesFile::read_all(&path).expect("the file reads back");
    // The OPC UA client's log-in is a record of its own (`log_ins_…` tests them); the rest
    // are the calls.
    let (log_ins, records): (Vec<AuditRecord>, Vec<AuditRecord>) = records
        .into_iter()
        .partition(|record| record.kind != AuditKind::Call);
    let log_ins: Vec<_> = log_ins
        .iter()
        .map(|r| (r.host, r.kind, r.outcome))
        .collect();
    assert_eq!(log_ins, [(Opcua, AuditKind::Login, Done)]);

    // Peers: a tab's and a POST's is the client's address.
    for record in &records {
        match record.host {
            Web | Rpc => {
                assert_eq!(record.peer.as_deref(), Some("127.0.0.1"), "{record:?}");
            }
            _ => assert_eq!(record.peer, None, "{record:?}"),
        }
    }
    // The OPC UA calls ran in one session of the engine, none of the others'.
    let opcua_sessions: Vec<_> = records
        .iter()
        .filter(|record| record.host == Opcua)
        .map(|record| record.session)
        .collect();
    assert_eq!(opcua_sessions.len(), opcua_rows);
    assert!(opcua_sessions[0].is_some());
    assert!(opcua_sessions.iter().all(|id| *id == opcua_sessions[0]));
    let mut actual: Vec<Row> = records
        .iter()
        .map(|record| {
            let mut row = row(record);
            if record.host == Opcua {
                row.2 = None;
            }
            row
        })
        .collect();
    let key = |row: &Row| format!("{row:?}");
    actual.sort_by_key(key);
    expected.sort_by_key(key);
    assert_eq!(actual, expected);
    assert!(records
        .iter()
        .all(|record| record.duration > Duration::ZERO));
}

/// A sink that takes no record until it is opened (or a deadline passes, so a failing test
/// cannot hang), and keeps what it takes.
#[derive(Default)]
struct Gate {
    open: Mutex<bool>,
    opened: Condvar,
    taken: Mutex<Vec<AuditRecord>>,
}

impl Gate {
    fn open(&self) {
        *self.open.lock().expect("lock") = true;
        self.opened.notify_all();
    }
}

impl AuditSink for Gate {
    fn record(&self, record: AuditRecord) -> Result<(), AuditError> {
        let open = self.open.lock().expect("lock");
        let (open, _) = self
            .opened
            .wait_timeout_while(open, Duration::from_secs(60), |open| !*open)
            .expect("lock");
        drop(open);
        self.taken.lock().expect("lock").push(record);
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_that_blocks_does_not_hold_up_calls_and_its_drops_are_counted() {
    const CALLS: u64 = 40;
    const CAPACITY: usize = 4;
    let gate = Arc::new(Gate::default());
    let queue = Arc::new(
        AuditQueue::builder(Arc::clone(&gate))
            .capacity(CAPACITY)
            .spawn()
            .expect("the queue starts"),
    );
    let engine = Engine::builder()
        .audit(Arc::clone(&queue))
        .build()
        .expect("an engine");
    let server = Server::start(engine.clone(), WebHost::builder).await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    // Every call is answered while the sink takes nothing: each answer waits for nothing
    // but the method (`Tab::call` fails the test after its bounded wait).
    for n in 0..CALLS {
        let n = i64::try_from(n).expect("small");
        let answer = tab.call("add", json!([n, 1])).await;
        assert_eq!(answer["result"]["value"], n + 1, "{answer}");
    }
    assert!(
        gate.taken.lock().expect("lock").is_empty(),
        "the sink is still shut"
    );
    // Nothing was written: each record is waiting (at most the capacity, and the batch
    // the writer holds) or was dropped and counted.
    let (waiting, dropped) = (queue.pending(), queue.dropped());
    assert_eq!(queue.written(), 0);
    assert_eq!(
        waiting + dropped,
        CALLS,
        "{waiting} waiting, {dropped} dropped"
    );
    assert!(dropped >= CALLS - 2 * CAPACITY as u64, "{dropped} dropped");
    gate.open();
    queue.flush_within(WAIT).expect("written once opened");
    let taken = gate.taken.lock().expect("lock").len() as u64;
    assert_eq!(queue.written(), taken);
    assert_eq!(
        taken + queue.dropped(),
        CALLS,
        "each call was written or counted as dropped"
    );
}

/// A sink that fails on every record, or panics.
struct Broken {
    panics: bool,
}

impl AuditSink for Broken {
    fn record(&self, _: AuditRecord) -> Result<(), AuditError> {
        if self.panics {
            panic!("the sink blew up on purpose");
        }
        Err(AuditError::Sink {
            message: "the disk is full".into(),
        })
    }
}

#[test]
fn a_sink_that_fails_or_panics_is_logged_and_the_call_answers_as_it_would() {
    for panics in [false, true] {
        let engine = Engine::builder()
            .audit(Broken { panics })
            .build()
            .expect("an engine");
        let session = engine.open().expect("open");
        let ((direct, hosted), logged) = export_support::capture_all(|| {
            let direct = session.call("add", vec![Value::from(2), Value::from(3)]);
            let hosted =
                sessions_core::host::Call::new("add", vec![Value::from(4), Value::from(5)])
                    .in_session(Some(&session))
                    .via(AuditHost::Rpc, None)
                    .run_blocking();
            (direct, hosted)
        });
        assert_eq!(direct.expect("answered").value, Value::from(5));
        assert_eq!(
            hosted.outcome().map(|outcome| outcome.value.clone()),
            Some(Value::from(9))
        );
        let lost: Vec<_> = logged
            .iter()
            .filter(|event| {
                event.target == "sessions::audit"
                    && event.level == tracing::Level::ERROR
                    && event.field("message") == Some("an audit record of a call was not written")
            })
            .collect();
        assert_eq!(
            lost.len(),
            2,
            "one ERROR per record not written: {logged:?}"
        );
        let why = if panics {
            "the sink blew up on purpose"
        } else {
            "the disk is full"
        };
        assert!(
            lost.iter()
                .all(|event| event.field("why").is_some_and(|text| text.contains(why))),
            "{lost:?}"
        );
        assert_eq!(lost[1].field("host"), Some("Rpc"));
    }
}

/// `POST /sessions/rpc` of the host at `addr` (`127.0.0.1:PORT`) with `body`, on a fresh
/// connection: the whole response.
fn post(addr: &str, body: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(WAIT)).expect("a read timeout");
    let request = format!(
        "POST /sessions/rpc HTTP/1.1\r\nhost: {addr}\r\norigin: http://{addr}\r\n\
         content-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("a response");
    response
}

#[test]
fn the_example_web_host_with_audit_writes_a_record_of_each_call() {
    let dir = browser_support::TempDir::new("audit-web-host");
    let file = dir.path().join("audit.jsonl");
    let mut host = browser_support::server::WebHostProcess::start(
        dir.path(),
        &["--audit", file.to_str().expect("a UTF-8 path")],
    );
    let addr = host
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let calls = [
        ("GetActiveWebSessionsNumber", AuditOutcome::Refused),
        ("NoSuchMethod", AuditOutcome::Invalid),
    ];
    for (method, _) in calls {
        let body = json!({"jsonrpc": "2.0", "method": method, "params": ["WebPresentationEngine"], "id": 1});
        let response = post(&addr, &body.to_string());
        assert!(response.contains("\"error\""), "{method}: {response}");
    }
    // The queue writes off the callers' path: wait (bounded) for its writer.
    let deadline = std::time::Instant::now() + WAIT;
    let records = loop {
        let records = JsonLinesFile::read_all(&file).unwrap_or_default();
        if records.len() >= calls.len() || std::time::Instant::now() > deadline {
            break records;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(host.is_running());
    let got: Vec<_> = records
        .iter()
        .map(|record| {
            (
                record.host,
                record.target.as_str(),
                record.outcome,
                record.session,
            )
        })
        .collect();
    let want: Vec<_> = calls
        .iter()
        .map(|(method, outcome)| (AuditHost::Rpc, *method, *outcome, None))
        .collect();
    assert_eq!(got, want);
    assert!(records
        .iter()
        .all(|record| record.peer.as_deref() == Some("127.0.0.1")));
}

#[test]
fn a_message_posted_across_the_farm_is_recorded_once_as_from_the_farm() {
    let Some(redis) = farm_support::Redis::start("audit_trail") else {
        return;
    };
    let path = scratch("farm").join("audit.jsonl");
    let file = JsonLinesFile::builder(&path)
        .open()
        .expect("the audit file opens");
    let queue = Arc::new(AuditQueue::builder(file).spawn().expect("the queue starts"));
    let owner = Engine::builder()
        .audit(Arc::clone(&queue))
        .build()
        .expect("an engine");
    let poster = Engine::new();
    let join = |engine: &Engine, node: &str| {
        sessions_core::farm::Farm::builder(engine, &redis.url(), node)
            .lease(farm_support::LEASE)
            .join()
            .expect("the node joins")
    };
    let (owner_farm, poster_farm) = (join(&owner, "owner"), join(&poster, "poster"));
    let session = owner.open().expect("open");
    session.set_user(Some(User::new("carol")));
    farm_support::wait_until("the poster's node sees carol's session", || {
        poster_farm
            .sessions_for_user("carol")
            .is_ok_and(|sessions| !sessions.is_empty())
    });
    poster_farm
        .post(session.id(), "add", vec![Value::from(20), Value::from(22)])
        .expect("queued");
    farm_support::wait_until("the owner's node delivers it", || {
        owner_farm.report().delivered >= 1
    });
    queue.flush_within(WAIT).expect("written");
    let records = JsonLinesFile::read_all(&path).expect("the file reads back");
    let rows: Vec<Row> = records.iter().map(row).collect();
    let id = session.id().to_string();
    assert_eq!(
        rows,
        [expect(
            AuditHost::Farm,
            Some("carol"),
            Some(&id),
            "add",
            AuditOutcome::Ok,
            Json::Null
        )]
    );
}

/// Keeps every record it is handed, in order.
#[derive(Default)]
struct Kept(Mutex<Vec<AuditRecord>>);

impl AuditSink for Kept {
    fn record(&self, record: AuditRecord) -> Result<(), AuditError> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
        Ok(())
    }
}

impl Kept {
    /// (host, kind, user, outcome) of each record that is not a call.
    fn log_ins(&self) -> Vec<(AuditHost, AuditKind, Option<String>, AuditOutcome)> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|r| r.kind != AuditKind::Call)
            .map(|r| (r.host, r.kind, r.user.clone(), r.outcome))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_ins_log_outs_and_failed_log_ins_leave_one_record_each() {
    use sessions_core::audit::AuditKind::{Login, Logout};
    let kept = Arc::new(Kept::default());
    let engine = Engine::builder()
        .audit(Arc::clone(&kept))
        .build()
        .expect("an engine");
    let server = Server::start(engine.clone(), |engine| {
        WebHost::builder(engine).accounts(web_support::demo_accounts())
    })
    .await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let wrong = tab
        .call(
            "session.login",
            json!({"user": "bob", "password": "not-bobs"}),
        )
        .await;
    assert_eq!(wrong["error"]["code"], -32010, "{wrong}");
    let right = tab
        .call(
            "session.login",
            json!({"user": "bob", "password": "bob-demo"}),
        )
        .await;
    assert!(right["error"].is_null(), "{right}");
    let out = tab.call("session.logout", json!([])).await;
    assert!(out["error"].is_null(), "{out}");
    let bob = Some("bob".to_owned());
    assert_eq!(
        kept.log_ins(),
        [
            (AuditHost::Web, Login, bob.clone(), AuditOutcome::Failed),
            (AuditHost::Web, Login, bob.clone(), AuditOutcome::Ok),
            (AuditHost::Web, Logout, bob, AuditOutcome::Ok),
        ]
    );

    // Over OPC UA, a log-in is recorded before its session exists.
    let opc_engine = Engine::builder()
        .audit(Arc::clone(&kept))
        .build()
        .expect("an engine");
    let host = OpcUaHost::builder(opc_engine)
        .port(0)
        .pki_dir(opcua_support::pki_dir())
        .accounts(opcua_support::accounts_store("audit-log-ins"))
        .start()
        .await
        .expect("the OPC UA host starts");
    let url = host.endpoint_url().to_owned();
    let refused =
        opcua_support::Client::connect(&url, opcua_support::user("store-admin", "wrong")).await;
    assert!(refused.is_err(), "a wrong password is refused");
    let client =
        opcua_support::Client::connect(&url, opcua_support::user("store-admin", "store-admin-pw"))
            .await
            .expect("the right password logs in");
    let admin = Some("store-admin".to_owned());
    let opc: Vec<_> = kept
        .log_ins()
        .into_iter()
        .filter(|(host, ..)| *host == AuditHost::Opcua)
        .collect();
    assert_eq!(
        opc,
        [
            (AuditHost::Opcua, Login, admin.clone(), AuditOutcome::Failed),
            (AuditHost::Opcua, Login, admin, AuditOutcome::Ok),
        ]
    );
    client.disconnect().await;
    host.shutdown().await.expect("stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_write_leaves_one_record_with_its_outcome() {
    let kept = Arc::new(Kept::default());
    let engine = Engine::builder()
        .audit(Arc::clone(&kept))
        .build()
        .expect("an engine");
    let target = sessions_core::Variable::builder(180.0_f64)
        .write_role("operator")
        .build();
    let _exported = engine
        .export_variable("Audit/Oven/Target", &target)
        .expect("exported");
    let server = Server::start(engine.clone(), |engine| {
        WebHost::builder(engine).accounts(web_support::demo_accounts())
    })
    .await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let write = json!({"path": "Audit/Oven/Target", "value": 200.0});
    let refused = tab.call("variable.write", write.clone()).await;
    assert_eq!(refused["error"]["code"], -32004, "{refused}");
    let login = tab
        .call(
            "session.login",
            json!({"user": "bob", "password": "bob-demo"}),
        )
        .await;
    assert!(login["error"].is_null(), "{login}");
    let written = tab.call("variable.write", write).await;
    assert!(written["error"].is_null(), "{written}");
    let writes: Vec<_> = kept
        .0
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|r| r.kind == AuditKind::Write)
        .map(|r| (r.target.clone(), r.user.clone(), r.outcome))
        .collect();
    assert_eq!(
        writes,
        [
            ("Audit/Oven/Target".to_owned(), None, AuditOutcome::Refused),
            (
                "Audit/Oven/Target".to_owned(),
                Some("bob".to_owned()),
                AuditOutcome::Ok
            ),
        ]
    );
    assert_eq!(target.get(), 200.0);
}
