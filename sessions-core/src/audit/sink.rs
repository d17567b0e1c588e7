//! [`AuditSink`]: where audit records go.

use std::path::PathBuf;
use std::sync::Arc;

use crate::audit::AuditRecord;

/// Where audit records go: the engine hands every record to one sink
/// (`Engine::builder().audit(sink)`).
///
/// A sink is called on the caller's path, so a sink that writes to a disk or a network is
/// wrapped in an [`AuditQueue`](crate::audit::AuditQueue), which hands records to it on a
/// thread of its own. [`TracingSink`](crate::audit::TracingSink) and
/// [`JsonLinesFile`](crate::audit::JsonLinesFile) ship.
pub trait AuditSink: Send + Sync {
    /// Writes `record`. An error is the sink's own (a full disk): the record was not
    /// written.
    fn record(&self, record: AuditRecord) -> Result<(), AuditError>;

    /// Makes what was written so far durable as far as this sink can (a file's buffer
    /// written out). [`AuditQueue`](crate::audit::AuditQueue) calls it after each batch.
    /// The default does nothing.
    fn flush(&self) -> Result<(), AuditError> {
        Ok(())
    }
}

impl<S: AuditSink + ?Sized> AuditSink for Arc<S> {
    fn record(&self, record: AuditRecord) -> Result<(), AuditError> {
        (**self).record(record)
    }

    fn flush(&self) -> Result<(), AuditError> {
        (**self).flush()
    }
}

impl<S: AuditSink + ?Sized> AuditSink for Box<S> {
    fn record(&self, record: AuditRecord) -> Result<(), AuditError> {
        (**self).record(record)
    }

    fn flush(&self) -> Result<(), AuditError> {
        (**self).flush()
    }
}

/// What went wrong writing or reading audit records.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// A file could not be opened, written, rotated or read.
    #[error("audit file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// A line of an audit file is not an audit record.
    #[error("audit file {}, line {line}: not an audit record: {source}", path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// The line, from 1.
        line: usize,
        /// What is wrong with it.
        #[source]
        source: serde_json::Error,
    },
    /// The queue's writer thread could not be started.
    #[error("the audit queue's writer thread could not be started: {source}")]
    Spawn {
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The queue did not write what it holds by the deadline (its sink is slow or stuck).
    #[error("the audit queue did not write {pending} records by the deadline")]
    Timeout {
        /// The records still waiting or being written.
        pending: u64,
    },
    /// A sink of the application's own failed.
    #[error("audit sink: {message}")]
    Sink {
        /// What the sink said.
        message: String,
    },
}
