//! A child process in a process group of its own, with everything it starts (chromedriver's
//! Chromium and its helpers), killed whole when the handle drops.
//!
//! Dropping covers a test that ends or fails; a test process that is killed drops
//! nothing, so a watchdog joins the group: a shell reading its stdin from this process,
//! which reads end-of-file when this process is gone, whatever ended it, and then kills the
//! group.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// How long the group has to end after `SIGTERM` before it gets `SIGKILL`.
const TERM_PATIENCE: Duration = Duration::from_secs(3);

/// A process group led by a child of this process; killed on drop.
pub struct Group {
    name: String,
    leader: Child,
    watchdog: Child,
    /// Held open for the watchdog: closed when this process goes.
    _watchdog_stdin: Option<ChildStdin>,
}

impl Group {
    /// Starts `command` as the leader of a new process group, and the group's watchdog.
    pub fn spawn(name: &str, mut command: Command) -> io::Result<Group> {
        let mut leader = command.process_group(0).spawn()?;
        let pgid = leader.id();
        let watchdog = Command::new("sh")
            .args(["-c", r#"read _; kill -s KILL -- -"$0""#])
            .arg(pgid.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(i32::try_from(pgid).map_err(io::Error::other)?)
            .spawn();
        let mut watchdog = match watchdog {
            Ok(watchdog) => watchdog,
            Err(error) => {
                let _ = leader.kill();
                let _ = leader.wait();
                return Err(error);
            }
        };
        Ok(Group {
            name: name.to_owned(),
            _watchdog_stdin: watchdog.stdin.take(),
            leader,
            watchdog,
        })
    }

    /// The leader, to take its stdout or ask whether it is still running.
    pub fn leader(&mut self) -> &mut Child {
        &mut self.leader
    }

    /// Whether the leader has exited, and how.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.leader.try_wait().ok().flatten()
    }

    /// Sends `signal` to every process of the group.
    fn signal(&self, signal: &str) {
        let _ = Command::new("sh")
            .args(["-c", r#"kill -s "$0" -- -"$1" 2>/dev/null"#, signal])
            .arg(self.leader.id().to_string())
            .stdin(Stdio::null())
            .status();
    }
}

impl Drop for Group {
    fn drop(&mut self) {
        // A polite end first (chromedriver then closes its browsers), then no choice.
        self.signal("TERM");
        let deadline = Instant::now() + TERM_PATIENCE;
        while self.exited().is_none() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        if self.exited().is_none() {
            eprintln!("{} did not end on SIGTERM: killing its group", self.name);
        }
        // Also the group's other processes, should any outlive the leader.
        self.signal("KILL");
        let _ = self.leader.wait();
        let _ = self.watchdog.wait();
    }
}
