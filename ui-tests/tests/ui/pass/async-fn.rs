//! `async fn`s with every attribute option and every kind of parameter; their futures, and
//! the futures of host calls, are `Send`.
use std::future::Future;

use sessions_core::{export_method, methods, Policy, Session, SessionError, Value};

fn assert_send<T: Send>(_: &T) {}

#[export_method]
async fn defaults() -> Result<(), SessionError> {
    std::future::ready(()).await;
    Ok(())
}

#[export_method(name = "AsyncRenamed")]
async fn renamed() {}

#[export_method(session = require)]
async fn required(session: &Session) -> Result<String, SessionError> {
    Ok(session.id().to_string())
}

#[export_method(session = impersonate)]
async fn impersonated(owned: Session) -> bool {
    owned.is_root()
}

#[export_method(session = none)]
async fn untouched(text: String) -> String {
    text
}

#[export_method(crate = ::sessions_core, session = none)]
async fn with_crate() {}

#[export_method(
    name = "AsyncEverything",
    session = impersonate,
    sentinel = i64::MIN,
    crate = sessions_core,
)]
async fn everything(
    a: i64,
    b: &mut i64,
    #[out(sentinel = String::new())] c: &mut String,
) -> Result<i64, SessionError> {
    std::future::ready(()).await;
    *b = a;
    *c = a.to_string();
    Ok(a)
}

/// Compiles only when the future of a direct call is `Send`.
fn send<F: Future + Send>(future: F) -> F {
    future
}

fn main() {
    let policy = |name: &str| methods().get(name).map(|m| (m.policy(), m.is_async()));
    assert_eq!(policy("defaults"), Some((Policy::Require, true)));
    assert_eq!(policy("AsyncRenamed"), Some((Policy::Require, true)));
    assert_eq!(policy("required"), Some((Policy::Require, true)));
    assert_eq!(policy("impersonated"), Some((Policy::Impersonate, true)));
    assert_eq!(policy("untouched"), Some((Policy::None, true)));
    assert_eq!(policy("with_crate"), Some((Policy::None, true)));
    let signature = methods().get("AsyncEverything").map(ToString::to_string);
    assert_eq!(
        signature.as_deref(),
        Some("async AsyncEverything(a: i64, out b: i64 = i64::MIN on failure, out c: String = String::new() on failure) -> i64 [session: impersonate]")
    );

    // The futures of direct calls are `Send`, out parameters borrowed and all.
    let engine = sessions_core::Engine::new();
    let session = engine.open().ok();
    let (mut b, mut c) = (0, String::new());
    drop(send(defaults()));
    drop(send(renamed()));
    if let Some(session) = &session {
        drop(send(required(session)));
        drop(send(impersonated(session.clone())));
    }
    drop(send(untouched(String::new())));
    drop(send(with_crate()));
    drop(send(everything(1, &mut b, &mut c)));

    // And so are host calls, which can be spawned.
    let call = methods().call_async("AsyncEverything", vec![Value::from(1)]);
    assert_send(&call);
    fn is_static<T: 'static>(_: &T) {}
    is_static(&call);
}
