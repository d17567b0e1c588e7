//! The engine: opening, closing, counting, limits, expiry, hooks, names.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sessions_core::{current_id, ClientId, Engine, ManualClock, SessionError, SessionId, User};

#[test]
fn weak_session_upgrade_is_none_after_close() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let weak = session.downgrade();
    assert_eq!(weak.upgrade(), Some(session.clone()));
    engine.close(session.id()).expect("close");
    assert!(weak.upgrade().is_none());
    assert!(!session.is_open());
    assert!(engine.get(session.id()).is_none());
    assert_eq!(weak.id(), session.id());
}

#[test]
fn closing_twice_or_an_unknown_id_is_not_found() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    engine.close(session.id()).expect("first close");
    assert_eq!(
        engine.close(session.id()),
        Err(SessionError::NotFound(session.id()))
    );
    let unknown = SessionId::random();
    assert_eq!(engine.close(unknown), Err(SessionError::NotFound(unknown)));
    assert_eq!(engine.len(), 0);
}

#[test]
fn the_root_session_is_never_counted() {
    let engine = Engine::new();
    let root = engine.root();
    assert!(root.is_root() && root.is_open());
    root.set_user(Some(User::new("system")));
    assert_eq!((engine.len(), engine.active_count()), (0, 0));
    assert!(engine.get(root.id()).is_none());
    assert_eq!(
        engine.close(root.id()),
        Err(SessionError::NotFound(root.id()))
    );
    assert!(root.is_open(), "the root session is never closed");
}

#[test]
fn active_count_follows_log_in_log_out_and_close() {
    let engine = Engine::new();
    let a = engine.open().expect("open");
    let b = engine.open().expect("open");
    assert_eq!(engine.active_count(), 0);
    a.set_user(Some(User::new("alice")));
    assert_eq!(engine.active_count(), 1);
    a.set_user(Some(User::new("alice-again")));
    assert_eq!(
        engine.active_count(),
        1,
        "replacing a user is not a new log-in"
    );
    b.set_user(Some(User::new("bob")));
    assert_eq!(engine.active_count(), 2);
    b.set_user(None);
    assert_eq!(engine.active_count(), 1);
    engine.close(a.id()).expect("close");
    assert_eq!(engine.active_count(), 0);
    a.set_user(None);
    a.set_user(Some(User::new("ghost")));
    assert_eq!(
        engine.active_count(),
        0,
        "a closed session no longer counts"
    );
}

/// A small deterministic generator, so a failure can be replayed.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn active_count_equals_a_scan_after_random_operations_from_several_threads() {
    let engine = Engine::new();
    let threads: Vec<_> = (0..4u64)
        .map(|seed| {
            let engine = engine.clone();
            std::thread::spawn(move || {
                let mut rng = XorShift(0x9e37_79b9_7f4a_7c15 ^ (seed + 1));
                let mut mine = Vec::new();
                for _ in 0..2_500 {
                    match rng.next() % 5 {
                        0 | 1 => mine.push(engine.open().expect("no limit")),
                        2 if !mine.is_empty() => {
                            let s = &mine[rng.next() as usize % mine.len()];
                            s.set_user(Some(User::new("u")));
                        }
                        3 if !mine.is_empty() => {
                            let s = &mine[rng.next() as usize % mine.len()];
                            s.set_user(None);
                        }
                        4 if !mine.is_empty() => {
                            let s = mine.swap_remove(rng.next() as usize % mine.len());
                            engine.close(s.id()).expect("open session closes");
                        }
                        _ => {}
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().expect("worker");
    }
    let sessions = engine.sessions();
    let scanned = sessions.iter().filter(|s| s.user().is_some()).count();
    assert_eq!(engine.active_count(), scanned);
    assert_eq!(engine.len(), sessions.len());
    assert!(sessions.len() > 100, "the run opened sessions");
}

#[test]
fn max_sessions_gives_capacity() {
    let engine = Engine::builder().max_sessions(3).build().expect("build");
    let open: Vec<_> = (0..3).map(|_| engine.open().expect("below max")).collect();
    assert_eq!(engine.open().err(), Some(SessionError::Capacity { max: 3 }));
    assert_eq!(
        engine.open_for_client(ClientId::new("c")).err(),
        Some(SessionError::Capacity { max: 3 })
    );
    assert_eq!(engine.len(), 3);
    engine.close(open[0].id()).expect("close");
    engine.open().expect("a slot is free again");
}

#[test]
fn expire_idle_closes_exactly_the_idle_ones() {
    let clock = ManualClock::new();
    let engine = Engine::builder()
        .idle_timeout(Duration::from_millis(300))
        .clock(clock.clock())
        .build()
        .expect("build");
    let idle: Vec<_> = (0..3).map(|_| engine.open().expect("open")).collect();
    let busy: Vec<_> = (0..3).map(|_| engine.open().expect("open")).collect();
    clock.advance(Duration::from_millis(400));
    for session in &busy {
        session.touch();
    }
    assert_eq!(engine.expire_idle(), 3);
    assert!(idle.iter().all(|s| !s.is_open()));
    assert!(busy.iter().all(|s| s.is_open()));
    assert_eq!(engine.len(), 3);
    assert_eq!(engine.expire_idle(), 0, "nothing else is idle yet");
}

#[test]
fn without_idle_timeout_nothing_expires() {
    let engine = Engine::new();
    engine.open().expect("open");
    assert_eq!(engine.expire_idle(), 0);
    assert_eq!(engine.len(), 1);
}

#[test]
fn hooks_run_inside_the_session_context() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let (on_open, on_close) = (seen.clone(), seen.clone());
    let engine = Engine::builder()
        .on_open(move |s| {
            let current = current_id();
            on_open
                .lock()
                .expect("lock")
                .push(("open", s.id(), current));
        })
        .on_close(move |s| {
            let current = current_id();
            on_close
                .lock()
                .expect("lock")
                .push(("close", s.id(), current));
        })
        .build()
        .expect("build");
    let session = engine.open().expect("open");
    engine.close(session.id()).expect("close");
    let id = session.id();
    assert_eq!(
        *seen.lock().expect("lock"),
        vec![("open", id, Some(id)), ("close", id, Some(id))]
    );
    assert_eq!(current_id(), None, "the hooks' context does not leak out");
}

#[test]
fn hooks_see_their_session_even_when_another_is_current() {
    let opened_in = Arc::new(Mutex::new(None));
    let record = opened_in.clone();
    let engine = Engine::builder()
        .on_open(move |_| *record.lock().expect("lock") = current_id())
        .build()
        .expect("build");
    let first = engine.open().expect("open");
    let _in_first = first.enter().expect("enter");
    let second = engine.open().expect("open");
    assert_eq!(*opened_in.lock().expect("lock"), Some(second.id()));
    assert_eq!(current_id(), Some(first.id()));
}

#[test]
fn a_panicking_hook_leaves_the_engine_usable() {
    let opened = Arc::new(AtomicUsize::new(0));
    let count = opened.clone();
    let engine = Engine::builder()
        .on_open(move |_| {
            count.fetch_add(1, Ordering::SeqCst);
            panic!("hook failed")
        })
        .on_close(|_| panic!("close hook failed"))
        .build()
        .expect("build");
    let session = engine.open().expect("the session opens despite the hook");
    assert!(session.is_open());
    assert_eq!(current_id(), None);
    engine.close(session.id()).expect("close despite the hook");
    assert!(!session.is_open());
    engine.open().expect("still usable");
    assert_eq!(opened.load(Ordering::SeqCst), 2);
}

#[test]
fn engines_are_found_by_name_and_names_are_unique_while_alive() {
    let name = "test_engine::named";
    let engine = Engine::builder().name(name).build().expect("build");
    assert_eq!(Engine::find(name), Some(engine.clone()));
    assert_eq!(engine.name(), Some(name));
    assert_eq!(
        Engine::builder().name(name).build().err(),
        Some(SessionError::NameTaken(name.to_owned()))
    );
    drop(engine);
    assert!(
        Engine::find(name).is_none(),
        "the name dies with the engine"
    );
    let again = Engine::builder().name(name).build().expect("name is free");
    assert_eq!(Engine::find(name), Some(again));
    assert!(Engine::find("test_engine::never-built").is_none());
}

#[test]
fn dropping_the_engine_closes_its_sessions() {
    let engine = Engine::new();
    let session = engine.open().expect("open");
    drop(engine);
    assert!(!session.is_open());
    assert!(session.engine().is_none());
    assert!(session.enter().is_err());
}

#[test]
fn the_global_engine_is_one_engine() {
    assert_eq!(Engine::global(), Engine::global());
    assert!(Engine::global().root().is_root());
}

#[test]
fn sessions_of_one_client_are_found_together() {
    let engine = Engine::new();
    let browser = ClientId::new("cookie-1");
    let tabs: Vec<_> = (0..3)
        .map(|_| engine.open_for_client(browser.clone()).expect("open"))
        .collect();
    engine
        .open_for_client(ClientId::new("cookie-2"))
        .expect("open");
    engine.open().expect("open");
    let mut found: Vec<_> = engine
        .sessions_for_client(&browser)
        .iter()
        .map(|s| s.id())
        .collect();
    let mut expected: Vec<_> = tabs.iter().map(|s| s.id()).collect();
    found.sort();
    expected.sort();
    assert_eq!(found, expected);
    assert_eq!(engine.sessions().len(), 5);
}

#[test]
fn typed_state_is_per_session_and_per_type() {
    #[derive(Debug, PartialEq)]
    struct Cart(u32);
    #[derive(Debug, PartialEq)]
    struct Theme(&'static str);

    let engine = Engine::new();
    let (a, b) = (engine.open().expect("open"), engine.open().expect("open"));
    assert_eq!(a.insert(Cart(1)), None);
    a.insert(Theme("dark"));
    assert_eq!(a.insert(Cart(2)).as_deref(), Some(&Cart(1)));
    assert_eq!(a.get::<Cart>().as_deref(), Some(&Cart(2)));
    assert_eq!(a.get::<Theme>().as_deref(), Some(&Theme("dark")));
    assert_eq!(b.get::<Cart>(), None, "state does not cross sessions");
    assert_eq!(a.remove::<Cart>().as_deref(), Some(&Cart(2)));
    assert_eq!(a.get::<Cart>(), None);
    assert_eq!(a.remove::<Cart>(), None);
}

#[test]
fn touch_moves_last_active_forward() {
    let clock = ManualClock::new();
    let engine = Engine::builder()
        .clock(clock.clock())
        .build()
        .expect("build");
    let session = engine.open().expect("open");
    let before = session.last_active();
    assert_eq!(before, session.created());
    clock.advance(Duration::from_millis(5));
    session.touch();
    assert!(session.last_active() > before);
    assert!(session.idle_for() < Duration::from_secs(5));
}

#[test]
fn users_have_names_and_roles() {
    let user = User::new("alice").with_roles(["admin", "operator"]);
    assert_eq!(user.name(), "alice");
    assert!(user.has_role("admin") && !user.has_role("guest"));
    assert_eq!(user.roles().collect::<Vec<_>>(), ["admin", "operator"]);
    let engine = Engine::new();
    let session = engine.open().expect("open");
    session.set_user(Some(user.clone()));
    assert_eq!(session.user(), Some(user));
}
