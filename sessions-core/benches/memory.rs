//! Group 4, memory: heap bytes per open session, counted by a global allocator.
//!
//! Not a criterion benchmark: a plain `main` that opens 1,000,000 sessions in a fresh engine
//! and prints the heap bytes allocated and still live afterwards minus those before, divided
//! by 1,000,000. This counts everything an open session costs: its shared state, its entry
//! in the engine's registry (including the registry's spare capacity at that size). Rows:
//! - an anonymous session, no state;
//! - with one `User` logged in;
//! - with one `User` logged in and one small state value (`Visits(u64)`) inserted;
//! - the session's own allocations alone: 1,000 more sessions opened on top of the first
//!   1,000,000, which the registry holds without growing.
//!
//! Run: `cargo bench -p sessions-core --bench memory`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use sessions_core::{Engine, Session, User};

/// Sessions opened for each row.
const SESSIONS: usize = 1_000_000;

/// The system allocator, counting the bytes it has handed out and not yet taken back.
struct Counting;

/// Live heap bytes.
static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the counter is only
// bookkeeping beside it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` was allocated by `System` with `layout`, as the caller guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract, passed on as is.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
            LIVE.fetch_add(new_size, Ordering::Relaxed);
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// A small per-session state value.
struct Visits(#[allow(dead_code)] u64);

/// Live heap bytes per session after opening `count` sessions on `engine`, each set up by
/// `setup`. The returned handles are dropped at once: the engine keeps the sessions open.
fn bytes_per_session(engine: &Engine, count: usize, setup: impl Fn(&Session)) -> f64 {
    let before = live();
    for _ in 0..count {
        let session = engine.open().expect("no session limit is set");
        setup(&session);
    }
    let after = live();
    (after - before) as f64 / count as f64
}

fn main() {
    // `cargo bench -- FILTER` passes the filter to every bench target: run only if it
    // names this one (criterion's own targets do the same with their benchmark names).
    let filters: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    if !filters.is_empty()
        && !filters
            .iter()
            .any(|filter| "memory/bytes_per_session".contains(filter.as_str()))
    {
        return;
    }

    println!("memory/bytes_per_session: live heap bytes per open session at {SESSIONS} sessions");
    println!("| sessions | per session | bytes |");
    println!("| --- | --- | ---: |");

    let engine = Engine::new();
    let anonymous = bytes_per_session(&engine, SESSIONS, |_| {});
    println!("| {SESSIONS} | anonymous, no state | {anonymous:.1} |");
    let own = bytes_per_session(&engine, 1_000, |_| {});
    println!(
        "| {SESSIONS} + 1,000 | anonymous, no state, registry not growing (the session's own allocations) | {own:.1} |"
    );
    assert_eq!(engine.len(), SESSIONS + 1_000);
    drop(engine);

    let engine = Engine::new();
    let with_user = bytes_per_session(&engine, SESSIONS, |session| {
        session.set_user(Some(User::new("alice")));
    });
    println!("| {SESSIONS} | one `User` logged in | {with_user:.1} |");
    assert_eq!(engine.active_count(), SESSIONS);
    drop(engine);

    let engine = Engine::new();
    let with_state = bytes_per_session(&engine, SESSIONS, |session| {
        session.set_user(Some(User::new("alice")));
        session.insert(Visits(1));
    });
    println!("| {SESSIONS} | one `User` logged in, one `Visits(u64)` inserted | {with_state:.1} |");
    drop(engine);
}
