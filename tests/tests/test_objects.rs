//! `#[export_methods]` and exported objects, seen from a downstream crate: an object's
//! `&self` methods, associated fns, out parameters with sentinels and injected sessions,
//! each called by a host and directly; instances under their own paths; a handle that
//! unexports on drop; paths checked; objects found on the engine a call goes through.

mod export_support;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use export_support::{block_on, capture};
use sessions_core::{
    export_methods, methods, CallError, Engine, ObjectError, Session, SessionError, User, Value,
};

/// A counter of a production line, as an Optix NetLogic object would hold one.
#[derive(Default)]
pub struct Counter {
    count: AtomicI64,
}

#[export_methods]
impl Counter {
    /// Adds `by` and returns the new count.
    pub fn add(&self, by: i64) -> Result<i64, SessionError> {
        Ok(self.count.fetch_add(by, Ordering::SeqCst) + by)
    }

    /// The count, into `count`; -1 there when the call fails.
    #[export(sentinel = -1, role = "operator")]
    pub fn read(&self, count: &mut i64) -> Result<(), SessionError> {
        *count = self.count.load(Ordering::SeqCst);
        Ok(())
    }

    /// Who asks, with the count: the session is injected.
    pub fn who(&self, session: &Session) -> Result<String, SessionError> {
        let user = session.user().map(|user| user.name().to_owned());
        Ok(format!(
            "{}:{}",
            user.unwrap_or_default(),
            self.count.load(Ordering::SeqCst)
        ))
    }

    /// How a new counter starts: an associated fn, `Counter.start`.
    #[export(session = none)]
    pub fn start() -> i64 {
        Self::default().count.load(Ordering::SeqCst)
    }

    /// Adds `by` after an await: an `async` method of the object.
    pub async fn add_later(&self, by: i64) -> Result<i64, SessionError> {
        std::future::ready(()).await;
        self.add(by)
    }

    /// A counter's start, after an await: an associated `async fn`, `Counter.later`.
    pub async fn later(by: i64) -> Result<i64, SessionError> {
        std::future::ready(()).await;
        Ok(Self::start() + by)
    }

    /// Rust-only.
    #[export(skip)]
    pub fn reset(&self) {
        self.count.store(0, Ordering::SeqCst);
    }
}

fn operator(engine: &Engine) -> Session {
    let session = engine.open().expect("open");
    session.set_user(Some(User::new("olga").with_roles(["operator".to_owned()])));
    session
}

#[test]
fn an_objects_methods_are_called_by_its_path_and_directly() {
    let engine = Engine::new();
    let counter = Arc::new(Counter::default());
    let handle = engine
        .export_object("Line1/Counter", counter.clone())
        .expect("exported");
    assert_eq!(handle.path(), "Line1/Counter");
    let session = operator(&engine);

    let outcome = session
        .call("Line1/Counter.add", vec![Value::Int(5)])
        .expect("called");
    assert_eq!(outcome.value, Value::Int(5));
    let outcome = session.call("Line1/Counter.read", vec![]).expect("called");
    assert_eq!(outcome.out("count"), Some(&Value::Int(5)));
    let outcome = session.call("Line1/Counter.who", vec![]).expect("called");
    assert_eq!(outcome.value, Value::from("olga:5"));
    // Named arguments, as for any method.
    let by_name = Value::from_json_str(r#"{"by": 2}"#).expect("json");
    let Value::Map(by_name) = by_name else {
        unreachable!("an object")
    };
    let outcome = session.call("Line1/Counter.add", by_name).expect("called");
    assert_eq!(outcome.value, Value::Int(7));

    // The same object, from Rust, under the same rules.
    let _in_session = session.enter().expect("entered");
    assert_eq!(counter.add(1), Ok(8));
    let mut count = 0;
    assert_eq!(counter.read(&mut count), Ok(()));
    assert_eq!(count, 8);
    counter.reset();
    assert_eq!(counter.add(0), Ok(0));
}

#[test]
fn the_boundary_rules_hold_for_object_methods() {
    let engine = Engine::new();
    let counter = Arc::new(Counter::default());
    let _handle = engine
        .export_object("Rules/Counter", counter.clone())
        .expect("exported");
    // With no session current, a bare call looks on the global engine: an object there
    // runs under `require`, which refuses, with one event.
    let _global = Engine::global()
        .export_object("RulesGlobal/Counter", Arc::new(Counter::default()))
        .expect("exported");
    let (outcome, logged) =
        capture(|| methods().call("RulesGlobal/Counter.add", vec![Value::Int(1)]));
    let outcome = outcome.expect("called");
    assert_eq!(outcome.error, Some(SessionError::NoContext.to_string()));
    assert_eq!(logged.len(), 1, "{logged:#?}");
    let (outcome, logged) = capture(|| {
        let _root_of_another = Engine::new().impersonate_root();
        methods().call("Rules/Counter.add", vec![Value::Int(1)])
    });
    // The object is this engine's, not the other's: unknown there.
    assert!(
        matches!(outcome, Err(CallError::UnknownMethod(_))),
        "{outcome:?}"
    );
    assert!(logged.is_empty());

    // A user without the role: the sentinel, one event, `Forbidden`.
    let guest = engine.open().expect("open");
    guest.set_user(Some(User::new("gus")));
    let (outcome, logged) = capture(|| guest.call("Rules/Counter.read", vec![]));
    let outcome = outcome.expect("called");
    assert_eq!(outcome.out("count"), Some(&Value::Int(-1)));
    let forbidden = SessionError::Forbidden {
        role: "operator".to_owned(),
    };
    assert_eq!(outcome.error, Some(forbidden.to_string()));
    assert_eq!(logged.len(), 1, "{logged:#?}");
    // Named by the instance's path, not only its type's name.
    assert_eq!(logged[0].field("method"), Some("Rules/Counter.read"));
    // Directly, in that session: the same.
    let _in_guest = guest.enter().expect("entered");
    let mut count = 7;
    let (result, logged) = capture(|| counter.read(&mut count));
    assert_eq!((result, count, logged.len()), (Err(forbidden), -1, 1));
}

#[test]
fn two_instances_keep_their_own_state_and_a_dropped_handle_unexports() {
    let engine = Engine::new();
    let first = engine
        .export_object("Line1/Counter", Arc::new(Counter::default()))
        .expect("exported");
    let second = engine
        .export_object("Line2/Counter", Arc::new(Counter::default()))
        .expect("exported");
    engine
        .call_as_root("Line1/Counter.add", vec![Value::Int(10)])
        .expect("called");
    engine
        .call_as_root("Line2/Counter.add", vec![Value::Int(3)])
        .expect("called");
    let read = |path: &str| {
        engine
            .call_as_root(&format!("{path}.read"), vec![])
            .expect("called")
            .out("count")
            .cloned()
    };
    assert_eq!(read("Line1/Counter"), Some(Value::Int(10)));
    assert_eq!(
        read("Line2/Counter"),
        Some(Value::Int(3)),
        "the root session passes the role"
    );

    let listed = engine.objects();
    let paths: Vec<&str> = listed.iter().map(|object| object.path.as_str()).collect();
    assert_eq!(paths, ["Line1/Counter", "Line2/Counter"]);
    assert!(listed[0].type_name.ends_with("Counter"));
    assert_eq!(listed[0].methods, ["add", "add_later", "read", "who"]);

    drop(first);
    let gone = engine.call_as_root("Line1/Counter.add", vec![Value::Int(1)]);
    let error = gone.expect_err("unexported");
    assert_eq!(
        error,
        CallError::UnknownMethod("Line1/Counter.add".to_owned())
    );
    assert_eq!(error.code(), -32601);
    second.unexport();
    assert!(engine.objects().is_empty());
}

#[test]
fn associated_fns_are_called_by_type_and_methods_only_on_objects() {
    let outcome = methods().call("Counter.start", vec![]).expect("called");
    assert_eq!(outcome.value, Value::Int(0));
    assert_eq!(Counter::start(), 0);

    let info = methods()
        .get("Counter.add")
        .expect("listed once, by its type");
    assert!(info.is_instance());
    assert_eq!(
        (info.owner(), info.member()),
        (Some("Counter"), Some("add"))
    );
    assert_eq!(
        methods().get("Counter.reset").map(|m| m.name()),
        None,
        "skipped"
    );
    let error = methods()
        .call("Counter.add", vec![Value::Int(1)])
        .expect_err("needs an object");
    assert!(matches!(error, CallError::NeedsObject { .. }), "{error}");
    assert_eq!(error.code(), -32601);
}

#[test]
fn an_associated_async_fn_is_awaited_by_a_host_and_directly() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let outcome = block_on(session.call_async("Counter.later", vec![Value::Int(4)]));
    assert_eq!(outcome.expect("called").value, Value::Int(4));
    let in_session = session.enter().expect("entered");
    assert_eq!(block_on(Counter::later(2)), Ok(2));
    drop(in_session);
    // Outside any session, `require` refuses it, directly too.
    let (result, logged) = capture(|| block_on(Counter::later(1)));
    assert_eq!((result, logged.len()), (Err(SessionError::NoContext), 1));
}

#[test]
fn an_async_method_of_an_object_is_awaited_by_a_host_and_directly() {
    let engine = Engine::new();
    let counter = Arc::new(Counter::default());
    let _handle = engine
        .export_object("Async/Counter", counter.clone())
        .expect("exported");
    let session = engine.open().expect("open");
    let call = session.call_async("Async/Counter.add_later", vec![Value::Int(6)]);
    assert_eq!(block_on(call).expect("called").value, Value::Int(6));
    let call = engine.call_as_root_async("Async/Counter.add_later", vec![Value::Int(1)]);
    assert_eq!(block_on(call).expect("called").value, Value::Int(7));
    // A plain call cannot await it.
    let error = session
        .call("Async/Counter.add_later", vec![Value::Int(1)])
        .expect_err("async");
    assert!(matches!(error, CallError::NeedsAsync { .. }), "{error}");
    // Directly, in the session.
    let in_session = session.enter().expect("entered");
    assert_eq!(block_on(counter.add_later(3)), Ok(10));
    drop(in_session);
    let (result, logged) = capture(|| block_on(counter.add_later(1)));
    assert_eq!((result, logged.len()), (Err(SessionError::NoContext), 1));
}

#[test]
fn paths_are_checked_and_taken_once() {
    let engine = Engine::new();
    for bad in ["", "Line1//Counter", "Line.1/Counter", "Line 1"] {
        let error = engine
            .export_object(bad, Arc::new(Counter::default()))
            .expect_err("refused");
        assert!(
            matches!(error, ObjectError::InvalidPath { .. }),
            "{bad:?}: {error}"
        );
    }
    let _held = engine
        .export_object("Held", Arc::new(Counter::default()))
        .expect("exported");
    let taken = engine.export_object("Held", Arc::new(Counter::default()));
    assert_eq!(taken.err(), Some(ObjectError::PathTaken("Held".to_owned())));
    // Another engine has its own paths.
    let other = Engine::new();
    assert!(other
        .export_object("Held", Arc::new(Counter::default()))
        .is_ok());
    // A type with nothing to call.
    struct Plain;
    let error = engine
        .export_object("Plain", Arc::new(Plain))
        .expect_err("refused");
    assert!(matches!(error, ObjectError::NoMethods(_)), "{error}");
}
