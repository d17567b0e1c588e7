//! Issue 20's fan-out: one change of an exported variable pushed to every tab that sent
//! `variable.watch` for it, against the same push written by hand with `Session::notify`
//! to the same tabs, in one run.
//!
//! This process runs our host (its defaults, on a 2-worker tokio runtime) with one
//! exported `Variable<u64>` at [`PATH`], and starts the tabs in client processes
//! (`--fanout-client ADDR TABS PATH`, `fanout_client.rs`, each on a current-thread
//! runtime): a process may hold 20,000 open files here, and each socket is one file at
//! either end, so 10,000 tabs need their client ends elsewhere. Each tab opens its WebSocket, sends `variable.watch`
//! and reads its answer; each client then says `ready`.
//!
//! A round writes the round's number once and times until the last tab has it:
//! - **variable**: `Variable::set(round)` under `impersonate_root`; each tab's socket task
//!   sees its watch's version move and pushes `variable.changed {path, value, version, by}`;
//! - **notify**: a loop over the tabs' sessions (listed once, before the rounds, as an
//!   application keeping its tabs would) calling `Session::notify("variable.changed",
//!   {path, value, version, by})` with the same fields.
//!
//! Each client reads every message on every tab and notes, per round (the message's
//! `value`), when its last tab got it (`SystemTime`, which both processes read from one
//! clock); once all its tabs have, it prints `got ROUND at=NANOS`. The round's time is the
//! latest of the clients' `at` minus the time taken just before the write. Rounds come in
//! pairs, one of each kind, the kind going first alternating, with a pause between rounds;
//! each pair also gives a ratio of its own. The writer's own time (the `set` call, or the
//! whole notify loop) is reported too.

use std::net::SocketAddr;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sessions_core::web::WebHost;
use sessions_core::{Engine, Session, Variable};

use crate::children::{open_file_limit, ChildProcess};
use crate::fields;
use crate::load::percentile;
use crate::servers;

/// The watched variable's path.
pub const PATH: &str = "Bench/Fanout";

/// The client processes the tabs are split over (each a current-thread runtime).
const CLIENTS: usize = 2;

/// How long all the tabs may take to open and watch.
const OPEN_DEADLINE: Duration = Duration::from_secs(180);

/// How long one round may take to reach every tab.
const ROUND_DEADLINE: Duration = Duration::from_secs(30);

/// The quiet time between two rounds.
const PAUSE: Duration = Duration::from_millis(50);

/// Files a client process keeps for other things than its sockets.
const CLIENT_SPARE_FILES: usize = 100;

/// The two ways of pushing a round.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Variable,
    Notify,
}

impl Kind {
    /// `variable` or `notify`: one kind alone (`kinds=…`), so that a profiler counting the
    /// whole process (callgrind) sees one kind's rounds only.
    pub fn from_name(name: &str) -> Option<Kind> {
        match name {
            "variable" => Some(Kind::Variable),
            "notify" => Some(Kind::Notify),
            _ => None,
        }
    }
}

/// What each kind measured over the rounds, in ns.
#[derive(Default)]
struct Timings {
    /// From just before the write until the last tab had it.
    last_tab: Vec<u64>,
    /// The writer's own call: `set`, or the notify loop.
    writer: Vec<u64>,
}

/// One fan-out size's figures.
pub struct Fanout {
    pub tabs: usize,
    pub rounds: usize,
    variable: Timings,
    notify: Timings,
}

/// The params of `variable.changed`, as the notify loop sends them (the same fields as
/// the host's own push).
#[derive(Serialize)]
struct Changed<'a> {
    path: &'a str,
    value: u64,
    version: u64,
    by: Writer,
}

#[derive(Serialize)]
struct Writer {
    session: String,
    root: bool,
    user: Option<String>,
}

/// Measures the fan-out to `tabs` tabs over `rounds` rounds of each kind (of `only` that
/// kind, when given).
pub fn run(tabs: usize, rounds: usize, only: Option<Kind>) -> Result<Fanout, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("server runtime: {e}"))?;
    let engine = Engine::new();
    let variable = Variable::new(0_u64);
    let _exported = engine
        .export_variable(PATH, &variable)
        .map_err(|e| format!("export {PATH}: {e}"))?;
    let app = WebHost::builder(engine.clone()).build();
    let addr = runtime
        .block_on(servers::serve_ours(app))
        .map_err(|e| format!("start our server: {e}"))?;
    let mut clients = start_clients(addr, tabs)?;
    if engine.len() != tabs {
        return Err(format!(
            "{tabs} tabs watching but {} sessions",
            engine.len()
        ));
    }
    let sessions = engine.sessions();
    let by = Writer {
        session: sessions[0].id().to_string(),
        root: true,
        user: None,
    };
    let mut fanout = Fanout {
        tabs,
        rounds,
        variable: Timings::default(),
        notify: Timings::default(),
    };
    let mut round = 0_u64;
    for pair in 0..rounds {
        let order = if pair % 2 == 0 {
            [Kind::Variable, Kind::Notify]
        } else {
            [Kind::Notify, Kind::Variable]
        };
        for kind in order {
            if only.is_some_and(|only| only != kind) {
                continue;
            }
            round += 1;
            let start = now_nanos();
            let began = Instant::now();
            match kind {
                Kind::Variable => {
                    let _root = engine.impersonate_root();
                    variable.set(round).map_err(|e| format!("set: {e}"))?;
                }
                Kind::Notify => notify_all(&sessions, round, &by)?,
            }
            let writer = nanos(began.elapsed());
            let mut last = start;
            for client in &mut clients {
                let got = client.expect(&format!("got {round} "), ROUND_DEADLINE)?;
                let at: u64 = fields(&got)
                    .get("at")
                    .and_then(|at| at.parse().ok())
                    .ok_or_else(|| format!("no at= in {got:?}"))?;
                last = last.max(at);
            }
            let timings = match kind {
                Kind::Variable => &mut fanout.variable,
                Kind::Notify => &mut fanout.notify,
            };
            timings.last_tab.push(last - start);
            timings.writer.push(writer);
            std::thread::sleep(PAUSE);
        }
    }
    for client in clients {
        client.finish(Duration::from_secs(30))?;
    }
    runtime.shutdown_background();
    Ok(fanout)
}

/// The hand-written fan-out: every tab's session notified in a loop.
fn notify_all(sessions: &[Session], round: u64, by: &Writer) -> Result<(), String> {
    for session in sessions {
        let changed = Changed {
            path: PATH,
            value: round,
            version: round,
            by: Writer {
                session: by.session.clone(),
                root: by.root,
                user: by.user.clone(),
            },
        };
        session
            .notify("variable.changed", &changed)
            .map_err(|e| format!("notify: {e}"))?;
    }
    Ok(())
}

/// Starts the client processes and waits until every tab watches.
fn start_clients(addr: SocketAddr, tabs: usize) -> Result<Vec<ChildProcess>, String> {
    let processes = CLIENTS.min(tabs);
    let per_process = open_file_limit()?.saturating_sub(CLIENT_SPARE_FILES);
    if tabs.div_ceil(processes) > per_process {
        return Err(format!(
            "{tabs} tabs over {processes} client processes is more than the {per_process} sockets a process may hold here"
        ));
    }
    let mut clients = Vec::with_capacity(processes);
    for index in 0..processes {
        let share = tabs / processes + usize::from(index < tabs % processes);
        let args = [
            "--fanout-client",
            &addr.to_string(),
            &share.to_string(),
            PATH,
        ];
        clients.push(ChildProcess::spawn(&args.map(str::to_owned))?);
    }
    for client in &mut clients {
        client.expect("ready", OPEN_DEADLINE)?;
    }
    Ok(clients)
}

impl Fanout {
    /// The lines printed after a size is measured.
    pub fn report(&self) -> String {
        if self.variable.last_tab.is_empty() || self.notify.last_tab.is_empty() {
            return self.one_kind();
        }
        let (variable, notify) = (
            summary(&self.variable.last_tab),
            summary(&self.notify.last_tab),
        );
        let pairs = self.pair_ratios();
        format!(
            "fan-out to {} tabs, {} rounds of each: until the last tab, variable p50 {} p99 {} min {}, notify p50 {} p99 {} min {}; \
             ratio of p50s {:.3}, per-pair ratios median {:.3} (quartiles {:.3}–{:.3}); writer's own call p50: set {}, notify loop {}",
            self.tabs,
            self.rounds,
            ms(variable.p50),
            ms(variable.p99),
            ms(variable.min),
            ms(notify.p50),
            ms(notify.p99),
            ms(notify.min),
            variable.p50 as f64 / notify.p50 as f64,
            at(&pairs, 0.5),
            at(&pairs, 0.25),
            at(&pairs, 0.75),
            ms(summary(&self.variable.writer).p50),
            ms(summary(&self.notify.writer).p50),
        )
    }

    /// The figures of the one kind measured (`kinds=…`).
    fn one_kind(&self) -> String {
        let (name, timings) = if self.notify.last_tab.is_empty() {
            ("variable", &self.variable)
        } else {
            ("notify", &self.notify)
        };
        let (last, writer) = (summary(&timings.last_tab), summary(&timings.writer));
        format!(
            "fan-out to {} tabs, {} rounds of {name} alone: until the last tab p50 {} p99 {} min {}; writer's own call p50 {}",
            self.tabs,
            self.rounds,
            ms(last.p50),
            ms(last.p99),
            ms(last.min),
            ms(writer.p50),
        )
    }

    /// The row of the markdown table (`None` when one kind alone was measured).
    pub fn markdown(&self) -> Option<String> {
        if self.variable.last_tab.is_empty() || self.notify.last_tab.is_empty() {
            return None;
        }
        let (variable, notify) = (
            summary(&self.variable.last_tab),
            summary(&self.notify.last_tab),
        );
        let pairs = self.pair_ratios();
        Some(format!(
            "| {} | {} | {} / {} | {} / {} | {:.2}× | {:.2}× ({:.2}–{:.2}) | {} / {} |",
            self.tabs,
            self.rounds,
            ms(variable.p50),
            ms(variable.p99),
            ms(notify.p50),
            ms(notify.p99),
            variable.p50 as f64 / notify.p50 as f64,
            at(&pairs, 0.5),
            at(&pairs, 0.25),
            at(&pairs, 0.75),
            ms(summary(&self.variable.writer).p50),
            ms(summary(&self.notify.writer).p50),
        ))
    }

    /// Variable ÷ notify within each pair of rounds, sorted.
    fn pair_ratios(&self) -> Vec<f64> {
        let mut ratios: Vec<f64> = (self.variable.last_tab.iter())
            .zip(&self.notify.last_tab)
            .map(|(variable, notify)| *variable as f64 / *notify as f64)
            .collect();
        ratios.sort_by(f64::total_cmp);
        ratios
    }
}

/// The header of [`Fanout::markdown`]'s table.
pub const MARKDOWN_HEADER: &str = "| tabs | rounds of each | variable p50 / p99 | notify p50 / p99 | ratio of p50s | per-pair ratio, median (quartiles) | writer's call p50, set / notify loop |\n| ---: | ---: | ---: | ---: | ---: | ---: | ---: |";

struct Summary {
    p50: u64,
    p99: u64,
    min: u64,
}

fn summary(values: &[u64]) -> Summary {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    Summary {
        p50: percentile(&sorted, 0.5),
        p99: percentile(&sorted, 0.99),
        min: sorted[0],
    }
}

fn at(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn ms(nanos: u64) -> String {
    format!("{:.2} ms", nanos as f64 / 1e6)
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

/// The wall clock in ns since the epoch: the one clock the bench's processes share.
pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, nanos)
}
