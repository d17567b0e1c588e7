//! Property tests of the context stack and the engine: random sequences of open, close,
//! log-in/out, enter (by handle and by id), impersonate, drop-guard (in and out of order),
//! calls and panics, checked step by step against a model of the expected stack and the
//! expected set of open sessions.

use std::cell::Cell;
use std::panic::{catch_unwind, AssertUnwindSafe};

use proptest::prelude::*;
use sessions_core::{
    current, current_id, export_method, methods, with_current, CallError, Engine, Session,
    SessionError, SessionGuard, SessionId, User, Value,
};

/// The id of the session the call runs in, as the method sees it.
#[export_method(name = "PropWhoAmI")]
fn prop_who_am_i(session: &Session) -> Result<String, SessionError> {
    assert_eq!(current_id(), Some(session.id()), "injected = current");
    Ok(session.id().to_string())
}

/// Enters another engine's root on top of whatever is current, then panics.
#[export_method(name = "PropPanics", session = none)]
fn prop_panics(#[out(sentinel = -1)] step: &mut i32) {
    *step = 1;
    let engine = Engine::new();
    let _root = engine.impersonate_root();
    panic!("prop-context: deliberate panic in an exported method");
}

thread_local! {
    /// Set by the test right before an open or close whose hook must panic.
    static PANIC_IN_HOOK: Cell<bool> = const { Cell::new(false) };
    /// Whether every hook so far ran inside its own session's context.
    static HOOKS_IN_CONTEXT: Cell<bool> = const { Cell::new(true) };
}

fn hook(session: &Session) {
    if current_id() != Some(session.id()) {
        HOOKS_IN_CONTEXT.with(|ok| ok.set(false));
    }
    if PANIC_IN_HOOK.with(|flag| flag.replace(false)) {
        panic!("prop-context: deliberate panic in a hook");
    }
}

fn engine_with_hooks() -> Engine {
    Engine::builder()
        .on_open(hook)
        .on_close(hook)
        .build()
        .expect("an unnamed engine is never refused")
}

/// One step of a random sequence. Indices are taken modulo the number of sessions (or
/// guards) there are at that step, so every step means something.
#[derive(Clone, Debug)]
enum Op {
    Open { panicking_hook: bool },
    OpenInOther,
    Close { index: usize, panicking_hook: bool },
    CloseUnknown,
    SetUser { index: usize, user: bool },
    Enter(usize),
    EnterById(usize),
    EnterUnknownId,
    EnterRoot,
    Impersonate,
    DropTop,
    DropGuard(usize),
    Call(usize),
    CallAsRoot,
    PanicInWithCurrent,
    PanicInMethod,
}

fn op() -> impl Strategy<Value = Op> {
    let index = 0..16usize;
    prop_oneof![
        4 => any::<bool>().prop_map(|p| Op::Open { panicking_hook: p }),
        1 => Just(Op::OpenInOther),
        2 => (index.clone(), any::<bool>())
            .prop_map(|(index, p)| Op::Close { index, panicking_hook: p }),
        1 => Just(Op::CloseUnknown),
        2 => (index.clone(), any::<bool>()).prop_map(|(index, user)| Op::SetUser { index, user }),
        4 => index.clone().prop_map(Op::Enter),
        3 => index.clone().prop_map(Op::EnterById),
        1 => Just(Op::EnterUnknownId),
        1 => Just(Op::EnterRoot),
        2 => Just(Op::Impersonate),
        4 => Just(Op::DropTop),
        2 => index.clone().prop_map(Op::DropGuard),
        2 => index.clone().prop_map(Op::Call),
        1 => Just(Op::CallAsRoot),
        1 => Just(Op::PanicInWithCurrent),
        1 => Just(Op::PanicInMethod),
    ]
}

struct ModelSession {
    session: Session,
    /// Whether it belongs to the engine under test (else to `other`).
    main: bool,
    open: bool,
    user: bool,
}

/// A guard the test holds, and the frame it pushed (`None` when it changed nothing).
struct Held {
    guard: SessionGuard,
    frame: Option<u64>,
}

/// A frame of the expected stack: whose it is, and which guard pushed it.
struct Frame {
    id: SessionId,
    serial: u64,
}

struct Model {
    engine: Engine,
    other: Engine,
    sessions: Vec<ModelSession>,
    guards: Vec<Held>,
    stack: Vec<Frame>,
    next_serial: u64,
}

impl Model {
    fn new() -> Model {
        Model {
            engine: engine_with_hooks(),
            other: Engine::new(),
            sessions: Vec::new(),
            guards: Vec::new(),
            stack: Vec::new(),
            next_serial: 0,
        }
    }

    fn top(&self) -> Option<SessionId> {
        self.stack.last().map(|frame| frame.id)
    }

    fn pick(&self, index: usize) -> Option<usize> {
        (!self.sessions.is_empty()).then(|| index % self.sessions.len())
    }

    /// What entering session `index` must give, by the four rules.
    fn expected_enter(&self, index: usize) -> Result<bool, SessionError> {
        let entry = &self.sessions[index];
        let requested = entry.session.id();
        match self.top() {
            _ if !entry.open => Err(SessionError::NotFound(requested)),
            Some(current) if current == requested => Ok(false),
            Some(current) => Err(SessionError::Mismatch { current, requested }),
            None => Ok(true),
        }
    }

    /// Records the outcome of an enter that the model expected to be `expected`.
    fn hold(
        &mut self,
        got: Result<SessionGuard, SessionError>,
        expected: Result<bool, SessionError>,
        id: SessionId,
    ) -> Result<(), TestCaseError> {
        match (got, expected) {
            (Ok(guard), Ok(changed)) => {
                prop_assert_eq!(guard.changed_context(), changed);
                let frame = changed.then(|| self.push_frame(id));
                self.guards.push(Held { guard, frame });
            }
            (Err(got), Err(expected)) => prop_assert_eq!(got, expected),
            (got, expected) => {
                return Err(TestCaseError::fail(format!(
                    "enter {id}: got {:?}, expected {expected:?}",
                    got.map(|g| g.changed_context())
                )))
            }
        }
        Ok(())
    }

    fn push_frame(&mut self, id: SessionId) -> u64 {
        let serial = self.next_serial;
        self.next_serial += 1;
        self.stack.push(Frame { id, serial });
        serial
    }

    /// Drops guard `index`: its frame and every frame above it go, if it is still there.
    fn drop_guard(&mut self, index: usize) -> Result<(), TestCaseError> {
        let before = current_id();
        let held = self.guards.remove(index);
        let removes_frame = held
            .frame
            .and_then(|serial| self.stack.iter().position(|f| f.serial == serial));
        drop(held.guard);
        match removes_frame {
            Some(position) => self.stack.truncate(position),
            None => prop_assert_eq!(current_id(), before, "a no-op guard changed the context"),
        }
        Ok(())
    }

    fn apply(&mut self, op: &Op) -> Result<(), TestCaseError> {
        match *op {
            Op::Open { panicking_hook } => {
                let before = current_id();
                PANIC_IN_HOOK.with(|flag| flag.set(panicking_hook));
                let session = self.engine.open().expect("no limit on this engine");
                prop_assert!(!PANIC_IN_HOOK.with(Cell::get), "the hook ran");
                prop_assert_eq!(current_id(), before, "open (and its hook) left the stack");
                prop_assert!(session.is_open());
                self.sessions.push(ModelSession {
                    session,
                    main: true,
                    open: true,
                    user: false,
                });
            }
            Op::OpenInOther => {
                let session = self.other.open().expect("no limit");
                self.sessions.push(ModelSession {
                    session,
                    main: false,
                    open: true,
                    user: false,
                });
            }
            Op::Close {
                index,
                panicking_hook,
            } => {
                let Some(i) = self.pick(index) else {
                    return Ok(());
                };
                let before = current_id();
                let entry = &mut self.sessions[i];
                let engine = if entry.main {
                    &self.engine
                } else {
                    &self.other
                };
                PANIC_IN_HOOK.with(|flag| flag.set(panicking_hook && entry.main));
                let closed = engine.close(entry.session.id());
                PANIC_IN_HOOK.with(|flag| flag.set(false));
                if entry.open {
                    prop_assert_eq!(closed, Ok(()));
                } else {
                    prop_assert_eq!(closed, Err(SessionError::NotFound(entry.session.id())));
                }
                entry.open = false;
                prop_assert!(!entry.session.is_open());
                prop_assert!(entry.session.downgrade().upgrade().is_none());
                prop_assert_eq!(current_id(), before, "close leaves the stack as it was");
            }
            Op::CloseUnknown => {
                let id = SessionId::random();
                prop_assert_eq!(self.engine.close(id), Err(SessionError::NotFound(id)));
            }
            Op::SetUser { index, user } => {
                let Some(i) = self.pick(index) else {
                    return Ok(());
                };
                let entry = &mut self.sessions[i];
                entry
                    .session
                    .set_user(user.then(|| User::new(format!("user{i}"))));
                prop_assert_eq!(entry.session.user().is_some(), user);
                entry.user = user;
            }
            Op::Enter(index) => {
                let Some(i) = self.pick(index) else {
                    return Ok(());
                };
                let expected = self.expected_enter(i);
                let session = self.sessions[i].session.clone();
                self.hold(session.enter(), expected, session.id())?;
            }
            Op::EnterById(index) => {
                let Some(i) = self.pick(index) else {
                    return Ok(());
                };
                let (id, main) = (self.sessions[i].session.id(), self.sessions[i].main);
                // By id, the engine only knows its own sessions; the current session is
                // judged by its own rules first.
                let expected = if main || self.top() == Some(id) {
                    self.expected_enter(i)
                } else {
                    Err(SessionError::NotFound(id))
                };
                let got = self.engine.enter(id);
                self.hold(got, expected, id)?;
            }
            Op::EnterUnknownId => {
                let id = SessionId::random();
                let before = current_id();
                prop_assert_eq!(
                    self.engine.enter(id).err(),
                    Some(SessionError::NotFound(id))
                );
                prop_assert_eq!(current_id(), before);
            }
            Op::EnterRoot => {
                let root = self.engine.root();
                let expected = match self.top() {
                    Some(current) if current == root.id() => Ok(false),
                    Some(current) => Err(SessionError::Mismatch {
                        current,
                        requested: root.id(),
                    }),
                    None => Ok(true),
                };
                self.hold(root.enter(), expected, root.id())?;
            }
            Op::Impersonate => {
                let guard = self.engine.impersonate_root();
                prop_assert!(guard.changed_context(), "impersonation always pushes");
                let serial = self.push_frame(self.engine.root().id());
                self.guards.push(Held {
                    guard,
                    frame: Some(serial),
                });
            }
            Op::DropTop => {
                if let Some(last) = self.guards.len().checked_sub(1) {
                    self.drop_guard(last)?;
                }
            }
            Op::DropGuard(index) => {
                if !self.guards.is_empty() {
                    self.drop_guard(index % self.guards.len())?;
                }
            }
            Op::Call(index) => {
                let Some(i) = self.pick(index) else {
                    return Ok(());
                };
                let before = current_id();
                let session = self.sessions[i].session.clone();
                let got = session.call("PropWhoAmI", vec![]);
                match self.expected_enter(i) {
                    Ok(_) => {
                        let outcome = got.map_err(|e| TestCaseError::fail(e.to_string()))?;
                        prop_assert_eq!(outcome.value, Value::from(session.id().to_string()));
                    }
                    Err(expected) => prop_assert_eq!(got, Err(CallError::Session(expected))),
                }
                prop_assert_eq!(current_id(), before, "a call leaves the stack as it was");
            }
            Op::CallAsRoot => {
                let before = current_id();
                let outcome = self
                    .engine
                    .call_as_root("PropWhoAmI", vec![])
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                let root = self.engine.root().id().to_string();
                prop_assert_eq!(outcome.value, Value::from(root));
                prop_assert_eq!(current_id(), before);
            }
            Op::PanicInWithCurrent => {
                let before = current_id();
                let engine = self.engine.clone();
                let caught = catch_unwind(AssertUnwindSafe(|| {
                    let _root = engine.impersonate_root();
                    with_current(|session| {
                        assert!(session.is_some_and(Session::is_root));
                        panic!("prop-context: deliberate panic in with_current");
                    })
                }));
                prop_assert!(caught.is_err());
                prop_assert_eq!(current_id(), before, "unwinding restored the stack");
            }
            Op::PanicInMethod => {
                let before = current_id();
                let outcome = methods()
                    .call("PropPanics", vec![])
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert!(outcome
                    .error
                    .as_deref()
                    .is_some_and(|e| e.starts_with("panicked: ")));
                prop_assert_eq!(outcome.out("step"), Some(&Value::from(-1)));
                prop_assert_eq!(current_id(), before);
            }
        }
        self.check()
    }

    /// The invariants that hold after every step.
    fn check(&self) -> Result<(), TestCaseError> {
        prop_assert_eq!(current_id(), self.top(), "current_id is the model's top");
        prop_assert_eq!(current().map(|s| s.id()), self.top());
        prop_assert_eq!(with_current(|s| s.map(Session::id)), self.top());
        prop_assert!(
            HOOKS_IN_CONTEXT.with(Cell::get),
            "a hook ran outside its session"
        );

        let open: Vec<_> = self.sessions.iter().filter(|s| s.main && s.open).collect();
        prop_assert_eq!(self.engine.len(), open.len());
        let active = open.iter().filter(|s| s.user).count();
        prop_assert_eq!(self.engine.active_count(), active, "active_count = model");
        let scanned = self
            .engine
            .sessions()
            .iter()
            .filter(|s| s.user().is_some())
            .count();
        prop_assert_eq!(self.engine.active_count(), scanned, "active_count = a scan");

        for entry in &self.sessions {
            let engine = if entry.main {
                &self.engine
            } else {
                &self.other
            };
            prop_assert_eq!(entry.session.is_open(), entry.open);
            prop_assert_eq!(engine.get(entry.session.id()).is_some(), entry.open);
        }
        Ok(())
    }

    /// Drops the remaining guards in reverse order; the stack must end empty.
    fn unwind(mut self) -> Result<(), TestCaseError> {
        while let Some(last) = self.guards.len().checked_sub(1) {
            self.drop_guard(last)?;
            self.check()?;
        }
        prop_assert_eq!(current_id(), None);
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 96,
        max_shrink_iters: 2_000,
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_sequences_keep_the_stack_the_rules_and_the_counts(
        ops in proptest::collection::vec(op(), 1..48)
    ) {
        let mut model = Model::new();
        for op in &ops {
            model.apply(op)?;
        }
        model.unwind()?;
    }
}

#[test]
fn a_closed_session_cannot_be_entered_even_while_it_is_current() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let guard = session.enter().expect("enter");
    engine.close(session.id()).expect("close");
    // Still current until its guard drops (test_context), but not enterable again.
    assert_eq!(current_id(), Some(session.id()));
    assert_eq!(
        session.enter().err(),
        Some(SessionError::NotFound(session.id()))
    );
    assert_eq!(
        engine.enter(session.id()).err(),
        Some(SessionError::NotFound(session.id()))
    );
    assert_eq!(
        session.call("PropWhoAmI", vec![]),
        Err(CallError::Session(SessionError::NotFound(session.id())))
    );
    assert_eq!(current_id(), Some(session.id()));
    drop(guard);
    assert_eq!(current_id(), None);
}

#[test]
fn an_engine_does_not_enter_by_id_a_session_of_another_engine() {
    let (one, two) = (Engine::new(), Engine::new());
    let theirs = two.open().expect("open");
    assert_eq!(
        one.enter(theirs.id()).err(),
        Some(SessionError::NotFound(theirs.id()))
    );
    assert_eq!(current_id(), None);
}
