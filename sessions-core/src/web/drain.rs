//! The web host's drain, for a rolling deploy behind a load balancer ([`Drain`], from
//! [`WebHost::drain`](super::WebHost::drain)):
//! 1. [`Drain::start`]: `GET {base}/ready` answers 503 (the load balancer's health check
//!    takes the server out), and a new tab's upgrade is refused with 503 and `Retry-After: 0`
//!    (a load balancer that retries on 503 sends it to another server; a page connects
//!    again);
//! 2. [`Drain::finish_calls`]: the tabs' sockets take no more calls, and the calls running
//!    are answered, so the sessions' state no longer changes under the next step;
//! 3. the application writes what its sessions need elsewhere (a farm's release);
//! 4. [`Drain::close_tabs`]: every tab's socket is closed with [`SERVICE_RESTART`] (1012),
//!    and the call waits, up to its deadline, until they are all closed. `client.js`
//!    reconnects at once on 1012 (after a small random delay), with its resume token. A
//!    call a page sent after step 2 was never read, so never run: the page sees its socket
//!    close with the call in flight (`client.js` does not send it again into the resumed
//!    session).

use std::sync::Arc;
use std::time::Duration;

use axum::http::header::{CONNECTION, RETRY_AFTER};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::watch;

/// The close code a tab's socket gets when its server drains ("service restart", RFC 6455
/// 7.4.1 as IANA lists it): the server is going away, connect again (through the load
/// balancer) to reach another.
pub const SERVICE_RESTART: u16 = 1012;

/// The reason sent with [`SERVICE_RESTART`].
pub(super) const SERVICE_RESTART_REASON: &str =
    "this server is restarting: connect again to reach another";

/// Where a host is in its drain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Phase {
    /// Ready: takes tabs.
    Serving,
    /// Takes no new tab; the open ones go on.
    Draining,
    /// Takes no more calls from its tabs; the calls running finish and are answered.
    Quiet,
    /// Closes every tab's socket with 1012.
    Closing,
}

/// What the host's routes and sockets share about the drain: its phase, how many tab
/// sockets are open, and how many of them may still run a call.
#[derive(Debug)]
pub(super) struct DrainState {
    phase: watch::Sender<Phase>,
    sockets: watch::Sender<usize>,
    busy: watch::Sender<usize>,
}

impl DrainState {
    pub fn new() -> Arc<DrainState> {
        Arc::new(DrainState {
            phase: watch::Sender::new(Phase::Serving),
            sockets: watch::Sender::new(0),
            busy: watch::Sender::new(0),
        })
    }

    /// Whether a new tab is refused.
    pub fn draining(&self) -> bool {
        *self.phase.borrow() != Phase::Serving
    }

    /// Counts an open tab socket until the hold drops.
    pub fn hold(self: &Arc<DrainState>) -> SocketHold {
        self.sockets.send_modify(|open| *open += 1);
        SocketHold(Arc::clone(self))
    }

    /// Counts a tab socket that may still run calls, until the hold drops (once the socket
    /// takes no more calls and its running calls were answered, or it ends).
    pub fn busy(self: &Arc<DrainState>) -> BusyHold {
        self.busy.send_modify(|busy| *busy += 1);
        BusyHold(Arc::clone(self))
    }

    /// Resolves when the host closes its tabs' sockets (at once if it does already).
    pub async fn closing(&self) {
        self.reached(Phase::Closing).await;
    }

    /// Resolves when the host takes no more calls from its tabs (at once if so already).
    pub async fn quieting(&self) {
        self.reached(Phase::Quiet).await;
    }

    async fn reached(&self, wanted: Phase) {
        let mut phase = self.phase.subscribe();
        if phase.wait_for(|phase| *phase >= wanted).await.is_err() {
            // The sender lives as long as `self`: never here, but never a spurious close.
            std::future::pending::<()>().await;
        }
    }

    /// The answer to a tab's upgrade while the host drains: `None` while it takes tabs.
    pub fn refuse_new_tab(&self) -> Option<Response> {
        self.draining().then(|| {
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [
                    (RETRY_AFTER, HeaderValue::from_static("0")),
                    (CONNECTION, HeaderValue::from_static("close")),
                ],
                "this server is draining for a restart and takes no new tab: connect again \
                 (through the load balancer) to reach another server",
            )
                .into_response()
        })
    }
}

/// An open tab socket, counted while held.
pub(super) struct SocketHold(Arc<DrainState>);

impl Drop for SocketHold {
    fn drop(&mut self) {
        self.0
            .sockets
            .send_modify(|open| *open = open.saturating_sub(1));
    }
}

/// A tab socket that may still run calls, counted while held.
pub(super) struct BusyHold(Arc<DrainState>);

impl Drop for BusyHold {
    fn drop(&mut self) {
        self.0
            .busy
            .send_modify(|busy| *busy = busy.saturating_sub(1));
    }
}

/// The drain of one [`WebHost`](super::WebHost) (from [`WebHost::drain`](super::WebHost::drain)),
/// for a rolling deploy behind a load balancer; cheap to clone, for the task that waits for
/// SIGTERM. In order:
/// 1. [`start`](Self::start): `GET {base}/ready` answers 503 (the load balancer's health
///    check takes the server out), and a tab's upgrade is refused with 503 and
///    `Retry-After: 0` (a load balancer that retries on 503 sends it to another server; a
///    page connects again);
/// 2. [`finish_calls`](Self::finish_calls): the tabs' sockets take no more calls, and the
///    calls running are answered, so the sessions' state stops changing;
/// 3. the application writes what its sessions need elsewhere (a farm's
///    `Farm::release`);
/// 4. [`close_tabs`](Self::close_tabs): every tab's socket is closed with
///    [`SERVICE_RESTART`] (1012) and a reason, and the call waits, up to its deadline,
///    until they are all closed. `client.js` reconnects at once on 1012 (after a small
///    random delay), with its resume token.
#[derive(Debug, Clone)]
pub struct Drain {
    state: Arc<DrainState>,
}

/// Calls still ran on some tabs' sockets at [`Drain::finish_calls`]'s deadline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "calls still ran on {sockets} tab socket(s) {deadline:?} after the host stopped taking \
     calls: a state they change after the sessions are written is not carried to another \
     server"
)]
pub struct CallsStillRunning {
    /// How many sockets still had calls running at the deadline.
    pub sockets: usize,
    /// The deadline that passed.
    pub deadline: Duration,
}

/// Not every tab's socket closed within [`Drain::close_tabs`]'s deadline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{open} tab socket(s) still open {deadline:?} after they were told to close: their \
     connections end with the process (the pages reconnect as for any dropped connection)"
)]
pub struct TabsStillOpen {
    /// How many were still open at the deadline.
    pub open: usize,
    /// The deadline that passed.
    pub deadline: Duration,
}

impl Drain {
    pub(super) fn new(state: Arc<DrainState>) -> Drain {
        Drain { state }
    }

    /// Stops taking tabs: `GET {base}/ready` answers 503 from now on, and a tab's upgrade
    /// (a new tab, or one that resumes) is refused with 503. Open tabs go on. Doing it
    /// again does nothing.
    pub fn start(&self) {
        self.state.phase.send_if_modified(|phase| {
            let serving = *phase == Phase::Serving;
            if serving {
                *phase = Phase::Draining;
            }
            serving
        });
    }

    /// Whether the host drains ([`start`](Self::start) or [`close_tabs`](Self::close_tabs)
    /// was called).
    pub fn is_draining(&self) -> bool {
        self.state.draining()
    }

    /// How many tab sockets are open now.
    pub fn open_tabs(&self) -> usize {
        *self.state.sockets.borrow()
    }

    /// Stops taking calls from the tabs (starting the drain if it was not): every tab's
    /// socket reads nothing more, and the calls running finish and are answered. Waits until
    /// none is left running, at most `deadline`. Call it before the sessions' state is
    /// written for another server (a farm's `Farm::release`), so
    /// that no call changes it after: what a tab sends from now on is never run here, and
    /// the page sees its socket close (at [`close_tabs`](Self::close_tabs)) with the call
    /// unanswered. Pushes still reach the tabs. Doing it again waits again.
    ///
    /// # Errors
    /// [`CallsStillRunning`]: calls still ran on some sockets at the deadline (a method
    /// that takes longer); the drain goes on.
    pub async fn finish_calls(&self, deadline: Duration) -> Result<(), CallsStillRunning> {
        self.state.phase.send_if_modified(|phase| {
            let earlier = *phase < Phase::Quiet;
            if earlier {
                *phase = Phase::Quiet;
            }
            earlier
        });
        let mut busy = self.state.busy.subscribe();
        let finished = tokio::time::timeout(deadline, busy.wait_for(|busy| *busy == 0))
            .await
            .is_ok();
        if finished {
            return Ok(());
        }
        Err(CallsStillRunning {
            sockets: *self.state.busy.borrow(),
            deadline,
        })
    }

    /// Closes every tab's socket with [`SERVICE_RESTART`] (1012) and its reason (starting
    /// the drain if it was not), then waits until all are closed, at most `deadline`.
    /// Call it once the sessions' state is written where another server finds it: the
    /// pages reconnect at once. Their sessions here wait out the grace period, as for any
    /// dropped tab. Returns how many sockets were open when they were told.
    ///
    /// # Errors
    /// [`TabsStillOpen`]: some sockets had not closed by the deadline (a tab that takes
    /// nothing written to it is dropped at the host's write timeout anyway).
    pub async fn close_tabs(&self, deadline: Duration) -> Result<usize, TabsStillOpen> {
        // Counted before they are told: a socket told may be gone by the next line.
        let told = self.open_tabs();
        self.state.phase.send_replace(Phase::Closing);
        let mut open = self.state.sockets.subscribe();
        let closed = tokio::time::timeout(deadline, open.wait_for(|open| *open == 0)).await;
        match closed {
            Ok(_) => Ok(told),
            Err(_) => Err(TabsStillOpen {
                open: self.open_tabs(),
                deadline,
            }),
        }
    }
}
