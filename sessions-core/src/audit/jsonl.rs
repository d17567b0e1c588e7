//! [`JsonLinesFile`]: an append-only file of audit records, one JSON object a line, rotated
//! by size.

use std::fs::{self, File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::audit::{AuditError, AuditRecord, AuditSink};
use crate::lock::lock;

/// When a [`JsonLinesFile`] hands what it wrote to the system.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FlushPolicy {
    /// After every record (the default): a crash of the process loses nothing written.
    #[default]
    EveryRecord,
    /// When the sink is flushed: by an [`AuditQueue`](crate::audit::AuditQueue) after each
    /// batch it writes, so fewer system calls under load.
    Batch,
}

/// An append-only file of audit records: one JSON object a line ([`AuditRecord`]'s form),
/// rotated by size.
///
/// When a record would take the file past [`max_bytes`](JsonLinesBuilder::max_bytes), the
/// file is rotated first: `audit.jsonl` becomes `audit.jsonl.1`, `audit.jsonl.1` becomes
/// `audit.jsonl.2`, and so on up to [`keep`](JsonLinesBuilder::keep); the oldest beyond
/// `keep` is removed (logged at INFO). A record longer than `max_bytes` is written alone in
/// a file. [`JsonLinesFile::read_all`] reads every file back, oldest first.
///
/// Writing is on the caller's path: an engine gets it through an
/// [`AuditQueue`](crate::audit::AuditQueue), so a slow disk does not slow calls.
///
/// ```
/// use sessions_core::audit::{AuditHost, AuditKind, AuditRecord, AuditSink, JsonLinesFile};
///
/// # let dir = std::env::temp_dir().join(format!("sessions-audit-doc-{}", std::process::id()));
/// # std::fs::create_dir_all(&dir)?;
/// let path = dir.join("audit.jsonl");
/// # let _ = std::fs::remove_file(&path);
/// let file = JsonLinesFile::builder(&path).max_bytes(1 << 20).keep(5).open()?;
/// file.record(AuditRecord::new(AuditHost::Rust, AuditKind::Call, "add"))?;
/// let records = JsonLinesFile::read_all(&path)?;
/// assert_eq!(records[0].target, "add");
/// # std::fs::remove_dir_all(&dir)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct JsonLinesFile {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    flush: FlushPolicy,
    open: Mutex<Open>,
}

/// The settings of a [`JsonLinesFile`]; from [`JsonLinesFile::builder`].
#[derive(Clone, Debug)]
pub struct JsonLinesBuilder {
    path: PathBuf,
    max_bytes: u64,
    keep: usize,
    flush: FlushPolicy,
}

/// The file being written, and its length.
#[derive(Debug)]
struct Open {
    file: Option<BufWriter<File>>,
    len: u64,
}

impl JsonLinesFile {
    /// The settings for the file at `path`, with the defaults: rotated at 64 MiB, 10 old
    /// files kept, flushed after every record.
    pub fn builder(path: impl AsRef<Path>) -> JsonLinesBuilder {
        JsonLinesBuilder {
            path: path.as_ref().to_path_buf(),
            max_bytes: 64 << 20,
            keep: 10,
            flush: FlushPolicy::EveryRecord,
        }
    }

    /// The file at `path` with the default settings, opened to append.
    pub fn open(path: impl AsRef<Path>) -> Result<JsonLinesFile, AuditError> {
        JsonLinesFile::builder(path).open()
    }

    /// The file written to now.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The path of the `index`-th rotated file (`audit.jsonl.1` is the newest of them).
    pub fn rotated_path(path: &Path, index: usize) -> PathBuf {
        let mut name = path.as_os_str().to_owned();
        name.push(format!(".{index}"));
        PathBuf::from(name)
    }

    /// Every record in the file at `path` and in its rotated files, oldest first: the
    /// rotated files from the highest number down to `.1`, then `path` itself.
    pub fn read_all(path: impl AsRef<Path>) -> Result<Vec<AuditRecord>, AuditError> {
        let path = path.as_ref();
        let mut files = Vec::new();
        for index in 1.. {
            let rotated = JsonLinesFile::rotated_path(path, index);
            if !rotated.exists() {
                break;
            }
            files.push(rotated);
        }
        files.reverse();
        if path.exists() {
            files.push(path.to_path_buf());
        }
        let mut records = Vec::new();
        for file in files {
            let reader = BufReader::new(File::open(&file).map_err(|source| io(&file, source))?);
            for (number, line) in reader.lines().enumerate() {
                let line = line.map_err(|source| io(&file, source))?;
                let record = serde_json::from_str(&line).map_err(|source| AuditError::Parse {
                    path: file.clone(),
                    line: number + 1,
                    source,
                })?;
                records.push(record);
            }
        }
        Ok(records)
    }

    /// Writes `line` (with its end), rotating first if it would take the file past its size.
    fn write_line(&self, line: &[u8]) -> Result<(), AuditError> {
        let mut open = lock(&self.open);
        let len = line.len() as u64;
        self.reopen(&mut open)?;
        if open.len > 0 && open.len.saturating_add(len) > self.max_bytes {
            self.rotate(&mut open)?;
            self.reopen(&mut open)?;
        }
        let Open {
            file: Some(file), ..
        } = &mut *open
        else {
            return Err(io(
                &self.path,
                std::io::Error::other("the file is not open"),
            ));
        };
        let written = file
            .write_all(line)
            .and_then(|()| match self.flush {
                FlushPolicy::EveryRecord => file.flush(),
                FlushPolicy::Batch => Ok(()),
            })
            .map_err(|source| io(&self.path, source));
        if written.is_err() {
            // What reached the file is unknown: start over from the file as it is.
            open.file = None;
        } else {
            open.len = open.len.saturating_add(len);
        }
        written
    }

    /// Opens the file again if it was closed (rotated, or after a failed write).
    fn reopen(&self, open: &mut Open) -> Result<(), AuditError> {
        if open.file.is_none() {
            let (file, len) = self.append()?;
            open.file = Some(file);
            open.len = len;
        }
        Ok(())
    }

    /// Closes the file, shifts the rotated files up by one (removing the oldest beyond
    /// `keep`) and makes the file `.1`; the next write starts a new file.
    fn rotate(&self, open: &mut Open) -> Result<(), AuditError> {
        if let Some(mut file) = open.file.take() {
            file.flush().map_err(|source| io(&self.path, source))?;
        }
        // The rotated files are `.1` up to the first number missing (`read_all` reads the
        // same ones): shift them up by one, the oldest beyond `keep` removed.
        let count = (1..=self.keep)
            .take_while(|&index| JsonLinesFile::rotated_path(&self.path, index).exists())
            .count();
        if count == self.keep {
            let oldest = JsonLinesFile::rotated_path(&self.path, self.keep);
            fs::remove_file(&oldest).map_err(|source| io(&oldest, source))?;
            tracing::info!(file = %oldest.display(), keep = self.keep, "audit file removed by rotation");
        }
        for index in (1..=count.min(self.keep - 1)).rev() {
            let from = JsonLinesFile::rotated_path(&self.path, index);
            let to = JsonLinesFile::rotated_path(&self.path, index + 1);
            fs::rename(&from, &to).map_err(|source| io(&from, source))?;
        }
        let first = JsonLinesFile::rotated_path(&self.path, 1);
        fs::rename(&self.path, &first).map_err(|source| io(&self.path, source))?;
        open.len = 0;
        Ok(())
    }

    /// The file opened to append (made if missing), and its length.
    fn append(&self) -> Result<(BufWriter<File>, u64), AuditError> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|source| io(&self.path, source))?;
        let len = file
            .metadata()
            .map_err(|source| io(&self.path, source))?
            .len();
        Ok((BufWriter::new(file), len))
    }
}

impl AuditSink for JsonLinesFile {
    fn record(&self, record: AuditRecord) -> Result<(), AuditError> {
        let mut line = record.to_json_line().into_bytes();
        line.push(b'\n');
        self.write_line(&line)
    }

    fn flush(&self) -> Result<(), AuditError> {
        let mut open = lock(&self.open);
        match &mut open.file {
            Some(file) => file.flush().map_err(|source| io(&self.path, source)),
            None => Ok(()),
        }
    }
}

impl Drop for JsonLinesFile {
    fn drop(&mut self) {
        if let Err(error) = AuditSink::flush(self) {
            tracing::error!(%error, "audit file not flushed at its close: its last records may be lost");
        }
    }
}

impl JsonLinesBuilder {
    /// The size past which the file is rotated (default 64 MiB; at least 1 byte).
    pub fn max_bytes(mut self, bytes: u64) -> JsonLinesBuilder {
        self.max_bytes = bytes.max(1);
        self
    }

    /// How many rotated files are kept (default 10; at least 1).
    pub fn keep(mut self, files: usize) -> JsonLinesBuilder {
        self.keep = files.max(1);
        self
    }

    /// When what is written is handed to the system (default: after every record).
    pub fn flush(mut self, policy: FlushPolicy) -> JsonLinesBuilder {
        self.flush = policy;
        self
    }

    /// Opens the file to append (making it, not its folder, if it is missing).
    pub fn open(self) -> Result<JsonLinesFile, AuditError> {
        let sink = JsonLinesFile {
            path: self.path,
            max_bytes: self.max_bytes,
            keep: self.keep,
            flush: self.flush,
            open: Mutex::new(Open { file: None, len: 0 }),
        };
        let (file, len) = sink.append()?;
        *lock(&sink.open) = Open {
            file: Some(file),
            len,
        };
        Ok(sink)
    }
}

fn io(path: &Path, source: std::io::Error) -> AuditError {
    AuditError::Io {
        path: path.to_path_buf(),
        source,
    }
}
