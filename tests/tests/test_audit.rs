//! `sessions_core::audit`: records as JSON, the tracing sink's events, the JSON-lines file
//! and its rotation (no record lost or duplicated across it), and the queue that keeps a
//! slow sink off the caller's path and counts what it drops.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use sessions_core::audit::{
    AuditError, AuditHost, AuditKind, AuditOutcome, AuditQueue, AuditRecord, AuditSink,
    FlushPolicy, JsonLinesFile, TracingSink,
};
use sessions_core::{SessionId, Value};
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::Layer;

/// How long a test waits for another thread before it fails.
const PATIENCE: Duration = Duration::from_secs(30);

/// One `tracing` event: its target, level and fields rendered to text.
type Event = Vec<(String, String)>;

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<Event>>>);

struct Fields<'a>(&'a mut Event);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0.push((field.name().to_owned(), format!("{value:?}")));
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push((field.name().to_owned(), value.to_owned()));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.push((field.name().to_owned(), value.to_string()));
    }
}

impl<S: tracing::Subscriber> Layer<S> for Captured {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        let metadata = event.metadata();
        let mut fields = vec![
            ("@target".to_owned(), metadata.target().to_owned()),
            ("@level".to_owned(), metadata.level().to_string()),
        ];
        event.record(&mut Fields(&mut fields));
        self.0.lock().expect("lock").push(fields);
    }
}

impl Captured {
    /// The events that have `key` = `value`.
    fn with(&self, key: &str, value: &str) -> Vec<Event> {
        self.0
            .lock()
            .expect("lock")
            .iter()
            .filter(|event| field(event, key) == Some(value))
            .cloned()
            .collect()
    }
}

fn field<'e>(event: &'e Event, key: &str) -> Option<&'e str> {
    event
        .iter()
        .find(|(name, _)| name == key)
        .map(|(_, value)| value.as_str())
}

/// The queue's writer logs on its own thread: only a global subscriber sees it.
fn captured() -> &'static Captured {
    static CAPTURED: OnceLock<Captured> = OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let subscriber = tracing_subscriber::registry().with(captured.clone());
        tracing::subscriber::set_global_default(subscriber).expect("only subscriber");
        captured
    })
}

/// A folder of its own for one test, empty, under the target folder.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("test_audit-{test}"));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

/// A call record numbered `n` (in its arguments), with a target of `len` characters.
fn numbered(n: u64, len: usize) -> AuditRecord {
    let mut record = AuditRecord::new(AuditHost::Web, AuditKind::Call, "m".repeat(len));
    record.user = Some("alice".to_owned());
    record.args = Some(Value::from(n));
    record
}

fn number(record: &AuditRecord) -> u64 {
    record
        .args
        .as_ref()
        .and_then(Value::as_u64)
        .expect("a numbered record")
}

/// A sink that blocks in its first `record` until released, and keeps what it is given.
struct Blocking {
    entered: Mutex<Option<mpsc::Sender<()>>>,
    release: Mutex<mpsc::Receiver<()>>,
    seen: Arc<Mutex<Vec<u64>>>,
}

impl AuditSink for Blocking {
    fn record(&self, record: AuditRecord) -> Result<(), AuditError> {
        if let Some(entered) = self.entered.lock().expect("lock").take() {
            entered.send(()).expect("the test waits");
            // Bounded: a test that never releases fails on its own deadline first.
            let _ = self.release.lock().expect("lock").recv_timeout(PATIENCE);
        }
        self.seen.lock().expect("lock").push(number(&record));
        Ok(())
    }
}

#[test]
fn a_blocked_sink_does_not_slow_calls_and_its_drops_are_counted_exactly() {
    let captured = captured();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Blocking {
        entered: Mutex::new(Some(entered_tx)),
        release: Mutex::new(release_rx),
        seen: Arc::clone(&seen),
    };
    const CAPACITY: u64 = 8;
    const OVER: u64 = 1000;
    let queue = AuditQueue::builder(sink)
        .capacity(CAPACITY as usize)
        .spawn()
        .expect("spawn");
    queue.record(numbered(0, 3)).expect("queued");
    entered
        .recv_timeout(PATIENCE)
        .expect("the writer took record 0 and blocks");

    // The sink is blocked until `release` below: every call here returns without it.
    let start = Instant::now();
    for n in 1..=CAPACITY + OVER {
        queue.record(numbered(n, 3)).expect("never an error");
    }
    let elapsed = start.elapsed();
    println!(
        "{} record calls with the sink blocked: {elapsed:?}",
        CAPACITY + OVER
    );
    assert_eq!(queue.dropped(), OVER);
    assert_eq!(queue.pending(), CAPACITY + 1);
    assert!(
        seen.lock().expect("lock").is_empty(),
        "the sink is still blocked"
    );

    release.send(()).expect("the sink waits");
    queue.flush_within(PATIENCE).expect("written");
    let expected: Vec<u64> = (0..=CAPACITY).collect();
    assert_eq!(*seen.lock().expect("lock"), expected);
    assert_eq!(queue.written(), CAPACITY + 1);
    assert_eq!(queue.dropped(), OVER);

    // Every drop is told of at WARN, at once for the first, the rest at the latest on close.
    drop(queue);
    let warnings = captured.with("dropped_total", &OVER.to_string());
    assert!(!warnings.is_empty(), "a warning with the total");
    let told: u64 = captured
        .with(
            "message",
            "audit queue full: records dropped (the sink is slower than the calls)",
        )
        .iter()
        .filter(|event| field(event, "capacity") == Some(&CAPACITY.to_string()))
        .filter_map(|event| field(event, "dropped_now")?.parse::<u64>().ok())
        .sum();
    assert_eq!(told, OVER);
    assert!(warnings
        .iter()
        .all(|event| field(event, "@level") == Some("WARN")
            && field(event, "@target") == Some("sessions::audit")));
}

#[test]
fn the_tracing_sink_writes_one_event_with_every_field() {
    let captured = captured();
    let session = SessionId::random();
    let mut record = AuditRecord::new(AuditHost::Opcua, AuditKind::Write, "Line1/Oven.Target");
    record.session = Some(session);
    record.user = Some("tracing-sink-user".to_owned());
    record.peer = Some("192.0.2.7".to_owned());
    record.outcome = AuditOutcome::Refused;
    record.duration = Duration::from_nanos(1234);
    record.args = Some(Value::from(21.5));
    TracingSink.record(record.clone()).expect("an event");

    let events = captured.with("user", "tracing-sink-user");
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    let time = serde_json::to_value(&record).expect("JSON")["time"]
        .as_str()
        .expect("text")
        .to_owned();
    for (key, value) in [
        ("@target", "sessions::audit"),
        ("@level", "INFO"),
        ("message", "audit"),
        ("time", time.as_str()),
        ("host", "opcua"),
        ("kind", "write"),
        ("session", session.to_string().as_str()),
        ("peer", "192.0.2.7"),
        ("target", "Line1/Oven.Target"),
        ("outcome", "refused"),
        ("duration_ns", "1234"),
        ("args", "21.5"),
    ] {
        assert_eq!(field(event, key), Some(value), "{key} in {event:?}");
    }
}

/// Fails on every third record and panics on the fifth.
struct Flaky(AtomicUsize);

impl AuditSink for Flaky {
    fn record(&self, _: AuditRecord) -> Result<(), AuditError> {
        let n = self.0.fetch_add(1, Ordering::SeqCst);
        if n == 4 {
            panic!("flaky sink panics");
        }
        if n % 3 == 2 {
            return Err(AuditError::Sink {
                message: "disk full".to_owned(),
            });
        }
        Ok(())
    }
}

#[test]
fn records_a_sink_fails_on_are_counted_and_logged_and_the_writer_goes_on() {
    let captured = captured();
    let queue = AuditQueue::builder(Flaky(AtomicUsize::new(0)))
        .spawn()
        .expect("spawn");
    for n in 0..9 {
        queue.record(numbered(n, 1)).expect("queued");
    }
    queue.flush_within(PATIENCE).expect("handed over");
    // Failures at 2, 5, 8 and the panic at 4.
    assert_eq!(queue.failed(), 4);
    assert_eq!(queue.written(), 5);
    assert_eq!(queue.dropped(), 0);
    let errors = captured.with("message", "audit sink failed: records not written");
    assert!(
        errors
            .iter()
            .any(|event| field(event, "@level") == Some("ERROR")),
        "{errors:?}"
    );
}

#[test]
fn dropping_the_queue_writes_what_it_holds() {
    let dir = scratch("close");
    let path = dir.join("audit.jsonl");
    let file = JsonLinesFile::builder(&path)
        .flush(FlushPolicy::Batch)
        .open()
        .expect("open");
    let queue = AuditQueue::builder(file).spawn().expect("spawn");
    for n in 0..2000 {
        queue.record(numbered(n, 10)).expect("queued");
    }
    drop(queue);
    let numbers: Vec<u64> = JsonLinesFile::read_all(&path)
        .expect("reads")
        .iter()
        .map(number)
        .collect();
    assert_eq!(numbers, (0..2000).collect::<Vec<_>>());
}

#[test]
fn a_queue_closed_past_its_deadline_counts_and_logs_what_it_could_not_write() {
    let captured = captured();
    let (entered_tx, entered) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let sink = Blocking {
        entered: Mutex::new(Some(entered_tx)),
        release: Mutex::new(release_rx),
        seen: Arc::new(Mutex::new(Vec::new())),
    };
    let queue = AuditQueue::builder(sink)
        .close_deadline(Duration::from_millis(50))
        .spawn()
        .expect("spawn");
    for n in 0..7 {
        queue.record(numbered(n, 1)).expect("queued");
    }
    entered.recv_timeout(PATIENCE).expect("the writer blocks");
    assert!(matches!(
        queue.flush_within(Duration::from_millis(10)),
        Err(AuditError::Timeout { pending: 7 })
    ));
    drop(queue); // returns after its deadline, the sink still blocked
    let lost = captured.with(
        "message",
        "audit queue closed before its sink wrote every record: these are lost",
    );
    assert!(
        lost.iter()
            .any(|event| field(event, "unwritten") == Some("7")),
        "{lost:?}"
    );
    release.send(()).expect("the writer thread ends");
}

#[test]
fn the_file_is_appended_to_when_opened_again() {
    let dir = scratch("reopen");
    let path = dir.join("audit.jsonl");
    for n in 0..3 {
        let file = JsonLinesFile::open(&path).expect("open");
        file.record(numbered(n, 5)).expect("written");
    }
    let text = fs::read_to_string(&path).expect("read");
    assert_eq!(text.lines().count(), 3);
    assert!(text
        .lines()
        .all(|line| line.starts_with('{') && line.ends_with('}')));
    let numbers: Vec<u64> = JsonLinesFile::read_all(&path)
        .expect("reads")
        .iter()
        .map(number)
        .collect();
    assert_eq!(numbers, [0, 1, 2]);
}

#[test]
fn rotation_keeps_the_newest_files_and_removes_the_oldest() {
    let dir = scratch("keep");
    let path = dir.join("audit.jsonl");
    let line = numbered(0, 100).to_json_line().len() as u64 + 1;
    // Two records a file.
    let file = JsonLinesFile::builder(&path)
        .max_bytes(2 * line + 2)
        .keep(3)
        .open()
        .expect("open");
    for n in 0..20 {
        file.record(numbered(n, 100)).expect("written");
    }
    for index in 1..=3 {
        assert!(
            JsonLinesFile::rotated_path(&path, index).exists(),
            "{index}"
        );
    }
    assert!(!JsonLinesFile::rotated_path(&path, 4).exists());
    let numbers: Vec<u64> = JsonLinesFile::read_all(&path)
        .expect("reads")
        .iter()
        .map(number)
        .collect();
    assert_eq!(numbers, (12..20).collect::<Vec<_>>());
}

#[test]
fn a_line_that_is_not_a_record_is_an_error_naming_the_file_and_line() {
    let dir = scratch("parse");
    let path = dir.join("audit.jsonl");
    let good = numbered(0, 1).to_json_line();
    fs::write(&path, format!("{good}\n{{\"time\":1}}\n")).expect("write");
    match JsonLinesFile::read_all(&path) {
        Err(AuditError::Parse {
            line: 2,
            path: file,
            ..
        }) => assert_eq!(file, path),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Records of random sizes, written through rotation at a random size (straight to the
    /// file, or through a queue with batched flushes), read back from all the files: each
    /// record exactly once, in order, and no file past its size unless it holds one record.
    #[test]
    fn no_record_is_lost_or_duplicated_across_rotation(
        sizes in proptest::collection::vec(0usize..400, 1..120),
        max_bytes in 120u64..3000,
        through_queue in any::<bool>(),
    ) {
        static CASE: AtomicUsize = AtomicUsize::new(0);
        let dir = scratch(&format!("prop-{}", CASE.fetch_add(1, Ordering::SeqCst)));
        let path = dir.join("audit.jsonl");
        let file = JsonLinesFile::builder(&path)
            .max_bytes(max_bytes)
            .keep(10_000)
            .flush(if through_queue { FlushPolicy::Batch } else { FlushPolicy::EveryRecord })
            .open()
            .expect("open");
        let records: Vec<AuditRecord> = sizes
            .iter()
            .enumerate()
            .map(|(n, len)| numbered(n as u64, *len))
            .collect();
        if through_queue {
            let queue = AuditQueue::builder(file).capacity(records.len()).spawn().expect("spawn");
            for record in &records {
                queue.record(record.clone()).expect("queued");
            }
            queue.flush_within(PATIENCE).expect("written");
            prop_assert_eq!(queue.dropped(), 0);
            prop_assert_eq!(queue.failed(), 0);
        } else {
            for record in &records {
                file.record(record.clone()).expect("written");
            }
            drop(file);
        }
        let back = JsonLinesFile::read_all(&path).expect("reads");
        prop_assert_eq!(back.len(), records.len());
        for (read, written) in back.iter().zip(&records) {
            prop_assert_eq!(number(read), number(written));
            prop_assert_eq!(&read.target, &written.target);
        }
        for index in 1.. {
            let rotated = JsonLinesFile::rotated_path(&path, index);
            if !rotated.exists() {
                break;
            }
            let text = fs::read_to_string(&rotated).expect("read");
            prop_assert!(
                text.len() as u64 <= max_bytes || text.lines().count() == 1,
                "{} bytes in {}", text.len(), rotated.display()
            );
        }
        let _ = fs::remove_dir_all(&dir);
    }
}
