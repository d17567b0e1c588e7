//! Exported `async fn`s: the policy is resolved once, in the caller's context, and the body
//! runs in that session at every poll, whichever worker thread polls it; host calls through
//! `call_async` (`MethodTable`, `Session`, `Engine`), with arguments checked first, panics
//! caught, failures logged once and sentinels written.

mod export_support;

use std::future::Future;
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use export_support::capture;
use sessions_core::{
    current_id, export_method, methods, CallError, Engine, Session, SessionError, SessionId, Value,
};

/// The current session's id, asserted unchanged after three yields and a sleep.
async fn same_session_after_awaits() -> Option<SessionId> {
    let first = current_id();
    for _ in 0..3 {
        tokio::task::yield_now().await;
        assert_eq!(current_id(), first, "after a yield");
    }
    tokio::time::sleep(Duration::from_millis(2)).await;
    assert_eq!(current_id(), first, "after a sleep");
    tokio::task::yield_now().await;
    assert_eq!(current_id(), first, "after the last yield");
    first
}

/// The caller's session id, the same at every await.
#[export_method]
async fn async_whoami() -> Result<String, SessionError> {
    let id = same_session_after_awaits()
        .await
        .ok_or(SessionError::NoContext)?;
    Ok(id.to_string())
}

/// The session the body ran in, the same at every await: `[id, is_root]`.
#[export_method(session = impersonate)]
async fn async_impersonated() -> Value {
    let id = same_session_after_awaits().await;
    let session = sessions_core::current().expect("impersonate always runs in a session");
    assert_eq!(Some(session.id()), id);
    Value::Array(vec![
        Value::from(session.id().to_string()),
        Value::from(session.is_root()),
    ])
}

fn ran_in(id: SessionId, is_root: bool) -> Value {
    Value::Array(vec![Value::from(id.to_string()), Value::from(is_root)])
}

/// Runs of `async_required`'s body (only the test of `require` calls it).
static REQUIRED_RUNS: AtomicUsize = AtomicUsize::new(0);

#[export_method(sentinel = -1)]
async fn async_required(count: &mut i32) -> Result<(), SessionError> {
    REQUIRED_RUNS.fetch_add(1, Ordering::SeqCst);
    tokio::task::yield_now().await;
    *count = 1;
    Ok(())
}

/// Runs of `async_add`'s body (only the test of argument errors calls it).
static ADD_RUNS: AtomicUsize = AtomicUsize::new(0);

#[export_method(session = none)]
async fn async_add(a: i64, b: i64) -> i64 {
    ADD_RUNS.fetch_add(1, Ordering::SeqCst);
    a + b
}

/// Panics after an await, with out parameters to fill with sentinels.
#[export_method(session = impersonate)]
async fn async_panics(
    message: String,
    #[out(sentinel = -1)] count: &mut i32,
    #[out] untouched: &mut u8,
) -> i64 {
    *count = 10;
    *untouched = 7;
    tokio::task::yield_now().await;
    panic!("{message}");
}

/// Out parameters written after awaits, the injected session, and a failure after an await.
#[export_method(name = "AsyncFill", session = impersonate, sentinel = -1)]
async fn async_fill(
    fail: bool,
    n: &mut i32,
    #[out(sentinel = String::from("none"))] who: &mut String,
    session: &Session,
) -> Result<u8, String> {
    tokio::task::yield_now().await;
    *n = 5;
    *who = session.id().to_string();
    tokio::task::yield_now().await;
    if fail {
        return Err("failed on purpose".into());
    }
    Ok(1)
}

/// A plain `fn`, called through `call_async`.
#[export_method]
fn sync_whoami() -> Result<String, SessionError> {
    Ok(sessions_core::require()?.id().to_string())
}

/// `[id, is_open]` of its session after the caller had a chance to close it.
#[export_method]
async fn async_outlives_close() -> Result<Value, SessionError> {
    YieldOnce(false).await;
    let session = sessions_core::require()?;
    Ok(Value::Array(vec![
        Value::from(session.id().to_string()),
        Value::from(session.is_open()),
    ]))
}

/// Pending once (waking itself), then ready: an await that needs no runtime.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Enters `session` for its first poll only: what the wrapped future resolves then must
/// carry it through the later polls, which have no session.
struct FirstPollIn<F> {
    session: Option<Session>,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for FirstPollIn<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let _guard = match self.session.take() {
            Some(session) => Some(session.enter().expect("enter")),
            None => {
                assert_eq!(current_id(), None, "later polls have no session");
                None
            }
        };
        self.inner.as_mut().poll(cx)
    }
}

fn multi_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_time()
        .build()
        .expect("runtime")
}

/// A runtime that polls on the calling thread, so its events are captured there.
fn current_thread() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("runtime")
}

fn assert_send<T: Send>(_: &T) {}

#[test]
fn call_async_runs_in_the_callers_session_on_worker_threads() {
    export_support::init();
    let runtime = multi_thread();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let call = {
        let _guard = session.enter().expect("enter");
        methods().call_async("async_whoami", vec![])
    };
    assert_eq!(current_id(), None);
    assert_send(&call);
    let outcome = runtime
        .block_on(runtime.spawn(call))
        .expect("no panic")
        .expect("called");
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.value, Value::from(session.id().to_string()));
    assert_eq!(current_id(), None);
}

#[test]
fn session_call_async_runs_in_that_session() {
    export_support::init();
    let runtime = multi_thread();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let outcome = runtime
        .block_on(runtime.spawn(session.call_async("async_whoami", vec![])))
        .expect("no panic")
        .expect("called");
    assert_eq!(outcome.value, Value::from(session.id().to_string()));

    // The rules of `Session::call`, checked when the call is made.
    let other = engine.open().expect("open");
    let mismatch = {
        let _guard = other.enter().expect("enter");
        session.call_async("async_whoami", vec![])
    };
    assert_eq!(
        runtime.block_on(mismatch),
        Err(CallError::Session(SessionError::Mismatch {
            current: other.id(),
            requested: session.id()
        }))
    );
    let closed = engine.open().expect("open");
    engine.close(closed.id()).expect("close");
    assert_eq!(
        runtime.block_on(closed.call_async("async_whoami", vec![])),
        Err(CallError::Session(SessionError::NotFound(closed.id())))
    );
    assert_eq!(
        runtime.block_on(session.call_async("no_such_method", vec![])),
        Err(CallError::UnknownMethod("no_such_method".into()))
    );
}

#[test]
fn impersonate_without_a_context_sees_the_global_root_after_awaits() {
    export_support::init();
    let runtime = multi_thread();
    let root = Engine::global().root().id();
    let outcome = runtime
        .block_on(runtime.spawn(methods().call_async("async_impersonated", vec![])))
        .expect("no panic")
        .expect("called");
    assert_eq!(outcome.value, ran_in(root, true));
    // Awaited directly, from a task with no session.
    let direct = runtime
        .block_on(runtime.spawn(async_impersonated()))
        .expect("no panic");
    assert_eq!(direct, ran_in(root, true));
    // Another engine's root, on top of nothing.
    let engine = Engine::new();
    let outcome = runtime
        .block_on(runtime.spawn(engine.call_as_root_async("async_impersonated", vec![])))
        .expect("no panic")
        .expect("called");
    assert_eq!(outcome.value, ran_in(engine.root().id(), true));
    // In a session, impersonate keeps it.
    let session = engine.open().expect("open");
    let outcome = runtime
        .block_on(runtime.spawn(session.call_async("async_impersonated", vec![])))
        .expect("no panic")
        .expect("called");
    assert_eq!(outcome.value, ran_in(session.id(), false));
    assert_eq!(current_id(), None);
}

#[test]
fn require_without_a_context_writes_sentinels_logs_once_and_does_not_run() {
    export_support::init();
    let runtime = current_thread();
    let engine = Engine::new();
    let other = engine.open().expect("open");
    let before = REQUIRED_RUNS.load(Ordering::SeqCst);
    let no_context = Some(SessionError::NoContext.to_string());

    let (outcome, logged) =
        capture(|| runtime.block_on(methods().call_async("async_required", vec![])));
    let outcome = outcome.expect("called");
    assert_eq!(outcome.error, no_context);
    assert_eq!(outcome.value, Value::Null);
    assert_eq!(outcome.out("count"), Some(&Value::from(-1)));
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].field("method"), Some("async_required"));
    assert_eq!(logged[0].field("session"), None);

    // Captured when the call is made: polling it inside another session does not help.
    let call = methods().call_async("async_required", vec![]);
    let (outcome, logged) = capture(|| {
        let _guard = other.enter().expect("enter");
        runtime.block_on(call)
    });
    assert_eq!(outcome.expect("called").error, no_context);
    assert_eq!(logged.len(), 1, "{logged:?}");

    // Awaited directly.
    let mut count = 0;
    let (direct, logged) = capture(|| runtime.block_on(async_required(&mut count)));
    assert_eq!(direct, Err(SessionError::NoContext));
    assert_eq!(count, -1);
    assert_eq!(logged.len(), 1, "{logged:?}");

    assert_eq!(REQUIRED_RUNS.load(Ordering::SeqCst), before);

    // With a session it runs, and writes its out parameter after an await.
    let outcome = runtime
        .block_on(other.call_async("async_required", vec![]))
        .expect("called");
    assert_eq!(outcome.error, None);
    assert_eq!(outcome.out("count"), Some(&Value::from(1)));
    assert_eq!(REQUIRED_RUNS.load(Ordering::SeqCst), before + 1);
}

#[test]
fn arity_and_argument_types_are_checked_before_anything_runs() {
    export_support::init();
    let runtime = current_thread();
    let (wrong_count, wrong_type, ok) = runtime.block_on(async {
        (
            methods()
                .call_async("async_add", vec![Value::from(1)])
                .await,
            methods()
                .call_async("async_add", vec![Value::from(1), Value::from("two")])
                .await,
            methods()
                .call_async("async_add", vec![Value::from(1), Value::from(2)])
                .await,
        )
    });
    assert_eq!(
        wrong_count,
        Err(CallError::Arity {
            method: "async_add".into(),
            expected: 2,
            got: 1
        })
    );
    assert_eq!(
        wrong_type,
        Err(CallError::ArgType {
            method: "async_add".into(),
            param: "b".into(),
            expected: "i64".into(),
            got: "string \"two\"".into()
        })
    );
    assert_eq!(ok.map(|o| o.value), Ok(Value::from(3)));
    // Only the last call ran.
    assert_eq!(ADD_RUNS.load(Ordering::SeqCst), 1);
}

#[test]
fn a_panic_after_an_await_is_an_outcome_logged_once() {
    export_support::init();
    let runtime = current_thread();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let _guard = session.enter().expect("enter");
    let (outcome, logged) = capture(|| {
        runtime.block_on(methods().call_async("async_panics", vec![Value::from("boom")]))
    });
    let outcome = outcome.expect("the call ran");
    assert_eq!(outcome.value, Value::Null);
    assert_eq!(outcome.error.as_deref(), Some("panicked: boom"));
    assert_eq!(outcome.out("count"), Some(&Value::from(-1)));
    // No sentinel applies to `untouched`: it keeps what the body wrote before panicking.
    assert_eq!(outcome.out("untouched"), Some(&Value::from(7)));
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert_eq!(logged[0].field("error"), Some("panicked: boom"));
    let id = session.id().to_string();
    assert_eq!(logged[0].field("session"), Some(id.as_str()));
    assert_eq!(current_id(), Some(session.id()));
}

#[test]
fn a_panic_is_logged_in_the_impersonated_root() {
    export_support::init();
    let runtime = current_thread();
    let (outcome, logged) = capture(|| {
        runtime.block_on(methods().call_async("async_panics", vec![Value::from("again")]))
    });
    assert_eq!(
        outcome.expect("ran").error.as_deref(),
        Some("panicked: again")
    );
    assert_eq!(logged.len(), 1, "{logged:?}");
    let root = Engine::global().root().id().to_string();
    assert_eq!(logged[0].field("session"), Some(root.as_str()));
    assert_eq!(current_id(), None);
}

#[test]
fn out_parameters_and_the_injected_session_after_awaits() {
    export_support::init();
    let runtime = multi_thread();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let id = session.id().to_string();
    let outcome = runtime
        .block_on(runtime.spawn(session.call_async("AsyncFill", vec![Value::from(false)])))
        .expect("no panic")
        .expect("called");
    assert_eq!(outcome.value, Value::from(1));
    assert_eq!(
        outcome.outs,
        vec![("n", Value::from(5)), ("who", Value::from(id.as_str()))]
    );
    let failed = runtime
        .block_on(runtime.spawn(session.call_async("AsyncFill", vec![Value::from(true)])))
        .expect("no panic")
        .expect("called");
    assert_eq!(failed.error.as_deref(), Some("failed on purpose"));
    assert_eq!(
        failed.outs,
        vec![("n", Value::from(-1)), ("who", Value::from("none"))]
    );

    // Awaited directly: the out parameters are borrowed by the future.
    let (mut n, mut who) = (0, String::new());
    let direct = runtime.block_on(FirstPollIn {
        session: Some(session.clone()),
        inner: Box::pin(async_fill(true, &mut n, &mut who, &session)),
    });
    assert_eq!(direct, Err("failed on purpose".to_owned()));
    assert_eq!((n, who.as_str()), (-1, "none"));
}

#[test]
fn call_on_an_async_method_needs_async() {
    export_support::init();
    let needs_async = CallError::NeedsAsync {
        method: "async_whoami".into(),
    };
    assert_eq!(
        methods().call("async_whoami", vec![]),
        Err(needs_async.clone())
    );
    let engine = Engine::new();
    let session = engine.open().expect("open");
    assert_eq!(
        session.call("async_whoami", vec![]),
        Err(needs_async.clone())
    );
    assert_eq!(
        needs_async.to_string(),
        "`async_whoami` is async: call it with `call_async`"
    );
    let info = methods().get("async_whoami").expect("registered");
    assert!(info.is_async());
    assert!(!methods().get("sync_whoami").expect("registered").is_async());
    assert_eq!(
        info.to_string(),
        "async async_whoami() -> String [session: require]"
    );
    assert_eq!(
        methods()
            .get("AsyncFill")
            .map(ToString::to_string)
            .as_deref(),
        Some(
            "async AsyncFill(fail: bool, out n: i32 = -1 on failure, \
             out who: String = String::from(\"none\") on failure, \
             session: &Session (injected)) -> u8 [session: impersonate]"
        )
    );
}

#[test]
fn call_async_runs_a_sync_method_in_the_callers_session() {
    export_support::init();
    let runtime = multi_thread();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let call = {
        let _guard = session.enter().expect("enter");
        methods().call_async("sync_whoami", vec![])
    };
    let outcome = runtime
        .block_on(runtime.spawn(call))
        .expect("no panic")
        .expect("called");
    assert_eq!(outcome.value, Value::from(session.id().to_string()));
    let info = methods().get("sync_whoami").expect("registered");
    let outcome = runtime
        .block_on(runtime.spawn(info.call_async(vec![])))
        .expect("no panic")
        .expect("called");
    assert_eq!(outcome.error, Some(SessionError::NoContext.to_string()));
}

#[test]
fn a_direct_await_keeps_the_session_it_started_in() {
    export_support::init();
    let runtime = multi_thread();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    // The session is entered for the first poll only, on a worker thread: the exported
    // function resolves it then and keeps it through every later poll.
    let future = async_whoami();
    assert_send(&future);
    let direct = runtime
        .block_on(runtime.spawn(FirstPollIn {
            session: Some(session.clone()),
            inner: Box::pin(future),
        }))
        .expect("no panic");
    assert_eq!(direct, Ok(session.id().to_string()));

    // And on this thread, inside `Session::enter`.
    let _guard = session.enter().expect("enter");
    assert_eq!(
        current_thread().block_on(async_whoami()),
        Ok(session.id().to_string())
    );
}

#[test]
fn a_hundred_sessions_each_see_only_their_own() {
    export_support::init();
    let runtime = multi_thread();
    let engine = Engine::new();
    let sessions: Vec<Session> = (0..100).map(|_| engine.open().expect("open")).collect();
    let outcomes = runtime.block_on(async {
        let handles: Vec<_> = sessions
            .iter()
            .map(|session| {
                let _guard = session.enter().expect("enter");
                tokio::spawn(methods().call_async("async_whoami", vec![]))
            })
            .collect();
        let mut outcomes = Vec::new();
        for handle in handles {
            outcomes.push(handle.await.expect("no panic").expect("called"));
        }
        outcomes
    });
    for (session, outcome) in sessions.iter().zip(outcomes) {
        assert_eq!(outcome.error, None);
        assert_eq!(outcome.value, Value::from(session.id().to_string()));
    }
    assert_eq!(current_id(), None);
}

#[test]
fn a_pending_call_finishes_in_a_session_closed_meanwhile() {
    export_support::init();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let weak = session.downgrade();
    let mut call = pin!(session.call_async("async_outlives_close", vec![]));
    let mut cx = Context::from_waker(Waker::noop());
    assert!(call.as_mut().poll(&mut cx).is_pending());
    engine.close(session.id()).expect("close");
    assert!(weak.upgrade().is_none());
    let Poll::Ready(outcome) = call.as_mut().poll(&mut cx) else {
        panic!("ready after its one yield");
    };
    assert_eq!(
        outcome.expect("called").value,
        Value::Array(vec![
            Value::from(session.id().to_string()),
            Value::from(false)
        ])
    );
}

/// The generated async code is lint-clean under the strict lints `test_export_lints.rs`
/// uses for the synchronous expansion.
#[deny(
    warnings,
    unused_qualifications,
    missing_docs,
    clippy::all,
    unused_results,
    unreachable_pub,
    let_underscore_drop
)]
mod lints {
    use sessions_core::{export_method, Session, SessionError, Value};

    /// Nothing returned, a session required.
    #[export_method]
    pub(crate) async fn lint_async_unit() {}

    /// A plain value, impersonating, with in parameters and an await.
    #[export_method(session = impersonate)]
    pub(crate) async fn lint_async_value(a: i64, b: Vec<i32>, c: Value) -> i64 {
        std::future::ready(()).await;
        a + b.len() as i64 + i64::from(c == Value::Null)
    }

    /// Every kind of parameter, `?` and an early `return`.
    #[export_method(name = "LintAsyncEverything", sentinel = -1)]
    pub(crate) async fn lint_async_everything(
        input: i32,
        out: &mut i32,
        #[out(sentinel = String::new())] text: &mut String,
        session: &Session,
        owned: Session,
    ) -> Result<Vec<String>, SessionError> {
        std::future::ready(()).await;
        *out = input;
        *text = session.id().to_string();
        if input < 0 || !owned.is_open() {
            return Err(SessionError::NoContext);
        }
        let doubled = input.checked_mul(2).ok_or(SessionError::NoContext)?;
        Ok(vec![doubled.to_string()])
    }

    /// No session touched; a `Result` with a `String` error.
    #[export_method(session = none, crate = sessions_core)]
    pub(crate) async fn lint_async_none(value: Value) -> Result<Value, String> {
        if value == Value::Null {
            return Err("null".into());
        }
        Ok(value)
    }
}

#[test]
fn the_lint_checked_methods_run() {
    export_support::init();
    let runtime = current_thread();
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let outcome = runtime
        .block_on(session.call_async("LintAsyncEverything", vec![Value::from(21)]))
        .expect("called");
    assert_eq!(outcome.value, Value::Array(vec![Value::from("42")]));
    let outcome = runtime
        .block_on(session.call_async("LintAsyncEverything", vec![Value::from(-1)]))
        .expect("called");
    assert_eq!(outcome.out("out"), Some(&Value::from(-1)));
    assert_eq!(outcome.out("text"), Some(&Value::from("")));
    let _guard = session.enter().expect("enter");
    runtime.block_on(lints::lint_async_unit());
    assert_eq!(
        runtime.block_on(lints::lint_async_value(1, vec![1], Value::Null)),
        3
    );
    assert_eq!(
        runtime.block_on(lints::lint_async_none(Value::Null)),
        Err("null".to_owned())
    );
}
