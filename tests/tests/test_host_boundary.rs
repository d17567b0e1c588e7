//! The host boundary as a new user meets it: an object path is never shadowed by a type's
//! name, and a real clash is refused at export with the reason; a refusal is logged at WARN
//! and a failure at ERROR, an object's method by its instance's path; the engine tells its
//! observers of objects exported and dropped; an OPC UA client that asks gets a failed
//! method's reason as diagnostic info, while the call stays Good with its sentinels.

mod export_support;
mod opcua_support;

use std::sync::{Arc, Mutex};

use export_support::capture_all;
use opcua::client::services::Call as UaCall;
use opcua::client::{IdentityToken, UARequest};
use opcua::types::{CallMethodRequest, DiagnosticBits, NodeId, StatusCode, Variant};
use sessions_core::host::{EngineEvent, Verdict};
use sessions_core::{
    export_methods, CallError, Engine, Failure, ObjectError, SessionError, User, Value,
};
use tracing::Level;

/// A production line: its type is named like the path it is exported at.
#[derive(Default)]
pub struct Line {
    temperatures: Mutex<Vec<f64>>,
}

#[export_methods]
impl Line {
    /// Records a temperature; returns how many there are.
    #[export(name = "WatchTemperatures", session = none)]
    pub fn watch_temperatures(&self, celsius: f64) -> usize {
        let mut temperatures = self.temperatures.lock().unwrap_or_else(|p| p.into_inner());
        temperatures.push(celsius);
        temperatures.len()
    }

    /// Always fails.
    #[export(name = "Fail")]
    pub fn fail(&self) -> Result<(), SessionError> {
        Err(SessionError::UnknownEngine("nowhere".into()))
    }

    /// Only for an admin.
    #[export(name = "Purge", role = "admin")]
    pub fn purge(&self) -> Result<(), SessionError> {
        Ok(())
    }
}

/// A type whose associated fn needs no object: `Clash.ping`.
pub struct Clash;

#[export_methods]
impl Clash {
    /// Answers without an object.
    #[export(session = none)]
    pub fn ping() -> String {
        "type-level".to_owned()
    }
}

/// An object type whose `ping` would be `Clash.ping` at the path `Clash`.
pub struct Probe;

#[export_methods]
impl Probe {
    /// Answers on an object.
    #[export(session = none)]
    pub fn ping(&self) -> String {
        "object".to_owned()
    }
}

#[test]
fn an_object_path_named_like_its_type_is_not_shadowed_by_the_type_level_name() {
    let engine = Engine::new();
    let _line = engine
        .export_object("Line", Arc::new(Line::default()))
        .expect("exported at a path named like its type");
    let outcome = engine
        .call_as_root("Line.WatchTemperatures", vec![Value::from(71.5)])
        .expect("the object's method, not the type-level entry that needs an object");
    assert_eq!(outcome.value, Value::from(1));
    // Without the object the same name says what to do.
    let other = Engine::new();
    let error = other
        .call_as_root("Line.WatchTemperatures", vec![Value::from(1.0)])
        .expect_err("no object at Line on this engine");
    assert!(matches!(error, CallError::NeedsObject { .. }), "{error:?}");
}

#[test]
fn a_real_clash_with_a_type_level_method_is_refused_at_export_with_the_reason() {
    let engine = Engine::new();
    let refused = engine
        .export_object("Clash", Arc::new(Probe))
        .expect_err("`Clash.ping` already names a method that needs no object");
    let ObjectError::NameClash { name, .. } = &refused else {
        panic!("{refused:?}");
    };
    assert_eq!(name, "Clash.ping");
    let text = refused.to_string();
    assert!(
        text.contains("export the object under another path"),
        "{text}"
    );
    // Elsewhere it exports, and both answer.
    let _probe = engine
        .export_object("Probes/One", Arc::new(Probe))
        .expect("exported");
    assert_eq!(
        engine
            .call_as_root("Probes/One.ping", Vec::<Value>::new())
            .expect("called")
            .value,
        Value::from("object")
    );
    assert_eq!(
        engine
            .call_as_root("Clash.ping", Vec::<Value>::new())
            .expect("called")
            .value,
        Value::from("type-level")
    );
}

#[test]
fn refusals_are_warnings_failures_are_errors_and_an_objects_event_names_its_path() {
    let engine = Engine::new();
    let _line = engine
        .export_object("Plant/Line1", Arc::new(Line::default()))
        .expect("exported");
    let session = engine.open().expect("open");
    session.set_user(Some(User::new("bob")));
    let (outcomes, events) = capture_all(|| {
        (
            session.call("Plant/Line1.Fail", Vec::<Value>::new()),
            session.call("Plant/Line1.Purge", Vec::<Value>::new()),
        )
    });
    let (failed, refused) = outcomes;
    let failed = failed.expect("ran");
    assert!(
        matches!(failed.failure(), Some(Failure::Method(_))),
        "{failed:?}"
    );
    let refused = refused.expect("ran");
    assert_eq!(
        refused.failure(),
        Some(&Failure::Refused(SessionError::Forbidden {
            role: "admin".into()
        }))
    );
    let ours: Vec<_> = events
        .iter()
        .filter(|e| {
            e.field("method")
                .is_some_and(|m| m.starts_with("Plant/Line1."))
        })
        .collect();
    assert_eq!(ours.len(), 2, "{events:?}");
    assert_eq!(ours[0].level, Level::ERROR);
    assert_eq!(ours[0].field("message"), Some("exported method failed"));
    assert_eq!(ours[0].field("method"), Some("Plant/Line1.Fail"));
    assert_eq!(ours[1].level, Level::WARN);
    assert_eq!(ours[1].field("message"), Some("exported method refused"));
    assert_eq!(ours[1].field("method"), Some("Plant/Line1.Purge"));
}

#[test]
fn observers_are_told_of_objects_exported_and_dropped_until_their_handle_drops() {
    let engine = Engine::new();
    let heard = Arc::new(Mutex::new(Vec::new()));
    let log = heard.clone();
    let handle = engine.observe(move |event: &EngineEvent<'_>| {
        let line = match event {
            EngineEvent::ObjectExported { path } => format!("+{path}"),
            EngineEvent::ObjectDropped { path } => format!("-{path}"),
            EngineEvent::SessionOpened(_) => "opened".to_owned(),
            _ => return,
        };
        log.lock().unwrap_or_else(|p| p.into_inner()).push(line);
    });
    let line = engine
        .export_object("Line9", Arc::new(Line::default()))
        .expect("exported");
    drop(line);
    let _session = engine.open().expect("open");
    drop(handle);
    let _again = engine
        .export_object("Line9", Arc::new(Line::default()))
        .expect("exported again");
    assert_eq!(
        *heard.lock().unwrap_or_else(|p| p.into_inner()),
        ["+Line9", "-Line9", "opened"]
    );
}

#[test]
fn a_verdict_names_each_way_a_call_ends() {
    let engine = Engine::new();
    let _line = engine
        .export_object("L", Arc::new(Line::default()))
        .expect("exported");
    let session = engine.open().expect("open");
    let answer = |name: &str| {
        sessions_core::host::Call::new(name, Vec::<Value>::new())
            .in_session(Some(&session))
            .run_blocking()
    };
    assert_eq!(answer("L.Fail").verdict(), Verdict::Failed);
    assert_eq!(answer("L.Purge").verdict(), Verdict::Refused);
    assert_eq!(answer("L.NoSuch").verdict(), Verdict::Invalid);
    assert_eq!(Verdict::Refused.to_string(), "refused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_opcua_client_that_asks_gets_the_failures_reason_as_diagnostic_info() {
    let host = opcua_support::Host::start("diagnostics", |b| b).await;
    let client = opcua_support::Client::connect(&host.url(), IdentityToken::Anonymous)
        .await
        .expect("connects");
    let request = |b: f64| CallMethodRequest {
        object_id: client.methods_object(),
        method_id: NodeId::new(client.ns, "Divide"),
        input_arguments: Some(vec![Variant::Double(1.0), Variant::Double(b)]),
    };
    let call = |b: f64, bits: DiagnosticBits| {
        UaCall::new(&client.session)
            .method(request(b))
            .diagnostics(bits)
            .send(client.session.channel())
    };
    let asked = tokio::time::timeout(
        opcua_support::WAIT,
        call(0.0, DiagnosticBits::OPERATIONAL_LEVEL_ADDITIONAL_INFO),
    )
    .await
    .expect("answered in time")
    .expect("the Call service answers");
    let result = &asked.results.as_ref().expect("results")[0];
    assert_eq!(
        result.status_code,
        StatusCode::Good,
        "a failed method is Good: {result:?}"
    );
    assert_eq!(
        result.output_arguments.as_deref(),
        Some(&[Variant::Double(-1.0)][..]),
        "with its sentinel"
    );
    let reason = asked
        .diagnostic_infos
        .as_ref()
        .and_then(|infos| infos.first())
        .and_then(|info| info.additional_info.as_ref())
        .map(|text| text.as_ref().to_owned());
    assert_eq!(reason.as_deref(), Some("cannot divide 1 by zero"));

    let not_asked = tokio::time::timeout(opcua_support::WAIT, call(0.0, DiagnosticBits::empty()))
        .await
        .expect("answered in time")
        .expect("the Call service answers");
    let nothing = not_asked
        .diagnostic_infos
        .as_ref()
        .and_then(|infos| infos.first())
        .and_then(|info| info.additional_info.as_ref());
    assert!(nothing.is_none(), "only when asked: {not_asked:?}");
    client.disconnect().await;
}
