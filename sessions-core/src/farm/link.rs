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
    /// The URL without its password, for messages.
    url: String,
    io_timeout: Duration,
    idle: Mutex<Vec<(Connection, Instant)>>,
}

impl Link {
    /// Reads `url`; connects to nothing yet.
    pub(crate) fn new(url: &str, io_timeout: Duration) -> Result<Link, FarmError> {
        let client = redis::Client::open(url).map_err(|error| FarmError::Url {
            url: redact(url),
            reason: error.to_string(),
        })?;
        Ok(Link {
            client,
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

    /// A new connection whose reads wait at most `read_timeout` (the I/O timeout when
    /// `None`), with the farm's scripts loaded.
    pub(crate) fn connect(
        &self,
        doing: &'static str,
        read_timeout: Option<Duration>,
    ) -> Result<Connection, FarmError> {
        let fail = |error: RedisError| self.error(doing, &error);
        let mut con = self
            .client
            .get_connection_with_timeout(self.io_timeout)
            .map_err(fail)?;
        con.set_read_timeout(Some(read_timeout.unwrap_or(self.io_timeout)))
            .map_err(fail)?;
        con.set_write_timeout(Some(self.io_timeout)).map_err(fail)?;
        load_scripts(&mut con).map_err(fail)?;
        Ok(con)
    }

    /// Runs `f` on a pooled connection. A connection that fails is dropped. When
    /// `repeatable` (a read, or a write that is the same done twice), a call whose
    /// connection failed is made once more on a fresh one; otherwise the error says the
    /// outcome is unknown.
    pub(crate) fn run<T>(
        &self,
        doing: &'static str,
        repeatable: bool,
        mut f: impl FnMut(&mut Connection) -> RedisResult<T>,
    ) -> Result<T, FarmError> {
        let mut tries = if repeatable { 2 } else { 1 };
        // Calls that never left this process (the pooled connection was closed by Redis
        // before): made again whatever they are, a bounded number of times.
        let mut unsent = POOL + 1;
        loop {
            let mut con = self.take(doing)?;
            match with_scripts(&mut con, &mut f) {
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
                    if tries == 0 {
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

    /// An idle connection, checked when it has been idle long, or a new one.
    fn take(&self, doing: &'static str) -> Result<Connection, FarmError> {
        loop {
            let Some((mut con, since)) = lock(&self.idle).pop() else {
                return self.connect(doing, None);
            };
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
    f: &mut impl FnMut(&mut Connection) -> RedisResult<T>,
) -> RedisResult<T> {
    match f(con) {
        Err(error)
            if error.kind() == redis::ErrorKind::Server(redis::ServerErrorKind::NoScript) =>
        {
            load_scripts(con)?;
            f(con)
        }
        other => other,
    }
}

fn load_scripts(con: &mut Connection) -> RedisResult<()> {
    let mut pipe = redis::pipe();
    for script in scripts::ALL {
        pipe.cmd("SCRIPT").arg("LOAD").arg(script.source).ignore();
    }
    pipe.query::<()>(con)
}
