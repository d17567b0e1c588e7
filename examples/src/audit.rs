//! `--audit FILE` of the example servers (`web_host`, `opcua_server`): the audit trail of
//! every call, one JSON object a line, appended to `FILE`.

use std::path::Path;

use sessions_core::audit::{AuditError, AuditQueue, FlushPolicy, JsonLinesFile};

/// Rotate the file when it reaches this size, keeping this many old files.
const MAX_BYTES: u64 = 64 << 20;
const KEEP: usize = 10;

/// The audit sink of `--audit FILE`: a JSON-lines file (rotated at 64 MiB, ten kept,
/// flushed per batch) behind a queue, so a slow disk never holds up a call. Pass it to
/// `Engine::builder().audit(..)`.
///
/// # Errors
/// [`AuditError::Io`] when the file cannot be opened for appending, and
/// [`AuditError::Spawn`] when the queue's writer thread cannot start.
pub fn trail(path: &Path) -> Result<AuditQueue, AuditError> {
    let file = JsonLinesFile::builder(path)
        .max_bytes(MAX_BYTES)
        .keep(KEEP)
        .flush(FlushPolicy::Batch)
        .open()?;
    AuditQueue::builder(file).spawn()
}
