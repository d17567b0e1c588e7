//! Exported variables over OPC UA (issue 20): each a Variable node under the `Variables`
//! object (and its object's node), read, written in the client's session under its write
//! role (one audit record per write), and pushed to MonitoredItems at each change. Tested
//! with async-opcua's client and with Python's `asyncua` (skipped with a reason when it
//! cannot be had, unless `SESSIONS_EXTERNAL_TESTS=require`), over a real socket on
//! 127.0.0.1.

mod opcua_support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use opcua::client::{DataChangeCallback, IdentityToken};
use opcua::types::{
    AttributeId, DataTypeId, DataValue, MonitoredItemCreateRequest, MonitoringMode,
    MonitoringParameters, NodeId, NumericRange, ObjectId, ReadValueId, StatusCode,
    TimestampsToReturn, Variant, WriteValue,
};
use opcua_support::python::{python, scenario, Running};
use opcua_support::{engine_name, pki_dir, user, with_users, Client, Host, WAIT};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sessions_core::audit::{
    AuditError, AuditHost, AuditKind, AuditOutcome, AuditRecord, AuditSink,
};
use sessions_core::opcua::{OpcUaHost, VARIABLES_OBJECT};
use sessions_core::{Engine, ObjectHandle, Variable, VariableHandle, Variables};
use tokio::sync::mpsc;

/// A tank: its level (anyone may write it) and its setpoint (operators only), exported
/// with it as `<path>/Level` and `<path>/Setpoint`.
#[derive(Variables)]
pub struct Tank {
    #[variable(name = "Level")]
    level: Variable<f64>,
    #[variable(name = "Setpoint")]
    setpoint: Variable<f64>,
}

impl Default for Tank {
    fn default() -> Tank {
        Tank {
            level: Variable::new(0.0),
            setpoint: Variable::builder(50.0).write_role("operator").build(),
        }
    }
}

/// A user type: its values travel as JSON text.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    name: String,
    minutes: u32,
}

/// The audit records, kept.
#[derive(Default)]
struct Kept(Mutex<Vec<AuditRecord>>);

impl AuditSink for Kept {
    fn record(&self, record: AuditRecord) -> Result<(), AuditError> {
        self.0.lock().expect("lock").push(record);
        Ok(())
    }
}

/// A host whose engine exports a tank at `Plant/Tank`, a count and a recipe, and keeps an
/// audit trail.
struct Plant {
    host: Host,
    tank: Arc<Tank>,
    count: Variable<u32>,
    recipe: Variable<Recipe>,
    audit: Arc<Kept>,
    _exported: (ObjectHandle, VariableHandle, VariableHandle),
}

impl Plant {
    async fn start(test: &str) -> Plant {
        let audit = Arc::new(Kept::default());
        let engine = Engine::builder()
            .name(engine_name(test))
            .audit(Arc::clone(&audit))
            .build()
            .expect("a fresh engine name");
        let tank = Arc::new(Tank::default());
        let count = Variable::new(7_u32);
        let recipe = Variable::new(Recipe {
            name: "bread".into(),
            minutes: 40,
        });
        let exported = (
            engine
                .export_object("Plant/Tank", tank.clone())
                .expect("exported"),
            engine
                .export_variable("Plant/Count", &count)
                .expect("exported"),
            engine
                .export_variable("Plant/Recipe", &recipe)
                .expect("exported"),
        );
        let builder = OpcUaHost::builder(engine.clone())
            .port(0)
            .pki_dir(pki_dir());
        let handle = with_users(builder)
            .start()
            .await
            .expect("the OPC UA host starts on 127.0.0.1");
        Plant {
            host: Host { engine, handle },
            tank,
            count,
            recipe,
            audit,
            _exported: exported,
        }
    }

    /// Writes `value` into `variable` as the engine's root (what the application does).
    fn set<T: sessions_core::VariableValue>(&self, variable: &Variable<T>, value: T) {
        let _root = self.host.engine.impersonate_root();
        variable.set(value).expect("the root writes every variable");
    }

    /// The write records, as (user, variable, outcome).
    fn writes(&self) -> Vec<(Option<String>, String, AuditOutcome)> {
        self.audit
            .0
            .lock()
            .expect("lock")
            .iter()
            .filter(|record| record.kind == AuditKind::Write)
            .map(|record| {
                assert_eq!(record.host, AuditHost::Opcua);
                assert!(record.session.is_some(), "written in a session: {record:?}");
                (record.user.clone(), record.target.clone(), record.outcome)
            })
            .collect()
    }
}

fn node(client: &Client, path: &str) -> NodeId {
    NodeId::new(client.ns, path)
}

/// The `Variables` object's children.
async fn listed(client: &Client) -> Vec<String> {
    client
        .children(NodeId::new(client.ns, 2_u32))
        .await
        .into_keys()
        .collect()
}

/// One attribute of `node`.
async fn attribute(client: &Client, node: &NodeId, attribute: AttributeId) -> DataValue {
    let read = ReadValueId {
        attribute_id: attribute as u32,
        ..ReadValueId::from(node.clone())
    };
    client
        .session
        .read(&[read], TimestampsToReturn::Both, 0.0)
        .await
        .expect("Read answers")
        .remove(0)
}

/// The value of `node`.
async fn read(client: &Client, node: &NodeId) -> DataValue {
    attribute(client, node, AttributeId::Value).await
}

/// Writes `attribute` of `node`: its status.
async fn write_attribute(
    client: &Client,
    node: &NodeId,
    attribute: AttributeId,
    value: Variant,
) -> StatusCode {
    let write = WriteValue {
        node_id: node.clone(),
        attribute_id: attribute as u32,
        index_range: NumericRange::None,
        value: DataValue {
            value: Some(value),
            ..DataValue::default()
        },
    };
    tokio::time::timeout(WAIT, client.session.write(&[write]))
        .await
        .expect("the write is answered in time")
        .expect("Write answers")
        .remove(0)
}

/// Writes the value of `node`: its status.
async fn write(client: &Client, node: &NodeId, value: Variant) -> StatusCode {
    write_attribute(client, node, AttributeId::Value, value).await
}

fn access_level(value: &DataValue) -> u8 {
    match value.value {
        Some(Variant::Byte(level)) => level,
        ref other => panic!("an access level is a Byte: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_variable_is_a_typed_node_under_variables_and_under_its_object() {
    let plant = Plant::start("var-browse").await;
    let url = plant.host.url();
    let anonymous = Client::connect(&url, IdentityToken::Anonymous)
        .await
        .expect("anonymous");
    let operator = Client::connect(&url, user("operator", "operator-pw"))
        .await
        .expect("operator");
    let viewer = Client::connect(&url, user("viewer", "viewer-pw"))
        .await
        .expect("viewer");

    let objects = anonymous.children(ObjectId::ObjectsFolder.into()).await;
    assert_eq!(
        objects.get(VARIABLES_OBJECT),
        Some(&NodeId::new(anonymous.ns, 2_u32)),
        "{objects:?}"
    );
    assert_eq!(
        listed(&anonymous).await,
        [
            "Plant/Count",
            "Plant/Recipe",
            "Plant/Tank/Level",
            "Plant/Tank/Setpoint"
        ]
    );
    let tank = anonymous.children(node(&anonymous, "Plant/Tank")).await;
    assert_eq!(
        tank.get("Plant/Tank/Setpoint"),
        Some(&node(&anonymous, "Plant/Tank/Setpoint")),
        "an object's variable is also under its node: {tank:?}"
    );
    assert!(tank.contains_key("Plant/Tank/Level"), "{tank:?}");

    // Typed as arguments are: Double, UInt32, a user type as JSON text in a String.
    let types = [
        ("Plant/Tank/Setpoint", DataTypeId::Double),
        ("Plant/Count", DataTypeId::UInt32),
        ("Plant/Recipe", DataTypeId::String),
    ];
    for (path, data_type) in types {
        let seen = attribute(&anonymous, &node(&anonymous, path), AttributeId::DataType).await;
        assert_eq!(
            seen.value,
            Some(Variant::from(NodeId::from(data_type))),
            "{path}"
        );
        let rank = attribute(&anonymous, &node(&anonymous, path), AttributeId::ValueRank).await;
        assert_eq!(rank.value, Some(Variant::Int32(-1)), "{path}");
    }

    // AccessLevel CurrentRead | CurrentWrite; UserAccessLevel follows the write role.
    let setpoint = node(&anonymous, "Plant/Tank/Setpoint");
    let level = node(&anonymous, "Plant/Tank/Level");
    assert_eq!(
        access_level(&attribute(&anonymous, &setpoint, AttributeId::AccessLevel).await),
        3
    );
    let user_level = AttributeId::UserAccessLevel;
    assert_eq!(
        access_level(&attribute(&anonymous, &setpoint, user_level).await),
        1,
        "no user: read only"
    );
    assert_eq!(
        access_level(&attribute(&viewer, &setpoint, user_level).await),
        1,
        "a user without the role: read only"
    );
    assert_eq!(
        access_level(&attribute(&operator, &setpoint, user_level).await),
        3,
        "the operator may write"
    );
    assert_eq!(
        access_level(&attribute(&anonymous, &level, user_level).await),
        3,
        "no write role: any session writes"
    );
    for client in [anonymous, operator, viewer] {
        client.disconnect().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_answers_the_current_value_with_the_time_of_its_change() {
    let plant = Plant::start("var-read").await;
    let client = Client::connect(&plant.host.url(), IdentityToken::Anonymous)
        .await
        .expect("anonymous");
    let before = opcua::types::DateTime::now();
    plant.set(&plant.tank.setpoint, 64.5);
    plant.set(&plant.count, 8);
    let after = opcua::types::DateTime::now();

    let seen = read(&client, &node(&client, "Plant/Tank/Setpoint")).await;
    assert_eq!(seen.status, Some(StatusCode::Good));
    assert_eq!(seen.value, Some(Variant::Double(64.5)));
    let source = seen.source_timestamp.expect("a source timestamp");
    assert!(
        before.ticks() - 10 <= source.ticks() && source.ticks() <= after.ticks() + 10,
        "the change's time: {source:?} not in {before:?}..{after:?}"
    );
    assert!(seen.server_timestamp.is_some());
    assert_eq!(
        read(&client, &node(&client, "Plant/Count")).await.value,
        Some(Variant::UInt32(8))
    );
    assert_eq!(
        read(&client, &node(&client, "Plant/Recipe")).await.value,
        Some(Variant::from(r#"{"minutes":40,"name":"bread"}"#))
    );
    assert_eq!(
        read(&client, &node(&client, "Plant/Nothing")).await.status,
        Some(StatusCode::BadNodeIdUnknown)
    );
    client.disconnect().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_run_in_the_clients_session_under_the_write_role_and_are_audited() {
    let plant = Plant::start("var-write").await;
    let url = plant.host.url();
    let anonymous = Client::connect(&url, IdentityToken::Anonymous)
        .await
        .expect("anonymous");
    let viewer = Client::connect(&url, user("viewer", "viewer-pw"))
        .await
        .expect("viewer");
    let operator = Client::connect(&url, user("operator", "operator-pw"))
        .await
        .expect("operator");
    let setpoint = node(&operator, "Plant/Tank/Setpoint");

    assert_eq!(
        write(&anonymous, &setpoint, Variant::Double(70.0)).await,
        StatusCode::BadUserAccessDenied,
        "no user: refused"
    );
    assert_eq!(
        write(&viewer, &setpoint, Variant::Double(70.0)).await,
        StatusCode::BadUserAccessDenied,
        "a user without the role: refused"
    );
    assert_eq!(plant.tank.setpoint.version(), 0, "nothing changed");
    assert_eq!(
        write(&operator, &setpoint, Variant::Double(70.0)).await,
        StatusCode::Good
    );
    let change = plant.tank.setpoint.last_change();
    assert_eq!((change.value, change.version), (70.0, 1));
    let by = change.by.expect("a writer");
    assert_eq!(
        by.user.map(|u| u.name().to_owned()).as_deref(),
        Some("operator")
    );
    assert!(!by.root, "the operator's own session, not a root");
    assert!(
        plant.host.engine.get(by.session).is_some(),
        "written in the client's session of the engine"
    );

    // A value of another type: refused, nothing changes (the variant's type is checked,
    // never converted: an Int64 is not a Double).
    assert_eq!(
        write(&operator, &setpoint, Variant::from("warm")).await,
        StatusCode::BadTypeMismatch
    );
    assert_eq!(
        write(&operator, &setpoint, Variant::Int64(70)).await,
        StatusCode::BadTypeMismatch
    );
    assert_eq!(
        write(
            &operator,
            &node(&operator, "Plant/Recipe"),
            Variant::from("{\"name\": 1}")
        )
        .await,
        StatusCode::BadTypeMismatch,
        "JSON of the wrong shape"
    );
    assert_eq!(plant.tank.setpoint.version(), 1);

    // No write role: any session writes, anonymous too; a JSON value by its text.
    let level = node(&anonymous, "Plant/Tank/Level");
    assert_eq!(
        write(&anonymous, &level, Variant::Double(3.5)).await,
        StatusCode::Good
    );
    assert_eq!(plant.tank.level.get(), 3.5);
    let recipe = r#"{"name":"rolls","minutes":25}"#;
    assert_eq!(
        write(
            &anonymous,
            &node(&anonymous, "Plant/Recipe"),
            Variant::from(recipe)
        )
        .await,
        StatusCode::Good
    );
    assert_eq!(
        plant.recipe.get(),
        Recipe {
            name: "rolls".into(),
            minutes: 25
        }
    );
    assert_eq!(
        write(
            &anonymous,
            &node(&anonymous, "Plant/Count"),
            Variant::Int64(9)
        )
        .await,
        StatusCode::Good,
        "an integer variable takes any integer variant that fits"
    );
    assert_eq!(plant.count.get(), 9);

    // Only a variable's value is written.
    assert_eq!(
        write_attribute(
            &operator,
            &setpoint,
            AttributeId::DisplayName,
            Variant::from("x")
        )
        .await,
        StatusCode::BadNotWritable
    );

    let operator_name = Some("operator".to_owned());
    let viewer_name = Some("viewer".to_owned());
    let setpoint_path = "Plant/Tank/Setpoint".to_owned();
    assert_eq!(
        plant.writes(),
        [
            (None, setpoint_path.clone(), AuditOutcome::Refused),
            (viewer_name, setpoint_path.clone(), AuditOutcome::Refused),
            (
                operator_name.clone(),
                setpoint_path.clone(),
                AuditOutcome::Ok
            ),
            (
                operator_name.clone(),
                setpoint_path.clone(),
                AuditOutcome::Invalid
            ),
            (operator_name.clone(), setpoint_path, AuditOutcome::Invalid),
            (
                operator_name,
                "Plant/Recipe".to_owned(),
                AuditOutcome::Invalid
            ),
            (None, "Plant/Tank/Level".to_owned(), AuditOutcome::Ok),
            (None, "Plant/Recipe".to_owned(), AuditOutcome::Ok),
            (None, "Plant/Count".to_owned(), AuditOutcome::Ok),
        ],
        "one record per write of a variable's value"
    );
    for client in [anonymous, viewer, operator] {
        client.disconnect().await;
    }
}

/// Subscribes `client` to the value of `node`: each data change arrives on the receiver.
async fn monitor(client: &Client, node: NodeId) -> mpsc::UnboundedReceiver<DataValue> {
    let (sender, receiver) = mpsc::unbounded_channel();
    let subscription = client
        .session
        .create_subscription(
            Duration::from_millis(50),
            100,
            10,
            0,
            0,
            true,
            DataChangeCallback::new(move |value, _item| {
                let _ = sender.send(value);
            }),
        )
        .await
        .expect("a subscription");
    let parameters = MonitoringParameters {
        sampling_interval: 0.0,
        queue_size: 10,
        discard_oldest: true,
        ..MonitoringParameters::default()
    };
    let request =
        MonitoredItemCreateRequest::new(node.into(), MonitoringMode::Reporting, parameters);
    let created = client
        .session
        .create_monitored_items(subscription, TimestampsToReturn::Both, vec![request])
        .await
        .expect("CreateMonitoredItems answers");
    assert_eq!(created[0].result.status_code, StatusCode::Good);
    receiver
}

async fn next_value(changes: &mut mpsc::UnboundedReceiver<DataValue>) -> DataValue {
    tokio::time::timeout(WAIT, changes.recv())
        .await
        .expect("a data change in time")
        .expect("the subscription lives")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_monitored_item_gets_each_change_in_order() {
    let plant = Plant::start("var-monitor").await;
    let url = plant.host.url();
    let client = Client::connect(&url, IdentityToken::Anonymous)
        .await
        .expect("anonymous");
    let operator = Client::connect(&url, user("operator", "operator-pw"))
        .await
        .expect("operator");
    let setpoint = node(&client, "Plant/Tank/Setpoint");
    let mut changes = monitor(&client, setpoint.clone()).await;
    assert_eq!(
        next_value(&mut changes).await.value,
        Some(Variant::Double(50.0)),
        "the current value first"
    );
    let mut seen = Vec::new();
    let mut times = Vec::new();
    for n in 1..=3 {
        let value = f64::from(n) * 10.0;
        if n == 2 {
            // A write over OPC UA reaches watchers as any other change.
            assert_eq!(
                write(&operator, &setpoint, Variant::Double(value)).await,
                StatusCode::Good
            );
        } else {
            plant.set(&plant.tank.setpoint, value);
        }
        let change = next_value(&mut changes).await;
        assert_eq!(change.status, Some(StatusCode::Good));
        times.push(change.source_timestamp.expect("a source timestamp"));
        seen.push(change.value);
    }
    assert_eq!(
        seen,
        [
            Some(Variant::Double(10.0)),
            Some(Variant::Double(20.0)),
            Some(Variant::Double(30.0))
        ]
    );
    assert!(times.windows(2).all(|pair| pair[0] <= pair[1]), "{times:?}");
    client.disconnect().await;
    operator.disconnect().await;
}

/// The tasks alive on the test's runtime.
fn alive_tasks() -> usize {
    tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks()
}

/// Waits until `done()` holds (checked every 20 ms), failing after [`WAIT`].
async fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + WAIT;
    while !done() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {WAIT:?} waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_come_and_go_while_the_host_runs_each_with_one_task_that_ends_with_it() {
    const MORE: usize = 30;
    let before_host = alive_tasks();
    let plant = Plant::start("var-come-and-go").await;
    let client = Client::connect(&plant.host.url(), IdentityToken::Anonymous)
        .await
        .expect("anonymous");
    let settled = alive_tasks();
    let extra: Vec<Variable<i32>> = (0..MORE).map(|n| Variable::new(n as i32)).collect();
    let handles: Vec<VariableHandle> = extra
        .iter()
        .enumerate()
        .map(|(n, variable)| {
            plant
                .host
                .engine
                .export_variable(&format!("Extra/V{n:02}"), variable)
                .expect("exported")
        })
        .collect();
    // In the address space before `export_variable` returned.
    let names = listed(&client).await;
    assert_eq!(names.len(), 4 + MORE, "{names:?}");
    assert!(names.contains(&"Extra/V07".to_owned()));
    assert_eq!(
        read(&client, &node(&client, "Extra/V07")).await.value,
        Some(Variant::Int32(7))
    );
    assert!(
        alive_tasks() >= settled + MORE,
        "one task per exported variable: {} alive, {settled} before",
        alive_tasks()
    );

    drop(handles);
    assert_eq!(listed(&client).await.len(), 4, "gone at once");
    assert_eq!(
        read(&client, &node(&client, "Extra/V07")).await.status,
        Some(StatusCode::BadNodeIdUnknown)
    );
    wait_until("the unexported variables' tasks have ended", || {
        alive_tasks() <= settled
    })
    .await;

    // Exported again (another variable at a path seen before): a node again.
    let again = Variable::new(-1_i32);
    let _again = plant
        .host
        .engine
        .export_variable("Extra/V07", &again)
        .expect("exported");
    assert_eq!(
        read(&client, &node(&client, "Extra/V07")).await.value,
        Some(Variant::Int32(-1))
    );

    // An object exported while the host runs: its variables under its node too.
    let second = plant
        .host
        .engine
        .export_object("Plant/Tank2", Arc::new(Tank::default()))
        .expect("exported");
    let under = client.children(node(&client, "Plant/Tank2")).await;
    assert!(
        under.contains_key("Plant/Tank2/Level") && under.contains_key("Plant/Tank2/Setpoint"),
        "{under:?}"
    );
    drop(second);

    // An object dropped takes its variables' nodes with it.
    let Plant {
        host,
        _exported: (tank, count, recipe),
        ..
    } = plant;
    drop(tank);
    assert_eq!(
        listed(&client).await,
        ["Extra/V07", "Plant/Count", "Plant/Recipe"]
    );
    client.disconnect().await;

    // The host stopped: every variable's task ends, though the variables stay exported.
    host.handle.shutdown().await.expect("a clean stop");
    wait_until(
        "the host's tasks, its variables' among them, have ended",
        || alive_tasks() <= before_host,
    )
    .await;
    assert_eq!(host.engine.variables().len(), 3);
    drop((count, recipe));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_asyncua_reads_writes_and_is_refused_without_the_role() {
    let Some(python) = python() else { return };
    let plant = Plant::start("var-py").await;
    let seen = scenario(python, &["variables", &plant.host.url()]).await;
    assert_eq!(
        seen["listed"],
        json!([
            "Plant/Count",
            "Plant/Recipe",
            "Plant/Tank/Level",
            "Plant/Tank/Setpoint"
        ]),
        "{seen}"
    );
    assert_eq!(seen["read"], json!(["Double", 50.0]));
    assert_eq!(seen["data_type"], json!(11), "Double");
    assert_eq!(
        seen["access"],
        json!({"anonymous": 1, "viewer": 1, "operator": 3})
    );
    assert_eq!(seen["anonymous_write"], "BadUserAccessDenied");
    assert_eq!(seen["viewer_write"], "BadUserAccessDenied");
    assert_eq!(seen["operator_write"], "Good");
    assert_eq!(seen["wrong_type"], "BadTypeMismatch");
    assert_eq!(seen["read_after"], json!(["Double", 75.0]));
    assert_eq!(plant.tank.setpoint.get(), 75.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_asyncua_subscription_receives_three_successive_changes() {
    let Some(python) = python() else { return };
    let plant = Plant::start("var-py-subscribe").await;
    let mut client = Running::start(
        python,
        &["subscribe", &plant.host.url(), "Plant/Count", "3"],
    );
    assert_eq!(client.next().await, json!({"subscribed": 7}));
    for n in 1..=3 {
        plant.set(&plant.count, 100 + n);
        assert_eq!(client.next().await, json!({"seen": 100 + n}));
    }
    assert_eq!(
        client.next().await,
        json!({"first": 7, "changes": [101, 102, 103]})
    );
    client.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_in_a_session_the_application_closed_is_refused() {
    let plant = Plant::start("var-app-closed").await;
    let client = Client::connect(&plant.host.url(), user("operator", "operator-pw"))
        .await
        .expect("connects");
    let session = plant
        .host
        .engine
        .sessions()
        .pop()
        .expect("the client's session");
    plant
        .host
        .engine
        .close(session.id())
        .expect("closed by the application");
    let setpoint = node(&client, "Plant/Tank/Setpoint");
    assert_eq!(
        write(&client, &setpoint, Variant::Double(1.0)).await,
        StatusCode::BadSessionClosed
    );
    assert_eq!(plant.tank.setpoint.version(), 0, "nothing changed");
    let outcomes: Vec<_> = plant
        .writes()
        .into_iter()
        .map(|(_, path, outcome)| (path, outcome))
        .collect();
    assert_eq!(
        outcomes,
        [("Plant/Tank/Setpoint".to_owned(), AuditOutcome::Refused)]
    );
    client.disconnect().await;
}
