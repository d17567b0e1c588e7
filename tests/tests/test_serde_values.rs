//! Any serde type crosses the host boundary with no code from the user: structs, enums
//! (external tagging and `#[serde(tag = "type")]`), tuples, arrays, maps and nested
//! `Option`s, in, out and returned, through host calls and direct calls alike. Integers
//! are range-checked with the path of the refused part named; a value whose `Serialize`
//! fails fails the call (sentinels, one log event), never becoming `Null` silently.

mod export_support;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;

use export_support::capture;
use serde::{Deserialize, Serialize};
use sessions_core::{
    export_method, from_value, methods, to_value, CallError, Engine, FromValue, IntoValue, Value,
    ValueMap,
};

#[derive(Serialize, Deserialize, Debug, Default, Clone, PartialEq)]
struct Point {
    x: i64,
    y: i64,
}

/// Moves `p` by `dx`: the moved point is both the out parameter and the return value.
#[export_method(name = "SerdeTranslate", session = none)]
fn serde_translate(p: Point, dx: i64, moved: &mut Point) -> Point {
    *moved = Point {
        x: p.x + dx,
        y: p.y,
    };
    moved.clone()
}

/// An externally tagged enum (serde's default).
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
enum Shape {
    Circle { r: f64 },
    Square(f64),
    Empty,
}

/// The area of `shape`, and the shape itself back.
#[export_method(name = "SerdeArea", session = none)]
fn serde_area(shape: Shape, same: &mut Option<Shape>) -> f64 {
    *same = Some(shape.clone());
    match shape {
        Shape::Circle { r } => 3.0 * r * r,
        Shape::Square(side) => side * side,
        Shape::Empty => 0.0,
    }
}

/// An internally tagged enum.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
#[serde(tag = "type")]
enum Event {
    Click { x: i64, y: i64 },
    Key { code: u32 },
}

/// Returns `event` as it came.
#[export_method(name = "SerdeEcho", session = none)]
fn serde_echo(event: Event) -> Event {
    event
}

/// Swaps a tuple's halves.
#[export_method(name = "SerdeSwap", session = none)]
fn serde_swap(pair: (String, i64)) -> (i64, String) {
    (pair.1, pair.0)
}

/// Running sums of a fixed array.
#[export_method(name = "SerdeSums", session = none)]
fn serde_sums(xs: [i64; 3]) -> [i64; 3] {
    [xs[0], xs[0] + xs[1], xs[0] + xs[1] + xs[2]]
}

/// The name of the point farthest right, if any.
#[export_method(name = "SerdeRightmost", session = none)]
fn serde_rightmost(
    points: HashMap<String, Point>,
    all: &mut BTreeMap<String, Point>,
) -> Option<String> {
    all.extend(points.clone());
    points
        .into_iter()
        .max_by_key(|(name, p)| (p.x, name.clone()))
        .map(|(name, _)| name)
}

/// Returns nested options as they came.
#[export_method(name = "SerdeNested", session = none)]
fn serde_nested(v: Option<Vec<Option<i64>>>) -> Option<Vec<Option<i64>>> {
    v
}

/// Returns `n` as it came.
#[export_method(name = "SerdeBig", session = none)]
fn serde_big(n: u64, copy: &mut u64) -> u64 {
    *copy = n;
    n
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Small {
    x: u8,
    y: u32,
    z: i64,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Polyline {
    points: Vec<Small>,
}

/// Counts the points of a polyline.
#[export_method(name = "SerdePolyline", session = none)]
fn serde_polyline(line: Polyline) -> usize {
    line.points.len()
}

/// A type that writes itself as text and reads itself from it (as `chrono` and `uuid`
/// types do): `YYYY-MM-DD`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Day {
    year: u16,
    month: u8,
    day: u8,
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Day {
    type Err = String;

    fn from_str(text: &str) -> Result<Day, String> {
        let parts: Vec<&str> = text.split('-').collect();
        let [year, month, day] = parts[..] else {
            return Err("not YYYY-MM-DD".to_owned());
        };
        let number = |s: &str| s.parse::<u16>().map_err(|e| e.to_string());
        Ok(Day {
            year: number(year)?,
            month: u8::try_from(number(month)?).map_err(|e| e.to_string())?,
            day: u8::try_from(number(day)?).map_err(|e| e.to_string())?,
        })
    }
}

impl Serialize for Day {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Day, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq)]
struct Meeting {
    when: Day,
    who: Vec<String>,
}

/// The day after a meeting.
#[export_method(name = "SerdeNextDay", session = none)]
fn serde_next_day(meeting: Meeting) -> Day {
    Day {
        day: meeting.when.day + 1,
        ..meeting.when
    }
}

/// A value whose `Serialize` always fails.
#[derive(Default, Debug)]
struct Unwritable;

impl Serialize for Unwritable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("unwritable-marker"))
    }
}

/// Returns a value that cannot be written, after setting its out parameter.
#[export_method(name = "SerdeBadReturn", session = none, sentinel = -1)]
fn serde_bad_return(count: &mut i64) -> Unwritable {
    *count = 5;
    Unwritable
}

/// Sets an out parameter that cannot be written, beside two that can.
#[export_method(name = "SerdeBadOut", session = none)]
fn serde_bad_out(
    bad: &mut Unwritable,
    #[out(sentinel = -1)] count: &mut i64,
    kept: &mut i64,
) -> i64 {
    *bad = Unwritable;
    *count = 5;
    *kept = 7;
    42
}

fn point(x: i64, y: i64) -> Value {
    to_value(&Point { x, y }).expect("a point is written")
}

#[test]
fn a_struct_goes_in_out_and_back() {
    let outcome = methods()
        .call("SerdeTranslate", vec![point(1, 2), Value::from(10)])
        .expect("ran");
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(outcome.value, point(11, 2));
    assert_eq!(outcome.out("moved"), Some(&point(11, 2)));
    assert_eq!(
        outcome.value.get("x").and_then(Value::as_i64),
        Some(11),
        "a struct is a map of its fields"
    );

    // By name, and from JSON text.
    let args = BTreeMap::from([
        (
            "p".to_owned(),
            Value::from_json_str(r#"{"x": -1, "y": 0}"#).expect("json"),
        ),
        ("dx".to_owned(), Value::from(1)),
    ]);
    let outcome = methods().call("SerdeTranslate", args).expect("ran");
    assert_eq!(Point::from_value(outcome.value), Ok(Point { x: 0, y: 0 }));

    // In a session, through `Session::call`.
    let engine = Engine::new();
    let session = engine.open().expect("open");
    let outcome = session
        .call("SerdeTranslate", vec![point(0, 5), Value::from(-3)])
        .expect("ran");
    assert_eq!(
        from_value::<Point>(outcome.value),
        Ok(Point { x: -3, y: 5 })
    );
    engine.close(session.id()).expect("close");

    // A direct call: plain Rust values.
    let mut moved = Point::default();
    assert_eq!(
        serde_translate(Point { x: 1, y: 1 }, 1, &mut moved),
        Point { x: 2, y: 1 }
    );
    assert_eq!(moved, Point { x: 2, y: 1 });
}

#[test]
fn a_missing_field_or_a_wrong_type_is_refused_before_the_call() {
    let half = Value::from_json_str(r#"{"x": 1}"#).expect("json");
    let err = methods()
        .call("SerdeTranslate", vec![half, Value::from(1)])
        .expect_err("y is missing");
    assert_eq!(
        err.to_string(),
        "argument `p` of `SerdeTranslate` expects Point, got nothing at .y (missing field)"
    );

    let wrong = Value::from_json_str(r#"{"x": 1, "y": "one"}"#).expect("json");
    let err = methods()
        .call("SerdeTranslate", vec![wrong, Value::from(1)])
        .expect_err("y is a string");
    assert_eq!(
        err.to_string(),
        "argument `p` of `SerdeTranslate` expects Point, got string \"one\" at .y (expected i64)"
    );
}

#[test]
fn enums_externally_and_internally_tagged() {
    let circle = to_value(&Shape::Circle { r: 2.0 }).expect("written");
    assert_eq!(
        circle,
        Value::from_json_str(r#"{"Circle": {"r": 2.0}}"#).expect("json")
    );
    let outcome = methods()
        .call("SerdeArea", vec![circle.clone()])
        .expect("ran");
    assert_eq!(outcome.value, Value::Float(12.0));
    assert_eq!(outcome.out("same"), Some(&circle));

    let outcome = methods()
        .call("SerdeArea", vec![Value::from("Empty")])
        .expect("ran");
    assert_eq!(outcome.out("same"), Some(&Value::from("Empty")));
    assert_eq!(outcome.value, Value::Float(0.0));
    let square = Value::from_json_str(r#"{"Square": 3}"#).expect("json");
    let outcome = methods().call("SerdeArea", vec![square]).expect("ran");
    assert_eq!(outcome.value, Value::Float(9.0));

    let err = methods()
        .call("SerdeArea", vec![Value::from("Hexagon")])
        .expect_err("no such variant");
    let CallError::ArgType { got, .. } = &err else {
        panic!("expected ArgType, got {err:?}");
    };
    assert!(got.contains("Hexagon"), "{got}");
    let bad_radius = Value::from_json_str(r#"{"Circle": {"r": "big"}}"#).expect("json");
    let err = methods()
        .call("SerdeArea", vec![bad_radius])
        .expect_err("a string radius");
    assert!(
        err.to_string()
            .ends_with("got string \"big\" at .Circle.r (expected f64)"),
        "{err}"
    );

    let key = Value::from_json_str(r#"{"type": "Key", "code": 13}"#).expect("json");
    let outcome = methods().call("SerdeEcho", vec![key.clone()]).expect("ran");
    assert_eq!(outcome.value, key);
    assert_eq!(from_value::<Event>(key), Ok(Event::Key { code: 13 }));
    let negative = Value::from_json_str(r#"{"type": "Key", "code": -1}"#).expect("json");
    assert!(methods().call("SerdeEcho", vec![negative]).is_err());
    let untyped = Value::from_json_str(r#"{"code": 1}"#).expect("json");
    assert!(methods().call("SerdeEcho", vec![untyped]).is_err());

    assert_eq!(
        serde_echo(Event::Click { x: 1, y: 2 }),
        Event::Click { x: 1, y: 2 }
    );
}

#[test]
fn tuples_arrays_maps_and_nested_options() {
    let pair = Value::Array(vec![Value::from("a"), Value::from(1)]);
    let outcome = methods().call("SerdeSwap", vec![pair]).expect("ran");
    assert_eq!(
        outcome.value,
        Value::Array(vec![Value::from(1), Value::from("a")])
    );
    let short = Value::Array(vec![Value::from("a")]);
    assert!(matches!(
        methods().call("SerdeSwap", vec![short]),
        Err(CallError::ArgType { .. })
    ));

    let outcome = methods()
        .call("SerdeSums", vec![Value::from(vec![1, 2, 3])])
        .expect("ran");
    assert_eq!(outcome.value, Value::from(vec![1, 3, 6]));
    let err = methods()
        .call("SerdeSums", vec![Value::from(vec![1, 2])])
        .expect_err("two elements");
    assert_eq!(
        err.to_string(),
        "argument `xs` of `SerdeSums` expects [i64; 3], got array [1,2] (2 elements, not 3)"
    );
    assert_eq!(serde_sums([1, 1, 1]), [1, 2, 3]);

    let points = Value::Map(ValueMap::from([("a", point(1, 0)), ("b", point(5, 0))]));
    let outcome = methods()
        .call("SerdeRightmost", vec![points.clone()])
        .expect("ran");
    assert_eq!(outcome.value, Value::from("b"));
    assert_eq!(outcome.out("all"), Some(&points));
    let outcome = methods()
        .call("SerdeRightmost", vec![Value::Map(ValueMap::new())])
        .expect("ran");
    assert_eq!(outcome.value, Value::Null);

    for json in ["null", "[]", "[null]", "[1, null, -3]"] {
        let value = Value::from_json_str(json).expect("json");
        let outcome = methods()
            .call("SerdeNested", vec![value.clone()])
            .expect("ran");
        assert_eq!(outcome.value, value, "{json}");
    }
    assert_eq!(
        from_value::<Option<Vec<Option<i64>>>>(Value::from_json_str("[1, null]").expect("json")),
        Ok(Some(vec![Some(1), None]))
    );
    let err = methods()
        .call(
            "SerdeNested",
            vec![Value::from_json_str("[1, 2.5]").expect("json")],
        )
        .expect_err("2.5 is not an i64");
    assert!(
        err.to_string()
            .ends_with("got float 2.5 at [1] (expected i64)"),
        "{err}"
    );
}

#[test]
fn u64_max_both_ways() {
    let outcome = methods()
        .call("SerdeBig", vec![Value::UInt(u64::MAX)])
        .expect("ran");
    assert_eq!(outcome.value, Value::UInt(u64::MAX));
    assert_eq!(outcome.out("copy"), Some(&Value::UInt(u64::MAX)));
    // Canonical: a number that fits in an i64 is an Int, whichever variant came in.
    let outcome = methods()
        .call("SerdeBig", vec![Value::UInt(7)])
        .expect("ran");
    assert_eq!(outcome.value, Value::Int(7));
    assert!(methods().call("SerdeBig", vec![Value::Int(-1)]).is_err());
    assert_eq!(to_value(&u64::MAX), Ok(Value::UInt(u64::MAX)));
    assert_eq!(from_value::<u64>(Value::UInt(u64::MAX)), Ok(u64::MAX));
}

/// A polyline whose second point has `field` set to `bad`.
fn polyline_with(field: &str, bad: Value) -> Value {
    let good = Value::from_json_str(r#"{"x": 1, "y": 2, "z": 3}"#).expect("json");
    let mut second = good.as_map().cloned().unwrap_or_default();
    second.insert(field.to_owned(), bad);
    Value::Map(ValueMap::from([(
        "points",
        Value::Array(vec![good, Value::Map(second)]),
    )]))
}

#[test]
fn range_errors_name_the_path() {
    let fine = polyline_with("x", Value::from(255));
    let outcome = methods().call("SerdePolyline", vec![fine]).expect("ran");
    assert_eq!(outcome.value, Value::from(2));

    let cases = [
        (
            "x",
            Value::from(300),
            "int 300 at .points[1].x (out of range for u8)",
        ),
        (
            "y",
            Value::from(-1),
            "int -1 at .points[1].y (out of range for u32)",
        ),
        (
            "z",
            Value::Float(1.5),
            "float 1.5 at .points[1].z (expected i64)",
        ),
        (
            "z",
            Value::UInt(u64::MAX),
            "uint 18446744073709551615 at .points[1].z (out of range for i64)",
        ),
    ];
    for (field, bad, expected_got) in cases {
        let err = methods()
            .call("SerdePolyline", vec![polyline_with(field, bad.clone())])
            .expect_err("out of range");
        let CallError::ArgType {
            param,
            expected,
            got,
            ..
        } = &err
        else {
            panic!("expected ArgType, got {err:?}");
        };
        assert_eq!(
            (param.as_str(), expected.as_str(), got.as_str()),
            ("line", "Polyline", expected_got),
            "{field} = {bad}"
        );

        // The same error by hand: the path, what was expected and what was found.
        let err = from_value::<Polyline>(polyline_with(field, bad)).expect_err("out of range");
        assert_eq!(err.path(), format!(".points[1].{field}"));
    }
    let err = from_value::<Polyline>(polyline_with("x", Value::from(300))).expect_err("300");
    assert_eq!(
        err.to_string(),
        "at .points[1].x: expected u8, got int 300 (out of range for u8)"
    );
}

#[test]
fn a_type_written_as_text_crosses_as_its_text() {
    let meeting = Meeting {
        when: Day {
            year: 2024,
            month: 2,
            day: 28,
        },
        who: vec!["ada".into()],
    };
    let value = to_value(&meeting).expect("written");
    assert_eq!(value.get("when"), Some(&Value::from("2024-02-28")));
    let outcome = methods().call("SerdeNextDay", vec![value]).expect("ran");
    assert_eq!(outcome.value, Value::from("2024-02-29"));

    let bad = Value::from_json_str(r#"{"when": "someday", "who": []}"#).expect("json");
    let err = methods()
        .call("SerdeNextDay", vec![bad.clone()])
        .expect_err("not a day");
    assert_eq!(
        err.to_string(),
        "argument `meeting` of `SerdeNextDay` expects Meeting, got string (7 bytes) at .when (not YYYY-MM-DD)"
    );
    let err = from_value::<Meeting>(bad).expect_err("not a day");
    assert_eq!(err.path(), ".when");
}

#[test]
fn a_return_value_that_cannot_be_written_fails_the_call() {
    let (outcome, logged) = capture(|| methods().call("SerdeBadReturn", vec![]));
    let outcome = outcome.expect("ran");
    assert_eq!(outcome.value, Value::Null);
    assert_eq!(outcome.out("count"), Some(&Value::from(-1)), "the sentinel");
    let error = outcome.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("return value") && error.contains("unwritable-marker"),
        "{error}"
    );
    assert_eq!(logged.len(), 1, "{logged:#?}");
    assert_eq!(logged[0].field("method"), Some("SerdeBadReturn"));
    assert!(
        logged[0]
            .field("error")
            .is_some_and(|e| e.contains("unwritable-marker")),
        "{logged:#?}"
    );

    // A direct call writes nothing as a Value, so nothing fails.
    let mut count = 0;
    let (returned, logged) = capture(|| serde_bad_return(&mut count));
    assert!(matches!(returned, Unwritable));
    assert_eq!((count, logged.len()), (5, 0));
}

#[test]
fn an_out_parameter_that_cannot_be_written_fails_the_call() {
    let (outcome, logged) = capture(|| methods().call("SerdeBadOut", vec![]));
    let outcome = outcome.expect("ran");
    assert_eq!(outcome.value, Value::Null);
    let error = outcome.error.as_deref().unwrap_or_default();
    assert!(
        error.contains("out parameter `bad`") && error.contains("unwritable-marker"),
        "{error}"
    );
    assert_eq!(outcome.out("count"), Some(&Value::from(-1)), "its sentinel");
    assert_eq!(
        outcome.out("kept"),
        Some(&Value::from(7)),
        "no sentinel: kept"
    );
    assert_eq!(outcome.out("bad"), Some(&Value::Null));
    assert_eq!(logged.len(), 1, "{logged:#?}");
    assert_eq!(logged[0].field("method"), Some("SerdeBadOut"));

    assert!(to_value(&Unwritable).is_err());
    assert!(Unwritable.try_into_value().is_err());
}
