//! The `opcua_server` example, run as the README tells an Optix user to run it: its first
//! line says where it listens, and an OPC UA client that logs in is counted by
//! `GetActiveWebSessionsNumber("WebPresentationEngine")` and can set line 1's oven.

mod opcua_support;

use std::process::Stdio;

use opcua::client::IdentityToken;
use opcua::types::{NodeId, StatusCode, Variant};
use opcua_support::{outputs, user, Client, WAIT};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opcua_client_with_a_user_is_an_active_session() {
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
        .args(["--port", "0", "--user", "ada:ada-pw:operator"])
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
