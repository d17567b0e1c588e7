//! Threads that run in a session's context: Xojo's `WebThread`.
//!
//! A thread started with `std::thread::spawn` has no session: [`current`](crate::current) is
//! `None` there. [`spawn`] starts a thread that runs in the caller's session instead, and
//! [`spawn_in`] one that runs in a given session. The thread holds only a
//! [`WeakSession`](crate::WeakSession) until it starts: if the session is closed by then, the closure does not
//! run, and [`JoinHandle::join`] says so with [`JoinError::SessionClosed`].
//!
//! ```
//! use sessions_core::{current_id, thread, Engine};
//!
//! let engine = Engine::new();
//! let session = engine.open()?;
//! let _guard = session.enter()?;
//!
//! let carried = thread::spawn(current_id).join();
//! let plain = std::thread::spawn(current_id).join().expect("no panic");
//! assert_eq!(carried, Ok(Some(session.id())));
//! assert_eq!(plain, None);
//! # Ok::<(), sessions_core::SessionError>(())
//! ```

use std::fmt;
use std::io;
use std::thread::Thread;

use crate::engine::carrier::Carrier;
use crate::panic::panic_message;
use crate::{Session, SessionClosed, SessionId};

/// Starts a thread that runs `f` in the caller's session context.
///
/// The thread captures the current session as a [`WeakSession`](crate::WeakSession), so it does not keep the
/// session alive. When it starts, it upgrades it: if the session is closed by then, `f` does
/// not run and [`join`](JoinHandle::join) returns [`JoinError::SessionClosed`]; otherwise
/// the session is current while `f` runs (whatever thread started it) and released when `f`
/// returns. Once `f` has started, closing the session does not stop it: `f` can check
/// [`Session::is_open`].
///
/// With no current session, the thread behaves like one from `std::thread::spawn`: `f` runs
/// with no context.
///
/// # Panics
/// When the operating system cannot start a thread, as `std::thread::spawn` does; use
/// [`Builder::spawn`] to get that as an error instead.
pub fn spawn<F, T>(f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    expect_started(Builder::new().spawn(f))
}

/// Starts a thread that runs `f` in `session`'s context, whatever is current here.
///
/// As with [`spawn`], the thread holds only a [`WeakSession`](crate::WeakSession) until it starts, and `f` does
/// not run if the session is closed by then (or already was).
///
/// # Panics
/// When the operating system cannot start a thread; see [`Builder::spawn_in`].
pub fn spawn_in<F, T>(session: &Session, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    expect_started(Builder::new().spawn_in(session, f))
}

fn expect_started<T>(started: io::Result<JoinHandle<T>>) -> JoinHandle<T> {
    started.unwrap_or_else(|error| panic!("failed to spawn a thread: {error}"))
}

/// Settings for a new thread (its name, its stack size), as `std::thread::Builder`.
///
/// ```
/// use sessions_core::{current_id, thread, Engine};
///
/// let engine = Engine::new();
/// let session = engine.open()?;
/// let handle = thread::Builder::new()
///     .name("report".into())
///     .spawn_in(&session, || (std::thread::current().name().map(String::from), current_id()))
///     .expect("thread started");
/// assert_eq!(handle.join(), Ok((Some("report".into()), Some(session.id()))));
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
#[derive(Debug)]
#[must_use = "a builder does nothing until `spawn` or `spawn_in` is called"]
pub struct Builder {
    inner: std::thread::Builder,
}

impl Builder {
    /// Default settings: an unnamed thread with the default stack size.
    pub fn new() -> Builder {
        Builder {
            inner: std::thread::Builder::new(),
        }
    }

    /// Names the thread (shown in panic messages and debuggers).
    pub fn name(self, name: String) -> Builder {
        Builder {
            inner: self.inner.name(name),
        }
    }

    /// Sets the thread's stack size in bytes.
    pub fn stack_size(self, size: usize) -> Builder {
        Builder {
            inner: self.inner.stack_size(size),
        }
    }

    /// Starts a thread that runs `f` in the caller's session context, as [`spawn`] does.
    ///
    /// # Errors
    /// When the operating system cannot start a thread.
    pub fn spawn<F, T>(self, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.start(Carrier::current_weak(), f)
    }

    /// Starts a thread that runs `f` in `session`'s context, as [`spawn_in`] does.
    ///
    /// # Errors
    /// When the operating system cannot start a thread.
    pub fn spawn_in<F, T>(self, session: &Session, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        self.start(Carrier::Weak(session.downgrade()), f)
    }

    fn start<F, T>(self, carried: Carrier, f: F) -> io::Result<JoinHandle<T>>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let session = carried.session_id();
        let inner = self.inner.spawn(move || {
            // The carrier holds the only reference to the session this thread has; the
            // context is left when `f` returns or unwinds.
            carried
                .run(f)
                .map_err(|closed| JoinError::SessionClosed(closed.id()))
        })?;
        Ok(JoinHandle { inner, session })
    }
}

impl Default for Builder {
    fn default() -> Builder {
        Builder::new()
    }
}

/// An owned permission to join a thread started by [`spawn`], [`spawn_in`] or [`Builder`].
///
/// Dropping it detaches the thread, as with `std::thread::JoinHandle`.
#[must_use = "dropping the handle detaches the thread: its result and any panic are lost"]
pub struct JoinHandle<T> {
    inner: std::thread::JoinHandle<Result<T, JoinError>>,
    session: Option<SessionId>,
}

impl<T> JoinHandle<T> {
    /// Waits for the thread to finish and returns what `f` returned.
    ///
    /// # Errors
    /// - [`JoinError::SessionClosed`]: the session was closed before the thread started, so
    ///   `f` did not run;
    /// - [`JoinError::Panicked`]: `f` panicked (the panic message is kept).
    pub fn join(self) -> Result<T, JoinError> {
        match self.inner.join() {
            Ok(result) => result,
            Err(payload) => Err(JoinError::Panicked(panic_message(payload.as_ref()))),
        }
    }

    /// The thread's handle.
    pub fn thread(&self) -> &Thread {
        self.inner.thread()
    }

    /// Whether the thread has finished (then [`join`](JoinHandle::join) does not block).
    pub fn is_finished(&self) -> bool {
        self.inner.is_finished()
    }

    /// The session the thread was started in, or `None` when it carries no session.
    pub fn session_id(&self) -> Option<SessionId> {
        self.session
    }
}

impl<T> fmt::Debug for JoinHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JoinHandle")
            .field("thread", self.thread())
            .field("session", &self.session)
            .finish()
    }
}

/// Why a thread started by [`spawn`] did not return a value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JoinError {
    /// The session was closed before the thread started: the closure did not run.
    #[error("session {0} was closed before the thread started: its closure did not run")]
    SessionClosed(SessionId),
    /// The closure panicked with this message.
    #[error("the thread panicked: {0}")]
    Panicked(String),
}

impl From<SessionClosed> for JoinError {
    fn from(closed: SessionClosed) -> JoinError {
        JoinError::SessionClosed(closed.0)
    }
}
