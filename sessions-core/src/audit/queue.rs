//! [`AuditQueue`]: records handed to a sink on a thread of its own, off the caller's path.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::audit::{AuditError, AuditRecord, AuditSink};
use crate::lock::lock;

/// How often, at most, the queue warns of records it dropped or its sink failed on.
const WARN_EVERY: Duration = Duration::from_secs(1);

/// A sink that hands records to another sink on a writer thread of its own, so that
/// [`record`](AuditSink::record) never waits for a disk.
///
/// The queue holds at most [`capacity`](AuditQueueBuilder::capacity) records. When it is
/// full, a record is dropped, never waited for: the drop is counted
/// ([`dropped`](Self::dropped)) and logged at WARN (target `sessions::audit`, at most once
/// a second, with the count so far). A drop is always counted and logged, never silent. A
/// record the sink fails on (or panics on) is counted in [`failed`](Self::failed) and
/// logged at ERROR the same way.
///
/// The writer takes every record waiting at once, writes them, then flushes the sink: a
/// [`JsonLinesFile`](crate::audit::JsonLinesFile) with
/// [`FlushPolicy::Batch`](crate::audit::FlushPolicy::Batch) makes one system call per
/// batch. Dropping the queue writes what it holds, waiting at most
/// [`close_deadline`](AuditQueueBuilder::close_deadline) (5 s); records still unwritten then
/// are counted as dropped and logged.
///
/// ```
/// use std::time::Duration;
/// use sessions_core::audit::{AuditHost, AuditKind, AuditQueue, AuditRecord, AuditSink, TracingSink};
///
/// let queue = AuditQueue::builder(TracingSink).capacity(1024).spawn()?;
/// queue.record(AuditRecord::new(AuditHost::Rust, AuditKind::Call, "add"))?;
/// queue.flush_within(Duration::from_secs(5))?;
/// assert_eq!(queue.written(), 1);
/// assert_eq!(queue.dropped(), 0);
/// # Ok::<(), sessions_core::audit::AuditError>(())
/// ```
#[derive(Debug)]
pub struct AuditQueue {
    shared: Arc<Shared>,
    writer: Option<thread::JoinHandle<()>>,
    close_deadline: Duration,
}

/// The settings of an [`AuditQueue`]; from [`AuditQueue::builder`].
pub struct AuditQueueBuilder {
    sink: Box<dyn AuditSink>,
    capacity: usize,
    close_deadline: Duration,
}

#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Wakes the writer: a record, or the close.
    work: Condvar,
    /// Wakes who waits for the writer: a batch written, or the writer gone.
    progress: Condvar,
    capacity: usize,
    dropped: AtomicU64,
    failed: AtomicU64,
    /// Drops already told of in a warning.
    dropped_told: AtomicU64,
    /// When the last drop warning was, in nanoseconds from `started` (`u64::MAX`: never).
    last_warning: AtomicU64,
    started: Instant,
}

#[derive(Debug, Default)]
struct State {
    queue: VecDeque<AuditRecord>,
    /// Records accepted into the queue, ever.
    accepted: u64,
    /// Records the writer is done with (written or failed), ever.
    done: u64,
    closing: bool,
    writer_gone: bool,
}

impl AuditQueue {
    /// The settings for a queue in front of `sink`, with the defaults: 65 536 records, 5 s
    /// to write what is left when it is dropped.
    pub fn builder(sink: impl AuditSink + 'static) -> AuditQueueBuilder {
        AuditQueueBuilder {
            sink: Box::new(sink),
            capacity: 65_536,
            close_deadline: Duration::from_secs(5),
        }
    }

    /// Records dropped so far because the queue was full (or its writer was gone, or did not
    /// finish by the close deadline).
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Acquire)
    }

    /// Records the sink failed on (or panicked on) so far.
    pub fn failed(&self) -> u64 {
        self.shared.failed.load(Ordering::Acquire)
    }

    /// Records the sink has taken so far (written, or failed on).
    pub fn written(&self) -> u64 {
        let state = lock(&self.shared.state);
        state.done - self.failed().min(state.done)
    }

    /// Records waiting or being written now.
    pub fn pending(&self) -> u64 {
        let state = lock(&self.shared.state);
        state.accepted - state.done
    }

    /// Waits until every record accepted before this call has been handed to the sink and
    /// the sink flushed, for at most `deadline`; [`AuditError::Timeout`] says how many were
    /// still pending then.
    pub fn flush_within(&self, deadline: Duration) -> Result<(), AuditError> {
        let until = Instant::now() + deadline;
        let mut state = lock(&self.shared.state);
        let target = state.accepted;
        while state.done < target && !state.writer_gone {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(AuditError::Timeout {
                    pending: target - state.done,
                });
            }
            state = self
                .shared
                .progress
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        if state.done < target {
            return Err(AuditError::Timeout {
                pending: target - state.done,
            });
        }
        Ok(())
    }

    /// Stops taking records, and waits at most `deadline` for the writer to write what it
    /// holds. What is still unwritten then is counted as dropped and logged.
    fn close(&mut self, deadline: Duration) {
        let until = Instant::now() + deadline;
        let mut state = lock(&self.shared.state);
        state.closing = true;
        self.shared.work.notify_all();
        while !state.writer_gone {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .shared
                .progress
                .wait_timeout(state, left)
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .0;
        }
        let gone = state.writer_gone;
        let unwritten = state.accepted - state.done;
        drop(state);
        if gone {
            if let Some(writer) = self.writer.take() {
                let _ = writer.join();
            }
        }
        if unwritten > 0 {
            self.shared.dropped.fetch_add(unwritten, Ordering::AcqRel);
            tracing::warn!(
                target: "sessions::audit",
                unwritten,
                deadline_ms = u64::try_from(deadline.as_millis()).unwrap_or(u64::MAX),
                "audit queue closed before its sink wrote every record: these are lost"
            );
        }
        self.shared.warn_dropped(true);
    }
}

impl AuditSink for AuditQueue {
    /// Queues `record` for the writer, or drops it (counted and logged) if the queue is
    /// full: never waits. Always `Ok`: a drop is not the caller's to handle.
    fn record(&self, record: AuditRecord) -> Result<(), AuditError> {
        let shared = &*self.shared;
        let mut state = lock(&shared.state);
        if state.queue.len() >= shared.capacity || state.closing || state.writer_gone {
            drop(state);
            shared.dropped.fetch_add(1, Ordering::AcqRel);
            shared.warn_dropped(false);
            return Ok(());
        }
        // Only a queue that was empty can have the writer waiting on it: a writer busy with
        // a batch looks at the queue again before it waits. Waking it once per batch, not
        // once per record, keeps a system call off the caller's path.
        let was_empty = state.queue.is_empty();
        state.queue.push_back(record);
        state.accepted += 1;
        drop(state);
        if was_empty {
            shared.work.notify_one();
        }
        Ok(())
    }

    /// [`flush_within`](Self::flush_within) the close deadline.
    fn flush(&self) -> Result<(), AuditError> {
        self.flush_within(self.close_deadline)
    }
}

impl Drop for AuditQueue {
    fn drop(&mut self) {
        self.close(self.close_deadline);
    }
}

impl AuditQueueBuilder {
    /// The most records waiting (default 65 536; at least 1).
    pub fn capacity(mut self, records: usize) -> AuditQueueBuilder {
        self.capacity = records.max(1);
        self
    }

    /// How long dropping the queue waits for its writer to write what it holds (default
    /// 5 s).
    pub fn close_deadline(mut self, deadline: Duration) -> AuditQueueBuilder {
        self.close_deadline = deadline;
        self
    }

    /// Starts the writer thread (`sessions-audit`).
    pub fn spawn(self) -> Result<AuditQueue, AuditError> {
        let shared = Arc::new(Shared {
            state: Mutex::new(State::default()),
            work: Condvar::new(),
            progress: Condvar::new(),
            capacity: self.capacity,
            dropped: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            dropped_told: AtomicU64::new(0),
            last_warning: AtomicU64::new(u64::MAX),
            started: Instant::now(),
        });
        let writer = {
            let shared = Arc::clone(&shared);
            let sink = self.sink;
            thread::Builder::new()
                .name("sessions-audit".to_owned())
                .spawn(move || write(&shared, &*sink))
                .map_err(|source| AuditError::Spawn { source })?
        };
        Ok(AuditQueue {
            shared,
            writer: Some(writer),
            close_deadline: self.close_deadline,
        })
    }
}

impl std::fmt::Debug for AuditQueueBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuditQueueBuilder")
            .field("capacity", &self.capacity)
            .field("close_deadline", &self.close_deadline)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Warns of the drops not told of yet: at most once every [`WARN_EVERY`], or now if
    /// `last` (the queue is closing).
    fn warn_dropped(&self, last: bool) {
        let now = u64::try_from(self.started.elapsed().as_nanos()).unwrap_or(u64::MAX);
        let previous = self.last_warning.load(Ordering::Acquire);
        let due = previous == u64::MAX || now.saturating_sub(previous) >= nanos(WARN_EVERY);
        if !(due || last) {
            return;
        }
        if !last
            && self
                .last_warning
                .compare_exchange(previous, now, Ordering::AcqRel, Ordering::Acquire)
                .is_err()
        {
            return; // another thread warns
        }
        let dropped = self.dropped.load(Ordering::Acquire);
        let told = self.dropped_told.swap(dropped, Ordering::AcqRel);
        if dropped > told {
            tracing::warn!(
                target: "sessions::audit",
                dropped_now = dropped - told,
                dropped_total = dropped,
                capacity = self.capacity,
                "audit queue full: records dropped (the sink is slower than the calls)"
            );
        }
    }
}

/// The writer thread: takes what waits, writes it, flushes, until closed and empty.
fn write(shared: &Shared, sink: &dyn AuditSink) {
    let mut failures_told = 0;
    let mut last_error_warning: Option<Instant> = None;
    let mut batch = VecDeque::new();
    loop {
        {
            let mut state = lock(&shared.state);
            while state.queue.is_empty() && !state.closing {
                state = shared
                    .work
                    .wait(state)
                    .unwrap_or_else(|poisoned| poisoned.into_inner());
            }
            if state.queue.is_empty() {
                state.writer_gone = true;
                shared.progress.notify_all();
                return;
            }
            std::mem::swap(&mut state.queue, &mut batch);
        }
        let count = batch.len() as u64;
        let mut first_error = None;
        for record in batch.drain(..) {
            let written = catch_unwind(AssertUnwindSafe(|| sink.record(record)));
            let error = match written {
                Ok(Ok(())) => continue,
                Ok(Err(error)) => error.to_string(),
                Err(_) => "the sink panicked".to_owned(),
            };
            shared.failed.fetch_add(1, Ordering::AcqRel);
            first_error.get_or_insert(error);
        }
        match catch_unwind(AssertUnwindSafe(|| sink.flush())) {
            Ok(Ok(())) => {}
            Ok(Err(error)) => {
                first_error.get_or_insert(error.to_string());
            }
            Err(_) => {
                first_error.get_or_insert("the sink panicked in flush".to_owned());
            }
        }
        if let Some(error) = first_error {
            let due = last_error_warning.is_none_or(|at| at.elapsed() >= WARN_EVERY);
            let failed = shared.failed.load(Ordering::Acquire);
            if due {
                last_error_warning = Some(Instant::now());
                tracing::error!(
                    target: "sessions::audit",
                    failed_now = failed - failures_told,
                    failed_total = failed,
                    %error,
                    "audit sink failed: records not written"
                );
                failures_told = failed;
            }
        }
        let mut state = lock(&shared.state);
        state.done += count;
        drop(state);
        shared.progress.notify_all();
    }
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}
