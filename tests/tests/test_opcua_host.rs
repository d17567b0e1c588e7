//! The OPC UA host, called by async-opcua's own client over a real socket on 127.0.0.1: the
//! address space, sessions and users, every status code, roles, objects, concurrency. The
//! same scenarios run with Python's `asyncua` in `test_opcua_asyncua.rs`.

mod opcua_support;

use std::collections::HashSet;
use std::time::{Duration, Instant};

use opcua::client::IdentityToken;
use opcua::crypto::SecurityPolicy;
use opcua::types::{
    Argument, AttributeId, DataTypeId, MessageSecurityMode, NodeId, ObjectId, ReadValueId,
    StatusCode, TimestampsToReturn, Variant,
};
use opcua_support::{outputs, user, Client, Counter, Host};
use sessions_core::{methods, User};

fn i64s(a: i64, b: i64) -> Vec<Variant> {
    vec![Variant::Int64(a), Variant::Int64(b)]
}

/// The `Argument`s of a method's `InputArguments` or `OutputArguments` property.
async fn arguments(client: &Client, method: &NodeId, property: &str) -> Vec<Argument> {
    let properties = client.children(method.clone()).await;
    let Some(node) = properties.get(property) else {
        return Vec::new();
    };
    let read = ReadValueId::from(node.clone());
    let value = client
        .session
        .read(&[read], TimestampsToReturn::Neither, 0.0)
        .await
        .expect("Read answers")
        .remove(0);
    let Some(Variant::Array(array)) = value.value else {
        panic!("{property} is an array: {value:?}");
    };
    array
        .values
        .into_iter()
        .map(|v| match v {
            Variant::ExtensionObject(object) => object
                .into_inner_as::<Argument>()
                .map(|a| *a)
                .expect("an Argument"),
            other => panic!("an Argument, got {other:?}"),
        })
        .collect()
}

fn names_and_types(arguments: &[Argument]) -> Vec<(String, NodeId, i32)> {
    arguments
        .iter()
        .map(|a| {
            (
                a.name.as_ref().to_owned(),
                a.data_type.clone(),
                a.value_rank,
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anonymous_and_user_clients_browse_every_method_with_its_arguments() {
    let host = Host::start("browse", |b| b).await;
    for identity in [IdentityToken::Anonymous, user("operator", "operator-pw")] {
        let client = Client::connect(&host.url(), identity)
            .await
            .expect("connects");
        let objects = client.children(ObjectId::ObjectsFolder.into()).await;
        assert_eq!(objects.get("Methods"), Some(&client.methods_object()));
        let listed = client.children(client.methods_object()).await;
        for method in methods().iter().filter(|m| !m.is_instance()) {
            assert_eq!(
                listed.get(method.name()),
                Some(&NodeId::new(client.ns, method.name())),
                "{} is listed as s=<name>",
                method.name()
            );
        }
        let min_max = NodeId::new(client.ns, "MinMax");
        assert_eq!(
            names_and_types(&arguments(&client, &min_max, "InputArguments").await),
            [("values".to_owned(), DataTypeId::Int32.into(), 1)]
        );
        assert_eq!(
            names_and_types(&arguments(&client, &min_max, "OutputArguments").await),
            [
                ("return".to_owned(), DataTypeId::UInt32.into(), -1),
                ("min".to_owned(), DataTypeId::Int32.into(), -1),
                ("max".to_owned(), DataTypeId::Int32.into(), -1),
            ]
        );
        let kinds = NodeId::new(client.ns, "Kinds");
        assert_eq!(
            names_and_types(&arguments(&client, &kinds, "InputArguments").await),
            [
                ("flag".to_owned(), DataTypeId::Boolean.into(), -1),
                ("small".to_owned(), DataTypeId::Byte.into(), -1),
                ("big".to_owned(), DataTypeId::UInt64.into(), -1),
                ("ratio".to_owned(), DataTypeId::Float.into(), -1),
                ("names".to_owned(), DataTypeId::String.into(), 1),
            ]
        );
        let slower = arguments(&client, &NodeId::new(client.ns, "Slower"), "InputArguments").await;
        assert_eq!(slower[0].data_type, NodeId::from(DataTypeId::String));
        assert_eq!(slower[0].description.text.as_ref(), "Recipe, as JSON text");
        // A method's description is its doc comment.
        let read = ReadValueId {
            node_id: NodeId::new(client.ns, "add"),
            attribute_id: AttributeId::Description as u32,
            ..Default::default()
        };
        let description = client
            .session
            .read(&[read], TimestampsToReturn::Neither, 0.0)
            .await
            .expect("Read answers")
            .remove(0);
        assert!(
            format!("{:?}", description.value).contains("The sum of two numbers."),
            "{description:?}"
        );
        client.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn active_sessions_are_the_clients_with_a_user() {
    let host = Host::start("active", |b| b).await;
    let admin = Client::connect(&host.url(), user("admin", "admin-pw"))
        .await
        .expect("admin");
    let operator = Client::connect(&host.url(), user("operator", "operator-pw"))
        .await
        .expect("operator");
    let anonymous = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("anonymous");
    assert_eq!(
        host.engine.len(),
        3,
        "one session per OPC UA session, opened at activation"
    );
    let result = anonymous
        .call(
            "GetActiveWebSessionsNumber",
            vec![Variant::from(host.engine_name())],
        )
        .await;
    assert_eq!(outputs(result), [Variant::Int32(2)]);
    for client in [admin, operator, anonymous] {
        client.disconnect().await;
    }
    host.wait_until("every session is closed", || host.engine.is_empty())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_is_good_with_its_sentinels_and_results_arrive_in_order() {
    let host = Host::start("outputs", |b| b).await;
    let client = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("connects");
    let divided = client
        .call("Divide", vec![Variant::Double(1.0), Variant::Double(4.0)])
        .await;
    assert_eq!(outputs(divided), [Variant::Double(0.25)]);
    let failed = client
        .call("Divide", vec![Variant::Double(1.0), Variant::Double(0.0)])
        .await;
    assert_eq!(
        outputs(failed),
        [Variant::Double(-1.0)],
        "Good, with the sentinel"
    );
    let min_max = client
        .call("MinMax", vec![Variant::from(vec![3i32, -7, 12, 5])])
        .await;
    assert_eq!(
        outputs(min_max),
        [Variant::UInt32(4), Variant::Int32(-7), Variant::Int32(12)],
        "the return value first, then the out parameters"
    );
    let slower = client
        .call(
            "Slower",
            vec![Variant::from(r#"{"name":"bread","minutes":40}"#)],
        )
        .await;
    assert_eq!(
        outputs(slower),
        [Variant::from(r#"{"minutes":80,"name":"bread"}"#)],
        "a user type travels as JSON text"
    );
    let greeted = client.call("Greet", vec![Variant::from("Ada")]).await;
    assert_eq!(
        outputs(greeted),
        [Variant::from("Hello, Ada")],
        "a trailing Option left out"
    );
    let greeted = client
        .call("Greet", vec![Variant::from("Ada"), Variant::from("Hi")])
        .await;
    assert_eq!(outputs(greeted), [Variant::from("Hi, Ada")]);
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_calls_have_their_status_codes() {
    let host = Host::start("status", |b| b).await;
    let client = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("connects");
    assert_eq!(
        outputs(client.call("add", i64s(2, 3)).await),
        [Variant::Int64(5)]
    );

    let wrong = client
        .call("add", vec![Variant::Int64(2), Variant::from("3")])
        .await;
    assert_eq!(wrong.status_code, StatusCode::BadInvalidArgument);
    assert_eq!(
        wrong.input_argument_results,
        Some(vec![StatusCode::Good, StatusCode::BadTypeMismatch]),
        "the String \"3\" is not converted to an integer"
    );
    let out_of_range = client
        .call(
            "Kinds",
            vec![
                Variant::Boolean(true),
                Variant::Int64(300),
                Variant::UInt64(1),
                Variant::Float(0.5),
                Variant::from(vec!["a".to_owned()]),
            ],
        )
        .await;
    assert_eq!(out_of_range.status_code, StatusCode::BadInvalidArgument);
    assert_eq!(
        out_of_range.input_argument_results.as_deref().map(|r| r[1]),
        Some(StatusCode::BadInvalidArgument),
        "300 does not fit a u8"
    );
    let bad_json = client.call("Slower", vec![Variant::from("{")]).await;
    assert_eq!(bad_json.status_code, StatusCode::BadInvalidArgument);

    let few = client.call("add", vec![Variant::Int64(2)]).await;
    assert_eq!(few.status_code, StatusCode::BadArgumentsMissing);
    let many = client
        .call(
            "add",
            vec![Variant::Int64(1), Variant::Int64(2), Variant::Int64(3)],
        )
        .await;
    assert_eq!(many.status_code, StatusCode::BadTooManyArguments);
    let unknown = client.call("NoSuchMethod", vec![]).await;
    assert_eq!(unknown.status_code, StatusCode::BadMethodInvalid);
    let elsewhere = client
        .call_on(ObjectId::ObjectsFolder.into(), "add", i64s(1, 2))
        .await;
    assert_eq!(
        elsewhere.status_code,
        StatusCode::BadMethodInvalid,
        "a method is called on its own object only"
    );
    let null = client
        .call("add", vec![Variant::Empty, Variant::Int64(1)])
        .await;
    assert_eq!(null.status_code, StatusCode::BadInvalidArgument);
    let panicked = client.call("Explode", vec![]).await;
    assert_eq!(panicked.status_code, StatusCode::BadInternalError);
    // The server is fine after a panic.
    assert_eq!(
        outputs(client.call("add", i64s(1, 1)).await),
        [Variant::Int64(2)]
    );
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_is_needed_to_execute_a_method() {
    let host = Host::start("roles", |b| b).await;
    let viewer = Client::connect(&host.url(), user("viewer", "viewer-pw"))
        .await
        .expect("viewer");
    let denied = viewer.call("ResetCounters", vec![]).await;
    assert_eq!(denied.status_code, StatusCode::BadUserAccessDenied);
    let read = ReadValueId {
        node_id: NodeId::new(viewer.ns, "ResetCounters"),
        attribute_id: AttributeId::UserExecutable as u32,
        ..Default::default()
    };
    let executable = viewer
        .session
        .read(
            std::slice::from_ref(&read),
            TimestampsToReturn::Neither,
            0.0,
        )
        .await
        .expect("Read answers")
        .remove(0);
    assert_eq!(executable.value, Some(Variant::Boolean(false)));

    let admin = Client::connect(&host.url(), user("admin", "admin-pw"))
        .await
        .expect("admin");
    assert_eq!(
        outputs(admin.call("ResetCounters", vec![]).await),
        [Variant::Boolean(true)]
    );
    let executable = admin
        .session
        .read(&[read], TimestampsToReturn::Neither, 0.0)
        .await
        .expect("Read answers")
        .remove(0);
    assert_eq!(executable.value, Some(Variant::Boolean(true)));
    viewer.disconnect().await;
    admin.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_client_closes_its_session() {
    let host = Host::start("close", |b| b).await;
    let client = Client::connect(&host.url(), user("operator", "operator-pw"))
        .await
        .expect("connects");
    let who = outputs(client.call("WhoAmI", vec![]).await);
    assert_eq!(who[0], Variant::from("operator"));
    assert_eq!((host.engine.len(), host.engine.active_count()), (1, 1));
    let Variant::String(id) = &who[1] else {
        panic!("the session id is a String: {who:?}");
    };
    let id = id.as_ref().parse().expect("a session id");
    assert!(
        host.engine.get(id).is_some(),
        "the call ran in the client's own session"
    );
    let closed = Instant::now();
    client.disconnect().await;
    host.wait_until("the session is closed", || host.engine.is_empty())
        .await;
    assert!(
        closed.elapsed() < Duration::from_secs(2),
        "seen by the sweep, long before the session timeout: {:?}",
        closed.elapsed()
    );
    assert!(host.engine.get(id).is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_ins_are_checked_and_anonymous_clients_may_be_refused() {
    let host = Host::start("login", |b| {
        b.allow_anonymous(false).authenticate(|credentials| {
            let (name, password) = credentials.user_and_password()?;
            (name == "ldap-user" && password == "from-the-directory")
                .then(|| User::new("ldap-user").with_roles(["admin"]))
        })
    })
    .await;
    assert!(Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .is_err());
    assert!(Client::connect(&host.url(), user("admin", "wrong"))
        .await
        .is_err());
    assert!(Client::connect(&host.url(), user("nobody", "x"))
        .await
        .is_err());
    let hooked = Client::connect(&host.url(), user("ldap-user", "from-the-directory"))
        .await
        .expect("the hook's user logs in");
    assert_eq!(
        outputs(hooked.call("ResetCounters", vec![]).await),
        [Variant::Boolean(true)],
        "with the hook's roles"
    );
    let admin = Client::connect(&host.url(), user("admin", "admin-pw"))
        .await
        .expect("a configured user");
    host.wait_until("only the logged-in clients have sessions", || {
        host.engine.len() == 2
    })
    .await;
    assert_eq!(host.engine.active_count(), 2);
    hooked.disconnect().await;
    admin.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounts_store_logs_users_in_with_its_roles_and_throttles_failures() {
    let accounts = opcua_support::accounts_store("host");
    let host = Host::start("store", |b| b.accounts(accounts.clone())).await;
    let admin = Client::connect(&host.url(), user("store-admin", "store-admin-pw"))
        .await
        .expect("the store's admin logs in");
    assert_eq!(
        outputs(admin.call("ResetCounters", vec![]).await),
        [Variant::Boolean(true)],
        "with the store's role"
    );
    let viewer = Client::connect(&host.url(), user("store-viewer", "store-viewer-pw"))
        .await
        .expect("the store's viewer logs in");
    let denied = viewer.call("ResetCounters", vec![]).await;
    assert_eq!(denied.status_code, StatusCode::BadUserAccessDenied);
    assert!(Client::connect(&host.url(), user("store-admin", "wrong"))
        .await
        .is_err());
    assert!(Client::connect(&host.url(), user("store-nobody", "wrong"))
        .await
        .is_err());
    // Five failures for store-viewer: even the right password is refused now, by the
    // store's throttle.
    for _ in 0..5 {
        assert!(Client::connect(&host.url(), user("store-viewer", "wrong"))
            .await
            .is_err());
    }
    assert!(accounts.throttle().begin("store-viewer", None).is_err());
    assert!(
        Client::connect(&host.url(), user("store-viewer", "store-viewer-pw"))
            .await
            .is_err(),
        "throttled"
    );
    // Users given to the builder still log in (quick tests).
    let configured = Client::connect(&host.url(), user("admin", "admin-pw"))
        .await
        .expect("a configured user");
    admin.disconnect().await;
    viewer.disconnect().await;
    configured.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exported_objects_come_and_go() {
    let host = Host::start("objects", |b| b).await;
    let client = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("connects");
    let counter = host
        .engine
        .export_object("Line1/Counter", std::sync::Arc::new(Counter::default()))
        .expect("exported");
    let objects = client.children(ObjectId::ObjectsFolder.into()).await;
    let object = objects
        .get("Line1/Counter")
        .expect("listed as soon as it is exported")
        .clone();
    assert_eq!(object, NodeId::new(client.ns, "Line1/Counter"));
    let methods = client.children(object.clone()).await;
    assert_eq!(
        methods.get("bump"),
        Some(&NodeId::new(client.ns, "Line1/Counter.bump"))
    );
    let bumped = client
        .call_on(
            object.clone(),
            "Line1/Counter.bump",
            vec![Variant::UInt64(5)],
        )
        .await;
    assert_eq!(outputs(bumped), [Variant::UInt64(5)]);
    drop(counter);
    let gone = client
        .call_on(
            object.clone(),
            "Line1/Counter.bump",
            vec![Variant::UInt64(5)],
        )
        .await;
    assert_eq!(gone.status_code, StatusCode::BadMethodInvalid);
    let objects = client.children(ObjectId::ObjectsFolder.into()).await;
    assert!(
        !objects.contains_key("Line1/Counter"),
        "gone once dropped: {objects:?}"
    );
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_async_method_blocks_no_other_call() {
    let host = Host::start("async", |b| b).await;
    let slow = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("connects");
    let quick = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("connects");
    let started = Instant::now();
    let sleeping = tokio::spawn(async move {
        let result = slow.call("Sleep", vec![Variant::UInt32(1500)]).await;
        (result, slow)
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        outputs(quick.call("add", i64s(1, 2)).await),
        [Variant::Int64(3)]
    );
    assert!(
        started.elapsed() < Duration::from_millis(1000),
        "answered while Sleep still runs: {:?}",
        started.elapsed()
    );
    let (slept, slow) = sleeping.await.expect("the sleeping call");
    assert_eq!(outputs(slept), [Variant::UInt32(1500)]);
    slow.disconnect().await;
    quick.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_clients_each_get_their_own_user_and_session() {
    const CLIENTS: usize = 50;
    const CALLS: usize = 20;
    let host = Host::start("concurrent", |b| {
        b.authenticate(|credentials| {
            let (name, password) = credentials.user_and_password()?;
            (name.starts_with("client-") && password == "pw").then(|| User::new(name))
        })
    })
    .await;
    let mut tasks = Vec::new();
    for index in 0..CLIENTS {
        let url = host.url();
        tasks.push(tokio::spawn(async move {
            let name = format!("client-{index}");
            let client = Client::connect(&url, user(&name, "pw"))
                .await
                .expect("connects");
            let mut ids = HashSet::new();
            for _ in 0..CALLS {
                let who = outputs(client.call("WhoAmI", vec![]).await);
                assert_eq!(
                    who[0],
                    Variant::from(name.as_str()),
                    "the caller's own user"
                );
                ids.insert(format!("{:?}", who[1]));
            }
            assert_eq!(
                ids.len(),
                1,
                "every call of a client runs in its one session"
            );
            (client, ids.into_iter().next().expect("one id"))
        }));
    }
    let mut clients = Vec::new();
    let mut ids = HashSet::new();
    for task in tasks {
        let (client, id) = task.await.expect("a client's calls");
        ids.insert(id);
        clients.push(client);
    }
    assert_eq!(ids.len(), CLIENTS, "each client has a session of its own");
    assert_eq!(host.engine.active_count(), CLIENTS);
    for client in clients {
        client.disconnect().await;
    }
    host.wait_until("every session is closed", || host.engine.is_empty())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_closes_every_session() {
    let host = Host::start("shutdown", |b| b).await;
    let client = Client::connect(&host.url(), user("operator", "operator-pw"))
        .await
        .expect("connects");
    assert_eq!(host.engine.len(), 1);
    let Host { engine, handle } = host;
    tokio::time::timeout(Duration::from_secs(20), handle.shutdown())
        .await
        .expect("shutdown finishes")
        .expect("the server had no error");
    assert!(engine.is_empty());
    drop(client);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_certificate_clients_sign_and_encrypt() {
    let (cert, key) = opcua_support::server_certificate("secure");
    let host = Host::start("secure", |b| {
        b.certificate(cert, key)
            .allow_unsecured(false)
            .trust_client_certificates(true)
    })
    .await;
    let unsecured = Client::connect(&host.url(), user("admin", "admin-pw")).await;
    assert!(
        unsecured.is_err(),
        "no endpoint without security is offered"
    );
    for policy in [
        SecurityPolicy::Basic256Sha256,
        SecurityPolicy::Aes128Sha256RsaOaep,
        SecurityPolicy::Aes256Sha256RsaPss,
    ] {
        for mode in [
            MessageSecurityMode::Sign,
            MessageSecurityMode::SignAndEncrypt,
        ] {
            let client = Client::connect_with(&host.url(), policy, mode, user("admin", "admin-pw"))
                .await
                .unwrap_or_else(|error| panic!("{policy} {mode:?}: {error}"));
            let who = outputs(client.call("WhoAmI", vec![]).await);
            assert_eq!(who[0], Variant::from("admin"), "{policy} {mode:?}");
            client.disconnect().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_certificate_a_password_is_encrypted_even_without_security() {
    let (cert, key) = opcua_support::server_certificate("password");
    let host = Host::start("password", |b| b.certificate(cert, key)).await;
    // The client encrypts the password with the server's certificate, as the user token
    // policy of the `None` endpoint asks; the host decrypts it and logs the user in.
    let client = Client::connect(&host.url(), user("operator", "operator-pw"))
        .await
        .expect("logs in with an encrypted password");
    let who = outputs(client.call("WhoAmI", vec![]).await);
    assert_eq!(who[0], Variant::from("operator"));
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_certificate_fails_the_start_with_its_path() {
    let engine = sessions_core::Engine::new();
    let error = sessions_core::opcua::OpcUaHost::builder(engine)
        .port(0)
        .pki_dir(opcua_support::pki_dir())
        .certificate("/nonexistent/cert.der", "/nonexistent/key.pem")
        .start()
        .await
        .expect_err("no such certificate");
    assert!(
        error.to_string().contains("/nonexistent/cert.der"),
        "{error}"
    );
    let engine = sessions_core::Engine::new();
    let error = sessions_core::opcua::OpcUaHost::builder(engine)
        .port(0)
        .allow_unsecured(false)
        .start()
        .await
        .expect_err("no endpoint");
    assert!(
        error.to_string().contains("needs a `certificate"),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vanished_clients_session_expires_at_the_session_timeout() {
    let host = Host::start("expiry", |b| b.max_session_timeout(Duration::from_secs(2))).await;
    let client = Client::connect(&host.url(), user("operator", "operator-pw"))
        .await
        .expect("connects");
    assert_eq!(host.engine.len(), 1);
    // Gone without CloseSession: the connection drops, the OPC UA session waits for its
    // timeout (capped at 2 s here), then ours closes.
    let vanished = Instant::now();
    drop(client);
    host.wait_until("the session expired", || host.engine.is_empty())
        .await;
    assert!(
        vanished.elapsed() >= Duration::from_millis(1500),
        "not before the timeout: {:?}",
        vanished.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_sessions_than_the_limit() {
    let host = Host::start("limit", |b| b.max_sessions(2).max_anonymous_sessions(2)).await;
    let first = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("one");
    let second = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("two");
    let third = Client::connect(&host.url(), IdentityToken::Anonymous).await;
    assert!(third.is_err(), "a third session is refused");
    assert_eq!(host.engine.len(), 2);
    first.disconnect().await;
    second.disconnect().await;
    host.wait_until("every session is closed", || host.engine.is_empty())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_the_application_closed_answers_bad_session_closed() {
    let host = Host::start("app-closed", |b| b).await;
    let client = Client::connect(&host.url(), user("operator", "operator-pw"))
        .await
        .expect("connects");
    let session = host.engine.sessions().pop().expect("the client's session");
    host.engine
        .close(session.id())
        .expect("closed by the application");
    let refused = client.call("WhoAmI", vec![]).await;
    assert_eq!(refused.status_code, StatusCode::BadSessionClosed);
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_counted_in_the_metrics_under_the_host_label_opcua() {
    let metrics = sessions_core::metrics::Metrics::new();
    let for_host = metrics.clone();
    let host = Host::start("metrics", move |b| b.metrics(for_host)).await;
    let client = Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("connects");
    let divided = client
        .call("Divide", vec![Variant::Double(1.0), Variant::Double(4.0)])
        .await;
    assert_eq!(outputs(divided), [Variant::Double(0.25)]);
    let failed = client
        .call("Divide", vec![Variant::Double(1.0), Variant::Double(0.0)])
        .await;
    assert_eq!(outputs(failed), [Variant::Double(-1.0)]);
    let text = metrics.encode();
    let engine = host.engine_name();
    for line in [
        r#"sessions_calls_total{method="Divide",outcome="ok",host="opcua"} 1"#.to_owned(),
        r#"sessions_calls_total{method="Divide",outcome="failed",host="opcua"} 1"#.to_owned(),
        r#"sessions_call_duration_seconds_count{method="Divide",host="opcua"} 2"#.to_owned(),
        format!(r#"sessions_open{{engine="{engine}"}} 1"#),
    ] {
        assert!(text.lines().any(|l| l == line), "{line} is not in:\n{text}");
    }
    client.disconnect().await;
}
