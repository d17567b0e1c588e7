//! The web host's drain, for a rolling deploy behind a load balancer ([`Drain`], from
//! [`WebHost::drain`](super::WebHost::drain)):
//! 1. [`Drain::start`]: `GET {base}/ready` answers 503 (the load balancer's health check
//!    takes the server out), and a new tab's upgrade is refused with 503 and `Retry-After: 0`
//!    (a load balancer that retries on 503 sends it to another server; a page connects
//!    again);
//! 2. [`Drain::stop_calls`]: a tab's call is answered [`SERVER_RESTARTING`](super::SERVER_RESTARTING)
//!    without running, and the calls that run are waited for, so what the application
//!    writes next has all their effects;
//! 3. the application writes what its sessions need elsewhere (a farm's release);
//! 4. [`Drain::close_tabs`]: every tab's socket is closed with [`SERVICE_RESTART`] (1012),
//!    and the call waits, up to its deadline, until they are all closed. `client.js`
//!    reconnects at once on 1012 (after a small random delay), with its resume token.

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Ready: takes tabs.
    Serving,
    /// Takes no new tab; the open ones go on.
    Draining,
    /// Runs no more calls of the open tabs (they are answered, not run).
    StoppingCalls,
    /// Closes every tab's socket with 1012.
    Closing,
}

/// What the host's routes and sockets share about the drain: its phase, how many tab
/// sockets are open, and how many of their calls run.
#[derive(Debug)]
pub(super) struct DrainState {
    phase: watch::Sender<Phase>,
    sockets: watch::Sender<usize>,
    calls: watch::Sender<usize>,
}

impl DrainState {
    pub fn new() -> Arc<DrainState> {
        Arc::new(DrainState {
            phase: watch::Sender::new(Phase::Serving),
            sockets: watch::Sender::new(0),
            calls: watch::Sender::new(0),
        })
    }

    /// Whether a tab's call is answered without running ([`Drain::stop_calls`]).
    pub fn refuses_calls(&self) -> bool {
        matches!(*self.phase.borrow(), Phase::StoppingCalls | Phase::Closing)
    }

    /// Counts a running call until the hold drops.
    pub fn call_hold(self: &Arc<DrainState>) -> CallHold {
        self.calls.send_modify(|running| *running += 1);
        CallHold(Arc::clone(self))
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

    /// Resolves when the host closes its tabs' sockets (at once if it does already).
    pub async fn closing(&self) {
        let mut phase = self.phase.subscribe();
        if phase
            .wait_for(|phase| *phase == Phase::Closing)
            .await
            .is_err()
        {
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

/// A running call of a tab, counted while held.
pub(super) struct CallHold(Arc<DrainState>);

impl Drop for CallHold {
    fn drop(&mut self) {
        self.0
            .calls
            .send_modify(|running| *running = running.saturating_sub(1));
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

/// The drain of one [`WebHost`](super::WebHost) (from [`WebHost::drain`](super::WebHost::drain)),
/// for a rolling deploy behind a load balancer; cheap to clone, for the task that waits for
/// SIGTERM. In order:
/// 1. [`start`](Self::start): `GET {base}/ready` answers 503 (the load balancer's health
///    check takes the server out), and a tab's upgrade is refused with 503 and
///    `Retry-After: 0` (a load balancer that retries on 503 sends it to another server; a
///    page connects again);
/// 2. [`stop_calls`](Self::stop_calls): a tab's call is answered
///    [`SERVER_RESTARTING`](super::SERVER_RESTARTING) without running (`client.js` makes it
///    again once it has reconnected), and the calls that run are waited for;
/// 3. the application writes what its sessions need elsewhere (a farm's release);
/// 4. [`close_tabs`](Self::close_tabs): every tab's socket is closed with
///    [`SERVICE_RESTART`] (1012) and a reason, and the call waits, up to its deadline,
///    until they are all closed. `client.js` reconnects at once on 1012 (after a small
///    random delay), with its resume token.
#[derive(Debug, Clone)]
pub struct Drain {
    state: Arc<DrainState>,
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

/// Not every running call finished within [`Drain::stop_calls`]'s deadline.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "{running} call(s) still running {deadline:?} after calls were stopped: what they do \
     after the sessions' state is written stays on this server (give them a longer \
     deadline, or make slow methods return sooner)"
)]
pub struct CallsStillRunning {
    /// How many were still running at the deadline.
    pub running: usize,
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

    /// Runs no more calls of the open tabs (starting the drain if it was not): each call
    /// from now on is answered [`SERVER_RESTARTING`](super::SERVER_RESTARTING), "did not
    /// run". Then waits, at most `deadline`, until the calls that were running have
    /// finished, so that the sessions' state written next (a farm's
    /// `Farm::release`) has all their effects. Returns how many
    /// were running when it was called.
    ///
    /// # Errors
    /// [`CallsStillRunning`]: some had not finished by the deadline; their effects after
    /// the state is written stay on this server.
    pub async fn stop_calls(&self, deadline: Duration) -> Result<usize, CallsStillRunning> {
        self.state.phase.send_if_modified(|phase| {
            let earlier = matches!(*phase, Phase::Serving | Phase::Draining);
            if earlier {
                *phase = Phase::StoppingCalls;
            }
            earlier
        });
        let running = *self.state.calls.borrow();
        let mut calls = self.state.calls.subscribe();
        let finished = tokio::time::timeout(deadline, calls.wait_for(|running| *running == 0))
            .await
            .is_ok();
        if finished {
            return Ok(running);
        }
        Err(CallsStillRunning {
            running: *self.state.calls.borrow(),
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
