//! Session ids as a secret: they look uniformly random (every bit balanced, no sequence),
//! are never reused, `ct_eq` agrees with `==`, lookups compare all 128 bits, and parsing
//! any text a host sends returns an error or exactly the id it spells, never a panic.

use std::collections::HashSet;
use std::str::FromStr;

use proptest::prelude::*;
use sessions_core::{Engine, FromValue, SessionError, SessionId, Value};

/// An id with exactly these bits (through the public text form).
fn id_of(bits: u128) -> SessionId {
    SessionId::from_str(&format!("{bits:032x}")).expect("32 lowercase hex digits")
}

#[test]
fn every_bit_is_set_in_about_half_of_ten_thousand_ids() {
    const IDS: usize = 10_000;
    let mut ones = [0usize; 128];
    for _ in 0..IDS {
        let bits = SessionId::random().as_u128();
        for (position, count) in ones.iter_mut().enumerate() {
            *count += usize::from(bits >> position & 1 == 1);
        }
    }
    // Expected 5,000 ± 50 (one standard deviation): 40 % and 60 % are 20 deviations
    // away, so a fair generator never fails this, and a biased or constant bit always does.
    for (position, count) in ones.iter().enumerate() {
        assert!(
            (IDS * 2 / 5..=IDS * 3 / 5).contains(count),
            "bit {position} was set in {count} of {IDS} ids"
        );
    }
}

#[test]
fn every_hex_digit_is_about_equally_frequent() {
    let mut digits = [0usize; 16];
    for _ in 0..10_000 {
        for c in SessionId::random().to_string().chars() {
            digits[c.to_digit(16).expect("hex") as usize] += 1;
        }
    }
    // 320,000 digits: 20,000 ± 137 each; allow ±10 %.
    for (digit, count) in digits.iter().enumerate() {
        assert!(
            (18_000..=22_000).contains(count),
            "digit {digit:x} appeared {count} times"
        );
    }
}

#[test]
fn consecutive_ids_are_not_a_sequence() {
    let ids: Vec<u128> = (0..2_000).map(|_| SessionId::random().as_u128()).collect();
    for pair in ids.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        // A counter (or a counter mixed into the low bits) gives a small difference.
        assert!(
            b.wrapping_sub(a) > 1 << 64 && a.wrapping_sub(b) > 1 << 64,
            "{a:032x} then {b:032x}"
        );
        // Random ids differ in 64 ± 5.7 bits; 20 and 108 are over 7 deviations away.
        let distance = (a ^ b).count_ones();
        assert!(
            (20..=108).contains(&distance),
            "{a:032x} and {b:032x} differ in {distance} bits"
        );
    }
}

#[test]
fn a_closed_sessions_id_is_never_issued_again() {
    let engine = Engine::new();
    let other = Engine::new();
    let mut issued = HashSet::new();
    let mut closed = HashSet::new();
    for round in 0..5_000 {
        let session = engine.open().expect("open");
        let theirs = other.open().expect("open");
        for id in [session.id(), theirs.id()] {
            assert!(
                !closed.contains(&id),
                "round {round}: closed id {id} reissued"
            );
            assert!(issued.insert(id), "round {round}: id {id} issued twice");
        }
        engine.close(session.id()).expect("close");
        closed.insert(session.id());
        if round % 2 == 0 {
            other.close(theirs.id()).expect("close");
            closed.insert(theirs.id());
        }
    }
    assert_eq!(issued.len(), 10_000);
    assert_eq!(engine.len(), 0);
    // A closed id stays unknown: it is not found, cannot be entered, closed or posted to.
    for &id in closed.iter().take(100) {
        assert!(engine.get(id).is_none() && other.get(id).is_none());
        assert_eq!(engine.enter(id).err(), Some(SessionError::NotFound(id)));
        assert_eq!(engine.close(id), Err(SessionError::NotFound(id)));
        assert_eq!(
            engine.post(id, "anything", vec![]),
            Err(SessionError::NotFound(id))
        );
    }
}

#[test]
fn a_lookup_compares_all_128_bits() {
    // The registry shards by the top bits and hashes the low 64: an id that differs from
    // a live one in any single bit, anywhere, must still be unknown.
    let engine = Engine::new();
    let sessions: Vec<_> = (0..16).map(|_| engine.open().expect("open")).collect();
    for session in &sessions {
        let bits = session.id().as_u128();
        assert_eq!(engine.get(session.id()).as_ref(), Some(session));
        for position in 0..128 {
            let near = id_of(bits ^ (1 << position));
            assert!(engine.get(near).is_none(), "bit {position} ignored");
            assert_eq!(engine.enter(near).err(), Some(SessionError::NotFound(near)));
        }
    }
}

/// Strings close to an id: right length, right alphabet, one wrong character, wrong case,
/// multi-byte characters, and anything at all.
fn near_id_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-f]{32}",
        "[0-9a-fA-F]{32}",
        "[0-9a-f]{31}",
        "[0-9a-f]{33}",
        "[0-9a-f]{0,31}[^0-9a-f][0-9a-f]{0,31}",
        "[0-9a-fé🦀 ]{32}",
        "\\PC{0,40}",
        ".{0,40}",
    ]
}

fn is_canonical(text: &str) -> bool {
    text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 1_024,
        ..ProptestConfig::default()
    })]

    #[test]
    fn parsing_accepts_exactly_32_lowercase_hex_digits(text in near_id_text()) {
        match SessionId::from_str(&text) {
            Ok(id) => {
                prop_assert!(is_canonical(&text), "{:?} was accepted", text);
                prop_assert_eq!(id.to_string(), text);
            }
            Err(err) => {
                prop_assert!(!is_canonical(&text), "{:?} was refused: {}", text, err);
                prop_assert!(!err.to_string().is_empty());
            }
        }
    }

    #[test]
    fn an_id_from_a_value_is_parsed_the_same_way(text in near_id_text()) {
        let direct = SessionId::from_str(&text).ok();
        let from_value = SessionId::from_value(Value::String(text)).ok();
        prop_assert_eq!(direct, from_value);
    }

    #[test]
    fn ct_eq_agrees_with_eq(a in any::<u128>(), b in any::<u128>(), bit in 0..128u32) {
        let (x, y) = (id_of(a), id_of(b));
        prop_assert_eq!(x.ct_eq(&y), x == y);
        prop_assert!(x.ct_eq(&x));
        let near = id_of(a ^ (1u128 << bit));
        prop_assert!(!x.ct_eq(&near));
        prop_assert!(!near.ct_eq(&x));
        prop_assert_eq!(x.ct_eq(&id_of(a)), true);
    }

    #[test]
    fn text_bytes_and_bits_agree(bits in any::<u128>()) {
        let id = id_of(bits);
        prop_assert_eq!(id.as_u128(), bits);
        prop_assert_eq!(id.to_bytes(), bits.to_be_bytes());
        prop_assert_eq!(SessionId::from_str(&id.to_string()), Ok(id));
    }
}
