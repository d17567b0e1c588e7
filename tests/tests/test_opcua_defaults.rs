//! The OPC UA host with its default certificate store: each application (application URI)
//! has a folder of its own, and a normal start, and a client's connection, log no ERROR
//! (the host makes itself a self-signed certificate there once, instead of running with
//! none: "Failed to get cert and private key", "crypto won't work").

mod farm_support;

use std::time::Duration;

use opcua::client::{ClientBuilder, IdentityToken};
use opcua::crypto::SecurityPolicy;
use opcua::types::{MessageSecurityMode, UserTokenPolicy};
use sessions_core::opcua::OpcUaHost;
use sessions_core::Engine;

/// The folders of this test's applications, in the default store's parent folder.
fn folders_of(prefix: &str) -> Vec<std::path::PathBuf> {
    let parent = std::env::temp_dir().join("sessions-opcua");
    let Ok(entries) = std::fs::read_dir(&parent) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(prefix))
        .map(|entry| entry.path())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_application_has_its_own_store_and_a_normal_start_logs_no_error() {
    let captured = farm_support::captured();
    let mut hosts = Vec::new();
    for app in ["a", "b"] {
        let handle = OpcUaHost::builder(Engine::new())
            .port(0)
            .application_uri(format!("urn:sessions:test-opcua-defaults-{app}"))
            .start()
            .await
            .expect("the host starts with its default store");
        hosts.push(handle);
    }
    // A client's connection makes the server set up a secure channel with its own
    // certificate. The client has a certificate of its own too (kept in its store), so
    // that it logs nothing either.
    for host in &hosts {
        let mut client = ClientBuilder::new()
            .application_name("sessions tests")
            .application_uri("urn:sessions:tests")
            .product_uri("urn:sessions:tests")
            .create_sample_keypair(true)
            .trust_server_certs(true)
            .pki_dir(std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("opcua-pki-defaults"))
            .session_retry_limit(0)
            .session_timeout(10_000)
            .client()
            .expect("a client");
        let (session, event_loop) = client
            .connect_to_matching_endpoint(
                (
                    host.endpoint_url(),
                    SecurityPolicy::None.to_str(),
                    MessageSecurityMode::None,
                    UserTokenPolicy::anonymous(),
                ),
                IdentityToken::Anonymous,
            )
            .await
            .expect("the client finds the endpoint");
        let event_loop = event_loop.spawn();
        let connected =
            tokio::time::timeout(Duration::from_secs(10), session.wait_for_connection()).await;
        assert!(matches!(connected, Ok(true)), "the client connects");
        session.disconnect().await.expect("the client disconnects");
        let _ = tokio::time::timeout(Duration::from_secs(10), event_loop).await;
    }

    // The server's and the host's errors, not the test client's: its own reads after
    // connecting (the namespace array) may race its disconnect and log a service fault.
    let errors: Vec<_> = captured
        .events()
        .into_iter()
        .filter(|event| event.level == tracing::Level::ERROR)
        .filter(|event| !event.target.starts_with("opcua_client"))
        .collect();
    assert!(
        errors.is_empty(),
        "a normal start logged errors: {errors:?}"
    );

    let (a, b) = (
        folders_of("urn_sessions_test-opcua-defaults-a-"),
        folders_of("urn_sessions_test-opcua-defaults-b-"),
    );
    assert_eq!((a.len(), b.len()), (1, 1), "{a:?} {b:?}");
    for folder in a.iter().chain(&b) {
        assert!(
            folder.join("own").join("cert.der").is_file(),
            "{} has the application's own certificate",
            folder.display()
        );
    }
    for host in hosts {
        host.shutdown().await.expect("the host stops");
    }
}
