//! Property tests of `Value`: converting any value into any supported type never panics,
//! integers are range-checked (an error, never a wrap), every type's values come back from
//! `IntoValue` unchanged, and every value round-trips through `serde_json` except at the
//! documented lossy spots (non-finite floats, bytes, non-canonical `UInt`).

use std::collections::{BTreeMap, HashMap};

use proptest::prelude::*;
use serde_json::Value as Json;
use sessions_core::{FromValue, IntoValue, SessionId, Value};

/// Any `Value`, nested up to three levels, with the awkward spots well represented:
/// every integer edge, NaN and the infinities, empty and non-ASCII strings, bytes.
fn value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        int_edge().prop_map(Value::Int),
        any::<i64>().prop_map(Value::Int),
        any::<u64>().prop_map(Value::UInt),
        prop_oneof![
            any::<f64>(),
            Just(f64::NAN),
            Just(f64::INFINITY),
            Just(f64::NEG_INFINITY),
            Just(-0.0),
            Just(f64::MIN_POSITIVE),
            Just(5e-324),
            Just(f64::MAX),
            Just(3.0),
        ]
        .prop_map(Value::Float),
        ".{0,12}".prop_map(Value::String),
        "-?[0-9]{1,40}".prop_map(Value::String),
        proptest::collection::vec(any::<u8>(), 0..8).prop_map(Value::Bytes),
    ];
    leaf.prop_recursive(3, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,6}", inner, 0..6)
                .prop_map(|map| Value::Map(map.into_iter().collect())),
        ]
    })
}

/// Integers at and around the edges of every integer type.
fn int_edge() -> impl Strategy<Value = i64> {
    let edges: Vec<i64> = [
        0,
        1,
        -1,
        i64::from(i8::MIN),
        i64::from(i8::MAX),
        i64::from(u8::MAX),
        i64::from(i16::MIN),
        i64::from(i16::MAX),
        i64::from(u16::MAX),
        i64::from(i32::MIN),
        i64::from(i32::MAX),
        i64::from(u32::MAX),
        i64::MIN,
        i64::MAX,
    ]
    .into_iter()
    .flat_map(|edge| [edge.saturating_sub(1), edge, edge.saturating_add(1)])
    .collect();
    proptest::sample::select(edges)
}

/// What the value becomes after a trip through JSON: the documented lossy spots.
fn through_json(value: &Value) -> Value {
    match value {
        Value::Float(x) if !x.is_finite() => Value::Null,
        Value::UInt(n) => i64::try_from(*n).map_or(Value::UInt(*n), Value::Int),
        Value::Bytes(bytes) => {
            Value::Array(bytes.iter().map(|b| Value::Int((*b).into())).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(through_json).collect()),
        Value::Map(map) => Value::Map(
            map.iter()
                .map(|(k, v)| (k.to_owned(), through_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Whether `value` crosses JSON unchanged (no lossy spot anywhere in it).
fn json_exact(value: &Value) -> bool {
    through_json(value) == *value
}

/// Converts `value` into every supported type; each conversion must return, not panic,
/// and an error message must name the type and describe what was found.
fn convert_to_every_type(value: &Value) {
    macro_rules! each {
        ($($t:ty),* $(,)?) => {$(
            if let Err(err) = <$t>::from_value(value.clone()) {
                assert!(!err.expected().is_empty() && !err.got().is_empty(), "{err}");
                assert!(err.got().chars().count() < 400, "short message: {err}");
            }
        )*};
    }
    each!(
        i8,
        i16,
        i32,
        i64,
        i128,
        isize,
        u8,
        u16,
        u32,
        u64,
        u128,
        usize,
        f32,
        f64,
        bool,
        char,
        String,
        (),
        SessionId,
        Value,
        Option<i32>,
        Option<String>,
        Option<Option<u8>>,
        Vec<u8>,
        Vec<i64>,
        Vec<String>,
        Vec<Vec<u16>>,
        Vec<Option<f64>>,
        BTreeMap<String, i64>,
        HashMap<String, Option<u16>>,
        BTreeMap<String, Vec<Value>>,
    );
}

/// For one integer type: `Int(n)`/`UInt(n)` convert iff `n` is in range, to `n` itself, and
/// an out-of-range number is an error that says so.
macro_rules! check_range {
    ($n:expr, $($t:ty),*) => {$(
        let n: i128 = $n;
        let value = if let Ok(small) = i64::try_from(n) {
            Value::Int(small)
        } else {
            Value::UInt(u64::try_from(n).expect("the strategy stays within i64/u64"))
        };
        match (<$t>::try_from(n), <$t>::from_value(value.clone())) {
            (Ok(expected), Ok(got)) => prop_assert_eq!(got, expected),
            (Err(_), Err(err)) => {
                let wanted = format!("out of range for {}", stringify!($t));
                prop_assert!(err.got().contains(&wanted), "{}", err);
            }
            (expected, got) => {
                return Err(TestCaseError::fail(format!(
                    "{value:?} as {}: expected {expected:?}, got {got:?}",
                    stringify!($t)
                )));
            }
        }
    )*};
}

/// For each type: `from_value(into_value(x)) == x`.
macro_rules! check_round_trip {
    ($($x:expr),* $(,)?) => {$(
        let x = $x;
        let back = FromValue::from_value(x.clone().into_value());
        prop_assert_eq!(back, Ok(x));
    )*};
}

/// Numbers that hit every integer type's edges, and random ones over i64 and u64.
fn number() -> impl Strategy<Value = i128> {
    prop_oneof![
        int_edge().prop_map(i128::from),
        any::<i64>().prop_map(i128::from),
        any::<u64>().prop_map(i128::from),
        Just(i128::from(u64::MAX)),
        Just(i128::from(i64::MAX) + 1),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        ..ProptestConfig::default()
    })]

    #[test]
    fn any_value_converts_to_any_type_without_panicking(value in value()) {
        convert_to_every_type(&value);
    }

    #[test]
    fn integers_are_range_checked_never_wrapped(n in number()) {
        check_range!(n, i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);
    }

    #[test]
    fn integers_become_canonical_values(n in number()) {
        let value = n.into_value();
        match i64::try_from(n) {
            Ok(small) => prop_assert_eq!(value, Value::Int(small)),
            Err(_) => prop_assert_eq!(value, Value::UInt(u64::try_from(n).expect("in u64"))),
        }
    }

    #[test]
    fn every_type_round_trips_through_value(
        small in (any::<i8>(), any::<i16>(), any::<i32>(), any::<i64>(), any::<isize>()),
        unsigned in (any::<u8>(), any::<u16>(), any::<u32>(), any::<u64>(), any::<usize>()),
        wide in (any::<i128>(), any::<u128>()),
        floats in (any::<f64>().prop_filter("NaN != NaN", |x| !x.is_nan()),
                   any::<f32>().prop_filter("NaN != NaN", |x| !x.is_nan())),
        text in (".{0,16}", any::<char>(), any::<bool>()),
        nested in (
            proptest::option::of(any::<i32>()),
            proptest::collection::vec(any::<u8>(), 0..8),
            proptest::collection::vec(proptest::option::of(".{0,4}"), 0..4),
            proptest::collection::btree_map(".{0,4}", any::<u16>(), 0..4),
        ),
        id_bits in any::<u128>(),
    ) {
        check_round_trip!(small.0, small.1, small.2, small.3, small.4);
        check_round_trip!(unsigned.0, unsigned.1, unsigned.2, unsigned.3, unsigned.4);
        check_round_trip!(wide.0, wide.1);
        check_round_trip!(floats.0, floats.1);
        check_round_trip!(text.0, text.1, text.2);
        check_round_trip!(nested.0, nested.1, nested.2, nested.3);
        let id: SessionId = format!("{id_bits:032x}").parse().expect("32 hex digits");
        check_round_trip!(id);
        let hash: HashMap<String, i64> = HashMap::from([("k".to_owned(), small.3)]);
        check_round_trip!(hash);
    }

    #[test]
    fn values_round_trip_through_serde_json_values(value in value()) {
        let back = Value::from(Json::from(value.clone()));
        prop_assert_eq!(&back, &through_json(&value));
        if json_exact(&value) {
            prop_assert_eq!(back, value);
        }
    }

    #[test]
    fn values_round_trip_through_json_text(value in value()) {
        let text = value.to_json_string();
        let back = Value::from_json_str(&text);
        prop_assert!(back.is_ok(), "{} did not parse back: {:?}", text, back);
        let back = back.expect("checked");
        // Exactly, floats included: the shortest text of a float reads back as that float.
        prop_assert_eq!(back, through_json(&value), "{}", text);
    }

    #[test]
    fn arbitrary_text_never_panics_the_json_parser(text in "\\PC{0,40}|[\\[\\]{}\",:0-9eE.+-]{0,40}") {
        if let Ok(value) = Value::from_json_str(&text) {
            prop_assert_eq!(Value::from_json_str(&value.to_json_string()).ok(), Some(value));
        }
    }
}

#[test]
fn deep_json_is_refused_not_a_stack_overflow() {
    // serde_json stops at 128 levels: a host cannot make the parser recurse without end.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(Value::from_json_str(&deep).is_err());
    let ok = format!("{}{}", "[".repeat(100), "]".repeat(100));
    assert!(Value::from_json_str(&ok).is_ok());
}

#[test]
fn a_float_reads_back_exactly_from_its_json_text() {
    // Found by `values_round_trip_through_json_text`: without serde_json's
    // `float_roundtrip`, this shortest-form decimal was read one ulp off.
    for x in [
        -5.106042900483204e-59,
        0.1,
        5e-324,
        f64::MAX,
        1.7976931348623155e308,
    ] {
        let text = Value::Float(x).to_json_string();
        assert_eq!(
            Value::from_json_str(&text).ok(),
            Some(Value::Float(x)),
            "{text}"
        );
    }
}
