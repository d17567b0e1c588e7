//! `SessionId`: random, 32 lowercase hex digits, strict parsing.

use std::collections::HashSet;

use sessions_core::{ParseSessionIdError, SessionId};

#[test]
fn display_and_from_str_round_trip() {
    for _ in 0..1_000 {
        let id = SessionId::random();
        let text = id.to_string();
        assert_eq!(text.len(), 32);
        assert!(text.chars().all(|c| matches!(c, '0'..='9' | 'a'..='f')));
        assert_eq!(text.parse::<SessionId>(), Ok(id));
    }
}

#[test]
fn from_str_rejects_malformed_input_with_errors() {
    let good = SessionId::random().to_string();
    let malformed: Vec<String> = vec![
        String::new(),
        " ".into(),
        good[..31].into(),
        format!("{good}0"),
        good.to_uppercase(),
        format!(" {}", &good[1..]),
        format!("{} ", &good[..31]),
        format!("0x{}", &good[2..]),
        format!("-{}", &good[1..]),
        format!("+{}", &good[1..]),
        format!("{}g", &good[..31]),
        format!("{}z", &good[..31]),
        format!("{}\n", &good[..31]),
        format!("{}\0", &good[..31]),
        format!("{}é", &good[..31]),
        format!("{}é", &good[..30]),
        "ä".repeat(32),
        "-".repeat(32),
        format!("{}-{}", &good[..16], &good[17..]),
        "00000000-0000-0000-0000-000000000000".into(),
        "🦀".repeat(8),
        good.repeat(2),
    ];
    assert!(malformed.len() >= 20);
    for text in &malformed {
        let err = text
            .parse::<SessionId>()
            .expect_err(&format!("{text:?} must be rejected"));
        assert!(!err.to_string().is_empty());
    }
    assert_eq!(
        format!("{}G", &good[..31]).parse::<SessionId>(),
        Err(ParseSessionIdError::Character {
            found: 'G',
            position: 31
        })
    );
    assert_eq!(
        "🦀".repeat(8).parse::<SessionId>(),
        Err(ParseSessionIdError::Length { len: 8 })
    );
}

#[test]
fn one_hundred_thousand_ids_are_distinct() {
    let ids: HashSet<SessionId> = (0..100_000).map(|_| SessionId::random()).collect();
    assert_eq!(ids.len(), 100_000);
}

#[test]
fn ids_from_different_threads_are_distinct() {
    let handles: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| (0..10_000).map(|_| SessionId::random()).collect::<Vec<_>>())
        })
        .collect();
    let mut all = HashSet::new();
    for handle in handles {
        for id in handle.join().expect("thread") {
            assert!(all.insert(id), "duplicate id {id}");
        }
    }
}

#[test]
fn ids_are_not_sequential() {
    // A counter would give ids one apart; random ones differ in about half their bits.
    let a = SessionId::random().as_u128();
    let b = SessionId::random().as_u128();
    assert!((a ^ b).count_ones() > 16, "{a:x} and {b:x} look related");
}
