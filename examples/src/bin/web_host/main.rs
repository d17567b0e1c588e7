//! The example methods served to browsers: every tab a session, its page a plain HTML file
//! that imports the host's `client.js`.
//!
//! ```sh
//! cargo run -p sessions-examples --bin web_host            # http://127.0.0.1:8080
//! cargo run -p sessions-examples --bin web_host -- --port 0  # any free port
//! cargo run -p sessions-examples --bin web_host -- --accounts accounts.toml
//! cargo run -p sessions-examples --bin web_host -- --audit audit.jsonl  # record every call
//! cargo run -p sessions-examples --bin web_host -- --farm redis://127.0.0.1:6379 --node n1 \
//!     --cookie-key farm-cookie.key   # one of the servers of a farm
//! ```
//!
//! A session's `Tally` (the count of its `Tally` calls, [`tally`]) is registered durable
//! state (`Engine::builder().persist`): on a farm it goes with the session to the server
//! that adopts it when this one dies or drains; every other state of a session stays here.
//!
//! SIGTERM drains the server for a rolling deploy ([`sessions_core::web::Drain`]):
//! `GET /sessions/ready` answers 503 (the load balancer's health check takes it out), new
//! tabs are refused with 503; once readiness has failed for `--unready-ms` (so the load
//! balancer took the server out first) its tabs' calls stop (answered -32014, "did not
//! run": `client.js` makes them again once reconnected) and the running ones finish, the
//! node releases its sessions to the farm, every
//! tab's socket is closed with 1012 ("service restart": `client.js` reconnects at once,
//! through the load balancer, to another server, which adopts the tab's session: same id,
//! user and registered state), the node leaves the farm once its sessions were adopted,
//! and the process exits 0. Each step waits at most `--drain-ms`.
//!
//! The first line on stdout is `listening on http://127.0.0.1:PORT`. Open it in two tabs
//! and in a private window: each tab shows its own session, the tabs of one browser share a
//! client, and the count of logged-in sessions changes in every tab as soon as one logs
//! in or out. Users log in with a password, from an accounts file (`--accounts FILE`; make
//! entries with the `accounts` program), with the roles the file gives them; a log-in holds
//! for every tab of the browser. Without `--accounts`, the demo file
//! `examples/demo-accounts.toml` is used, and the program says so: alice / alice-demo
//! (admin), bob / bob-demo, carol / carol-demo. Log in as alice in one browser and send a
//! notice to a user logged in in another: it appears in each of that user's tabs at once.
//!
//! This is Optix's web presentation engine and Xojo Web's `App` in one program: an
//! [`Engine`] named `WebPresentationEngine` whose hooks keep the pages' counts live
//! ([`sessions_examples::live`]), a dispatcher that delivers the messages sessions post
//! to each other (`NotifyUser` → `ShowNotice`, Xojo's push) and closes idle sessions,
//! and [`WebHost`] to make each tab a session.
//!
//! Its metrics are on: `GET /sessions/metrics` is the Prometheus text of its calls, its
//! engine's open and logged-in sessions and, on a farm, the node's messages (see the
//! README's "Metrics").

use std::io::{self, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use sessions_core::auth::Accounts;
use sessions_core::farm::Farm;
use sessions_core::metrics::Metrics;
use sessions_core::web::{Drain, WebHost};
use sessions_core::Engine;
use sessions_examples::line::export_line;
use sessions_examples::{live, ENGINE_NAME};
use tokio::signal::unix::{signal, SignalKind};

mod node;
mod options;
mod page;
mod tally;

use options::Options;

// The methods of both example crates are served (see `list_methods`).
sessions_core::link!(sessions_examples, sessions_examples_plugin);

/// How long a tab may go without calling anything before its session is closed (the page
/// then gets a new one).
const IDLE_TIMEOUT: Duration = Duration::from_secs(30 * 60);
/// How often posted messages are delivered and idle sessions closed.
const DISPATCH_EVERY: Duration = Duration::from_millis(20);
/// The demo accounts file the repository ships (its passwords are in the README).
const DEMO_ACCOUNTS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/demo-accounts.toml");
/// How long the runtime's blocking threads may take to end once the server has stopped.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(2);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match options::parse(&args) {
        Ok(Some(options)) => options,
        Ok(None) => {
            println!("{}\n{}", options::USAGE, sessions_examples::farm::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("error: {message}\n(`web_host --help` shows the usage)");
            return ExitCode::from(2);
        }
    };
    // Log events go to stderr: stdout's first line is the address, for scripts and tests.
    tracing_subscriber::fmt().with_writer(io::stderr).init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let served = runtime.block_on(serve(&options));
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
    }
}

/// The accounts users log in from: `--accounts FILE`, else the demo file, said loudly.
fn accounts(options: &Options) -> Result<Accounts, Box<dyn std::error::Error>> {
    match &options.accounts {
        Some(file) => {
            let accounts = Accounts::load(file)?;
            eprintln!(
                "web_host: users log in from the accounts file {}",
                file.display()
            );
            Ok(accounts)
        }
        None => {
            let accounts = Accounts::load(DEMO_ACCOUNTS).map_err(|error| {
                format!("{error}\n(the demo accounts file is missing: pass --accounts FILE)")
            })?;
            eprintln!(
                "web_host: DEMO ACCOUNTS STORE {DEMO_ACCOUNTS}: its passwords are published \
                 (alice / alice-demo is an admin); for trying the page only. Pass \
                 --accounts FILE for real users (make entries with `accounts add`)."
            );
            Ok(accounts)
        }
    }
}

async fn serve(options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let accounts = accounts(options)?;
    let mut engine = Engine::builder()
        .name(ENGINE_NAME)
        .idle_timeout(IDLE_TIMEOUT)
        .on_open(live::opened)
        .on_close(live::closed)
        // Each session's `Tally` travels with it to another server of the farm.
        .persist::<tally::Tally>();
    if let Some(file) = &options.audit {
        engine = engine.audit(sessions_examples::audit::trail(file)?);
    }
    let engine = engine.build()?;
    // The count of logged-in sessions, a variable the pages watch: a log-in or log-out (the
    // web host's `session.login`) writes it.
    let _active = live::export_active(&engine)?;
    let _users = engine.observe(live::user_changed);
    // Xojo's App timer: delivers posted messages in their sessions, closes idle ones.
    let _dispatcher = engine.spawn_dispatcher(DISPATCH_EVERY);
    let _line1 = export_line(&engine, "Line1")?;
    // On a farm, NotifyUser reaches the user's tabs on every server (left when dropped).
    let farm = options
        .farm
        .as_ref()
        .map(|farm| sessions_examples::farm::join(&engine, farm))
        .transpose()?;
    node::name(
        options
            .farm
            .as_ref()
            .map_or("standalone", |farm| &farm.node),
    );
    let metrics = Metrics::new();
    if let Some(farm) = &farm {
        metrics.farm(farm);
    }
    // On a farm, the oven's target is one value on every server (unshared when dropped).
    let _target = farm
        .as_ref()
        .map(|farm| sessions_examples::farm::share_line(farm, "Line1", &_line1.oven))
        .transpose()?;

    let mut host = WebHost::builder(engine.clone())
        .grace_period(options.grace_period)
        .accounts(accounts)
        .metrics(metrics);
    if let Some(file) = &options.cookie_key {
        let bytes = std::fs::read(file)
            .map_err(|error| format!("cannot read the cookie key {}: {error}", file.display()))?;
        host = host.cookie_key(sessions_core::web::CookieKey::new(bytes)?);
    }
    if let Some(max) = options.max_connections {
        host = host.max_connections(max);
    }
    if let Some(max) = options.max_connections_per_peer {
        host = host.max_connections_per_peer(max);
    }
    // The host's own serve loop: header, body and idle deadlines, and caps on connections
    // per address and in all.
    let host = host.build_host();
    let app = page::router().merge(host.router());
    // Taken before the server listens: from now on SIGTERM drains instead of killing.
    let mut terminate = signal(SignalKind::terminate())
        .map_err(|error| format!("cannot handle SIGTERM: {error}"))?;
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, options.port)))
            .await
            .map_err(|error| format!("cannot listen on 127.0.0.1:{}: {error}", options.port))?;
    let address = listener.local_addr()?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on http://{address}")?;
    stdout.flush()?;
    drop(stdout);
    // Each request carries its connection's address: failed log-ins are throttled per peer
    // as well as per name, and the audit trail records it as each call's peer.
    let drain = host.drain();
    let deadline = options.drain_deadline;
    let unready = options.unready;
    let stop = async move {
        if terminate.recv().await.is_none() {
            // No more signals can come: serve for good.
            std::future::pending::<()>().await;
        }
        drain_on_sigterm(&drain, farm, unready, deadline).await;
    };
    host.serve(listener, app)
        .with_graceful_shutdown(stop)
        .await?;
    eprintln!("web_host: drained; exiting");
    Ok(())
}

/// SIGTERM: readiness fails and new tabs are refused; after `unready` (the load balancer's
/// health check takes the server out meanwhile) calls stop and the running ones finish,
/// the node releases its sessions to the farm
/// (their state written, adoptable by any node), every tab is closed with 1012 (it
/// reconnects through the load balancer to another node, which adopts its session), and the
/// node leaves the farm once its sessions were adopted; each step within `deadline`. The
/// server stops once this returns.
async fn drain_on_sigterm(
    drain: &Drain,
    farm: Option<Farm>,
    unready: Duration,
    deadline: Duration,
) {
    eprintln!("web_host: SIGTERM: draining (readiness fails, new tabs are refused)");
    drain.start();
    tokio::time::sleep(unready).await;
    // Calls stop (answered -32014, "did not run": client.js makes them again elsewhere) and
    // the running ones finish, so the state released next has all their effects.
    match drain.stop_calls(deadline).await {
        Ok(running) => eprintln!("web_host: calls stopped ({running} were running)"),
        Err(still_running) => eprintln!("web_host: {still_running}"),
    }
    if let Some(farm) = &farm {
        if let Err(error) = farm.release() {
            eprintln!("web_host: releasing the sessions to the farm failed: {error}");
        }
    }
    match drain.close_tabs(deadline).await {
        Ok(tabs) => eprintln!("web_host: {tabs} tab(s) closed with 1012 (service restart)"),
        Err(still_open) => eprintln!("web_host: {still_open}"),
    }
    if let Some(farm) = farm {
        match sessions_examples::farm::drain(farm, deadline) {
            Ok(report) => eprintln!("web_host: left the farm: {report:?}"),
            Err(error) => eprintln!("web_host: leaving the farm failed: {error}"),
        }
    }
}
