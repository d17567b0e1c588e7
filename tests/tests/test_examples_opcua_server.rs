//! The `opcua_server` example, run as the README tells an Optix user to run it: its first
//! line says where it listens, and an OPC UA client that logs in is counted by
//! `GetActiveWebSessionsNumber("WebPresentationEngine")` and can set line 1's oven; with
//! `--accounts FILE`, users log in with the file's passwords and roles. The oven's variables
//! `Line1/Oven/Target` (operators write it) and `Line1/Oven/Actual` are Variable nodes: read,
//! written, and subscribed to by Python's `asyncua` (skipped with a reason when it cannot be
//! had, unless `SESSIONS_EXTERNAL_TESTS=require`).

mod opcua_support;

use std::process::Stdio;

use opcua::client::IdentityToken;
use opcua::types::{
    AttributeId, DataValue, NodeId, NumericRange, ReadValueId, StatusCode, TimestampsToReturn,
    Variant, WriteValue,
};
use opcua_support::python::{python, scenario};
use opcua_support::{outputs, user, Client, WAIT};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// Runs `opcua_server` with `args` (and `--port 0`) until dropped; returns it and its URL.
async fn opcua_server(args: &[&str]) -> (tokio::process::Child, String) {
    let mut server = Command::new(env!("CARGO"))
        .args([
            "run",
            "-q",
            "-p",
            "sessions-examples",
            "--bin",
            "opcua_server",
            "--",
        ])
        .args(["--port", "0"])
        .args(args)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("cargo starts");
    let stdout = server.stdout.take().expect("piped");
    // The first run may build the example.
    let first = tokio::time::timeout(WAIT * 15, BufReader::new(stdout).lines().next_line())
        .await
        .expect("the example says where it listens")
        .expect("its stdout")
        .expect("a line");
    let url = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("the first line is `listening on URL`: {first:?}"));
    assert!(
        url.starts_with("opc.tcp://127.0.0.1:") && url.ends_with('/'),
        "{url}"
    );
    (server, url.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opcua_client_with_a_user_is_an_active_session() {
    let (mut server, url) = opcua_server(&["--user", "ada:ada-pw:operator"]).await;
    let url = url.as_str();

    let ada = Client::connect(url, user("ada", "ada-pw"))
        .await
        .expect("ada logs in");
    let visitor = Client::connect(url, IdentityToken::Anonymous)
        .await
        .expect("anonymous");
    let active = visitor
        .call(
            "GetActiveWebSessionsNumber",
            vec![Variant::from("WebPresentationEngine")],
        )
        .await;
    assert_eq!(
        outputs(active),
        [Variant::Int32(1)],
        "ada, not the anonymous visitor"
    );
    let live_count = NodeId::new(visitor.ns, "Sessions/Active");
    assert_eq!(
        read(&visitor, &live_count).await.value,
        Some(Variant::UInt64(1)),
        "the same count, as a variable"
    );
    assert_eq!(
        write(&ada, &live_count, Variant::UInt64(5)).await,
        StatusCode::BadUserAccessDenied,
        "no user writes the count"
    );

    let oven = NodeId::new(ada.ns, "Line1/Oven");
    let set = ada
        .call_on(
            oven.clone(),
            "Line1/Oven.SetTarget",
            vec![Variant::Double(180.0)],
        )
        .await;
    assert_eq!(set.status_code, StatusCode::Good, "{set:?}");
    let refused = visitor
        .call_on(oven, "Line1/Oven.SetTarget", vec![Variant::Double(200.0)])
        .await;
    assert_eq!(
        refused.status_code,
        StatusCode::BadUserAccessDenied,
        "SetTarget needs the role operator"
    );
    ada.disconnect().await;
    visitor.disconnect().await;
    server.kill().await.expect("the example stops");
}

/// `--accounts FILE`: users log in from the accounts file (the shipped demo file here),
/// with its roles; a wrong password opens no session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_an_accounts_file_users_log_in_with_its_passwords_and_roles() {
    let (mut server, url) = opcua_server(&["--accounts", "examples/demo-accounts.toml"]).await;
    assert!(Client::connect(&url, user("bob", "not-bobs"))
        .await
        .is_err());
    let bob = Client::connect(&url, user("bob", "bob-demo"))
        .await
        .expect("bob logs in with the demo password");
    let carol = Client::connect(&url, user("carol", "carol-demo"))
        .await
        .expect("carol logs in");
    let oven = NodeId::new(bob.ns, "Line1/Oven");
    let set = bob
        .call_on(
            oven.clone(),
            "Line1/Oven.SetTarget",
            vec![Variant::Double(180.0)],
        )
        .await;
    assert_eq!(
        set.status_code,
        StatusCode::Good,
        "bob is an operator: {set:?}"
    );
    let refused = carol
        .call_on(oven, "Line1/Oven.SetTarget", vec![Variant::Double(200.0)])
        .await;
    assert_eq!(
        refused.status_code,
        StatusCode::BadUserAccessDenied,
        "carol has no role"
    );
    bob.disconnect().await;
    carol.disconnect().await;
    server.kill().await.expect("the example stops");
}

/// Reads the value of `node`.
async fn read(client: &Client, node: &NodeId) -> DataValue {
    client
        .session
        .read(
            &[ReadValueId::from(node.clone())],
            TimestampsToReturn::Both,
            0.0,
        )
        .await
        .expect("Read answers")
        .remove(0)
}

/// Writes the value of `node`: its status.
async fn write(client: &Client, node: &NodeId, value: Variant) -> StatusCode {
    let write = WriteValue {
        node_id: node.clone(),
        attribute_id: AttributeId::Value as u32,
        index_range: NumericRange::None,
        value: DataValue {
            value: Some(value),
            ..DataValue::default()
        },
    };
    client
        .session
        .write(&[write])
        .await
        .expect("Write answers")
        .remove(0)
}

/// The oven's `Target` and `Actual` are Variable nodes: Python's `asyncua` reads the
/// target and subscribes to the actual temperature, which the line's heater moves by 5 °C a
/// second; an operator writes the target, an anonymous client may not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ovens_variables_are_read_written_and_subscribed_to() {
    // Installed first (a fresh install takes a while): the heater starts with the server,
    // and stops moving the actual temperature once it reaches the target.
    let python = python();
    let (mut server, url) = opcua_server(&["--user", "ada:ada-pw:operator"]).await;
    if let Some(python) = python {
        let seen = scenario(python, &["oven", &url]).await;
        assert_eq!(seen["target"], 180.0, "{seen}");
        let actual: Vec<f64> = seen["actual"]
            .as_array()
            .expect("a list")
            .iter()
            .map(|v| v.as_f64().expect("a number"))
            .collect();
        assert_eq!(actual.len(), 4, "the current value, then three changes");
        assert!(actual[0] >= 20.0, "{actual:?}");
        for pair in actual.windows(2) {
            assert_eq!(pair[1] - pair[0], 5.0, "one heater step each: {actual:?}");
        }
    }

    let ada = Client::connect(&url, user("ada", "ada-pw"))
        .await
        .expect("ada logs in");
    let visitor = Client::connect(&url, IdentityToken::Anonymous)
        .await
        .expect("anonymous");
    let target = NodeId::new(ada.ns, "Line1/Oven/Target");
    assert_eq!(
        read(&visitor, &target).await.value,
        Some(Variant::Double(180.0))
    );
    assert_eq!(
        write(&visitor, &target, Variant::Double(200.0)).await,
        StatusCode::BadUserAccessDenied,
        "the target's write role is operator"
    );
    assert_eq!(
        write(&ada, &target, Variant::Double(200.0)).await,
        StatusCode::Good
    );
    assert_eq!(
        read(&visitor, &target).await.value,
        Some(Variant::Double(200.0))
    );
    let actual = NodeId::new(ada.ns, "Line1/Oven/Actual");
    assert!(matches!(
        read(&visitor, &actual).await.value,
        Some(Variant::Double(celsius)) if celsius >= 20.0
    ));
    ada.disconnect().await;
    visitor.disconnect().await;
    server.kill().await.expect("the example stops");
}
