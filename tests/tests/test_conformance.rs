//! One table of cases, run through every host: in process, a WebSocket tab, `POST /rpc` (with
//! and without a session), OPC UA (async-opcua's client) and a farm post (a real
//! `redis-server`). For each case and host the reference is the typed answer of the same call
//! made in process in the same situation (a session of the same kind, or none); the host's
//! answer on its wire must be that answer's mapping, as each host documents it:
//! [`web_code`], [`opcua_status`], [`farm_counter`]. The table also says which verdict each
//! case must have, so the reference itself is checked.

mod farm_support;
mod opcua_support;
mod web_support;

use std::time::Duration;

use opcua::types::{StatusCode, Variant};
use serde_json::{json, Value as Json};
use sessions_core::farm::{Farm, FarmReport};
use sessions_core::host::{Answer, Call, Verdict};
use sessions_core::web::WebHost;
use sessions_core::{
    export_method, Args, CallError, Engine, Failure, Session, SessionError, Value,
};

// ---- The methods of the cases -------------------------------------------------------------

/// Adds; `total` is the sum too. Runs only in a session.
#[export_method(name = "ConfSum", sentinel = -1)]
pub fn conf_sum(a: i64, b: i64, total: &mut i64) -> Result<i64, SessionError> {
    *total = a + b;
    Ok(a + b)
}

/// Fails with an error whose text reads like a panic's: a method failure all the same.
#[export_method(name = "ConfFakePanic", session = none, sentinel = -1)]
pub fn conf_fake_panic(code: &mut i32) -> anyhow::Result<()> {
    *code = 7;
    anyhow::bail!("panicked: not really, this is the method's own error")
}

/// Panics.
#[export_method(name = "ConfPanics", session = none)]
pub fn conf_panics() -> i64 {
    panic!("a real panic in ConfPanics")
}

/// Runs only for an admin.
#[export_method(name = "ConfAdminOnly", role = "admin", sentinel = false)]
pub fn conf_admin_only(done: &mut bool) -> Result<(), SessionError> {
    *done = true;
    Ok(())
}

/// Runs only in a session (the default rule).
#[export_method(name = "ConfNeedsSession")]
pub fn conf_needs_session() -> Result<bool, SessionError> {
    Ok(true)
}

/// Doubles, after awaiting.
#[export_method(name = "ConfLater")]
pub async fn conf_later(x: i64) -> Result<i64, SessionError> {
    tokio::task::yield_now().await;
    Ok(x * 2)
}

// ---- The table ----------------------------------------------------------------------------

struct Case {
    name: &'static str,
    method: &'static str,
    /// JSON-RPC `params`: an array (by position) or an object (by name).
    params: Json,
    /// The verdict in a session with no user, and with no session at all.
    in_session: Verdict,
    no_session: Verdict,
}

fn cases() -> Vec<Case> {
    use Verdict::*;
    let case = |name, method, params, in_session, no_session| Case {
        name,
        method,
        params,
        in_session,
        no_session,
    };
    vec![
        case("success with outs", "ConfSum", json!([2, 3]), Ok, Refused),
        case(
            "a method error reading `panicked: `",
            "ConfFakePanic",
            json!([]),
            Failed,
            Failed,
        ),
        case("a real panic", "ConfPanics", json!([]), Panicked, Panicked),
        case(
            "a role refusal",
            "ConfAdminOnly",
            json!([]),
            Refused,
            Refused,
        ),
        case(
            "a require method",
            "ConfNeedsSession",
            json!([]),
            Ok,
            Refused,
        ),
        case(
            "an unknown method",
            "ConfNoSuchMethod",
            json!([]),
            Invalid,
            Invalid,
        ),
        case("wrong arity", "ConfSum", json!([1]), Invalid, Invalid),
        case("wrong type", "ConfSum", json!(["x", 2]), Invalid, Invalid),
        case(
            "an unknown argument name",
            "ConfSum",
            json!({"a": 1, "b": 2, "c": 3}),
            Invalid,
            Invalid,
        ),
        case("an async method", "ConfLater", json!([21]), Ok, Refused),
    ]
}

fn args(params: &Json) -> Args {
    Args::from_params(Value::from_json_str(&params.to_string()).expect("JSON")).expect("params")
}

/// The reference: the same call, in process, in `session` (or none).
async fn reference(case: &Case, session: Option<&Session>) -> Answer {
    let answer = Call::new(case.method, args(&case.params))
        .in_session(session)
        .run()
        .await;
    let expected = if session.is_some() {
        case.in_session
    } else {
        case.no_session
    };
    assert_eq!(
        answer.verdict(),
        expected,
        "{}: in process: {answer:?}",
        case.name
    );
    answer
}

// ---- Each host's mapping, as it documents it ---------------------------------------------

/// The web host's answer: `None` for a success, else the error code.
fn web_code(answer: &Answer) -> Option<i64> {
    match answer {
        Answer::Ran(outcome) => match outcome.failure() {
            None => None,
            Some(Failure::Refused(SessionError::Forbidden { .. })) => Some(-32004),
            Some(Failure::Refused(SessionError::NoContext)) => Some(-32001),
            Some(Failure::Refused(_) | Failure::Method(_)) => Some(-32000),
            Some(Failure::Panicked(_) | Failure::Unsendable(_)) => Some(-32603),
            Some(other) => panic!("a failure this suite does not know: {other:?}"),
        },
        Answer::NotRun(error) => Some(i64::from(error.code())),
    }
}

/// Checks a JSON-RPC answer against the reference.
fn check_web(host: &str, case: &Case, reference: &Answer, answer: &Json) {
    let what = format!("{}: {host}: {answer}", case.name);
    match (web_code(reference), reference) {
        (None, Answer::Ran(outcome)) => {
            let value = outcome.value.to_json_string();
            assert_eq!(answer["result"]["value"].to_string(), value, "{what}");
            for (name, out) in &outcome.outs {
                assert_eq!(
                    answer["result"]["outs"][name].to_string(),
                    out.to_json_string(),
                    "{what}"
                );
            }
        }
        (Some(code), reference) => {
            assert_eq!(answer["error"]["code"], code, "{what}");
            if let Answer::Ran(outcome) = reference {
                for (name, out) in &outcome.outs {
                    let sent = &answer["error"]["data"]["outs"][name];
                    assert_eq!(
                        sent.to_string(),
                        out.to_json_string(),
                        "{what}: the sentinels"
                    );
                }
            }
        }
        (None, Answer::NotRun(_)) => unreachable!("a call not run has a code"),
    }
    assert!(
        answer["id"].is_number(),
        "{what}: every answer carries its request's id"
    );
}

/// The OPC UA host's status for a call.
fn opcua_status(answer: &Answer) -> StatusCode {
    match answer {
        Answer::Ran(outcome) => match outcome.failure() {
            None | Some(Failure::Method(_)) => StatusCode::Good,
            Some(Failure::Refused(SessionError::Forbidden { .. } | SessionError::NoContext)) => {
                StatusCode::BadUserAccessDenied
            }
            Some(Failure::Refused(_)) => StatusCode::Good,
            Some(Failure::Panicked(_) | Failure::Unsendable(_)) => StatusCode::BadInternalError,
            Some(other) => panic!("a failure this suite does not know: {other:?}"),
        },
        Answer::NotRun(CallError::UnknownMethod(_)) => StatusCode::BadMethodInvalid,
        Answer::NotRun(CallError::Arity { expected, got, .. }) if got < expected => {
            StatusCode::BadArgumentsMissing
        }
        Answer::NotRun(CallError::Arity { .. }) => StatusCode::BadTooManyArguments,
        Answer::NotRun(CallError::ArgType { .. }) => StatusCode::BadInvalidArgument,
        Answer::NotRun(other) => panic!("no OPC UA case for {other:?}"),
    }
}

/// The variants of positional JSON params; `None` for params by name (OPC UA has none).
fn variants(params: &Json) -> Option<Vec<Variant>> {
    let items = params.as_array()?;
    Some(
        items
            .iter()
            .map(|item| match item {
                Json::Number(n) => Variant::Int64(n.as_i64().expect("an integer")),
                Json::String(s) => Variant::String(s.as_str().into()),
                Json::Bool(b) => Variant::Boolean(*b),
                other => panic!("no variant for {other}"),
            })
            .collect(),
    )
}

/// The farm's counter for a message whose call ended so.
fn farm_counter(answer: &Answer) -> fn(&FarmReport) -> u64 {
    match answer.verdict() {
        Verdict::Ok => |r| r.delivered,
        Verdict::Failed => |r| r.failed,
        Verdict::Refused => |r| r.refused,
        Verdict::Panicked => |r| r.panicked,
        Verdict::Invalid => |r| r.invalid,
    }
}

// ---- The hosts ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_process_session_call_agrees_with_the_host_call() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    for case in cases() {
        let reference = reference(&case, Some(&session)).await;
        let direct = Answer::from(session.call_async(case.method, args(&case.params)).await);
        assert_eq!(direct, reference, "{}", case.name);
        let none = reference_none(&case).await;
        let direct = Answer::from(
            sessions_core::methods()
                .call_async(case.method, args(&case.params))
                .await,
        );
        assert_eq!(direct, none, "{}", case.name);
    }
}

async fn reference_none(case: &Case) -> Answer {
    reference(case, None).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_tab_answers_each_case_as_its_typed_answer_maps() {
    let engine = Engine::new();
    let server = web_support::Server::start(engine.clone(), WebHost::builder).await;
    let mut tab = web_support::Tab::open(&server, Default::default()).await;
    let twin = engine.open().expect("a session like the tab's: no user");
    for case in cases() {
        let reference = reference(&case, Some(&twin)).await;
        let answer = tab.call(case.method, case.params.clone()).await;
        check_web("WebSocket", &case, &reference, &answer);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn post_answers_each_case_as_its_typed_answer_maps_with_and_without_a_session() {
    let engine = Engine::new();
    let server = web_support::Server::start(engine.clone(), WebHost::builder).await;
    let tab = web_support::Tab::open(&server, Default::default()).await;
    let cookie = tab
        .set_cookie
        .clone()
        .expect("the host set the client cookie");
    let session = tab.session().to_owned();
    let twin = engine.open().expect("a session like the tab's: no user");
    for (id, case) in cases().iter().enumerate() {
        let body =
            json!({"jsonrpc": "2.0", "method": case.method, "params": case.params, "id": id})
                .to_string();
        let post = |headers: Vec<(&'static str, String)>| {
            let body = body.clone();
            let server = &server;
            async move {
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let (status, _, text) =
                    web_support::http(server, "POST", "/sessions/rpc", &headers, &body).await;
                assert_eq!(status, 200, "{text}");
                serde_json::from_str::<Json>(&text).expect("JSON")
            }
        };
        let answer = post(vec![]).await;
        check_web(
            "POST without a session",
            case,
            &reference(case, None).await,
            &answer,
        );
        if case.no_session == Verdict::Refused && case.in_session == Verdict::Ok {
            let message = answer["error"]["message"].as_str().unwrap_or_default();
            assert!(
                message.contains("Sessions-Session"),
                "{}: the refusal says what to do: {message}",
                case.name
            );
        }
        let answer = post(vec![
            ("cookie", cookie.clone()),
            ("sessions-session", session.clone()),
        ])
        .await;
        check_web(
            "POST in a session",
            case,
            &reference(case, Some(&twin)).await,
            &answer,
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opcua_answers_each_case_as_its_typed_answer_maps() {
    let host = opcua_support::Host::start("conformance", |builder| builder).await;
    let client =
        opcua_support::Client::connect(&host.url(), opcua::client::IdentityToken::Anonymous)
            .await
            .expect("an anonymous client connects");
    let twin = host
        .engine
        .open()
        .expect("a session like the client's: no user");
    for case in cases() {
        let Some(arguments) = variants(&case.params) else {
            // OPC UA passes arguments by position only: "by name" has no OPC UA form.
            continue;
        };
        let reference = reference(&case, Some(&twin)).await;
        let result = client.call(case.method, arguments).await;
        assert_eq!(
            result.status_code,
            opcua_status(&reference),
            "{}: {result:?} for {reference:?}",
            case.name
        );
        if let (StatusCode::Good, Answer::Ran(outcome)) = (result.status_code, &reference) {
            let outputs = result.output_arguments.unwrap_or_default();
            assert!(
                outputs.len() >= outcome.outs.len(),
                "{}: {outputs:?}",
                case.name
            );
            // The out parameters come last, in order, sentinels on failure.
            for ((name, value), variant) in outcome.outs.iter().rev().zip(outputs.iter().rev()) {
                let written = match variant {
                    Variant::Int64(n) => Value::Int(*n),
                    Variant::Int32(n) => Value::Int(i64::from(*n)),
                    Variant::Boolean(b) => Value::Bool(*b),
                    other => panic!("{}: out {name} as {other:?}", case.name),
                };
                assert_eq!(&written, value, "{}: out {name}", case.name);
            }
        }
    }
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_farm_post_counts_each_case_as_its_typed_answer_maps() {
    let Some(redis) = farm_support::Redis::start("conformance") else {
        return;
    };
    let (a, b) = (Engine::new(), Engine::new());
    let join = |engine: &Engine, node: &str| {
        Farm::builder(engine, &redis.url(), node)
            .lease(farm_support::LEASE)
            .join()
            .expect("the node joins")
    };
    let (farm_a, farm_b) = (join(&a, "conf-a"), join(&b, "conf-b"));
    let target = b.open().expect("a session on node b");
    let twin = b.open().expect("a session like the target: no user");
    farm_b.flush().expect("announced");
    for case in cases() {
        let reference = reference(&case, Some(&twin)).await;
        let counter = farm_counter(&reference);
        let before = farm_b.report();
        let args = args(&case.params);
        let post = {
            let (farm_a, method) = (farm_a.clone(), case.method);
            let id = target.id();
            tokio::task::spawn_blocking(move || farm_a.post(id, method, args))
        };
        post.await.expect("joined").expect("posted across the farm");
        let deadline = tokio::time::Instant::now() + farm_support::WAIT;
        while farm_b.report().total() == before.total() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: never delivered",
                case.name
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let after = farm_b.report();
        assert_eq!(after.total(), before.total() + 1, "{}", case.name);
        assert_eq!(
            counter(&after),
            counter(&before) + 1,
            "{}: {after:?}",
            case.name
        );
    }
}
