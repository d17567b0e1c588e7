//! The web host's JSON-RPC, over a real WebSocket and real HTTP on 127.0.0.1: calls run in
//! the tab's session, every error code, batches, named parameters, pushes in order, the
//! POST route and its session header, the OpenRPC document and the client module.

mod web_support;

use std::time::Duration;

use serde_json::{json, Value as Json};
use sessions_core::web::WebHost;
use sessions_core::{export_method, export_methods, Engine, Session, SessionError};
use web_support::{http, Handshake, Server, Tab};

/// The id of the session the call ran in.
#[export_method(name = "WebWhoAmI")]
fn web_who_am_i(session: &Session) -> Result<String, SessionError> {
    Ok(session.id().to_string())
}

/// Adds two numbers; `carry` is an out parameter.
#[export_method(name = "WebAdd", session = none)]
fn web_add(a: i64, b: i64, carry: &mut bool) -> i64 {
    *carry = a.checked_add(b).is_none();
    a.wrapping_add(b)
}

/// A greeting with an optional title, to call by name.
#[export_method(name = "WebGreet", session = none)]
fn web_greet(name: String, title: Option<String>) -> String {
    match title {
        Some(title) => format!("hello {title} {name}"),
        None => format!("hello {name}"),
    }
}

/// Always fails, with a sentinel in its out parameter.
#[export_method(name = "WebFail", sentinel = -1)]
fn web_fail(count: &mut i32) -> Result<(), SessionError> {
    *count = 5;
    Err(SessionError::NoContext)
}

/// Always panics.
#[export_method(name = "WebPanic", session = none)]
fn web_panic() -> i64 {
    panic!("the oven caught fire")
}

/// Notifies the calling session `count` times, in order.
#[export_method(name = "WebTicks")]
fn web_ticks(session: &Session, count: u32) -> Result<(), SessionError> {
    for n in 0..count {
        session.notify("tick", n)?;
    }
    Ok(())
}

/// Sleeps `ms` milliseconds without blocking the thread, then says which session it is in.
#[export_method(name = "WebSlow")]
async fn web_slow(ms: u64) -> Result<String, SessionError> {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    Ok(sessions_core::require()?.id().to_string())
}

async fn server() -> Server {
    Server::start(Engine::new(), WebHost::builder).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_message_is_session_opened_and_calls_run_in_the_tabs_session() {
    let server = server().await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let session = tab.session().to_owned();
    assert_eq!(session.len(), 32, "{}", tab.opened);
    assert_eq!(tab.opened["resumed"], false);
    let engine_session = server
        .engine
        .get(session.parse().expect("an id"))
        .expect("the tab's session is open in the engine");
    assert_eq!(
        engine_session.client().map(|client| client.to_string()),
        Some(tab.client().to_owned())
    );

    let answer = tab.call("WebWhoAmI", json!([])).await;
    assert_eq!(answer["result"], json!({"value": session, "outs": {}}));
    let answer = tab.call("WebSlow", json!([1])).await;
    assert_eq!(answer["result"]["value"], session, "async methods too");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_carry_the_value_and_the_out_parameters() {
    let server = server().await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let answer = tab.call("WebAdd", json!([2, 3])).await;
    assert_eq!(
        answer,
        json!({"jsonrpc": "2.0", "result": {"value": 5, "outs": {"carry": false}}, "id": 1})
    );
    let answer = tab.call("WebAdd", json!({"b": 1, "a": i64::MAX})).await;
    assert_eq!(answer["result"]["outs"]["carry"], true, "named: {answer}");
    let answer = tab.call("WebGreet", json!({"name": "ada"})).await;
    assert_eq!(
        answer["result"]["value"], "hello ada",
        "a trailing Option left out"
    );
    let answer = tab
        .call("WebGreet", json!({"name": "ada", "title": "dr"}))
        .await;
    assert_eq!(answer["result"]["value"], "hello dr ada");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_has_its_code() {
    let server = server().await;
    let mut tab = Tab::open(&server, Handshake::default()).await;

    let error = |answer: &Json| answer["error"]["code"].as_i64().expect("an error code");
    tab.send_text("{not json").await;
    let parse = tab.next_json().await;
    assert_eq!((error(&parse), &parse["id"]), (-32700, &Json::Null));
    tab.send_text(r#"{"jsonrpc":"2.0","params":[],"id":4}"#)
        .await;
    let invalid = tab.next_json().await;
    assert_eq!((error(&invalid), &invalid["id"]), (-32600, &json!(4)));

    let unknown = tab.call("NoSuchWebMethod", json!([])).await;
    assert_eq!(error(&unknown), -32601, "{unknown}");
    let arity = tab.call("WebAdd", json!([1])).await;
    assert_eq!(error(&arity), -32602, "{arity}");
    let wrong_type = tab.call("WebAdd", json!(["one", 2])).await;
    assert_eq!(error(&wrong_type), -32602);
    assert_eq!(wrong_type["error"]["data"]["kind"], "ArgType");
    let unknown_name = tab.call("WebAdd", json!({"a": 1, "c": 2})).await;
    assert_eq!(error(&unknown_name), -32602);

    let failed = tab.call("WebFail", json!([])).await;
    assert_eq!(error(&failed), -32000, "{failed}");
    assert_eq!(failed["error"]["data"]["outs"], json!({"count": -1}));
    assert_eq!(
        failed["error"]["message"],
        SessionError::NoContext.to_string()
    );

    let panicked = tab.call("WebPanic", json!([])).await;
    assert_eq!(error(&panicked), -32603, "{panicked}");
    assert!(panicked["error"]["message"]
        .as_str()
        .is_some_and(|message| message.contains("the oven caught fire")));

    // The socket is still good after every error.
    assert_eq!(
        tab.call("WebAdd", json!([1, 1])).await["result"]["value"],
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_answered_as_one_array_without_its_notifications() {
    let server = server().await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let batch = json!([
        {"jsonrpc": "2.0", "method": "WebAdd", "params": [1, 2], "id": "a"},
        {"jsonrpc": "2.0", "method": "WebTicks", "params": [1]},
        {"jsonrpc": "2.0", "method": "NoSuchWebMethod", "id": "b"},
        {"jsonrpc": "2.0", "method": "WebGreet", "params": {"name": "bo"}, "id": "c"},
        7
    ]);
    tab.send_text(batch.to_string()).await;
    // The tick arrives as a notification, the batch as one array of four.
    let mut answers = None;
    let mut ticks = 0;
    while answers.is_none() {
        let message = tab.next_json().await;
        if message.is_array() {
            answers = Some(message);
        } else {
            assert_eq!(message["method"], "tick", "{message}");
            ticks += 1;
        }
    }
    let answers = answers.expect("the batch's answers");
    let ids: Vec<&Json> = answers
        .as_array()
        .expect("an array")
        .iter()
        .map(|answer| &answer["id"])
        .collect();
    assert_eq!(ids, [&json!("a"), &json!("b"), &json!("c"), &Json::Null]);
    assert_eq!(answers[0]["result"]["value"], 3);
    assert_eq!(answers[1]["error"]["code"], -32601);
    assert_eq!(answers[2]["result"]["value"], "hello bo");
    assert_eq!(answers[3]["error"]["code"], -32600);
    if ticks == 0 {
        assert_eq!(tab.next_json().await["method"], "tick");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_arrive_in_order() {
    let server = server().await;
    let mut tab = Tab::open(&server, Handshake::default()).await;
    tab.send_text(r#"{"jsonrpc":"2.0","method":"WebTicks","params":[50],"id":1}"#)
        .await;
    // The answer may come before, between or after the pushes; the pushes keep their order.
    let mut ticks = Vec::new();
    let mut answered = false;
    while ticks.len() < 50 || !answered {
        let message = tab.next_json().await;
        if message["id"] == 1 {
            assert_eq!(message["result"]["value"], Json::Null, "{message}");
            answered = true;
        } else {
            assert_eq!(message["method"], "tick", "{message}");
            ticks.push(message["params"].as_u64().expect("a number"));
        }
    }
    assert_eq!(ticks, (0..50).collect::<Vec<u64>>());
    // Pushed from outside any call, as `Engine::post` in another session would.
    let session = server
        .engine
        .get(tab.session().parse().expect("an id"))
        .expect("open");
    session
        .notify("notice", json!({"from": "admin", "text": "hot"}))
        .expect("queued");
    let notice = tab.next_json().await;
    assert_eq!(notice["params"]["text"], "hot");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_call_does_not_hold_up_the_tabs_other_calls_or_other_tabs() {
    let server = server().await;
    let mut slow_tab = Tab::open(&server, Handshake::default()).await;
    let mut other_tab = Tab::open(&server, Handshake::default()).await;
    slow_tab
        .send_text(r#"{"jsonrpc":"2.0","method":"WebSlow","params":[3000],"id":"slow"}"#)
        .await;
    let started = std::time::Instant::now();
    assert_eq!(
        other_tab.call("WebAdd", json!([1, 2])).await["result"]["value"],
        3
    );
    let answer = slow_tab.call("WebAdd", json!([2, 2])).await;
    assert_eq!(answer["result"]["value"], 4);
    assert!(
        started.elapsed() < Duration::from_millis(2500),
        "quick calls waited for the slow one: {:?}",
        started.elapsed()
    );
    let slow = slow_tab.next_json().await;
    assert_eq!(
        (&slow["id"], &slow["result"]["value"]),
        (&json!("slow"), &json!(slow_tab.session()))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_runs_in_the_named_session_only_for_the_client_that_owns_it() {
    let server = server().await;
    let tab = Tab::open(&server, Handshake::default()).await;
    let cookie = tab
        .set_cookie
        .clone()
        .expect("the handshake set the client cookie");
    let request = r#"{"jsonrpc":"2.0","method":"WebWhoAmI","id":1}"#;

    let (status, headers, body) = http(
        &server,
        "POST",
        "/sessions/rpc",
        &[("cookie", &cookie), ("sessions-session", tab.session())],
        request,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(headers
        .iter()
        .any(|(name, value)| name == "content-type" && value == "application/json"));
    let answer: Json = serde_json::from_str(&body).expect("JSON");
    assert_eq!(answer["result"]["value"], tab.session());

    // Without the header: no session is current; a `require` method is refused with -32001
    // and an answer that says how to get a session.
    let (_, _, body) = http(&server, "POST", "/sessions/rpc", &[], request).await;
    let answer: Json = serde_json::from_str(&body).expect("JSON");
    assert_eq!(answer["error"]["code"], -32001, "{answer}");
    assert_eq!(answer["id"], 1, "{answer}");
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("Sessions-Session") && message.contains("connect()"),
        "{message}"
    );
    let (_, _, body) = http(
        &server,
        "POST",
        "/sessions/rpc",
        &[],
        r#"{"jsonrpc":"2.0","method":"WebAdd","params":[4,5],"id":2}"#,
    )
    .await;
    assert_eq!(
        serde_json::from_str::<Json>(&body).expect("JSON")["result"]["value"],
        9
    );

    // Another browser's cookie, no cookie, or an unknown id: the same -32001.
    let other = format!("sessions_client={}", sessions_core::SessionId::random());
    for headers in [
        vec![
            ("cookie", other.as_str()),
            ("sessions-session", tab.session()),
        ],
        vec![("sessions-session", tab.session())],
        vec![
            ("cookie", cookie.as_str()),
            ("sessions-session", "00000000000000000000000000000001"),
        ],
    ] {
        let (status, _, body) = http(&server, "POST", "/sessions/rpc", &headers, request).await;
        let answer: Json = serde_json::from_str(&body).expect("JSON");
        assert_eq!(
            (status, &answer["error"]["code"]),
            (200, &json!(-32001)),
            "{body}"
        );
        assert!(
            !body.contains(tab.session()),
            "the answer leaks the session id: {body}"
        );
        assert_eq!(answer["id"], 1, "the request's own id: {body}");
    }

    // A notification alone: nothing to answer.
    let (status, _, body) = http(
        &server,
        "POST",
        "/sessions/rpc",
        &[],
        r#"{"jsonrpc":"2.0","method":"WebAdd","params":[1,1]}"#,
    )
    .await;
    assert_eq!((status, body.as_str()), (204, ""));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openrpc_document_and_the_client_module_are_served() {
    let server = server().await;
    let (status, _, body) = http(&server, "GET", "/sessions/methods", &[], "").await;
    assert_eq!(status, 200);
    let document: Json = serde_json::from_str(&body).expect("JSON");
    assert!(document["openrpc"]
        .as_str()
        .is_some_and(|v| v.starts_with("1.")));
    let add = document["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .find(|method| method["name"] == "WebAdd")
        .expect("WebAdd is listed");
    assert_eq!(add["params"][0]["name"], "a");

    let (status, headers, body) = http(&server, "GET", "/sessions/client.js", &[], "").await;
    assert_eq!(status, 200);
    assert!(body.contains("export function connect"));
    let cookie = headers
        .iter()
        .find(|(name, _)| name == "set-cookie")
        .map(|(_, value)| value.as_str())
        .expect("a first visit gets the client cookie");
    assert!(
        cookie.starts_with("sessions_client=") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    let cookie = cookie.split(';').next().expect("the pair");
    let (_, headers, _) = http(
        &server,
        "GET",
        "/sessions/client.js",
        &[("cookie", cookie)],
        "",
    )
    .await;
    assert!(
        headers.iter().all(|(name, _)| name != "set-cookie"),
        "a browser with a cookie keeps it"
    );
}

/// A valve of a production line, exported as an object.
#[derive(Default)]
pub struct WebValve {
    open: std::sync::atomic::AtomicBool,
}

#[export_methods]
impl WebValve {
    /// Opens or closes the valve; returns whether it was open.
    #[export(name = "SetOpen")]
    pub fn set_open(&self, open: bool) -> Result<bool, SessionError> {
        Ok(self.open.swap(open, std::sync::atomic::Ordering::SeqCst))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_method_list_names_what_a_browser_can_call_and_no_rust_paths() {
    let engine = Engine::new();
    let _valve = engine
        .export_object("Line1/Valve", std::sync::Arc::new(WebValve::default()))
        .expect("the valve is exported");
    let server = Server::start(engine, WebHost::builder).await;
    let (status, _, body) = http(&server, "GET", "/sessions/methods", &[], "").await;
    assert_eq!(status, 200);
    let document: Json = serde_json::from_str(&body).expect("JSON");
    let names: Vec<&str> = document["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .filter_map(|method| method["name"].as_str())
        .collect();
    // The object's method, under the object's path, with its parameters: and it is callable.
    let set_open = document["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .find(|method| method["name"] == "Line1/Valve.SetOpen")
        .unwrap_or_else(|| panic!("Line1/Valve.SetOpen is listed: {names:?}"));
    assert_eq!(set_open["params"][0]["name"], "open");
    assert_eq!(set_open["x-object"], "Line1/Valve");
    let mut tab = Tab::open(&server, Handshake::default()).await;
    let called = tab.call("Line1/Valve.SetOpen", json!([true])).await;
    assert_eq!(called["result"]["value"], false, "{called}");
    // The type-level name only refuses a call: not listed.
    assert!(!names.contains(&"WebValve.SetOpen"), "{names:?}");
    let refused = tab.call("WebValve.SetOpen", json!([true])).await;
    assert!(refused.get("error").is_some(), "{refused}");
    // Methods that need no object still are.
    assert!(names.contains(&"WebAdd"), "{names:?}");
    // No Rust paths, file names or lines for every browser.
    for leak in ["x-rust-path", "test_web_calls", ".rs\""] {
        assert!(!body.contains(leak), "{leak:?} is served: {body}");
    }

    // An application that wants them says so; the table's own document always has them.
    let server = Server::start(Engine::new(), |engine| {
        WebHost::builder(engine).publish_rust_paths(true)
    })
    .await;
    let (_, _, body) = http(&server, "GET", "/sessions/methods", &[], "").await;
    let document: Json = serde_json::from_str(&body).expect("JSON");
    let add = document["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .find(|method| method["name"] == "WebAdd")
        .expect("WebAdd is listed");
    assert_eq!(add["x-rust-path"], "test_web_calls::web_add");
    let table = sessions_core::methods().openrpc();
    assert!(table["methods"]
        .as_array()
        .expect("methods")
        .iter()
        .all(|method| method.get("x-rust-path").is_some()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_typescript_declarations_are_served() {
    let server = server().await;
    // Exported after the host was built: the file is made at each request.
    let speed = sessions_core::Variable::builder(1.5f64)
        .json_schema()
        .build();
    let _speed = server
        .engine
        .export_variable("Line1/Belt/Speed", &speed)
        .expect("exported");
    let (status, headers, body) = http(&server, "GET", "/sessions/client.d.ts", &[], "").await;
    assert_eq!(status, 200);
    let content_type = headers
        .iter()
        .find(|(name, _)| name == "content-type")
        .map(|(_, value)| value.as_str());
    assert_eq!(content_type, Some("application/typescript; charset=utf-8"));
    assert_eq!(
        body,
        sessions_core::typescript_with_variables(
            sessions_core::methods(),
            &server.engine.variables()
        )
    );
    assert!(body.contains("WebAdd"), "{body}");
    assert!(
        body.contains("  \"Line1/Belt/Speed\": number;"),
        "the engine's variable is typed: {body}"
    );
}
