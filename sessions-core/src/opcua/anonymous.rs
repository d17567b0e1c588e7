//! [`AnonymousSlots`]: how many anonymous sessions the host holds at once, so anonymous
//! clients cannot take every session and lock out the users who log in.
//!
//! async-opcua 0.19 counts sessions at CreateSession, before any hook of the host; the
//! identity comes at ActivateSession, through the [`AuthManager`](opcua::server::authenticator::AuthManager).
//! So the cap is kept there: an anonymous activation takes a slot (a reservation, until the
//! host's registry sees the session open, [`opened`](AnonymousSlots::opened)) or is refused
//! with `BadTooManySessions`. The registry tells the slots how many anonymous sessions it
//! holds after each sweep ([`held`](AnonymousSlots::held)), so a closed or expired session
//! gives its slot back. A reservation whose session never opens (its activation failed
//! after the token was taken) lapses after [`RESERVATION_TTL`].

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::lock::lock;

/// How long an anonymous activation's slot is kept for a session that has not opened.
pub(super) const RESERVATION_TTL: Duration = Duration::from_secs(5);

/// The anonymous sessions held, and the slots taken by activations under way.
pub(super) struct AnonymousSlots {
    max: usize,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    /// Anonymous sessions open in the host's registry.
    held: usize,
    /// When each activation under way took its slot, oldest first.
    reserved: VecDeque<Instant>,
}

impl AnonymousSlots {
    pub fn new(max: usize) -> AnonymousSlots {
        AnonymousSlots {
            max,
            state: Mutex::new(State::default()),
        }
    }

    /// The cap.
    pub fn max(&self) -> usize {
        self.max
    }

    /// An anonymous activation: takes a slot, or says no (the cap is reached).
    pub fn reserve(&self) -> bool {
        let now = Instant::now();
        let mut state = lock(&self.state);
        while state
            .reserved
            .front()
            .is_some_and(|at| now.duration_since(*at) > RESERVATION_TTL)
        {
            state.reserved.pop_front();
        }
        if state.held + state.reserved.len() >= self.max {
            return false;
        }
        state.reserved.push_back(now);
        true
    }

    /// The registry opened an anonymous session (or one became anonymous): its
    /// reservation becomes a held slot.
    pub fn opened(&self) {
        let mut state = lock(&self.state);
        state.reserved.pop_front();
        state.held += 1;
    }

    /// The registry holds `held` anonymous sessions (after a sweep, or a session that
    /// stopped being anonymous).
    pub fn held(&self, held: usize) {
        lock(&self.state).held = held;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_taken_up_to_the_cap_and_given_back() {
        let slots = AnonymousSlots::new(2);
        assert!(slots.reserve());
        assert!(slots.reserve());
        assert!(
            !slots.reserve(),
            "two activations under way fill a cap of two"
        );
        slots.opened();
        slots.opened();
        assert!(!slots.reserve(), "two sessions held fill it too");
        slots.held(1);
        assert!(slots.reserve(), "a session closed gives its slot back");
    }

    #[test]
    fn a_reservation_whose_session_never_opens_lapses() {
        let slots = AnonymousSlots::new(1);
        assert!(slots.reserve());
        assert!(!slots.reserve());
        lock(&slots.state).reserved[0] -= RESERVATION_TTL * 2;
        assert!(slots.reserve(), "the stale reservation lapsed");
    }
}
