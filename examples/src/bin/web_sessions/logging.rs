//! Where the trace's log events go: stdout, without timestamps or colours, with each
//! session id shown as the tab it belongs to, so the output reads the same on every run.
//!
//! A real program would keep the ids (they are what a log search needs) and use
//! `tracing_subscriber::fmt().init()` as it is.

use sessions_core::{Engine, SessionId};
use sessions_examples::ENGINE_NAME;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::format::debug_fn;

use crate::trace::Tab;

/// Installs the subscriber that prints every `tracing` event on stdout.
pub fn init() {
    let fields = debug_fn(|writer, field, value| match field.name() {
        "message" => write!(writer, "{value:?}"),
        "session" => write!(writer, "session={}", tab_of(&format!("{value:?}"))),
        name => write!(writer, "{name}={value:?}"),
    })
    .delimited(" ");
    tracing_subscriber::fmt()
        .with_writer(std::io::stdout)
        .without_time()
        .with_ansi(false)
        .fmt_fields(fields)
        .init();
}

/// The tab whose session has the id `text`, or `text` itself.
fn tab_of(text: &str) -> String {
    let Ok(id) = text.parse::<SessionId>() else {
        return text.to_owned();
    };
    let Some(engine) = Engine::find(ENGINE_NAME) else {
        return text.to_owned();
    };
    if engine.root().id() == id {
        return "root".to_owned();
    }
    let tab = engine.get(id).and_then(|session| session.get::<Tab>());
    tab.map_or_else(|| text.to_owned(), |tab| tab.0.clone())
}
