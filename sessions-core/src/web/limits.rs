//! What one tab may cost the host, and what the host counts when a tab goes past it:
//! - **A deadline on every write.** A tab whose socket takes nothing for
//!   [`write_timeout`](super::WebHostBuilder::write_timeout) (a client that stopped
//!   reading, a full network path) is taken as gone: its socket is dropped, its session
//!   waits out the grace period like any dropped tab's, and what it had queued (the message
//!   being written, and the answers of its calls still running) is counted in
//!   [`WebCounters::undelivered`] and logged.
//! - **Bounded batches.** A batch has at most [`max_batch_members`](super::WebHostBuilder::max_batch_members)
//!   members, and its answer at most [`ANSWER_BYTES_PER_MESSAGE_BYTE`] times
//!   [`max_message_bytes`](super::WebHostBuilder::max_message_bytes); past either, one
//!   error (-32600) answers the whole batch ([`BatchLimits`]).
//! - **Connections** ([`ConnectionLimits`], kept by the host's serve loop): header and idle
//!   deadlines, caps per peer and in all; refusals and timeouts are counted here.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, WebSocket};

/// How many times the largest message taken a batch's answer may be: a batch of small
/// requests may have larger answers than itself, but not without bound.
pub const ANSWER_BYTES_PER_MESSAGE_BYTE: usize = 4;

/// How many members a batch may have by default.
pub const DEFAULT_MAX_BATCH_MEMBERS: usize = 100;

/// How many members of a batch run before its task yields its runtime worker to other
/// tasks: so a long batch of cheap members holds a worker for no longer than this many
/// members at a time.
pub(super) const MEMBERS_PER_YIELD: usize = 16;

/// What a host counted, read through [`WebHostBuilder::counters`](super::WebHostBuilder::counters):
/// a handle shared with the host it was taken from (cloning it is cheap).
#[derive(Clone, Debug, Default)]
pub struct WebCounters(Arc<Counts>);

#[derive(Debug, Default)]
struct Counts {
    stalled_tabs: AtomicU64,
    undelivered: AtomicU64,
    refused_batches: AtomicU64,
    open_connections: AtomicU64,
    refused_per_peer: AtomicU64,
    refused_over_total: AtomicU64,
    header_timeouts: AtomicU64,
    idle_timeouts: AtomicU64,
    body_timeouts: AtomicU64,
}

impl WebCounters {
    /// How many tabs were dropped because their socket took nothing for the write timeout.
    pub fn stalled_tabs(&self) -> u64 {
        self.0.stalled_tabs.load(Ordering::Relaxed)
    }

    /// How many messages (answers and pushes) were never delivered because their tab was
    /// dropped as stalled: the one being written, and the answers of its calls still
    /// running then. (Pushes still queued in the session are not lost: a tab that resumes
    /// within the grace period gets them.)
    pub fn undelivered(&self) -> u64 {
        self.0.undelivered.load(Ordering::Relaxed)
    }

    /// How many batches were answered with one error because they had too many members or
    /// their answer grew past its bound.
    pub fn refused_batches(&self) -> u64 {
        self.0.refused_batches.load(Ordering::Relaxed)
    }

    /// How many connections the host's [serve loop](super::WebHost::serve) holds open now
    /// (HTTP connections and the WebSockets upgraded from them).
    pub fn open_connections(&self) -> u64 {
        self.0.open_connections.load(Ordering::Relaxed)
    }

    /// How many connections were refused because their peer's address (an IPv4 address,
    /// or an IPv6 /64) held [`max_connections_per_peer`](super::WebHostBuilder::max_connections_per_peer)
    /// already.
    pub fn refused_per_peer(&self) -> u64 {
        self.0.refused_per_peer.load(Ordering::Relaxed)
    }

    /// How many connections were refused because the host held
    /// [`max_connections`](super::WebHostBuilder::max_connections) already.
    pub fn refused_over_total(&self) -> u64 {
        self.0.refused_over_total.load(Ordering::Relaxed)
    }

    /// How many connections were closed because a request's headers were not complete
    /// within the [header read timeout](super::WebHostBuilder::header_read_timeout).
    pub fn header_timeouts(&self) -> u64 {
        self.0.header_timeouts.load(Ordering::Relaxed)
    }

    /// How many keep-alive connections were closed because no request began within the
    /// [idle connection timeout](super::WebHostBuilder::idle_connection_timeout).
    pub fn idle_timeouts(&self) -> u64 {
        self.0.idle_timeouts.load(Ordering::Relaxed)
    }

    /// How many POSTs were answered 408 because their body did not arrive within the
    /// [body read timeout](super::WebHostBuilder::body_read_timeout).
    pub fn body_timeouts(&self) -> u64 {
        self.0.body_timeouts.load(Ordering::Relaxed)
    }

    /// Counts a connection taken.
    pub(super) fn connection_opened(&self) {
        self.0.open_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection ended.
    pub(super) fn connection_closed(&self) {
        self.0.open_connections.fetch_sub(1, Ordering::Relaxed);
    }

    /// Counts a connection refused for its peer's cap.
    pub(super) fn refused_peer(&self) {
        self.0.refused_per_peer.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection refused for the host's cap.
    pub(super) fn refused_total(&self) {
        self.0.refused_over_total.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection closed for its headers' deadline.
    pub(super) fn header_timeout(&self) {
        self.0.header_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a connection closed for its idle deadline.
    pub(super) fn idle_timeout(&self) {
        self.0.idle_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a POST whose body missed its deadline.
    pub(super) fn body_timeout(&self) {
        self.0.body_timeouts.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a tab dropped as stalled, with the messages it will never get.
    pub(super) fn stalled(&self, undelivered: u64) {
        self.0.stalled_tabs.fetch_add(1, Ordering::Relaxed);
        self.0.undelivered.fetch_add(undelivered, Ordering::Relaxed);
    }

    /// Counts a batch answered with one error.
    pub(super) fn refused_batch(&self) {
        self.0.refused_batches.fetch_add(1, Ordering::Relaxed);
    }
}

/// Why a write did not go through.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum WriteFailed {
    /// The socket is closed or broken.
    Gone,
    /// The socket took nothing for the whole deadline.
    Stalled,
}

/// Sends `message`, giving up after `deadline`.
pub(super) async fn send_within(
    socket: &mut WebSocket,
    message: Message,
    deadline: Duration,
) -> Result<(), WriteFailed> {
    match tokio::time::timeout(deadline, socket.send(message)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(WriteFailed::Gone),
        Err(_) => Err(WriteFailed::Stalled),
    }
}

/// The bounds of one batch's answer, from the host's configuration.
#[derive(Clone, Debug)]
pub(super) struct BatchLimits {
    /// The most members a batch may have.
    pub max_members: usize,
    /// The largest answer a batch may have, in bytes.
    pub max_answer_bytes: usize,
    /// Where refused batches are counted.
    pub counters: WebCounters,
}

impl BatchLimits {
    /// The bounds for a host taking messages of up to `max_message_bytes`.
    pub fn new(max_members: usize, max_message_bytes: usize, counters: WebCounters) -> Self {
        BatchLimits {
            max_members,
            max_answer_bytes: max_message_bytes.saturating_mul(ANSWER_BYTES_PER_MESSAGE_BYTE),
            counters,
        }
    }
}

/// The limits the host's serve loop keeps on each connection (see
/// [`WebHost::serve`](super::WebHost::serve)).
#[derive(Clone, Copy, Debug)]
pub(super) struct ConnectionLimits {
    /// How long a request's headers may take.
    pub header_read_timeout: Duration,
    /// How long a keep-alive connection may wait for its next request.
    pub idle_timeout: Duration,
    /// The most connections held at once.
    pub max_connections: usize,
    /// The most connections held at once from one peer.
    pub max_connections_per_peer: usize,
}
