//! What the serve loop watches on each connection, for its deadlines: when the connection
//! last became idle (accepted, or its last response sent), when a byte of the next request
//! first came, and whether a request is in progress.
//!
//! - [`Watched`] wraps the socket and notes the first byte read while idle.
//! - [`InProgress`] is held from a request's start (its headers read) until its response's
//!   body is sent or dropped ([`Guarded`]).
//! - [`deadline_passed`] resolves when a deadline passes with no request in progress.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes};
use http_body::{Frame, SizeHint};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::sync::Notify;
use tokio::time::Instant;

use super::gate::Permit;

/// No byte read since the connection became idle.
const NONE: u64 = u64::MAX;

/// One connection's activity, in milliseconds since it was accepted.
pub(super) struct Activity {
    start: Instant,
    /// When the connection last became idle.
    idle_since: AtomicU64,
    /// When the first byte came since then ([`NONE`]: none yet).
    first_read: AtomicU64,
    /// Requests in progress.
    in_progress: AtomicUsize,
    /// Requests begun on this connection.
    begun: AtomicU64,
    /// Told when a request begins or ends.
    changed: Notify,
}

impl Activity {
    pub fn new() -> Arc<Activity> {
        Arc::new(Activity {
            start: Instant::now(),
            idle_since: AtomicU64::new(0),
            first_read: AtomicU64::new(NONE),
            in_progress: AtomicUsize::new(0),
            begun: AtomicU64::new(0),
            changed: Notify::new(),
        })
    }

    fn now(&self) -> u64 {
        u64::try_from(self.start.elapsed().as_millis()).unwrap_or(NONE - 1)
    }

    fn read_some(&self) {
        if self.first_read.load(Ordering::Relaxed) == NONE {
            let now = self.now();
            let _ =
                self.first_read
                    .compare_exchange(NONE, now, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// A request's headers were read: it is in progress until the guard drops.
    pub fn begin(self: &Arc<Self>) -> InProgress {
        self.in_progress.fetch_add(1, Ordering::AcqRel);
        self.begun.fetch_add(1, Ordering::Relaxed);
        self.changed.notify_one();
        InProgress(Arc::clone(self))
    }
}

/// A request in progress, from its headers to the end of its response (or until either is
/// dropped: a connection closed under it).
pub(super) struct InProgress(Arc<Activity>);

impl Drop for InProgress {
    fn drop(&mut self) {
        let activity = &self.0;
        activity.idle_since.store(activity.now(), Ordering::Relaxed);
        activity.first_read.store(NONE, Ordering::Relaxed);
        activity.in_progress.fetch_sub(1, Ordering::AcqRel);
        activity.changed.notify_one();
    }
}

/// Which deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Expired {
    /// A request's headers were not complete in time (a new connection's, counted from its
    /// accept; a later request's, from its first byte).
    Headers,
    /// A keep-alive connection began no request in time.
    Idle,
}

/// Resolves when a deadline passes with no request in progress: a new connection has
/// `header` to send its first request's headers; once a request ended, the connection has
/// `idle` to send a byte of the next, then `header` from that byte for its headers. While a
/// request is in progress no deadline of the connection runs (the request's own do).
pub(super) async fn deadline_passed(
    activity: &Activity,
    header: Duration,
    idle: Duration,
) -> Expired {
    let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(NONE - 1);
    let (header, idle) = (ms(header), ms(idle));
    loop {
        let changed = activity.changed.notified();
        tokio::pin!(changed);
        changed.as_mut().enable();
        if activity.in_progress.load(Ordering::Acquire) > 0 {
            changed.await;
            continue;
        }
        let first_read = activity.first_read.load(Ordering::Relaxed);
        let idle_since = activity.idle_since.load(Ordering::Relaxed);
        let (at, expired) = if activity.begun.load(Ordering::Relaxed) == 0 {
            (idle_since.saturating_add(header), Expired::Headers)
        } else if first_read != NONE {
            (first_read.saturating_add(header), Expired::Headers)
        } else {
            (idle_since.saturating_add(idle), Expired::Idle)
        };
        let now = activity.now();
        if now >= at {
            return expired;
        }
        let wake = activity.start + Duration::from_millis(at);
        tokio::select! {
            () = tokio::time::sleep_until(wake) => {}
            () = &mut changed => {}
        }
    }
}

pin_project_lite::pin_project! {
    /// A connection's socket that notes, for its [`Activity`], the first byte read while it
    /// is idle; it holds the connection's place ([`Permit`]) until it is dropped, also after
    /// a WebSocket upgrade took it over.
    pub(super) struct Watched<T> {
        #[pin]
        io: T,
        activity: Arc<Activity>,
        _permit: Permit,
    }
}

impl<T> Watched<T> {
    pub fn new(io: T, activity: Arc<Activity>, permit: Permit) -> Watched<T> {
        Watched {
            io,
            activity,
            _permit: permit,
        }
    }
}

impl<T: AsyncRead> AsyncRead for Watched<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.project();
        let before = buf.filled().len();
        let polled = this.io.poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            this.activity.read_some();
        }
        polled
    }
}

impl<T: AsyncWrite> AsyncWrite for Watched<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        self.project().io.poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        self.project().io.poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

pin_project_lite::pin_project! {
    /// A response's body, with its request [in progress](InProgress) until hyper has sent
    /// it or dropped it.
    pub(super) struct Guarded {
        #[pin]
        body: Body,
        _request: InProgress,
    }
}

impl Guarded {
    pub fn new(body: Body, request: InProgress) -> Guarded {
        Guarded {
            body,
            _request: request,
        }
    }
}

impl http_body::Body for Guarded {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        self.project().body.poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
