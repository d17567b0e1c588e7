//! Tests of `FromValue` (the deserializer), with `IntoValue` round trips.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use crate::value::{FromValue, IntoValue, Value, ValueError, ValueMap};
use crate::SessionId;

/// Checks one integer type at both bounds and one past each, in every variant that can
/// hold the number: `Int` when it fits in an `i64`, `UInt` when it fits in a `u64`.
fn check_bounds<T>(name: &str, min: i128, max: i128)
where
    T: FromValue + IntoValue + TryFrom<i128> + Copy + PartialEq + Debug,
{
    for n in [min, max] {
        let Ok(t) = T::try_from(n) else {
            panic!("{n} is a bound of {name}");
        };
        let mut variants = 0;
        if let Ok(i) = i64::try_from(n) {
            assert_eq!(T::from_value(Value::Int(i)), Ok(t), "{name} from Int({i})");
            assert_eq!(t.into_value(), Value::Int(i), "{name} {n} is canonical");
            variants += 1;
        } else {
            let Ok(u) = u64::try_from(n) else {
                panic!("{n} fits no variant");
            };
            assert_eq!(t.into_value(), Value::UInt(u), "{name} {n} is canonical");
        }
        if let Ok(u) = u64::try_from(n) {
            assert_eq!(
                T::from_value(Value::UInt(u)),
                Ok(t),
                "{name} from UInt({u})"
            );
            variants += 1;
        }
        assert!(variants > 0);
        assert_eq!(T::from_value(t.into_value()), Ok(t), "{name} round trip");
    }
    let mut past = 0;
    for n in [min - 1, max + 1] {
        let mut values = Vec::new();
        if let Ok(i) = i64::try_from(n) {
            values.push(Value::Int(i));
        }
        if let Ok(u) = u64::try_from(n) {
            values.push(Value::UInt(u));
        }
        for value in values {
            let err = T::from_value(value.clone()).expect_err("one past a bound");
            assert_eq!(err.expected(), name);
            assert!(
                err.got()
                    .ends_with(&format!(" {n} (out of range for {name})")),
                "{value:?} into {name}: {err}"
            );
            past += 1;
        }
    }
    assert!(past > 0, "no value one past a bound of {name} was tried");
}

#[test]
fn every_integer_type_at_its_bounds() {
    check_bounds::<i8>("i8", i8::MIN.into(), i8::MAX.into());
    check_bounds::<i16>("i16", i16::MIN.into(), i16::MAX.into());
    check_bounds::<i32>("i32", i32::MIN.into(), i32::MAX.into());
    check_bounds::<i64>("i64", i64::MIN.into(), i64::MAX.into());
    check_bounds::<isize>("isize", isize::MIN as i128, isize::MAX as i128);
    check_bounds::<u8>("u8", 0, u8::MAX.into());
    check_bounds::<u16>("u16", 0, u16::MAX.into());
    check_bounds::<u32>("u32", 0, u32::MAX.into());
    check_bounds::<u64>("u64", 0, u64::MAX.into());
    check_bounds::<usize>("usize", 0, usize::MAX as i128);
}

#[test]
fn the_documented_examples() {
    let err = u8::from_value(Value::Int(300)).expect_err("300 is not a u8");
    assert_eq!(
        err.to_string(),
        "expected u8, got int 300 (out of range for u8)"
    );
    let err = u32::from_value(Value::Int(-1)).expect_err("-1 is not a u32");
    assert_eq!(
        err.to_string(),
        "expected u32, got int -1 (out of range for u32)"
    );
    let err = String::from_value(Value::Bool(true)).expect_err("a bool is not a String");
    assert_eq!(err.to_string(), "expected String, got bool true");
}

#[test]
fn integers_reject_floats_strings_and_null() {
    for value in [
        Value::Float(1.0),
        Value::String("1".into()),
        Value::Null,
        Value::Bool(true),
    ] {
        let err = i32::from_value(value.clone()).expect_err("not an integer");
        assert_eq!(err, ValueError::new("i32", &value));
    }
}

#[test]
fn i128_and_u128_at_their_bounds() {
    for n in [i128::MIN, i128::MAX, -1, 0] {
        assert_eq!(i128::from_value(n.into_value()), Ok(n));
    }
    for n in [u128::MIN, u128::MAX, u128::from(u64::MAX) + 1] {
        assert_eq!(u128::from_value(n.into_value()), Ok(n));
    }
    assert_eq!(i128::from_value(Value::UInt(u64::MAX)), Ok(u64::MAX.into()));
    assert_eq!(u128::from_value(Value::Int(7)), Ok(7));

    let past_u128 = Value::String("340282366920938463463374607431768211456".into());
    let err = u128::from_value(past_u128).expect_err("one past u128::MAX");
    assert!(err.got().ends_with("(out of range for u128)"), "{err}");
    let past_i128 = Value::String("-170141183460469231731687303715884105729".into());
    let err = i128::from_value(past_i128).expect_err("one past i128::MIN");
    assert!(err.got().ends_with("(out of range for i128)"), "{err}");
    let err = i128::from_value(Value::String(u128::MAX.to_string())).expect_err("past i128::MAX");
    assert!(err.got().ends_with("(out of range for i128)"), "{err}");
    for negative in [Value::Int(-1), Value::String("-1".into())] {
        let err = u128::from_value(negative).expect_err("-1 is not a u128");
        assert!(err.got().ends_with("(out of range for u128)"), "{err}");
    }
    let err = u128::from_value(Value::String("12abc".into())).expect_err("not a number");
    assert_eq!(
        err.got(),
        r#"string "12abc" (not a decimal integer for u128)"#
    );
    assert!(i128::from_value(Value::Float(1.0)).is_err());
}

#[test]
fn floats() {
    assert_eq!(f64::from_value(Value::Float(0.1)), Ok(0.1));
    assert_eq!(f64::from_value(Value::Int(-3)), Ok(-3.0));
    assert_eq!(f64::from_value(Value::UInt(u64::MAX)), Ok(u64::MAX as f64));
    // 2^53 + 1 has no f64: it is rounded, as documented.
    assert_eq!(
        f64::from_value(Value::Int((1 << 53) + 1)),
        Ok(9007199254740992.0)
    );
    assert!(f64::from_value(Value::Float(f64::NAN)).is_ok_and(f64::is_nan));
    let err = f64::from_value(Value::String("1.5".into())).expect_err("a string");
    assert_eq!(err.to_string(), r#"expected f64, got string "1.5""#);

    assert_eq!(f32::from_value(Value::Float(1.5)), Ok(1.5));
    assert_eq!(f32::from_value(Value::Float(0.1)), Ok(0.1f32));
    assert_eq!(f32::from_value(Value::Float(f32::MAX.into())), Ok(f32::MAX));
    assert_eq!(f32::from_value(Value::Int(-2)), Ok(-2.0));
    assert_eq!(
        f32::from_value(Value::Float(f64::NEG_INFINITY)),
        Ok(f32::NEG_INFINITY)
    );
    let err = f32::from_value(Value::Float(1e300)).expect_err("beyond f32");
    assert_eq!(
        err.to_string(),
        "expected f32, got float 1e300 (out of range for f32)"
    );
    assert!(f32::from_value(Value::Null).is_err());
}

#[test]
fn bool_string_char_unit_and_value() {
    assert_eq!(bool::from_value(Value::Bool(false)), Ok(false));
    assert!(bool::from_value(Value::Int(0)).is_err());
    assert_eq!(
        String::from_value(Value::String("é".into())),
        Ok("é".into())
    );
    assert!(String::from_value(Value::Bytes(b"ok".to_vec())).is_err());

    assert_eq!(char::from_value(Value::String("€".into())), Ok('€'));
    let err = char::from_value(Value::String("ab".into())).expect_err("two chars");
    assert_eq!(err.got(), r#"string "ab" (not exactly one character)"#);
    assert!(char::from_value(Value::String(String::new())).is_err());
    assert!(char::from_value(Value::Int(97)).is_err());

    assert_eq!(<()>::from_value(Value::Null), Ok(()));
    assert_eq!(
        <()>::from_value(Value::Int(0)),
        Err(ValueError::new("()", &Value::Int(0)))
    );
    let any = Value::Array(vec![Value::Float(f64::INFINITY)]);
    assert_eq!(Value::from_value(any.clone()), Ok(any));
}

#[test]
fn option() {
    assert_eq!(Option::<u8>::from_value(Value::Null), Ok(None));
    assert_eq!(Option::<u8>::from_value(Value::Int(4)), Ok(Some(4)));
    let err = Option::<u8>::from_value(Value::Int(-4)).expect_err("out of range");
    assert_eq!(err.expected(), "Option<u8>");
    assert_eq!(err.got(), "int -4 (out of range for u8)");
    assert_eq!(
        Option::<Option<u8>>::from_value(Value::Int(4)),
        Ok(Some(Some(4)))
    );
}

#[test]
fn vec_names_the_bad_element() {
    let ok = Value::Array(vec![Value::Int(1), Value::UInt(u64::MAX)]);
    assert_eq!(Vec::<u64>::from_value(ok), Ok(vec![1, u64::MAX]));

    let bad = Value::Array([1, 2, 3, 300].map(Value::Int).to_vec());
    let err = Vec::<u8>::from_value(bad).expect_err("300 is not a u8");
    assert_eq!(err.expected(), "u8");
    assert_eq!(err.got(), "int 300 (out of range for u8)");
    assert_eq!(err.path(), "[3]");
    assert_eq!(
        err.to_string(),
        "at [3]: expected u8, got int 300 (out of range for u8)"
    );

    let nested = Value::Array(vec![
        Value::Array(vec![]),
        Value::Array(vec![Value::Null, Value::Bool(true)]),
    ]);
    let err = Vec::<Vec<Option<u8>>>::from_value(nested).expect_err("a bool");
    assert_eq!((err.path(), err.got()), ("[1][1]", "bool true"));

    let err = Vec::<u8>::from_value(Value::Int(1)).expect_err("not an array");
    assert_eq!(err.to_string(), "expected Vec<u8>, got int 1");
}

#[test]
fn vec_reads_bytes_as_byte_values() {
    let bytes = Value::Bytes(vec![0, 255]);
    assert_eq!(Vec::<u8>::from_value(bytes.clone()), Ok(vec![0, 255]));
    assert_eq!(Vec::<i64>::from_value(bytes.clone()), Ok(vec![0, 255]));
    let err = Vec::<i8>::from_value(bytes).expect_err("255 is not an i8");
    assert_eq!(
        err.to_string(),
        "at [1]: expected i8, got int 255 (out of range for i8)"
    );
}

#[test]
fn maps_name_the_bad_key() {
    let value = Value::Map(ValueMap::from([
        ("a", Value::Int(1)),
        ("b", Value::Int(-1)),
    ]));
    assert_eq!(
        BTreeMap::<String, i8>::from_value(value.clone()),
        Ok(BTreeMap::from([
            ("a".to_string(), 1),
            ("b".to_string(), -1)
        ]))
    );
    let hash = HashMap::<String, i8>::from_value(value.clone()).expect("all fit");
    assert_eq!((hash.len(), hash.get("b")), (2, Some(&-1)));

    let err = BTreeMap::<String, u8>::from_value(value.clone()).expect_err("-1");
    assert_eq!(
        err.to_string(),
        "at .b: expected u8, got int -1 (out of range for u8)"
    );
    let err = HashMap::<String, u8>::from_value(value).expect_err("-1");
    assert_eq!(
        (err.path(), err.got()),
        (".b", "int -1 (out of range for u8)")
    );
    let odd_key = Value::Map(ValueMap::from([("a b", Value::Null)]));
    let err = HashMap::<String, u8>::from_value(odd_key).expect_err("null");
    assert_eq!(err.path(), r#"["a b"]"#);

    let err = HashMap::<String, u8>::from_value(Value::Array(vec![])).expect_err("an array");
    assert_eq!(
        err.to_string(),
        "expected HashMap<String, u8>, got array []"
    );
}

#[test]
fn session_id_round_trip_and_malformed() {
    let text = "00112233445566778899aabbccddeeff";
    let id: SessionId = text.parse().expect("a valid id");
    assert_eq!(id.into_value(), Value::String(text.into()));
    assert_eq!(SessionId::from_value(id.into_value()), Ok(id));

    let err = SessionId::from_value(Value::String("not-an-id".into())).expect_err("malformed");
    assert_eq!(err.expected(), "SessionId");
    assert!(err.got().starts_with(r#"string "not-an-id" ("#), "{err}");
    let upper = Value::String(text.to_uppercase());
    assert!(SessionId::from_value(upper).is_err());
    let err = SessionId::from_value(Value::Int(1)).expect_err("not a string");
    assert_eq!(err.to_string(), "expected SessionId, got int 1");
}

#[test]
fn integer_keys_are_read_from_their_text() {
    let value = Value::Map(ValueMap::from([
        ("1", Value::from("one")),
        ("-2", Value::from("minus two")),
    ]));
    let map = BTreeMap::<i8, String>::from_value(value).expect("integer keys");
    assert_eq!(map.get(&-2).map(String::as_str), Some("minus two"));
    assert_eq!(map.into_value().get("1"), Some(&Value::from("one")));

    let value = Value::Map(ValueMap::from([("300", Value::Null)]));
    let err = BTreeMap::<u8, ()>::from_value(value).expect_err("300 is not a u8");
    assert_eq!(
        err.to_string(),
        r#"at ["300"]: expected u8, got string "300" (out of range for u8)"#
    );
    let value = Value::Map(ValueMap::from([("x", Value::Null)]));
    let err = BTreeMap::<u8, ()>::from_value(value).expect_err("not a number");
    assert_eq!(err.got(), r#"string "x" (not a u8)"#);
}

#[test]
fn tuples_and_arrays_have_exactly_their_length() {
    let value = Value::from(vec![1, 2, 3]);
    assert_eq!(<[i64; 3]>::from_value(value.clone()), Ok([1, 2, 3]));
    assert_eq!(<(u8, i64, f64)>::from_value(value.clone()), Ok((1, 2, 3.0)));
    let err = <[i64; 2]>::from_value(value.clone()).expect_err("three elements");
    assert_eq!(err.got(), "array [1,2,3] (3 elements, not 2)");
    let err = <[i64; 4]>::from_value(value).expect_err("three elements");
    assert_eq!(err.expected(), "[i64; 4]");
    assert_eq!(<(u8, u8)>::from_value(Value::Bytes(vec![1, 2])), Ok((1, 2)));
}

#[test]
fn floats_into_integers_are_refused() {
    let err = i64::from_value(Value::Float(1.5)).expect_err("1.5 is not an i64");
    assert_eq!(err.to_string(), "expected i64, got float 1.5");
    assert!(i64::from_value(Value::Float(1.0)).is_err());
    assert_eq!(isize::from_value(Value::Int(-1)), Ok(-1));
    let err = usize::from_value(Value::Int(-1)).expect_err("-1 is not a usize");
    assert_eq!(err.got(), "int -1 (out of range for usize)");
}

#[test]
fn a_value_reads_as_itself() {
    let value = Value::Map(ValueMap::from([
        ("bytes", Value::Bytes(vec![0, 1])),
        ("big", Value::UInt(u64::MAX)),
        ("nan", Value::Float(f64::INFINITY)),
        ("list", Value::Array(vec![Value::Null, Value::Int(-1)])),
    ]));
    assert_eq!(Value::from_value(value.clone()), Ok(value.clone()));
    assert_eq!(value.clone().into_value(), value);
    // A hand-built `UInt` that fits in an `i64` comes back canonical.
    assert_eq!(Value::from_value(Value::UInt(5)), Ok(Value::Int(5)));
}
