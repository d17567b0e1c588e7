//! The current session: a per-thread stack of contexts.
//!
//! Each thread has its own stack; nothing here is shared between threads, so a context can
//! never leak into another thread. The id of the top frame is mirrored in a plain `Cell` so
//! that [`current_id`] is one thread-local read, whatever the number of sessions.

use std::cell::{Cell, RefCell};
use std::fmt;
use std::marker::PhantomData;

use super::Session;
use crate::{SessionError, SessionId};

thread_local! {
    /// The bits of the top frame's session id (0: none), read by `current_id` without
    /// touching the stack. No session has id 0 (see `SessionId::random`).
    static CURRENT_ID: Cell<u128> = const { Cell::new(0) };
    /// The frames, innermost last.
    static STACK: RefCell<Stack> = const {
        RefCell::new(Stack { frames: Vec::new(), next_token: 0 })
    };
}

struct Stack {
    frames: Vec<Frame>,
    /// Tells frames apart, so a guard only ever removes the frame it pushed.
    next_token: u64,
}

struct Frame {
    token: u64,
    /// `None` for a frame that hides the sessions below it (see `push_none`).
    session: Option<Session>,
}

/// The session current on this thread, if any.
///
/// It is `None` outside every context: in `main`, on a thread started with
/// `std::thread::spawn`, in a task started with `tokio::spawn`. Use [`current_id`] when the
/// id is enough: it does not touch the session's reference count.
///
/// ```
/// use sessions_core::{current, Engine};
///
/// assert!(current().is_none());
/// let engine = Engine::new();
/// let session = engine.open()?;
/// let _guard = session.enter()?;
/// assert_eq!(current().map(|s| s.id()), Some(session.id()));
/// # Ok::<(), sessions_core::SessionError>(())
/// ```
pub fn current() -> Option<Session> {
    // Nothing is current on most threads: answer without touching the stack.
    current_id()?;
    STACK
        .try_with(|stack| stack.borrow().frames.last()?.session.clone())
        .ok()
        .flatten()
}

/// The id of the session current on this thread, if any: one thread-local read.
#[inline]
pub fn current_id() -> Option<SessionId> {
    SessionId::from_raw(CURRENT_ID.with(Cell::get))
}

/// Calls `f` with the current session, if any, and returns what it returns.
///
/// `f` may enter other sessions or call [`current`] itself.
pub fn with_current<R>(f: impl FnOnce(Option<&Session>) -> R) -> R {
    let session = current();
    f(session.as_ref())
}

/// The current session, or [`SessionError::NoContext`] when there is none.
///
/// ```
/// use sessions_core::{require, SessionError};
///
/// assert_eq!(require().err(), Some(SessionError::NoContext));
/// ```
pub fn require() -> Result<Session, SessionError> {
    current().ok_or(SessionError::NoContext)
}

/// Enters `session` under Xojo's `WebSessionContext` rules:
/// 1. the same session is already current: `Ok`, and the guard changes nothing;
/// 2. the session is closed: `NotFound` (checked first: a closed session that is still
///    current, until its guard drops, cannot be entered again);
/// 3. another session is current: `Mismatch`;
/// 4. otherwise the session becomes current until the guard drops.
#[inline]
pub(crate) fn enter(session: &Session) -> Result<SessionGuard, SessionError> {
    let requested = session.id();
    match current_id() {
        _ if !session.is_open() => Err(SessionError::NotFound(requested)),
        Some(current) if current == requested => Ok(SessionGuard::unchanged()),
        Some(current) => Err(SessionError::Mismatch { current, requested }),
        None => Ok(push(session.clone())),
    }
}

/// Makes `session` current until the guard drops, whatever is current now.
///
/// This is impersonation, and what the carriers (threads, futures, timers, hooks) use:
/// they run code that belongs to `session`, wherever it is polled or called from.
#[inline]
pub(crate) fn push(session: Session) -> SessionGuard {
    push_frame(Some(session))
}

/// Makes no session current until the guard drops, whatever is current now.
///
/// Carriers that carry no session use it, so the code they run sees `None` even where it
/// is polled or called from inside another session's context.
pub(crate) fn push_none() -> SessionGuard {
    push_frame(None)
}

#[inline]
fn push_frame(session: Option<Session>) -> SessionGuard {
    let raw = session.as_ref().map_or(0, |session| session.id().as_u128());
    let frame = STACK.with(|stack| {
        let mut stack = stack.borrow_mut();
        let token = stack.next_token;
        stack.next_token = token.wrapping_add(1);
        stack.frames.push(Frame { token, session });
        (stack.frames.len() - 1, token)
    });
    CURRENT_ID.with(|current| current.set(raw));
    SessionGuard {
        frame: Some(frame),
        _not_send: PhantomData,
    }
}

/// Removes the frame pushed with `token` at `depth`, and every frame above it.
#[inline]
fn pop(depth: usize, token: u64) {
    // `try_with`: a guard dropped by another thread-local's destructor may outlive STACK.
    let removed = STACK.try_with(|stack| {
        let mut stack = stack.borrow_mut();
        let frames = &mut stack.frames;
        if frames.get(depth).map(|frame| frame.token) != Some(token) {
            // Already removed, with an outer guard that was dropped first.
            return None;
        }
        let removed = if depth + 1 == frames.len() {
            // The usual case, guards dropped in scope order: no allocation.
            Removed::Top(frames.pop())
        } else {
            Removed::Above(frames.split_off(depth))
        };
        let top = frames
            .last()
            .and_then(|frame| frame.session.as_ref())
            .map_or(0, |session| session.id().as_u128());
        CURRENT_ID.with(|current| current.set(top));
        Some(removed)
    });
    // Sessions are released after the stack is no longer borrowed: dropping one runs the
    // destructors of its state, which may look at the current session.
    match removed {
        Ok(Some(Removed::Top(frame))) => drop(frame),
        Ok(Some(Removed::Above(frames))) => drop(frames),
        Ok(None) | Err(_) => {}
    }
}

/// What `pop` took off the stack.
enum Removed {
    Top(Option<Frame>),
    Above(Vec<Frame>),
}

/// Keeps a session current on this thread until it is dropped.
///
/// Returned by [`Session::enter`], [`Engine::enter`](crate::Engine::enter) and
/// [`Engine::impersonate_root`](crate::Engine::impersonate_root). Dropping it restores the
/// context that was current before, also while a panic unwinds. Guards are meant to be
/// dropped in the reverse order of their creation (as scopes do); if an outer guard is
/// dropped first, it also ends every context entered after it.
///
/// A guard belongs to the thread that created it: it is not `Send`.
///
/// ```compile_fail
/// let engine = sessions_core::Engine::new();
/// let session = engine.open().unwrap();
/// let guard = session.enter().unwrap();
/// std::thread::spawn(move || drop(guard)); // error: `SessionGuard` cannot be sent
/// ```
#[must_use = "the session is current only until the guard is dropped: bind it with `let _guard = …`"]
pub struct SessionGuard {
    /// `None` when entering changed nothing (the session was already current).
    frame: Option<(usize, u64)>,
    _not_send: PhantomData<*const ()>,
}

impl SessionGuard {
    pub(crate) fn unchanged() -> SessionGuard {
        SessionGuard {
            frame: None,
            _not_send: PhantomData,
        }
    }

    /// Whether this guard changed the context: `false` when the session was already current.
    pub fn changed_context(&self) -> bool {
        self.frame.is_some()
    }
}

impl Drop for SessionGuard {
    #[inline]
    fn drop(&mut self) {
        if let Some((depth, token)) = self.frame.take() {
            pop(depth, token);
        }
    }
}

impl fmt::Debug for SessionGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionGuard")
            .field("changed_context", &self.changed_context())
            .finish()
    }
}

/// Entering a session: [`Session::enter`], the one way a `Session` handle makes itself current
/// (the rules live with the stack they guard).
impl Session {
    /// Makes this session current on this thread until the guard drops.
    ///
    /// The rules are Xojo's `WebSessionContext` rules:
    /// 1. this session is already current: `Ok`, and the guard changes nothing;
    /// 2. the session is closed: [`SessionError::NotFound`], even while it is still current
    ///    (a session closed while current stays current until its guard drops, but cannot
    ///    be entered again);
    /// 3. another session is current: [`SessionError::Mismatch`] (use
    ///    [`Engine::impersonate_root`](crate::Engine::impersonate_root) to step out of a
    ///    session deliberately);
    /// 4. otherwise this session is current until the guard drops.
    ///
    /// ```
    /// use sessions_core::{current_id, Engine, SessionError};
    ///
    /// let engine = Engine::new();
    /// let (a, b) = (engine.open()?, engine.open()?);
    /// {
    ///     let _in_a = a.enter()?;
    ///     assert_eq!(current_id(), Some(a.id()));
    ///     assert!(matches!(b.enter(), Err(SessionError::Mismatch { .. })));
    /// }
    /// assert_eq!(current_id(), None);
    /// # Ok::<(), SessionError>(())
    /// ```
    #[inline]
    pub fn enter(&self) -> Result<SessionGuard, SessionError> {
        enter(self)
    }
}
