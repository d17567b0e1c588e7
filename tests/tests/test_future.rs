//! `InSession` enters its session at every poll, on whichever thread polls it, and leaves
//! nothing behind on that thread; a closed session ends the future.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;
use std::time::{Duration, Instant};

use sessions_core::{current, current_id, Engine, SessionClosed, SessionFutureExt, SessionId};

const SESSIONS: usize = 100;
const FUTURES_PER_SESSION: usize = 10;
const YIELDS: usize = 5;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .expect("tokio runtime")
}

/// Checks at every poll point that `expected` is current; returns how many checks passed.
async fn assert_context_at_every_poll(expected: Option<SessionId>) -> usize {
    let mut checks = 0;
    for _ in 0..YIELDS {
        assert_eq!(current_id(), expected);
        assert_eq!(current().map(|s| s.id()), expected);
        checks += 1;
        tokio::task::yield_now().await;
    }
    assert_eq!(current_id(), expected);
    checks + 1
}

#[test]
fn a_thousand_futures_in_a_hundred_sessions_each_see_only_their_own() {
    let engine = Engine::new();
    let sessions: Vec<_> = (0..SESSIONS)
        .map(|_| engine.open().expect("open"))
        .collect();
    let runtime = runtime();

    let checks = runtime.block_on(async {
        let mut handles = Vec::new();
        // Interleaved: consecutive tasks belong to different sessions.
        for _ in 0..FUTURES_PER_SESSION {
            for session in &sessions {
                let work = assert_context_at_every_poll(Some(session.id()));
                handles.push(tokio::spawn(work.in_session(session)));
            }
            // Futures with no session, on the same workers, in between.
            let bare = assert_context_at_every_poll(None);
            handles.push(tokio::spawn(bare.in_current_session()));
        }
        let mut checks = 0;
        for handle in handles {
            checks += handle
                .await
                .expect("no assertion failed")
                .expect("session open");
        }
        checks
    });
    let futures = SESSIONS * FUTURES_PER_SESSION + FUTURES_PER_SESSION;
    assert_eq!(checks, futures * (YIELDS + 1));
    assert_eq!(current_id(), None);
}

#[test]
fn plain_tokio_spawn_carries_nothing() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let runtime = runtime();
    let handle = {
        let _guard = session.enter().expect("enter");
        // Spawned while a session is current here: tokio does not carry it.
        runtime.spawn(assert_context_at_every_poll(None))
    };
    let checks = runtime.block_on(handle).expect("no assertion failed");
    assert_eq!(checks, YIELDS + 1);
}

#[test]
fn in_current_session_captures_the_session_current_when_it_is_made() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let runtime = runtime();
    let work = {
        let _guard = session.enter().expect("enter");
        assert_context_at_every_poll(Some(session.id())).in_current_session()
    };
    assert_eq!(work.session_id(), Some(session.id()));
    let checks = runtime.block_on(runtime.spawn(work)).expect("no panic");
    assert_eq!(checks, Ok(YIELDS + 1));
}

/// The context a `DropProbe` was dropped in: `None` until it is dropped.
type DroppedIn = Arc<Mutex<Option<Option<SessionId>>>>;

/// Counts its drops, and remembers which session was current when it was dropped.
struct DropProbe {
    drops: Arc<AtomicUsize>,
    dropped_in: DroppedIn,
}

impl Drop for DropProbe {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
        *self.dropped_in.lock().expect("lock") = Some(current_id());
    }
}

fn probe() -> (DropProbe, Arc<AtomicUsize>, DroppedIn) {
    let drops = Arc::new(AtomicUsize::new(0));
    let dropped_in = Arc::new(Mutex::new(None));
    let probe = DropProbe {
        drops: Arc::clone(&drops),
        dropped_in: Arc::clone(&dropped_in),
    };
    (probe, drops, dropped_in)
}

fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

#[test]
fn a_session_closed_mid_way_ends_the_future_and_drops_it() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let weak = session.downgrade();
    let runtime = runtime();
    let (probe, drops, _) = probe();
    let polls = Arc::new(AtomicUsize::new(0));

    let counter = Arc::clone(&polls);
    let forever = async move {
        let _probe = probe;
        loop {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
        }
    };
    let handle = runtime.spawn(forever.in_session(&session));
    wait_until("the future has been polled", || {
        polls.load(Ordering::SeqCst) > 0
    });
    engine.close(session.id()).expect("close");
    assert!(
        weak.upgrade().is_none(),
        "the pending future keeps nothing alive"
    );

    let output: Result<(), SessionClosed> = runtime.block_on(handle).expect("no panic");
    assert_eq!(output, Err(SessionClosed(session.id())));
    assert_eq!(
        drops.load(Ordering::SeqCst),
        1,
        "the inner future was dropped"
    );
}

#[test]
fn a_future_dropped_before_completion_is_dropped_inside_its_session() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let (probe, drops, dropped_in) = probe();
    let mut work = Box::pin(
        async move {
            let _probe = probe;
            std::future::pending::<()>().await;
        }
        .in_session(&session),
    );
    assert!(poll_once(work.as_mut()).is_pending());
    drop(work);
    assert_eq!(drops.load(Ordering::SeqCst), 1);
    assert_eq!(*dropped_in.lock().expect("lock"), Some(Some(session.id())));
    assert_eq!(current_id(), None);
}

#[test]
fn a_poll_on_a_thread_inside_another_session_sees_its_own_and_restores_the_other() {
    let engine = Engine::new();
    let (a, b) = (
        engine.open().expect("open a"),
        engine.open().expect("open b"),
    );
    let _guard = a.enter().expect("enter a");
    let mut work = Box::pin(async { current_id() }.in_session(&b));
    assert_eq!(poll_once(work.as_mut()), Poll::Ready(Ok(Some(b.id()))));
    assert_eq!(current_id(), Some(a.id()));
}

#[test]
fn a_future_made_outside_any_session_sees_none_even_when_polled_inside_one() {
    let engine = Engine::new();
    let a = engine.open().expect("open a");
    let mut work = Box::pin(
        async {
            let first = current_id();
            YieldOnce(false).await;
            (first, current_id())
        }
        .in_current_session(),
    );
    assert_eq!(work.session_id(), None);
    let _guard = a.enter().expect("enter a");
    assert_eq!(poll_once(work.as_mut()), Poll::Pending);
    assert_eq!(current_id(), Some(a.id()), "the poll restored a");
    assert_eq!(poll_once(work.as_mut()), Poll::Ready(Ok((None, None))));
    assert_eq!(current_id(), Some(a.id()));
}

#[test]
fn in_session_futures_are_send_when_their_future_is() {
    fn assert_send<T: Send>(_: &T) {}
    let engine = Engine::new();
    let session = engine.open().expect("open");
    assert_send(&async {}.in_session(&session));
}

// ---- A runtime-agnostic check: a tiny executor of our own, no tokio. ----

/// Wakes the executor's thread by unparking it.
struct Unpark {
    thread: Thread,
    woken: AtomicUsize,
}

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.fetch_add(1, Ordering::SeqCst);
        self.thread.unpark();
    }
}

type Task = Pin<Box<dyn Future<Output = ()>>>;

/// Polls every task in turn on this thread, parking while none was woken, until all are done.
fn run_all(mut tasks: Vec<Task>) {
    let unpark = Arc::new(Unpark {
        thread: std::thread::current(),
        woken: AtomicUsize::new(0),
    });
    let waker = Waker::from(Arc::clone(&unpark));
    let mut cx = Context::from_waker(&waker);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !tasks.is_empty() {
        assert!(Instant::now() < deadline, "the tasks did not finish");
        let seen = unpark.woken.load(Ordering::SeqCst);
        tasks.retain_mut(|task| task.as_mut().poll(&mut cx).is_pending());
        if !tasks.is_empty() && unpark.woken.load(Ordering::SeqCst) == seen {
            std::thread::park_timeout(Duration::from_millis(50));
        }
    }
}

fn poll_once<F: Future>(future: Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

/// Pending once (after asking to be polled again), then ready.
struct YieldOnce(bool);

impl Future for YieldOnce {
    type Output = ();
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        if self.0 {
            Poll::Ready(())
        } else {
            self.0 = true;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
    }
}

/// Ready once another thread has set it, after a short sleep.
fn woken_from_another_thread() -> impl Future<Output = ()> {
    let state: Arc<Mutex<(bool, Option<Waker>)>> = Arc::new(Mutex::new((false, None)));
    let setter = Arc::clone(&state);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(10));
        let mut state = setter.lock().expect("lock");
        state.0 = true;
        if let Some(waker) = state.1.take() {
            waker.wake();
        }
    });
    std::future::poll_fn(move |cx| {
        let mut state = state.lock().expect("lock");
        if state.0 {
            Poll::Ready(())
        } else {
            state.1 = Some(cx.waker().clone());
            Poll::Pending
        }
    })
}

#[test]
fn it_needs_no_particular_runtime() {
    let engine = Engine::new();
    let sessions: Vec<_> = (0..3).map(|_| engine.open().expect("open")).collect();
    let checks = Arc::new(AtomicUsize::new(0));
    let mut tasks: Vec<Task> = Vec::new();
    for session in &sessions {
        let (id, checks) = (session.id(), Arc::clone(&checks));
        let work = async move {
            for _ in 0..3 {
                assert_eq!(current_id(), Some(id));
                YieldOnce(false).await;
            }
            woken_from_another_thread().await;
            assert_eq!(current_id(), Some(id));
            checks.fetch_add(1, Ordering::SeqCst);
        }
        .in_session(session);
        tasks.push(Box::pin(async move {
            work.await.expect("session open");
        }));
    }
    tasks.push(Box::pin(async {
        for _ in 0..3 {
            assert_eq!(current_id(), None);
            YieldOnce(false).await;
        }
    }));
    run_all(tasks);
    assert_eq!(checks.load(Ordering::SeqCst), sessions.len());
    assert_eq!(current_id(), None);
}
