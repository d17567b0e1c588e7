//! The OPC UA host, called by the client integrators use: Python's `asyncua` (PyPI), which
//! no one here wrote. The scenarios are in `opcua_support/client.py`; each prints one JSON
//! line that the test asserts on.
//!
//! `asyncua` is installed by the test itself into a virtual environment under the target
//! directory (DESIGN.md, "External parts in tests"). Where python3, its `venv` module or
//! PyPI cannot be had, each test says why on stderr and passes, unless
//! `SESSIONS_EXTERNAL_TESTS=require` (as `.ci/run` sets), where it fails.

mod opcua_support;

use std::time::{Duration, Instant};

use opcua_support::python::{python, scenario, Running};
use opcua_support::{Counter, Host};
use serde_json::json;
use sessions_core::{methods, User};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_and_user_clients_browse_every_method_with_its_arguments() {
    let Some(python) = python() else { return };
    let host = Host::start("py-browse", |b| b).await;
    let url = host.url();
    for who in [vec![], vec!["operator", "operator-pw"]] {
        let mut args = vec!["browse", url.as_str()];
        args.extend(who);
        let seen = scenario(python, &args).await;
        assert!(seen["objects"]["Methods"].is_string(), "{seen}");
        let listed = &seen["methods"];
        for method in methods().iter().filter(|m| !m.is_instance()) {
            assert!(
                listed[method.name()].is_object(),
                "{} is listed: {listed}",
                method.name()
            );
        }
        // Data types as OPC UA numbers: Int32 6, UInt32 7, Boolean 1, Byte 3, UInt64 9,
        // Float 10, String 12.
        assert_eq!(listed["MinMax"]["inputs"], json!([["values", 6, 1]]));
        assert_eq!(
            listed["MinMax"]["outputs"],
            json!([["return", 7, -1], ["min", 6, -1], ["max", 6, -1]])
        );
        assert_eq!(
            listed["Kinds"]["inputs"],
            json!([
                ["flag", 1, -1],
                ["small", 3, -1],
                ["big", 9, -1],
                ["ratio", 10, -1],
                ["names", 12, 1]
            ])
        );
        assert_eq!(listed["add"]["description"], "The sum of two numbers.");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_users_and_one_anonymous_client_are_two_active_sessions() {
    let Some(python) = python() else { return };
    let host = Host::start("py-count", |b| b).await;
    let seen = scenario(python, &["count", &host.url(), &host.engine_name()]).await;
    assert_eq!(seen["status"], "Good", "{seen}");
    assert_eq!(seen["outputs"], json!([["Int32", 2]]));
    host.wait_until("every session is closed", || host.engine.is_empty())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outputs_sentinels_and_every_bad_status() {
    let Some(python) = python() else { return };
    let host = Host::start("py-calls", |b| b).await;
    let seen = scenario(python, &["calls", &host.url()]).await;
    assert_eq!(seen["divide"]["outputs"], json!([["Double", 0.25]]));
    assert_eq!(
        seen["divide_by_zero"],
        json!({"status": "Good", "outputs": [["Double", -1.0]], "arg_results": []}),
        "a failure answers Good with its sentinel"
    );
    assert_eq!(
        seen["min_max"]["outputs"],
        json!([["UInt32", 4], ["Int32", -7], ["Int32", 12]]),
        "the return value first, then the out parameters"
    );
    assert_eq!(seen["add_plain_ints"]["outputs"], json!([["Int64", 5]]));
    assert_eq!(
        seen["wrong_type"],
        json!({"status": "BadInvalidArgument", "outputs": [], "arg_results": ["Good", "BadTypeMismatch"]})
    );
    assert_eq!(seen["too_few"]["status"], "BadArgumentsMissing");
    assert_eq!(seen["too_many"]["status"], "BadTooManyArguments");
    assert_eq!(seen["unknown"]["status"], "BadMethodInvalid");
    assert_eq!(seen["panic"]["status"], "BadInternalError");
    assert_eq!(
        seen["json"]["outputs"],
        json!([["String", r#"{"minutes":80,"name":"bread"}"#]])
    );
    assert_eq!(
        seen["optional_left_out"]["outputs"],
        json!([["String", "Hello, Ada"]])
    );
    assert_eq!(seen["after_panic"]["outputs"], json!([["Int64", 2]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_without_the_role_is_denied_and_the_admin_succeeds() {
    let Some(python) = python() else { return };
    let host = Host::start("py-roles", |b| b).await;
    let seen = scenario(python, &["roles", &host.url()]).await;
    assert_eq!(seen["viewer"]["status"], "BadUserAccessDenied", "{seen}");
    assert_eq!(seen["viewer_executable"], false);
    assert_eq!(seen["admin"]["outputs"], json!([["Boolean", true]]));
    assert_eq!(seen["admin_executable"], true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_clients_session_is_closed() {
    let Some(python) = python() else { return };
    let host = Host::start("py-close", |b| b).await;
    let mut client = Running::start(python, &["hold", &host.url(), "operator", "operator-pw"]);
    let who = client.next().await;
    assert_eq!(
        who["who"]["outputs"][0],
        json!(["String", "operator"]),
        "{who}"
    );
    let id = who["who"]["outputs"][1][1]
        .as_str()
        .expect("the session id")
        .parse()
        .expect("a session id");
    assert!(
        host.engine.get(id).is_some(),
        "the call ran in the client's own session"
    );
    assert_eq!((host.engine.len(), host.engine.active_count()), (1, 1));

    client.say("close").await;
    let closed = Instant::now();
    client.finish().await;
    host.wait_until("the session is closed", || host.engine.is_empty())
        .await;
    assert!(
        closed.elapsed() < Duration::from_secs(5),
        "closed on our side well within the session timeout: {:?}",
        closed.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_activating_with_another_user_changes_the_sessions_user() {
    let Some(python) = python() else { return };
    let host = Host::start("py-reactivate", |b| b).await;
    let seen = scenario(python, &["reactivate", &host.url()]).await;
    assert_eq!(
        seen["before"]["outputs"][0],
        json!(["String", ""]),
        "{seen}"
    );
    assert_eq!(seen["after"]["outputs"][0], json!(["String", "admin"]));
    assert_eq!(
        seen["before"]["outputs"][1], seen["after"]["outputs"][1],
        "the same session, with another user"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_clients_each_get_their_own_user_and_session() {
    const CLIENTS: usize = 50;
    const CALLS: usize = 20;
    let Some(python) = python() else { return };
    let host = Host::start("py-concurrent", |b| {
        b.authenticate(|credentials| {
            let (name, password) = credentials.user_and_password()?;
            (name.starts_with("client-") && password == "pw").then(|| User::new(name))
        })
    })
    .await;
    let seen = scenario(
        python,
        &[
            "concurrent",
            &host.url(),
            &CLIENTS.to_string(),
            &CALLS.to_string(),
        ],
    )
    .await;
    let clients = seen.as_object().expect("an object of clients");
    assert_eq!(clients.len(), CLIENTS);
    let mut sessions = std::collections::HashSet::new();
    for (name, answers) in clients {
        let answers = answers.as_array().expect("a list of answers");
        assert_eq!(answers.len(), CALLS);
        for answer in answers {
            assert_eq!(answer[0], "Good");
            assert_eq!(
                answer[1],
                json!(name),
                "each answer is the caller's own user"
            );
            assert_eq!(
                answer[2], answers[0][2],
                "every call of a client runs in its one session"
            );
        }
        sessions.insert(answers[0][2].to_string());
    }
    assert_eq!(
        sessions.len(),
        CLIENTS,
        "each client has a session of its own"
    );
    host.wait_until("every session is closed", || host.engine.is_empty())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_object_is_an_object_node_with_its_methods() {
    let Some(python) = python() else { return };
    let host = Host::start("py-objects", |b| b).await;
    let _counter = host
        .engine
        .export_object("Line1/Counter", std::sync::Arc::new(Counter::default()))
        .expect("exported");
    let seen = scenario(python, &["objects", &host.url()]).await;
    assert_eq!(seen["methods"], json!(["bump"]), "{seen}");
    assert_eq!(seen["bump"]["outputs"], json!([["UInt64", 5]]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_and_refused_anonymous_clients_do_not_connect() {
    let Some(python) = python() else { return };
    let host = Host::start("py-refused", |b| b.allow_anonymous(false)).await;
    let url = host.url();
    let anonymous = scenario(python, &["refused", &url, "", ""]).await;
    assert_eq!(anonymous["connected"], false, "{anonymous}");
    let wrong = scenario(python, &["refused", &url, "admin", "nope"]).await;
    assert_eq!(wrong["connected"], false, "{wrong}");
    let right = scenario(python, &["refused", &url, "admin", "admin-pw"]).await;
    assert_eq!(right["connected"], true, "{right}");
    assert!(host.engine.len() <= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounts_store_checks_passwords_and_gives_its_roles() {
    let Some(python) = python() else { return };
    let accounts = opcua_support::accounts_store("asyncua");
    let host = Host::start("py-store", |b| b.accounts(accounts)).await;
    let url = host.url();
    let wrong = scenario(python, &["refused", &url, "store-admin", "nope"]).await;
    assert_eq!(wrong["connected"], false, "{wrong}");
    let admin = scenario(python, &["reset", &url, "store-admin", "store-admin-pw"]).await;
    assert_eq!(admin["outputs"], json!([["Boolean", true]]), "{admin}");
    let viewer = scenario(python, &["reset", &url, "store-viewer", "store-viewer-pw"]).await;
    assert_eq!(viewer["status"], "BadUserAccessDenied", "{viewer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_certificate_the_password_is_encrypted_and_every_secure_policy_works() {
    let Some(python) = python() else { return };
    let (cert, key) = opcua_support::server_certificate("py-secure");
    let host = Host::start("py-secure", |b| {
        b.certificate(cert, key).trust_client_certificates(true)
    })
    .await;
    let seen = scenario(python, &["password_without_security", &host.url()]).await;
    assert_eq!(
        seen["who"]["outputs"][0],
        json!(["String", "operator"]),
        "{seen}"
    );
    assert_eq!(
        seen["plain_text_warnings"],
        json!([]),
        "asyncua encrypted the password"
    );
    let folder = opcua_support::pki_dir().join("python-client");
    let folder = folder.to_str().expect("a UTF-8 path");
    let seen = scenario(python, &["secure", &host.url(), folder]).await;
    let policies = seen.as_object().expect("an object");
    assert_eq!(
        policies.len(),
        6,
        "three policies, signed and signed and encrypted: {seen}"
    );
    for (policy, who) in policies {
        assert_eq!(*who, json!(["String", "admin"]), "{policy}");
    }
}
