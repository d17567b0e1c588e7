//! The bench's client processes: this binary re-executed in a client role, spoken to by
//! lines on its stdin and stdout. A [`ChildProcess`] is killed when dropped, so a measure
//! that fails (or panics) leaves no client behind; every wait for one of its lines has a
//! deadline.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// One client process and the lines it printed, read by a thread of their own.
pub struct ChildProcess {
    role: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
}

impl ChildProcess {
    /// Starts this binary with `args` (the first is the role, `--…-client`).
    pub fn spawn(args: &[String]) -> Result<ChildProcess, String> {
        let role = args.first().cloned().unwrap_or_default();
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let mut child = Command::new(exe)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("start {role}: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().ok_or("the child's stdout")?;
        let (sender, lines) = mpsc::channel();
        // Ends with the child's stdout (its exit, or its kill on drop).
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Ok(ChildProcess {
            role,
            child,
            stdin,
            lines,
        })
    }

    /// The child's pid.
    pub fn id(&self) -> u32 {
        self.child.id()
    }

    /// Its next line, within `deadline`.
    pub fn line(&mut self, deadline: Duration) -> Result<String, String> {
        match self.lines.recv_timeout(deadline) {
            Ok(line) => Ok(line),
            Err(RecvTimeoutError::Timeout) => Err(format!(
                "{} (pid {}) said nothing for {deadline:?}",
                self.role,
                self.id()
            )),
            Err(RecvTimeoutError::Disconnected) => Err(format!(
                "{} (pid {}) ended: {:?}",
                self.role,
                self.id(),
                self.child.try_wait()
            )),
        }
    }

    /// Its next line, which must start with `word`: the rest of it.
    pub fn expect(&mut self, word: &str, deadline: Duration) -> Result<String, String> {
        let line = self.line(deadline)?;
        match line.strip_prefix(word) {
            Some(rest) => Ok(rest.trim().to_owned()),
            None => Err(format!("{} said {line:?}, not `{word} …`", self.role)),
        }
    }

    /// Closes its stdin (which tells it to end) and waits, within `deadline`, for it to
    /// exit with success.
    pub fn finish(mut self, deadline: Duration) -> Result<(), String> {
        self.stdin = None;
        let end = Instant::now() + deadline;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) if status.success() => return Ok(()),
                Ok(Some(status)) => return Err(format!("{} failed: {status}", self.role)),
                Ok(None) if Instant::now() < end => std::thread::sleep(POLL),
                Ok(None) => return Err(format!("{} did not end in {deadline:?}", self.role)),
                Err(e) => return Err(format!("wait for {}: {e}", self.role)),
            }
        }
    }
}

/// How often [`ChildProcess::finish`] looks whether the child has ended.
const POLL: Duration = Duration::from_millis(5);

impl Drop for ChildProcess {
    fn drop(&mut self) {
        // Already ended after `finish`; otherwise a failed measure's: stop it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Blocks until this process's stdin closes (the parent's [`ChildProcess::finish`], or
/// its death), on a thread of its own; the returned receiver then yields.
pub fn stdin_closed() -> tokio::sync::oneshot::Receiver<()> {
    let (closed, receiver) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = std::io::Read::read_to_end(&mut std::io::stdin(), &mut sink);
        let _ = closed.send(());
    });
    receiver
}

/// The soft limit on this process's open files (`Max open files` in `/proc/self/limits`).
pub fn open_file_limit() -> Result<usize, String> {
    let limits = std::fs::read_to_string("/proc/self/limits")
        .map_err(|e| format!("/proc/self/limits: {e} (the bench sizes itself from it)"))?;
    let line = limits
        .lines()
        .find(|line| line.starts_with("Max open files"))
        .ok_or("no `Max open files` in /proc/self/limits")?;
    let soft = line
        .split_whitespace()
        .nth(3)
        .ok_or("a short `Max open files` line")?;
    soft.parse()
        .map_err(|e| format!("Max open files {soft:?}: {e}"))
}

/// How many files this process has open now.
pub fn open_files() -> Result<usize, String> {
    Ok(std::fs::read_dir("/proc/self/fd")
        .map_err(|e| format!("/proc/self/fd: {e}"))?
        .count())
}
