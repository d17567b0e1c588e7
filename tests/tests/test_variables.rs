//! Exported variables, seen from a downstream crate: the session rule on every write
//! (`NoContext`, `Forbidden`, root writes all), versions that never go back, watchers that
//! get the latest value however slowly they read, the erased view hosts hold, exports by
//! path with the engine's events, and an object's `Variable` fields exported with it.

use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sessions_core::host::EngineEvent;
use sessions_core::{
    export_methods, AnyVariable, Engine, ObjectError, SessionError, User, Value, Variable,
    VariableError, Variables, Watch,
};

/// How long a test waits for a change before it fails.
const DEADLINE: Duration = Duration::from_secs(30);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// `watch`'s next change, failing the test after `DEADLINE`.
async fn next<T: sessions_core::VariableValue>(
    watch: &mut Watch<T>,
) -> Option<sessions_core::Change<T>> {
    tokio::time::timeout(DEADLINE, watch.changed())
        .await
        .expect("a change within the deadline")
}

#[test]
fn set_outside_a_session_is_no_context_and_changes_nothing() {
    let variable = Variable::new(false);
    let mut watch = variable.watch();
    assert_eq!(variable.set(true), Err(SessionError::NoContext));
    assert!(!variable.get());
    assert_eq!(variable.version(), 0);
    assert!(variable.last_change().by.is_none());
    assert!(!watch.has_changed());
    let mut cx = Context::from_waker(Waker::noop());
    assert!(watch.poll_changed(&mut cx).is_pending());
}

#[test]
fn a_write_role_refuses_users_without_it_and_the_root_writes_everything() -> Result<(), SessionError>
{
    let engine = Engine::new();
    let target = Variable::builder(180.0).write_role("operator").build();
    assert_eq!(target.write_role(), Some("operator"));
    let forbidden = Err(SessionError::Forbidden {
        role: "operator".to_owned(),
    });

    let anonymous = engine.open()?;
    {
        let _in = anonymous.enter()?;
        assert_eq!(target.set(1.0), forbidden);
    }
    let viewer = engine.open()?;
    viewer.set_user(Some(User::new("vic").with_roles(["viewer"])));
    {
        let _in = viewer.enter()?;
        assert_eq!(target.set(2.0), forbidden);
    }
    assert_eq!((target.get(), target.version()), (180.0, 0));

    let operator = engine.open()?;
    operator.set_user(Some(User::new("olga").with_roles(["operator"])));
    {
        let _in = operator.enter()?;
        target.set(200.0)?;
    }
    let change = target.last_change();
    assert_eq!((change.value, change.version), (200.0, 1));
    let by = change.by.expect("a change has a writer");
    assert_eq!(by.session, operator.id());
    assert_eq!(by.user.as_ref().map(User::name), Some("olga"));
    assert!(!by.root);

    {
        let _root = engine.impersonate_root();
        target.set(210.0)?;
    }
    let change = target.last_change();
    assert_eq!((change.value, change.version), (210.0, 2));
    let by = change.by.expect("a change has a writer");
    assert!(by.root);
    assert_eq!(by.session, engine.root().id());
    assert!(change.at >= target.last_change().at);

    // Without a role, any session may write, but still only in a session.
    let free = Variable::new(0);
    let _in = anonymous.enter()?;
    free.set(1)?;
    assert_eq!(
        free.last_change().by.map(|by| by.session),
        Some(anonymous.id())
    );
    Ok(())
}

#[test]
fn a_slow_watcher_gets_only_the_latest_value_in_one_slot() {
    let engine = Engine::new();
    let variable = Variable::new(0_u64);
    let mut slow = variable.watch();
    let mut cx = Context::from_waker(Waker::noop());
    assert!(slow.poll_changed(&mut cx).is_pending());
    {
        let _root = engine.impersonate_root();
        for n in 1..=100_000 {
            variable.set(n).expect("root writes");
        }
    }
    // Bounded by construction: a watcher is its shared pointer and two numbers, whatever
    // it missed; no queue grows with the writes.
    assert!(size_of::<Watch<u64>>() <= 3 * size_of::<u64>());
    assert!(slow.has_changed());
    match slow.poll_changed(&mut cx) {
        Poll::Ready(Some(change)) => {
            assert_eq!((change.value, change.version), (100_000, 100_000))
        }
        other => panic!("expected the latest change, got {other:?}"),
    }
    assert!(slow.poll_changed(&mut cx).is_pending());
    assert_eq!(slow.seen(), 100_000);
}

#[test]
fn versions_never_go_back_with_writers_on_several_threads() {
    const WRITERS: u64 = 4;
    const EACH: u64 = 5_000;
    let engine = Engine::new();
    let variable = Variable::new((0_u64, 0_u64));
    let runtime = runtime();
    let watchers: Vec<_> = (0..3)
        .map(|_| {
            let mut watch = variable.watch();
            runtime.spawn(async move {
                let mut versions = Vec::new();
                while let Some(change) = next(&mut watch).await {
                    versions.push(change.version);
                    if change.version == WRITERS * EACH {
                        break;
                    }
                }
                versions
            })
        })
        .collect();
    std::thread::scope(|scope| {
        for writer in 0..WRITERS {
            let (engine, variable) = (&engine, &variable);
            scope.spawn(move || {
                let _root = engine.impersonate_root();
                for n in 0..EACH {
                    variable.set((writer, n)).expect("root writes");
                }
            });
        }
    });
    assert_eq!(variable.version(), WRITERS * EACH);
    for watcher in watchers {
        let versions = runtime.block_on(watcher).expect("the watcher ran");
        assert!(!versions.is_empty());
        assert!(
            versions.windows(2).all(|pair| pair[0] < pair[1]),
            "versions went back: {versions:?}"
        );
        assert_eq!(versions.last(), Some(&(WRITERS * EACH)));
    }
}

#[test]
fn a_watcher_hears_each_change_it_waits_for_and_ends_with_the_last_handle() {
    let engine = Engine::new();
    let variable = Variable::new(String::new());
    let runtime = runtime();
    let (heard_tx, heard_rx) = std::sync::mpsc::channel();
    let mut watch = variable.watch();
    let task = runtime.spawn(async move {
        let mut seen = Vec::new();
        while let Some(change) = next(&mut watch).await {
            seen.push(change.value);
            heard_tx.send(()).expect("the test listens");
        }
        seen
    });
    for word in ["one", "two", "three"] {
        {
            let _root = engine.impersonate_root();
            variable.set(word.to_owned()).expect("root writes");
        }
        heard_rx
            .recv_timeout(DEADLINE)
            .expect("the watcher heard it");
    }
    let copy = variable.clone();
    drop(variable);
    assert_eq!(copy.get(), "three");
    drop(copy);
    let seen = runtime.block_on(task).expect("the watcher ended");
    assert_eq!(seen, ["one", "two", "three"]);
}

/// A recipe step: a type with its own JSON Schema.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Step {
    /// The temperature.
    pub celsius: f64,
    /// For how long.
    pub minutes: u32,
}

#[test]
fn the_erased_view_reads_writes_and_watches_values_under_the_same_rule(
) -> Result<(), Box<dyn std::error::Error>> {
    let engine = Engine::new();
    let step = Variable::builder(Step {
        celsius: 180.0,
        minutes: 20,
    })
    .write_role("operator")
    .json_schema()
    .build();
    let erased: Arc<dyn AnyVariable> = step.erased();
    assert!(erased.type_name().ends_with("Step"));
    assert_eq!(erased.write_role(), Some("operator"));
    let read = erased.read()?;
    assert_eq!(read.version, 0);
    assert_eq!(read.value.get("minutes"), Some(&Value::from(20_u32)));

    let written = Value::from(serde_json::json!({"celsius": 200.0, "minutes": 5}));
    assert_eq!(
        erased.write(written.clone()),
        Err(VariableError::Session(SessionError::NoContext))
    );
    let session = engine.open()?;
    {
        let _in = session.enter()?;
        assert_eq!(
            erased.write(written.clone()),
            Err(VariableError::Session(SessionError::Forbidden {
                role: "operator".to_owned()
            }))
        );
    }
    let mut values = erased.watch_values();
    let _root = engine.impersonate_root();
    match erased.write(Value::from("hot")) {
        Err(VariableError::WrongType { expected, error }) => {
            assert!(expected.ends_with("Step"), "{expected}");
            let text = VariableError::WrongType { expected, error }.to_string();
            assert!(text.contains("Step"), "{text}");
        }
        other => panic!("expected WrongType, got {other:?}"),
    }
    assert_eq!(step.version(), 0);
    assert_eq!(erased.write(written)?, 1);
    assert_eq!(
        step.get(),
        Step {
            celsius: 200.0,
            minutes: 5
        }
    );
    let runtime = runtime();
    let change = runtime
        .block_on(async { tokio::time::timeout(DEADLINE, values.changed()).await })?
        .expect("alive")?;
    assert_eq!(change.version, 1);
    assert_eq!(change.value.get("minutes"), Some(&Value::from(5_u32)));
    assert!(change.by.is_some_and(|by| by.root));
    assert_eq!(values.latest()?.version, 1);

    // The typed variable behind the view.
    let typed = erased
        .as_any()
        .downcast_ref::<Variable<Step>>()
        .expect("a Variable<Step>");
    assert!(typed.ptr_eq(&step));

    // `.json_schema()` gives the type's own schema; without it, an open one naming it.
    let schema = serde_json::to_value(erased.schema())?;
    assert!(schema.to_string().contains("minutes"), "{schema}");
    let open = serde_json::to_value(
        Variable::new(Step {
            celsius: 0.0,
            minutes: 0,
        })
        .erased()
        .schema(),
    )?;
    assert!(
        open["x-rust-type"]
            .as_str()
            .is_some_and(|t| t.ends_with("Step")),
        "{open}"
    );
    Ok(())
}

/// Every event an engine told, as text.
fn events(engine: &Engine) -> (Arc<Mutex<Vec<String>>>, sessions_core::host::ObserverHandle) {
    let heard = Arc::new(Mutex::new(Vec::new()));
    let log = heard.clone();
    let handle = engine.observe(move |event: &EngineEvent<'_>| {
        let text = match event {
            EngineEvent::VariableExported { path } => format!("+var {path}"),
            EngineEvent::VariableDropped { path } => format!("-var {path}"),
            EngineEvent::ObjectExported { path } => format!("+obj {path}"),
            EngineEvent::ObjectDropped { path } => format!("-obj {path}"),
            _ => return,
        };
        log.lock().unwrap_or_else(|p| p.into_inner()).push(text);
    });
    (heard, handle)
}

fn take(heard: &Mutex<Vec<String>>) -> Vec<String> {
    std::mem::take(&mut heard.lock().unwrap_or_else(|p| p.into_inner()))
}

#[test]
fn export_lists_finds_and_unexports_with_events() -> Result<(), VariableError> {
    let engine = Engine::new();
    let (heard, _observing) = events(&engine);
    let target = Variable::builder(180.0).write_role("operator").build();
    let actual = Variable::new(20.0);
    let target_handle = engine.export_variable("Line1/Oven/Target", &target)?;
    let actual_handle = engine.export_variable("Line1/Oven/Actual", &actual)?;
    assert_eq!(target_handle.path(), "Line1/Oven/Target");
    assert_eq!(
        take(&heard),
        ["+var Line1/Oven/Target", "+var Line1/Oven/Actual"]
    );

    let listed = engine.variables();
    let paths: Vec<_> = listed.iter().map(|v| v.path.as_str()).collect();
    assert_eq!(paths, ["Line1/Oven/Actual", "Line1/Oven/Target"]);
    assert_eq!(listed[0].type_name, "f64");
    assert_eq!(listed[0].write_role, None);
    assert_eq!(listed[1].write_role.as_deref(), Some("operator"));
    assert_eq!(
        serde_json::to_value(&listed[1].schema)
            .ok()
            .and_then(|s| s["x-rust-type"].as_str().map(str::to_owned)),
        Some("f64".to_owned())
    );

    // A taken path and a bad one are refused, and nothing is told.
    let other = Variable::new(0.0);
    assert_eq!(
        engine.export_variable("Line1/Oven/Target", &other).err(),
        Some(VariableError::PathTaken("Line1/Oven/Target".to_owned()))
    );
    for bad in ["", "Line1//Oven", "Line1/Oven.Target", "Line 1"] {
        assert!(
            matches!(
                engine.export_variable(bad, &other),
                Err(VariableError::InvalidPath { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(take(&heard).is_empty());

    // Another engine has paths of its own.
    let elsewhere = Engine::new();
    let _there = elsewhere.export_variable("Line1/Oven/Target", &other)?;

    // A host finds it by path and writes in a session.
    let found = engine.variable("Line1/Oven/Target").expect("exported");
    let operator = engine.open()?;
    operator.set_user(Some(User::new("olga").with_roles(["operator"])));
    {
        let _in = operator.enter()?;
        found.write(Value::Float(190.0))?;
    }
    assert_eq!(target.get(), 190.0);

    drop(target_handle);
    assert!(engine.variable("Line1/Oven/Target").is_none());
    actual_handle.unexport();
    assert!(engine.variables().is_empty());
    assert_eq!(
        take(&heard),
        ["-var Line1/Oven/Target", "-var Line1/Oven/Actual"]
    );
    // The path is free again.
    let _again = engine.export_variable("Line1/Oven/Target", &other)?;
    Ok(())
}

/// An oven of line 1: two variables and a method.
#[derive(Variables)]
pub struct Oven {
    #[variable(name = "Target")]
    target: Variable<f64>,
    #[variable(name = "Actual")]
    actual: Variable<f64>,
    /// Rust-only.
    #[variable(skip)]
    _history: Variable<Vec<f64>>,
    /// A recipe step, with its own schema found at the field's type.
    step: Variable<Step>,
}

#[export_methods(session = impersonate)]
impl Oven {
    /// Moves the actual temperature halfway to the target.
    pub fn settle(&self) -> Result<f64, SessionError> {
        let actual = (self.actual.get() + self.target.get()) / 2.0;
        self.actual.set(actual)?;
        Ok(actual)
    }
}

impl Oven {
    fn new() -> Arc<Oven> {
        Arc::new(Oven {
            target: Variable::builder(180.0).write_role("operator").build(),
            actual: Variable::new(20.0),
            _history: Variable::new(Vec::new()),
            step: Variable::new(Step {
                celsius: 180.0,
                minutes: 20,
            }),
        })
    }
}

/// A gauge's mode: a type without a JSON Schema of its own.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub enum Mode {
    /// Reads.
    On,
    /// Does not.
    Off,
}

/// A gauge: variables and no methods.
#[derive(Variables)]
pub struct Gauge {
    level: Variable<u8>,
    mode: Variable<Mode>,
}

#[test]
fn an_objects_variable_fields_are_exported_and_dropped_with_it() -> Result<(), ObjectError> {
    let engine = Engine::new();
    let (heard, _observing) = events(&engine);
    let oven = Oven::new();
    let handle = engine.export_object("Line1/Oven", oven.clone())?;
    assert_eq!(
        handle.variable_paths().collect::<Vec<_>>(),
        ["Line1/Oven/Target", "Line1/Oven/Actual", "Line1/Oven/step"]
    );
    let paths: Vec<_> = engine.variables().into_iter().map(|v| v.path).collect();
    assert_eq!(
        paths,
        ["Line1/Oven/Actual", "Line1/Oven/Target", "Line1/Oven/step"]
    );
    assert_eq!(
        take(&heard),
        [
            "+var Line1/Oven/Target",
            "+var Line1/Oven/Actual",
            "+var Line1/Oven/step",
            "+obj Line1/Oven"
        ]
    );
    // The field's schema was found at its type: `Step: JsonSchema`.
    let step = engine
        .variables()
        .into_iter()
        .find(|v| v.path == "Line1/Oven/step")
        .expect("listed");
    let schema = serde_json::to_value(&step.schema).expect("a schema is JSON");
    assert!(schema.to_string().contains("minutes"), "{schema}");

    // The exported variable is the object's own field.
    let outcome = engine
        .call_as_root("Line1/Oven.settle", vec![])
        .expect("settle runs");
    assert_eq!(outcome.value, Value::Float(100.0));
    let actual = engine.variable("Line1/Oven/Actual").expect("exported");
    assert_eq!(actual.read().map(|c| c.value), Ok(Value::Float(100.0)));

    // A second oven at a path whose fields would clash is refused whole.
    let taken = Variable::new(0.0);
    let _squatter = engine
        .export_variable("Line2/Oven/Actual", &taken)
        .map_err(ObjectError::Variable)?;
    take(&heard);
    assert_eq!(
        engine.export_object("Line2/Oven", Oven::new()).err(),
        Some(ObjectError::Variable(VariableError::PathTaken(
            "Line2/Oven/Actual".to_owned()
        )))
    );
    assert!(engine.variable("Line2/Oven/Target").is_none());
    assert!(engine.objects().iter().all(|o| o.path != "Line2/Oven"));
    assert_eq!(
        take(&heard),
        ["+var Line2/Oven/Target", "-var Line2/Oven/Target"]
    );

    drop(handle);
    assert!(engine.variable("Line1/Oven/Target").is_none());
    assert_eq!(
        take(&heard),
        [
            "-obj Line1/Oven",
            "-var Line1/Oven/Target",
            "-var Line1/Oven/Actual",
            "-var Line1/Oven/step"
        ]
    );

    // An object with variables and no methods is exported for its variables.
    let gauge = engine.export_object(
        "Tank/Gauge",
        Arc::new(Gauge {
            level: Variable::new(3),
            mode: Variable::new(Mode::On),
        }),
    )?;
    assert_eq!(
        gauge.variable_paths().collect::<Vec<_>>(),
        ["Tank/Gauge/level", "Tank/Gauge/mode"]
    );
    // A field's type without a JSON Schema gets an open one naming the value's type.
    let mode = engine.variable("Tank/Gauge/mode").expect("exported");
    let schema = serde_json::to_value(mode.schema()).expect("a schema is JSON");
    assert!(
        schema["x-rust-type"]
            .as_str()
            .is_some_and(|t| t.ends_with("::Mode")),
        "{schema}"
    );
    let level = serde_json::to_value(
        engine
            .variable("Tank/Gauge/level")
            .expect("exported")
            .schema(),
    )
    .expect("a schema is JSON");
    assert_eq!(level["type"], "integer", "{level}");
    Ok(())
}

#[test]
fn the_example_lines_oven_exports_target_and_actual_and_heats_towards_the_target(
) -> Result<(), Box<dyn std::error::Error>> {
    use sessions_examples::line::{export_line, HEAT_STEP};

    let engine = Engine::new();
    let line = export_line(&engine, "Line1")?;
    let target = engine.variable("Line1/Oven/Target").expect("exported");
    let actual = engine.variable("Line1/Oven/Actual").expect("exported");
    assert_eq!(target.write_role(), Some("operator"));
    assert_eq!(actual.write_role(), None);

    // A guest may not set the target; an operator may, through the variable or the method.
    let guest = engine.open()?;
    {
        let _in = guest.enter()?;
        assert!(matches!(
            target.write(Value::Float(250.0)),
            Err(VariableError::Session(SessionError::Forbidden { .. }))
        ));
    }
    let olga = engine.open()?;
    olga.set_user(Some(User::new("olga").with_roles(["operator"])));
    let outcome = olga.call("Line1/Oven.SetTarget", vec![Value::Float(30.0)])?;
    assert_eq!(outcome.out("previous"), Some(&Value::Float(180.0)));
    assert_eq!(target.read()?.value, Value::Float(30.0));

    // The heater (a timer in the root session) moves Actual by at most one step at a time.
    let mut watch = line.oven.actual().watch();
    let runtime = runtime();
    let mut last = 20.0;
    while last < 30.0 {
        let change = runtime
            .block_on(next(&mut watch))
            .expect("the oven is alive");
        assert!(
            change.value > last && change.value - last <= HEAT_STEP,
            "{last} -> {}",
            change.value
        );
        assert!(change.by.is_some_and(|by| by.root));
        last = change.value;
    }
    assert_eq!(last, 30.0);
    // Once there, it stays: a direct step changes nothing.
    let _root = engine.impersonate_root();
    assert_eq!(line.oven.heat()?, 30.0);
    Ok(())
}
