//! Connections to Redis: a small pool for calls made by the application's threads, and
//! fresh connections for the farm's own threads. A connection that failed is dropped, and
//! the next call makes a new one, so a restarted Redis is reached again by itself.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use redis::{Connection, ConnectionLike, RedisError, RedisResult};

use super::keys::redact;
use super::scripts;
use super::FarmError;
use crate::lock::lock;

/// How many idle connections the pool keeps; more are closed when returned.
const POOL: usize = 8;
/// A connection idle for longer is checked with `PING` before use: Redis may have restarted
/// (or closed idle clients) since, and a command that is not safe to repeat must go on a
/// live connection.
const CHECK_AFTER: Duration = Duration::from_secs(1);

pub(crate) struct Link {
    client: redis::Client,
    /// How many replies redis-rs waits for when it sets a connection up (`AUTH`, `SELECT`),
    /// each up to the timeout it is given.
    setup_replies: u32,
    /// The URL without its password, for messages.
    url: String,
    io_timeout: Duration,
    idle: Mutex<Vec<(Connection, Instant)>>,
}

impl Link {
    /// Reads `url`; connects to nothing yet.
    pub(crate) fn new(url: &str, io_timeout: Duration) -> Result<Link, FarmError> {
        let bad_url = |error: RedisError| FarmError::Url {
            url: redact(url),
            reason: error.to_string(),
        };
        let client = redis::Client::open(url).map_err(bad_url)?;
        // No `CLIENT SETINFO` on connecting: two more replies to wait for, each up to the
        // timeout, when Redis is hung (redis-rs waits for every reply of a pipeline).
        let info = client.get_connection_info().clone();
        let settings = info.redis_settings().clone().set_skip_set_lib_name();
        let setup_replies =
            u32::from(settings.password().is_some()) + u32::from(settings.db() != 0);
        let client = redis::Client::open(info.set_redis_settings(settings)).map_err(bad_url)?;
        Ok(Link {
            client,
            setup_replies: setup_replies.max(1),
            url: redact(url),
            io_timeout,
            idle: Mutex::new(Vec::new()),
        })
    }

    /// How long one connect, read or write may take.
    pub(crate) fn io_timeout(&self) -> Duration {
        self.io_timeout
    }

    /// The URL, without its password.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The error for `error`, met while `doing`.
    pub(crate) fn error(&self, doing: &'static str, error: &RedisError) -> FarmError {
        FarmError::Redis {
            doing,
            url: self.url.clone(),
            reason: error.to_string(),
        }
    }

    /// When a call that starts now must have its answer: one I/O timeout from now. Every
    /// farm call has one deadline for all it does (waiting for this node's announcements,
    /// connecting, loading the scripts, a try made again), so a stalled Redis costs a call
    /// one timeout, not two or three.
    pub(crate) fn deadline(&self) -> Instant {
        Instant::now() + self.io_timeout
    }

    /// The error of a call whose deadline passed before it could go on.
    pub(crate) fn timed_out(&self, doing: &'static str) -> FarmError {
        FarmError::Redis {
            doing,
            url: self.url.clone(),
            reason: format!(
                "no answer within the farm's I/O timeout ({} ms)",
                self.io_timeout.as_millis()
            ),
        }
    }

    /// A new connection whose reads wait at most `read_timeout` (the I/O timeout when
    /// `None`), with the farm's scripts loaded: for the farm's own long reads.
    pub(crate) fn connect(
        &self,
        doing: &'static str,
        read_timeout: Option<Duration>,
    ) -> Result<Connection, FarmError> {
        let fail = |error: RedisError| self.error(doing, &error);
        let mut con = self
            .client
            .get_connection_with_timeout(self.io_timeout / self.setup_replies)
            .map_err(fail)?;
        con.set_write_timeout(Some(self.io_timeout)).map_err(fail)?;
        load_scripts(&mut con, self.deadline()).map_err(fail)?;
        con.set_read_timeout(Some(read_timeout.unwrap_or(self.io_timeout)))
            .map_err(fail)?;
        Ok(con)
    }

    /// A new connection, with the farm's scripts loaded, by `deadline`.
    fn connect_by(&self, doing: &'static str, deadline: Instant) -> Result<Connection, FarmError> {
        let fail = |error: RedisError| self.error(doing, &error);
        let left = self.left(doing, deadline)?;
        let mut con = self
            .client
            .get_connection_with_timeout(left / self.setup_replies)
            .map_err(fail)?;
        self.bound(doing, &mut con, deadline)?;
        load_scripts(&mut con, deadline).map_err(fail)?;
        Ok(con)
    }

    /// The time left before `deadline`, or the timeout error when none is.
    fn left(&self, doing: &'static str, deadline: Instant) -> Result<Duration, FarmError> {
        match deadline.saturating_duration_since(Instant::now()) {
            Duration::ZERO => Err(self.timed_out(doing)),
            left => Ok(left),
        }
    }

    /// Makes `con`'s reads and writes give up at `deadline`.
    fn bound(
        &self,
        doing: &'static str,
        con: &mut Connection,
        deadline: Instant,
    ) -> Result<(), FarmError> {
        let left = self.left(doing, deadline)?;
        let fail = |error: RedisError| self.error(doing, &error);
        con.set_read_timeout(Some(left)).map_err(fail)?;
        con.set_write_timeout(Some(left)).map_err(fail)
    }

    /// Runs `f` on a pooled connection, by `deadline` (taken from [`deadline`](Self::deadline)
    /// at the start of the farm call). A connection that fails is dropped. When
    /// `repeatable` (a read, or a write that is the same done twice), a call whose
    /// connection failed is made once more on a fresh one, if the deadline allows;
    /// otherwise the error says the outcome is unknown.
    pub(crate) fn run<T>(
        &self,
        doing: &'static str,
        repeatable: bool,
        deadline: Instant,
        mut f: impl FnMut(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, FarmError> {
        let mut tries = if repeatable { 2 } else { 1 };
        // Calls that never left this process (the pooled connection was closed by Redis
        // before): made again whatever they are, a bounded number of times.
        let mut unsent = POOL + 1;
        loop {
            let mut con = self.take(doing, deadline)?;
            match with_scripts(&mut con, deadline, &mut f) {
                Ok(value) => {
                    self.put(con);
                    return Ok(value);
                }
                Err(error) if is_broken(&error, &con) => {
                    if unsent > 0 && was_not_sent(&error) {
                        unsent -= 1;
                        continue;
                    }
                    tries -= 1;
                    if tries == 0 || Instant::now() >= deadline {
                        return Err(self.error(doing, &error));
                    }
                }
                Err(error) => {
                    self.put(con);
                    return Err(self.error(doing, &error));
                }
            }
        }
    }

    /// An idle connection, checked when it has been idle long, or a new one; its reads
    /// and writes give up at `deadline`.
    fn take(&self, doing: &'static str, deadline: Instant) -> Result<Connection, FarmError> {
        loop {
            let Some((mut con, since)) = lock(&self.idle).pop() else {
                return self.connect_by(doing, deadline);
            };
            self.bound(doing, &mut con, deadline)?;
            if since.elapsed() < CHECK_AFTER || con.check_connection() {
                return Ok(con);
            }
        }
    }

    fn put(&self, con: Connection) {
        if !con.is_open() {
            return;
        }
        let mut idle = lock(&self.idle);
        if idle.len() < POOL {
            idle.push((con, Instant::now()));
        }
    }
}

/// Whether `error` leaves `con` unusable (an I/O error or a timeout: an answer may still
/// be on its way, so the connection can no longer be trusted to pair answers with calls).
pub(crate) fn is_broken(error: &RedisError, con: &Connection) -> bool {
    error.is_io_error() || error.is_unrecoverable_error() || !con.is_open()
}

/// Whether the call failed while it was being written, on a connection the server had
/// closed before (`EPIPE`): Redis cannot have run a command it did not receive whole. (A
/// failure while reading the answer is not this: the command may have run.) redis-rs keeps
/// the `io::Error` private, so its text is compared with the system's text for `EPIPE`.
fn was_not_sent(error: &RedisError) -> bool {
    /// `EPIPE` on Linux, the BSDs and macOS.
    const EPIPE: i32 = 32;
    error.is_io_error()
        && error
            .to_string()
            .ends_with(&std::io::Error::from_raw_os_error(EPIPE).to_string())
}

/// Runs `f`; when Redis has lost the farm's scripts (`NOSCRIPT`: it restarted, or someone
/// ran `SCRIPT FLUSH`), loads them and runs `f` once more. A `NOSCRIPT` call ran nothing,
/// so running it again is safe.
pub(crate) fn with_scripts<T>(
    con: &mut Connection,
    deadline: Instant,
    f: &mut impl FnMut(&mut Connection) -> RedisResult<T>,
) -> RedisResult<T> {
    match f(con) {
        Err(error)
            if error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
        {
            load_scripts(con, deadline)?;
            f(con)
        }
        other => other,
    }
}

fn load_scripts(con: &mut Connection, deadline: Instant) -> RedisResult<()> {
    let mut pipe = redis::pipe();
    for script in scripts::ALL {
        pipe.cmd("SCRIPT").arg("LOAD").arg(script.source);
    }
    pipeline_by(con, &pipe, deadline).map(drop)
}

/// Sends `pipe` and reads its replies, each read waiting at most until `deadline` (and no
/// longer than the connection's read timeout): a hung Redis costs one deadline, where
/// redis-rs's own pipelines wait the read timeout again for every reply. An error reply
/// is the error (after every reply was read, so the connection stays in step).
pub(crate) fn pipeline_by(
    con: &mut Connection,
    pipe: &redis::Pipeline,
    deadline: Instant,
) -> RedisResult<Vec<redis::Value>> {
    con.send_packed_command(&pipe.get_packed_pipeline())?;
    let mut replies = Vec::with_capacity(pipe.len());
    let mut first_error = None;
    for _ in 0..pipe.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(RedisError::from(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the farm's I/O timeout passed before Redis answered every command",
            )));
        }
        con.set_read_timeout(Some(left))?;
        match con.recv_response()?.extract_error() {
            Ok(reply) => replies.push(reply),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(replies),
    }
}
