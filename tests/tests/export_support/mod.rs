//! Shared by the `test_export_*` files: records the events exported methods log, with their
//! fields, on the current thread.
//!
//! One global subscriber forwards each event to the buffer of the thread that logged it,
//! if that thread is capturing. (A per-test `tracing::subscriber::with_default` is not
//! enough: `tracing-core` caches a callsite's interest from the thread that first reaches
//! it, so a test thread without a subscriber can switch the event off for all the others.)
//! Every test in a file that uses [`capture`] calls it (or [`init`]) before anything logs.
//!
//! Also [`block_on`], for the files that await a call.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Once;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Level, Metadata, Subscriber};

/// One recorded event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Logged {
    pub level: Level,
    pub target: String,
    pub fields: BTreeMap<String, String>,
}

impl Logged {
    /// The text of field `name`, if the event has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

thread_local! {
    /// The events of this thread, while it captures.
    static SINK: RefCell<Option<Vec<Logged>>> = const { RefCell::new(None) };
}

/// The global subscriber: every event goes to its thread's `SINK`, if any.
struct ToThreadSink;

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }
}

impl Subscriber for ToThreadSink {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, _: &Attributes<'_>) -> Id {
        Id::from_u64(1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        let logged = Logged {
            level: *event.metadata().level(),
            target: event.metadata().target().to_owned(),
            fields,
        };
        SINK.with(|sink| {
            if let Ok(mut sink) = sink.try_borrow_mut() {
                if let Some(events) = sink.as_mut() {
                    events.push(logged);
                }
            }
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

/// Installs the global subscriber (once per test binary).
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        tracing::subscriber::set_global_default(ToThreadSink)
            .expect("no other global subscriber in the test_export_* binaries");
    });
}

/// Runs `f`, and returns what it returned with the failure events exported methods logged
/// on this thread meanwhile, whatever module exported the method (their target is the
/// exporting crate's module): `exported method failed` at ERROR for a method that failed or
/// panicked, `exported method refused` at WARN for a call its session rule or role refused.
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, Vec<Logged>) {
    let (result, events) = capture_all(f);
    let failures = events
        .into_iter()
        .filter(|e| {
            (e.level == Level::ERROR && e.field("message") == Some("exported method failed"))
                || (e.level == Level::WARN && e.field("message") == Some("exported method refused"))
        })
        .collect();
    (result, failures)
}

/// Runs `f`, and returns what it returned with every event logged on this thread meanwhile.
pub fn capture_all<R>(f: impl FnOnce() -> R) -> (R, Vec<Logged>) {
    init();
    SINK.with(|sink| *sink.borrow_mut() = Some(Vec::new()));
    let result = f();
    let events = SINK
        .with(|sink| sink.borrow_mut().take())
        .unwrap_or_default();
    (result, events)
}

/// Runs `future` to completion on a new current-thread tokio runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(future)
}
