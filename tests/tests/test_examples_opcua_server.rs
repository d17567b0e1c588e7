//! The `opcua_server` example, run as the README tells an Optix user to run it: its first
//! line says where it listens, and an OPC UA client that logs in is counted by
//! `GetActiveWebSessionsNumber("WebPresentationEngine")` and can set line 1's oven; with
//! `--accounts FILE`, users log in with the file's passwords and roles.

mod opcua_support;

use std::process::Stdio;

use opcua::client::IdentityToken;
use opcua::types::{NodeId, StatusCode, Variant};
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
