//! The web host's reserved `variable.*` methods, over a real WebSocket on 127.0.0.1: read,
//! write under the session rule and the write role (refused with a refused call's code),
//! watch (the current value, then the changes in order, coalesced for a slow tab), unwatch,
//! the per-tab watch limit, and the OpenRPC document that describes them.

mod web_support;

use serde_json::{json, Value as Json};
use sessions_core::web::{WebHost, MAX_WATCHES_PER_TAB, WATCH_LIMIT};
use sessions_core::{Engine, User, Variable, VariableHandle};
use web_support::{http, Handshake, Server, Tab};

const TARGET: &str = "Line1/Oven/Target";

/// A host whose engine exports the oven's target (write role `operator`).
async fn oven() -> (Server, Variable<f64>, VariableHandle) {
    let engine = Engine::new();
    let target = Variable::builder(180.0_f64)
        .write_role("operator")
        .json_schema()
        .build();
    let handle = engine
        .export_variable(TARGET, &target)
        .expect("a free path");
    (
        Server::start(engine, WebHost::builder).await,
        target,
        handle,
    )
}

/// Gives the tab's session `user`.
fn log_in(server: &Server, tab: &Tab, user: Option<User>) {
    let id = tab.session().parse().expect("a session id");
    server
        .engine
        .get(id)
        .expect("the tab's session is open")
        .set_user(user);
}

fn operator() -> User {
    User::new("ann").with_roles(["operator"])
}

/// Sends a request and returns the notifications that came before its response, and the
/// response.
async fn call_collecting(tab: &mut Tab, id: u64, method: &str, params: Json) -> (Vec<Json>, Json) {
    let request = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": id});
    tab.send_text(request.to_string()).await;
    let mut before = Vec::new();
    loop {
        let message = tab.next_json().await;
        if message["id"] == id {
            return (before, message);
        }
        before.push(message);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_answers_the_value_and_its_version() {
    let (server, target, _handle) = oven().await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let read = tab.call("variable.read", json!({"path": TARGET})).await;
    assert_eq!(read["result"]["value"], 180.0, "{read}");
    assert_eq!(read["result"]["version"], 0);
    assert_eq!(read["result"]["by"], Json::Null);

    {
        let _root = server.engine.impersonate_root();
        target.set(190.0).expect("root writes");
    }
    // By position too.
    let read = tab.call("variable.read", json!([TARGET])).await;
    assert_eq!(read["result"]["value"], 190.0, "{read}");
    assert_eq!(read["result"]["version"], 1);
    assert_eq!(read["result"]["by"]["root"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn write_follows_the_write_role_in_the_tabs_session() {
    let (server, target, _handle) = oven().await;
    let mut tab = Tab::open(&server, Handshake::default()).await;

    // No user: refused as a call refused by its role is, and nothing changes.
    let refused = tab
        .call("variable.write", json!({"path": TARGET, "value": 200.0}))
        .await;
    assert_eq!(refused["error"]["code"], -32004, "{refused}");
    assert!(
        refused["error"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("operator")),
        "{refused}"
    );
    assert_eq!((target.get(), target.version()), (180.0, 0));

    // A user without the role: refused too.
    log_in(&server, &tab, Some(User::new("bob").with_roles(["viewer"])));
    let refused = tab
        .call("variable.write", json!({"path": TARGET, "value": 200.0}))
        .await;
    assert_eq!(refused["error"]["code"], -32004, "{refused}");
    assert_eq!(target.get(), 180.0);

    // An operator writes, in the tab's session.
    log_in(&server, &tab, Some(operator()));
    let written = tab
        .call("variable.write", json!({"path": TARGET, "value": 200.0}))
        .await;
    assert_eq!(written["result"]["version"], 1, "{written}");
    assert_eq!(target.get(), 200.0);
    let change = target.last_change();
    let by = change.by.expect("a writer");
    assert_eq!(by.session.to_string(), tab.session());
    assert_eq!(
        by.user.map(|user| user.name().to_owned()).as_deref(),
        Some("ann")
    );

    // A value of another type: -32602, nothing changes.
    let wrong = tab
        .call("variable.write", json!({"path": TARGET, "value": "hot"}))
        .await;
    assert_eq!(wrong["error"]["code"], -32602, "{wrong}");
    assert_eq!(target.version(), 1);

    // No value at all: -32602.
    let missing = tab.call("variable.write", json!({"path": TARGET})).await;
    assert_eq!(missing["error"]["code"], -32602, "{missing}");

    // An unknown path: -32601.
    let unknown = tab
        .call(
            "variable.write",
            json!({"path": "Line1/Oven/Nope", "value": 1.0}),
        )
        .await;
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_variable_without_a_write_role_is_written_by_any_tab() {
    let engine = Engine::new();
    let note = Variable::new(String::from("idle"));
    let _handle = engine.export_variable("Line1/Note", &note).expect("free");
    let server = Server::start(engine, WebHost::builder).await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let written = tab
        .call(
            "variable.write",
            json!({"path": "Line1/Note", "value": "busy"}),
        )
        .await;
    assert_eq!(written["result"]["version"], 1, "{written}");
    assert_eq!(note.get(), "busy");
    let by = note.last_change().by.expect("a writer");
    assert!(!by.root);
    assert_eq!(by.user, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_sends_the_current_value_then_each_change_in_order() {
    let (server, target, _handle) = oven().await;
    let mut watcher = Tab::open(&server, Handshake::default()).await;
    let mut writer = Tab::open(&server, Handshake::default()).await;
    log_in(&server, &writer, Some(operator()));

    let watched = watcher
        .call("variable.watch", json!({"path": TARGET}))
        .await;
    assert_eq!(watched["result"]["value"], 180.0, "{watched}");
    assert_eq!(watched["result"]["version"], 0);

    for (n, value) in [181.0, 182.5, 190.0].into_iter().enumerate() {
        let written = writer
            .call("variable.write", json!({"path": TARGET, "value": value}))
            .await;
        assert_eq!(written["result"]["version"], n + 1, "{written}");
        let change = watcher.next_change().await;
        assert_eq!(change["path"], TARGET);
        assert_eq!(change["value"], value, "{change}");
        assert_eq!(change["version"], n + 1);
        assert_eq!(change["by"]["session"], writer.session());
        assert_eq!(change["by"]["user"], "ann");
    }
    // Written by the application under root: arrives too.
    {
        let _root = server.engine.impersonate_root();
        target.set(100.0).expect("root writes");
    }
    let change = watcher.next_change().await;
    assert_eq!(
        (change["value"].clone(), change["version"].clone()),
        (json!(100.0), json!(4))
    );
    assert_eq!(change["by"]["root"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_tab_gets_the_latest_value_not_every_change() {
    const WRITES: u64 = 100_000;
    let engine = Engine::new();
    // A large value, so that a queue of every change would be hundreds of megabytes.
    let log = Variable::new(String::new());
    let _handle = engine.export_variable("Line1/Log", &log).expect("free");
    let server = Server::start(engine, WebHost::builder).await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let watched = tab
        .call("variable.watch", json!({"path": "Line1/Log"}))
        .await;
    assert_eq!(watched["result"]["version"], 0, "{watched}");

    // The tab reads nothing while every change is written.
    let line = "x".repeat(1000);
    {
        let _root = server.engine.impersonate_root();
        for n in 1..=WRITES {
            log.set(format!("{n} {line}")).expect("root writes");
        }
    }
    let mut received = 0_u64;
    let mut last = 0_u64;
    while last < WRITES {
        let change = tab.next_change().await;
        let version = change["version"].as_u64().expect("a version");
        assert!(version > last, "version {version} after {last}");
        let value = change["value"].as_str().expect("a string");
        assert!(value.starts_with(&format!("{version} ")), "{version}");
        last = version;
        received += 1;
    }
    assert_eq!(last, WRITES);
    assert!(
        received < WRITES,
        "the slow tab was sent every one of {WRITES} changes: nothing was coalesced"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unwatch_stops_the_changes() {
    let (server, target, _handle) = oven().await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let watched = tab.call("variable.watch", json!({"path": TARGET})).await;
    assert_eq!(watched["result"]["version"], 0, "{watched}");
    {
        let _root = server.engine.impersonate_root();
        target.set(181.0).expect("root writes");
    }
    assert_eq!(tab.next_change().await["version"], 1);

    let unwatched = tab.call("variable.unwatch", json!({"path": TARGET})).await;
    assert_eq!(unwatched["result"], true, "{unwatched}");
    {
        let _root = server.engine.impersonate_root();
        target.set(182.0).expect("root writes");
    }
    // The socket answers in order: a change pushed after the unwatch would come before this.
    let (before, read) =
        call_collecting(&mut tab, 1000, "variable.read", json!({"path": TARGET})).await;
    assert_eq!(read["result"]["version"], 2, "{read}");
    assert!(
        before
            .iter()
            .all(|message| message["method"] != "variable.changed"),
        "changes after the unwatch: {before:?}"
    );
    // Unwatching again says it was not watched.
    let again = tab.call("variable.unwatch", json!({"path": TARGET})).await;
    assert_eq!(again["result"], false, "{again}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tab_watches_at_most_the_limit() {
    let engine = Engine::new();
    let variables: Vec<Variable<u32>> = (0..=MAX_WATCHES_PER_TAB)
        .map(|n| Variable::new(u32::try_from(n).expect("small")))
        .collect();
    let _handles: Vec<VariableHandle> = variables
        .iter()
        .enumerate()
        .map(|(n, variable)| {
            engine
                .export_variable(&format!("Many/V{n}"), variable)
                .expect("free")
        })
        .collect();
    let server = Server::start(engine, WebHost::builder).await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    for n in 0..MAX_WATCHES_PER_TAB {
        let watched = tab
            .call("variable.watch", json!({"path": format!("Many/V{n}")}))
            .await;
        assert_eq!(watched["result"]["value"], n, "{watched}");
    }
    let over = tab
        .call(
            "variable.watch",
            json!({"path": format!("Many/V{MAX_WATCHES_PER_TAB}")}),
        )
        .await;
    assert_eq!(over["error"]["code"], WATCH_LIMIT, "{over}");
    // Watching one already watched again is no new slot.
    let again = tab.call("variable.watch", json!({"path": "Many/V0"})).await;
    assert_eq!(again["result"]["value"], 0, "{again}");
    // One unwatched frees a slot.
    let unwatched = tab
        .call("variable.unwatch", json!({"path": "Many/V1"}))
        .await;
    assert_eq!(unwatched["result"], true);
    let now = tab
        .call(
            "variable.watch",
            json!({"path": format!("Many/V{MAX_WATCHES_PER_TAB}")}),
        )
        .await;
    assert_eq!(now["result"]["value"], MAX_WATCHES_PER_TAB, "{now}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openrpc_document_describes_the_variable_methods_and_lists_the_variables() {
    let (server, _target, _handle) = oven().await;
    let (status, _, body) = http(&server, "GET", "/sessions/methods", &[], "").await;
    assert_eq!(status, 200);
    let document: Json = serde_json::from_str(&body).expect("JSON");
    let names: Vec<&str> = document["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .filter_map(|method| method["name"].as_str())
        .filter(|name| name.starts_with("variable."))
        .collect();
    assert_eq!(
        names,
        [
            "variable.read",
            "variable.write",
            "variable.watch",
            "variable.unwatch"
        ]
    );
    let listed = document["x-variables"].as_array().expect("x-variables");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["path"], TARGET);
    assert_eq!(listed[0]["writeRole"], "operator");
    assert_eq!(listed[0]["schema"]["type"], "number", "{}", listed[0]);
}
