//! tokio tasks that run in a session's context (with the `tokio` feature).
//!
//! `tokio::spawn` carries no session: inside the task, [`current`](crate::current) is
//! `None`. [`spawn`] starts a task that runs in the caller's session at every poll,
//! whichever worker thread polls it; it is `tokio::spawn(future.in_current_session())`
//! (see [`InSession`](crate::InSession)). A task whose session closes while it is pending
//! is dropped at its next poll and resolves to `Err(SessionClosed)`.
//!
//! ```
//! use sessions_core::{current_id, task, Engine};
//!
//! let runtime = tokio::runtime::Builder::new_current_thread().build().expect("runtime");
//! let _runtime = runtime.enter();
//! let engine = Engine::new();
//! let session = engine.open()?;
//!
//! let (carried, plain) = {
//!     let _guard = session.enter()?;
//!     (task::spawn(async { current_id() }), tokio::spawn(async { current_id() }))
//! };
//! assert_eq!(runtime.block_on(carried).expect("no panic"), Ok(Some(session.id())));
//! assert_eq!(runtime.block_on(plain).expect("no panic"), None);
//! # Ok::<(), sessions_core::SessionError>(())
//! ```
//!
//! A context entered on a thread is seen by every future polled on that thread while it
//! lasts, wrapped or not: do not hold a [`SessionGuard`](crate::SessionGuard) around
//! `Runtime::block_on` (on a current-thread runtime, every task runs inside it).

use std::future::Future;

use tokio::task::JoinHandle;

use crate::engine::carrier::Carrier;
use crate::{Session, SessionClosed, SessionFutureExt};

/// Spawns `future` on the current tokio runtime, running in the caller's session context at
/// every poll.
///
/// The task holds only a [`WeakSession`](crate::WeakSession). Its output is `Ok` with the
/// future's output, or `Err(`[`SessionClosed`]`)` when the session was closed before the
/// future completed (the future was then dropped at its next poll). With no current session,
/// it behaves like `tokio::spawn` and its output is always `Ok`.
///
/// # Panics
/// Outside a tokio runtime, as `tokio::spawn` does.
pub fn spawn<F>(future: F) -> JoinHandle<Result<F::Output, SessionClosed>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(future.in_current_session())
}

/// Spawns `future` on the current tokio runtime, running in `session`'s context at every
/// poll; see [`spawn`].
///
/// # Panics
/// Outside a tokio runtime, as `tokio::spawn` does.
pub fn spawn_in<F>(session: &Session, future: F) -> JoinHandle<Result<F::Output, SessionClosed>>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    tokio::spawn(future.in_session(session))
}

/// Runs the blocking closure `f` on tokio's blocking thread pool, in the caller's session
/// context: `tokio::task::spawn_blocking` that carries the session, as
/// [`thread::spawn`](crate::thread::spawn) does for a thread of its own.
///
/// If the session is closed before `f` starts, `f` does not run and the task's output is
/// `Err(`[`SessionClosed`]`)`. With no current session, `f` runs with no context.
///
/// # Panics
/// Outside a tokio runtime, as `tokio::task::spawn_blocking` does.
pub fn spawn_blocking<F, T>(f: F) -> JoinHandle<Result<T, SessionClosed>>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    let carried = Carrier::current_weak();
    // The context is left when `f` returns or unwinds: the pool thread goes back clean.
    tokio::task::spawn_blocking(move || carried.run(f))
}
