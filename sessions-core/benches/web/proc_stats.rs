//! What a process costs, from Linux's `/proc` (the bench's figures are Linux figures;
//! elsewhere these read `None` and the bench prints no CPU or memory column).

/// This process's CPU time so far (user + system, all threads), in seconds, with the
/// kernel's tick resolution (10 ms at the usual `CLK_TCK` of 100).
pub fn cpu_seconds() -> Option<f64> {
    cpu_seconds_in("/proc/self/stat")
}

/// Another process's CPU time so far (as [`cpu_seconds`]): the failover bench's
/// `redis-server`.
#[allow(dead_code)] // The web bench reads its own process only.
pub fn cpu_seconds_of(pid: u32) -> Option<f64> {
    cpu_seconds_in(&format!("/proc/{pid}/stat"))
}

fn cpu_seconds_in(path: &str) -> Option<f64> {
    let stat = std::fs::read_to_string(path).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count from after
    // it. Field 3 (state) is then the first; utime and stime are fields 14 and 15.
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace();
    let utime: u64 = fields.nth(11)?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / CLOCK_TICKS_PER_SECOND)
}

/// `sysconf(_SC_CLK_TCK)`, which is 100 on every Linux this bench runs on (reading it
/// would take `libc` and `unsafe` for one constant).
const CLOCK_TICKS_PER_SECOND: f64 = 100.0;

/// This process's resident set (`VmRSS` of `/proc/self/status`), in KiB.
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// The 1-minute load average.
pub fn load_average() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    text.split_whitespace().next()?.parse().ok()
}
