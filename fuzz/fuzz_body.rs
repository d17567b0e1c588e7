//! What the fuzz targets run, shared word for word with the corpus replay in
//! `tests/tests/test_fuzz_corpus.rs` (both include this file with `#[path]`), so the replay
//! in `cargo test` exercises exactly the fuzzed code.
//!
//! - [`call`]: bytes → a context (none, a session, the root, a closed session), a method
//!   name (one of the exported methods below, or any string) and a list of `Value`s, fed to
//!   `methods().call` / `Session::call`; the result must be an error or an outcome that
//!   agrees with the method's signature, and the context stack must be as it was.
//! - [`session_id`]: bytes → text → `SessionId::from_str`: accepted exactly when it is 32
//!   lowercase hex digits, and then it prints back as the same text.
//! - [`json`]: bytes → text → `Value::from_json_str`: a value that parses converts into
//!   every supported type without panicking and reads back from its own JSON exactly.
//!
//! Every check is an `assert!`: a failure is a crash for the fuzzer and a failed test for
//! the replay. A panic inside an exported method is *not* a failure: catching it is the
//! method table's job, and [`init`] keeps that one deliberate panic quiet.

use std::collections::{BTreeMap, HashMap};
use std::panic;
use std::str::FromStr;
use std::sync::{Once, OnceLock};

use sessions_core::{
    current_id, export_method, methods, CallError, CallOutcome, Direction, Engine, FromValue,
    Session, SessionError, SessionId, Value,
};

/// The message of the one panic the fuzzed methods raise on purpose.
pub const PANIC_MARKER: &str = "fuzz-body: deliberate panic";

/// Installs a panic hook that stays quiet for [`PANIC_MARKER`] and hands every other panic
/// to the hook that was there (libFuzzer's aborts, so it is still reported as a crash).
pub fn init() {
    static INIT: Once = Once::new();
    INIT.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
            if message.is_some_and(|m| m.contains(PANIC_MARKER)) {
                return;
            }
            previous(info);
        }));
    });
}

// ---------------------------------------------------------------------------------------
// The exported methods under fuzz: integers of several widths, strings, `Option`, `Vec`,
// maps, out parameters with and without sentinels, an injected session, a method that
// always fails and one that panics. Names start with `Fuzz` so they collide with nothing.

/// Adds two `i8`s; overflow is an error.
#[export_method(name = "FuzzAddI8", session = none, sentinel = -1)]
fn fuzz_add_i8(a: i8, b: i8, wider: &mut i16) -> Result<i8, String> {
    *wider = i16::from(a) + i16::from(b);
    a.checked_add(b)
        .ok_or_else(|| format!("{a} + {b} overflows i8"))
}

/// Takes one integer of each width.
#[export_method(name = "FuzzWidths", session = impersonate)]
fn fuzz_widths(a: u16, b: i32, c: u64, d: i128, e: usize, f: u128) -> String {
    format!("{a} {b} {c} {d} {e} {f}")
}

/// Reverses a string, repeated up to `times` times; needs a session.
#[export_method(name = "FuzzText")]
fn fuzz_text(
    text: String,
    times: Option<u8>,
    #[out(sentinel = -1)] chars: &mut i64,
) -> Result<String, SessionError> {
    let reversed: String = text.chars().rev().collect();
    *chars = i64::try_from(reversed.chars().count()).unwrap_or(i64::MAX);
    Ok(reversed.repeat(usize::from(times.unwrap_or(1) % 4)))
}

/// Sums a list; a negative total is an error.
#[export_method(name = "FuzzList", session = none)]
fn fuzz_list(
    items: Vec<Option<i16>>,
    nested: Vec<Vec<u8>>,
    #[out] total: &mut i64,
    #[out(sentinel = String::from("failed"))] note: &mut String,
) -> Result<usize, String> {
    *total = items.iter().flatten().map(|&n| i64::from(n)).sum::<i64>()
        + nested.iter().flatten().map(|&n| i64::from(n)).sum::<i64>();
    *note = format!("{} items", items.len());
    if *total < 0 {
        return Err(format!("negative total {total}"));
    }
    Ok(items.len() + nested.len())
}

/// Always fails.
#[export_method(name = "FuzzFails", session = none)]
fn fuzz_fails(code: i32, #[out(sentinel = -1)] code_out: &mut i32) -> Result<(), String> {
    *code_out = code;
    Err(format!("failing on purpose with {code}"))
}

/// Panics when `trigger` is true, after writing its out parameter.
#[export_method(name = "FuzzPanics", session = impersonate)]
fn fuzz_panics(trigger: bool, text: String, #[out(sentinel = -7)] out: &mut i32) -> i64 {
    *out = 1;
    if trigger {
        // Inside a context of its own, so unwinding has a guard to restore.
        let engine = Engine::new();
        let _root = engine.impersonate_root();
        panic!("{PANIC_MARKER}: {}", text.len());
    }
    i64::try_from(text.len()).unwrap_or(i64::MAX)
}

/// Whether `id` is the current session's id, compared in constant time.
#[export_method(name = "FuzzIsMe")]
fn fuzz_is_me(
    session: &Session,
    id: SessionId,
    #[out] same: &mut bool,
) -> Result<String, SessionError> {
    *same = session.id().ct_eq(&id);
    Ok(session.id().to_string())
}

/// Floats, a char and a unit.
#[export_method(name = "FuzzFloats", session = none)]
fn fuzz_floats(x: f32, y: f64, c: char, _unit: ()) -> Result<f64, String> {
    let sum = f64::from(x) + y + f64::from(u32::from(c));
    if sum.is_nan() {
        return Err("NaN".into());
    }
    Ok(sum)
}

/// Gives back any value, and how many entries a map had.
#[export_method(name = "FuzzEcho", session = none)]
fn fuzz_echo(value: Value, map: BTreeMap<String, u32>, #[out] entries: &mut usize) -> Value {
    *entries = map.len();
    value
}

/// The names the decoder picks from (plus any string it reads).
pub const METHODS: [&str; 9] = [
    "FuzzAddI8",
    "FuzzWidths",
    "FuzzText",
    "FuzzList",
    "FuzzFails",
    "FuzzPanics",
    "FuzzIsMe",
    "FuzzFloats",
    "FuzzEcho",
];

// ---------------------------------------------------------------------------------------
// Decoding bytes into calls.

/// Reads fuzz input; past its end every read gives zeros or empty data.
pub struct Reader<'a> {
    data: &'a [u8],
    /// Ids of live sessions, which some `Value`s are drawn from.
    ids: Vec<String>,
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    pub fn new(data: &'a [u8]) -> Reader<'a> {
        Reader {
            data,
            ids: Vec::new(),
        }
    }

    fn byte(&mut self) -> u8 {
        match self.data.split_first() {
            Some((&first, rest)) => {
                self.data = rest;
                first
            }
            None => 0,
        }
    }

    fn take(&mut self, n: usize) -> &'a [u8] {
        let n = n.min(self.data.len());
        let (taken, rest) = self.data.split_at(n);
        self.data = rest;
        taken
    }

    fn u64(&mut self) -> u64 {
        let mut bytes = [0u8; 8];
        let taken = self.take(8);
        bytes[..taken.len()].copy_from_slice(taken);
        u64::from_le_bytes(bytes)
    }

    fn string(&mut self) -> String {
        let len = usize::from(self.byte() % 48);
        String::from_utf8_lossy(self.take(len)).into_owned()
    }

    /// A value nested at most `depth` more levels.
    pub fn value(&mut self, depth: u8) -> Value {
        match self.byte() % 12 {
            0 => Value::Null,
            1 => Value::Bool(self.byte() & 1 == 1),
            2 => Value::Int(self.u64() as i64),
            // Small integers, where every width's edges are.
            3 => Value::Int(i64::from(self.byte() as i8) * 256 + i64::from(self.byte())),
            4 => Value::UInt(self.u64()),
            5 => Value::Float(f64::from_bits(self.u64())),
            6 | 7 => Value::String(self.string()),
            8 => {
                let len = usize::from(self.byte() % 16);
                Value::Bytes(self.take(len).to_vec())
            }
            9 if depth > 0 => {
                let len = self.byte() % 6;
                Value::Array((0..len).map(|_| self.value(depth - 1)).collect())
            }
            10 if depth > 0 => {
                let len = self.byte() % 5;
                Value::Map(
                    (0..len)
                        .map(|_| (self.string(), self.value(depth - 1)))
                        .collect(),
                )
            }
            11 if !self.ids.is_empty() => {
                let index = usize::from(self.byte()) % self.ids.len();
                Value::String(self.ids[index].clone())
            }
            _ => Value::Null,
        }
    }
}

/// Where a fuzzed call runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Context {
    /// No session current: `methods().call`.
    Nothing,
    /// Inside an open session: `methods().call` under its guard.
    Entered,
    /// `Session::call` on an open session.
    SessionCall,
    /// `Session::call` on a session that was closed: must not run.
    ClosedSession,
    /// `Engine::call_as_root`.
    Root,
}

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(Engine::new)
}

/// What became of one fuzzed call: the name called and one of `closed`, `unknown`,
/// `arity`, `arg-type`, `ok`, `failed`, `panicked`. The replay checks that its seeds reach
/// every one of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ran {
    /// The method name that was called.
    pub method: String,
    /// What became of the call.
    pub kind: &'static str,
}

/// The fuzz target `call`: one host call decoded from `data`.
pub fn call(data: &[u8]) -> Ran {
    init();
    let mut input = Reader::new(data);
    let context = match input.byte() % 5 {
        0 => Context::Nothing,
        1 => Context::Entered,
        2 => Context::SessionCall,
        3 => Context::ClosedSession,
        _ => Context::Root,
    };
    let engine = engine();
    let session = engine.open().expect("the fuzz engine has no limit");
    input.ids.push(session.id().to_string());
    if context == Context::ClosedSession {
        engine.close(session.id()).expect("open until now");
    }

    let pick = input.byte();
    let name = match METHODS.get(usize::from(pick) % 16) {
        Some(name) if pick < 0xf0 => (*name).to_owned(),
        _ => input.string(),
    };
    let argc = input.byte() % 8;
    let args: Vec<Value> = (0..argc).map(|_| input.value(3)).collect();

    let before = current_id();
    let result = match context {
        Context::Nothing => methods().call(&name, args.clone()),
        Context::Entered => {
            let _guard = session.enter().expect("an open session, nothing current");
            let result = methods().call(&name, args.clone());
            assert_eq!(current_id(), Some(session.id()), "{name}: stack changed");
            result
        }
        Context::SessionCall | Context::ClosedSession => session.call(&name, args.clone()),
        Context::Root => engine.call_as_root(&name, args.clone()),
    };
    assert_eq!(current_id(), before, "{name}: the context stack changed");
    let kind = check_call(&name, &args, context, &session, &result);
    if context != Context::ClosedSession {
        engine.close(session.id()).expect("still open");
    }
    Ran { method: name, kind }
}

/// What a call's result must agree with.
fn check_call(
    name: &str,
    args: &[Value],
    context: Context,
    session: &Session,
    result: &Result<CallOutcome, CallError>,
) -> &'static str {
    if context == Context::ClosedSession {
        assert_eq!(
            result,
            &Err(CallError::Session(SessionError::NotFound(session.id()))),
            "{name} ran in a closed session"
        );
        return "closed";
    }
    let Some(info) = methods().get(name) else {
        assert_eq!(result, &Err(CallError::UnknownMethod(name.to_owned())));
        return "unknown";
    };
    let inputs = info.inputs().count();
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(CallError::Arity { expected, got, .. }) => {
            assert_eq!((*expected, *got), (inputs, args.len()), "{name}");
            assert_ne!(inputs, args.len(), "{name}: arity error on the right count");
            return "arity";
        }
        Err(CallError::ArgType { param, .. }) => {
            assert_eq!(inputs, args.len(), "{name}: arity is checked first");
            assert!(info.inputs().any(|p| p.name() == param), "{name}: {param}");
            return "arg-type";
        }
        Err(other) => panic!("{name}: unexpected call error {other}"),
    };
    assert_eq!(inputs, args.len(), "{name} ran with the wrong arity");
    let out_names: Vec<_> = info
        .params()
        .iter()
        .filter(|p| p.direction() == Direction::Out)
        .map(|p| p.name())
        .collect();
    let got_names: Vec<_> = outcome.outs.iter().map(|(n, _)| *n).collect();
    assert_eq!(got_names, out_names, "{name}: outs in parameter order");
    if outcome.error.is_some() {
        assert_eq!(outcome.value, Value::Null, "{name}: a failure returns Null");
    }
    check_method(name, args, context, outcome);
    match outcome.error.as_deref() {
        None => "ok",
        Some(error) if error.starts_with("panicked: ") => "panicked",
        Some(_) => "failed",
    }
}

/// Method by method: the value, the outs and the error are what the body makes of `args`
/// (which converted, since the call ran).
fn check_method(name: &str, args: &[Value], context: Context, outcome: &CallOutcome) {
    let arg = |i: usize| args[i].clone();
    let has_session = matches!(context, Context::Entered | Context::SessionCall);
    match name {
        "FuzzAddI8" => {
            let (a, b) = (
                i8::from_value(arg(0)).expect("ran"),
                i8::from_value(arg(1)).expect("ran"),
            );
            match a.checked_add(b) {
                Some(sum) => {
                    assert_eq!(outcome.value, Value::from(sum));
                    assert_eq!(outcome.out("wider"), Some(&Value::from(i16::from(sum))));
                }
                None => {
                    assert!(outcome
                        .error
                        .as_deref()
                        .is_some_and(|e| e.contains("overflows")));
                    assert_eq!(outcome.out("wider"), Some(&Value::from(-1)));
                }
            }
        }
        "FuzzText" => {
            if has_session || context == Context::Root {
                assert!(outcome.is_ok(), "{outcome:?}");
                let text = String::from_value(arg(0)).expect("ran");
                let chars = i64::try_from(text.chars().count()).expect("small");
                assert_eq!(outcome.out("chars"), Some(&Value::from(chars)));
            } else {
                assert_eq!(
                    outcome.error.as_deref(),
                    Some(SessionError::NoContext.to_string().as_str())
                );
                assert_eq!(outcome.out("chars"), Some(&Value::from(-1)));
            }
        }
        "FuzzList" => {
            let note = outcome.out("note").and_then(Value::as_str);
            match &outcome.error {
                Some(error) => {
                    assert!(error.starts_with("negative total"), "{error}");
                    assert_eq!(note, Some("failed"));
                }
                None => assert!(outcome.out("total").and_then(Value::as_i64) >= Some(0)),
            }
        }
        "FuzzFails" => {
            assert!(outcome
                .error
                .as_deref()
                .is_some_and(|e| e.starts_with("failing")));
            assert_eq!(outcome.out("code_out"), Some(&Value::from(-1)));
        }
        "FuzzPanics" => {
            if bool::from_value(arg(0)).expect("ran") {
                let error = outcome.error.as_deref().unwrap_or_default();
                assert!(error.starts_with("panicked: ") && error.contains(PANIC_MARKER));
                assert_eq!(outcome.out("out"), Some(&Value::from(-7)));
            } else {
                assert!(outcome.is_ok(), "{outcome:?}");
                assert_eq!(outcome.out("out"), Some(&Value::from(1)));
            }
        }
        "FuzzIsMe" => {
            if let Some(me) = outcome.value.as_str() {
                let asked = SessionId::from_value(arg(0)).expect("ran");
                let same = asked.to_string() == me;
                assert_eq!(outcome.out("same"), Some(&Value::from(same)));
            } else {
                assert!(!has_session && context != Context::Root, "{outcome:?}");
            }
        }
        "FuzzEcho" => {
            // NaN is not equal to itself: compare the text too, which shows it.
            let echoed = &outcome.value;
            assert!(*echoed == arg(0) || echoed.to_string() == arg(0).to_string());
            let map = BTreeMap::<String, u32>::from_value(arg(1)).expect("ran");
            assert_eq!(outcome.out("entries"), Some(&Value::from(map.len())));
        }
        _ => {}
    }
}

/// The fuzz target `session_id`: text to `SessionId`.
pub fn session_id(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let canonical =
        text.len() == 32 && text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    let parsed = SessionId::from_str(&text);
    match &parsed {
        Ok(id) => {
            assert!(canonical, "{text:?} was accepted");
            assert_eq!(id.to_string(), text);
            assert!(id.ct_eq(id));
            let flipped =
                SessionId::from_str(&format!("{:032x}", id.as_u128() ^ 1)).expect("32 hex digits");
            assert!(!id.ct_eq(&flipped) && *id != flipped);
        }
        Err(err) => {
            assert!(!canonical, "{text:?} was refused: {err}");
            assert!(!err.to_string().is_empty());
        }
    }
    let from_value = SessionId::from_value(Value::String(text.clone().into_owned()));
    assert_eq!(from_value.ok(), parsed.as_ref().ok().copied());
    // An id from outside is unknown to an engine unless it is live there.
    if let Ok(id) = parsed {
        assert_eq!(engine().get(id).map(|s| s.id()), None);
    }
}

/// The fuzz target `json`: text to `Value`, then into every type.
pub fn json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(value) = Value::from_json_str(&text) else {
        return;
    };
    let written = value.to_json_string();
    assert_eq!(
        Value::from_json_str(&written).ok(),
        Some(value.clone()),
        "{text:?} → {written}"
    );
    let _ = value.to_string();
    macro_rules! each {
        ($($t:ty),*) => {$( let _ = <$t>::from_value(value.clone()); )*};
    }
    each!(
        i8,
        u16,
        i32,
        u64,
        i128,
        u128,
        usize,
        f32,
        f64,
        bool,
        char,
        String,
        (),
        SessionId,
        Option<i64>,
        Vec<u8>,
        Vec<Option<String>>,
        BTreeMap<String, Value>,
        HashMap<String, Vec<i16>>
    );
}
