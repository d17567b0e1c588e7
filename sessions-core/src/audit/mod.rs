//! The audit trail: an [`AuditRecord`] for every exported-method call, variable write,
//! log-in and log-out, from every host, handed to an [`AuditSink`].
//!
//! - [`AuditRecord`]: time, host, session, user, peer, target, kind, outcome, duration and,
//!   for methods that opt in, arguments; one JSON object.
//! - [`TracingSink`]: one `tracing` event per record, target `sessions::audit`.
//! - [`JsonLinesFile`]: an append-only file, one record a line, rotated by size.
//! - [`AuditQueue`]: any sink behind a bounded queue and a writer thread, so a slow disk
//!   does not slow calls; a full queue drops (counted and logged), never blocks.
//!
//! An engine takes one sink (`Engine::builder().audit(sink)`); a file sink goes behind a
//! queue:
//!
//! ```no_run
//! use sessions_core::audit::{AuditQueue, FlushPolicy, JsonLinesFile};
//!
//! let file = JsonLinesFile::builder("audit.jsonl")
//!     .max_bytes(64 << 20)
//!     .keep(10)
//!     .flush(FlushPolicy::Batch)
//!     .open()?;
//! let sink = AuditQueue::builder(file).capacity(65_536).spawn()?;
//! # Ok::<(), sessions_core::audit::AuditError>(())
//! ```

mod jsonl;
mod queue;
mod record;
mod sink;
mod time;
mod tracing_sink;

pub use jsonl::{FlushPolicy, JsonLinesBuilder, JsonLinesFile};
pub use queue::{AuditQueue, AuditQueueBuilder};
pub use record::{AuditHost, AuditKind, AuditOutcome, AuditRecord};
pub use sink::{AuditError, AuditSink};
pub use tracing_sink::{TracingSink, AUDIT_TARGET};
