//! The tour: a web application's sessions, written the way its Optix and Xojo authors know.
//!
//! ```sh
//! cargo run -p sessions-examples --bin web_sessions
//! ```
//!
//! Each step of the trace ports a piece of Optix NetLogic or Xojo Web code:
//! 1. twelve browser tabs on an engine named like Optix's `WebPresentationEngine`, logged in
//!    as a host logs them in (`Session::set_user`); the tabs of one browser share a `ClientId` (Xojo:
//!    "Use cookies to determine if two sessions belong to the same user");
//! 2. Optix's `GetActiveWebSessionsNumber`, called by name as a host calls it: the count,
//!    then the -1 of `catch (Exception ex) { Log.Error(ex.Message); n = -1; }` and the log;
//! 3. Optix's `DoSomethingAsynchronously`: a background thread touches the model only inside
//!    `ImpersonateRootTemporary()`;
//! 4. Xojo's `WebThread` and `Thread`: `sessions_core::thread::spawn` carries the session,
//!    `std::thread::spawn` does not;
//! 5. Xojo's `WebTimer`: `timer::every` in one tab, stopping by itself when the tab closes;
//! 6. Xojo's push pattern ("a Timer on the App class … looking for messages to send to
//!    sessions"): an admin posts a notice to every tab of one user with `Engine::post`, and
//!    the engine's dispatcher delivers it in each tab's context.

use std::error::Error;
use std::sync::mpsc;
use std::time::Duration;

use sessions_core::{methods, thread, timer, ClientId, Engine, Session, User, Value};
use sessions_examples::notices::Inbox;
use sessions_examples::{model, ENGINE_NAME};

mod logging;
mod trace;

use trace::{current_tab, describe, print_counts, print_outcome, step, tab_name, Tab};
use trace::{wait_for_disconnect, wait_until, PATIENCE};

/// A browser of the demo: its cookie, who logs in (nobody for a visitor), and its tabs.
struct Browser {
    cookie: &'static str,
    user: Option<&'static str>,
    roles: &'static [&'static str],
    tabs: usize,
}

const BROWSERS: [Browser; 9] = [
    browser("ada-laptop", Some("ada"), &[], 3),
    browser("ada-phone", Some("ada"), &[], 1),
    browser("bob-desktop", Some("bob"), &[], 2),
    browser("carol-office", Some("carol"), &["admin"], 1),
    browser("visitor-1", None, &[], 1),
    browser("visitor-2", None, &[], 1),
    browser("visitor-3", None, &[], 1),
    browser("visitor-4", None, &[], 1),
    browser("visitor-5", None, &[], 1),
];

const fn browser(
    cookie: &'static str,
    user: Option<&'static str>,
    roles: &'static [&'static str],
    tabs: usize,
) -> Browser {
    Browser {
        cookie,
        user,
        roles,
        tabs,
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    logging::init();
    println!("sessions: a web application's sessions, the Optix and Xojo way");

    let engine = Engine::builder().name(ENGINE_NAME).build()?;
    let tabs = open_tabs(&engine)?;
    let tab = |name: &str| {
        let found = tabs.iter().find(|tab| tab_name(tab) == name);
        found.ok_or_else(|| format!("no tab is named {name}"))
    };

    count_active_sessions(tab("carol-office")?)?;
    background_work(&engine)?;
    threads(tab("bob-desktop/1")?)?;
    timer_in_one_tab(&engine, tab("ada-phone")?)?;
    push_a_notice(&engine, &tabs, tab("bob-desktop/1")?, tab("carol-office")?)?;

    step(7, "Closing every tab");
    for tab in tabs.iter().filter(|tab| tab.is_open()) {
        engine.close(tab.id())?;
    }
    print_counts(&engine);
    Ok(())
}

/// Step 1: twelve tabs from nine browsers; the users log in (as a host logs them in).
fn open_tabs(engine: &Engine) -> Result<Vec<Session>, Box<dyn Error>> {
    step(
        1,
        "Twelve tabs from nine browsers (Optix PresentationEngine, Xojo App)",
    );
    let mut tabs = Vec::new();
    let mut visitors = 0;
    for browser in BROWSERS {
        let client = ClientId::new(browser.cookie);
        for n in 1..=browser.tabs {
            let session = engine.open_for_client(client.clone())?;
            session.insert(Tab(match browser.tabs {
                1 => browser.cookie.to_owned(),
                _ => format!("{}/{n}", browser.cookie),
            }));
            if let Some(user) = browser.user {
                // The login page's button: the web host checks the password against its
                // accounts (`session.login`) and logs the user in with the roles they give.
                session.set_user(Some(
                    User::new(user).with_roles(browser.roles.iter().copied()),
                ));
            }
            tabs.push(session);
        }
        // The cookie finds the tabs of one browser again.
        let open = engine.sessions_for_client(&client).len();
        let cookie = browser.cookie;
        let tabs = if open == 1 { "tab " } else { "tabs" };
        match (browser.user, browser.roles) {
            (None, _) => visitors += 1,
            (Some(user), []) => println!("{cookie:<13} {open} {tabs}  logged in as {user}"),
            (Some(user), roles) => println!(
                "{cookie:<13} {open} {tabs}  logged in as {user} ({})",
                roles.join(", ")
            ),
        }
    }
    println!("{visitors} visitors    1 tab each, anonymous");
    print_counts(engine);
    Ok(tabs)
}

/// Step 2: the Optix method, called by name; on failure -1, and the error is logged.
fn count_active_sessions(carol: &Session) -> Result<(), Box<dyn Error>> {
    step(
        2,
        "A host calls GetActiveWebSessionsNumber by name (Optix [ExportMethod])",
    );
    let method = methods().get("GetActiveWebSessionsNumber");
    println!(
        "{}",
        method.ok_or("GetActiveWebSessionsNumber is not registered")?
    );
    for engine_name in [ENGINE_NAME, "NoSuchEngine"] {
        println!("carol-office calls it with {engine_name:?}:");
        let outcome = carol.call("GetActiveWebSessionsNumber", vec![Value::from(engine_name)])?;
        print_outcome(&outcome, "active");
    }
    // Xojo: code on the App object has no session; the method refuses to run there.
    println!("start-up code, outside any session, calls it with {ENGINE_NAME:?}:");
    let outcome = methods().call("GetActiveWebSessionsNumber", vec![Value::from(ENGINE_NAME)])?;
    print_outcome(&outcome, "active");
    Ok(())
}

/// Step 3: Optix's `DoSomethingAsynchronously` on a plain background thread.
fn background_work(engine: &Engine) -> Result<(), Box<dyn Error>> {
    step(
        3,
        "Background work touches the model as root (Optix ImpersonateRootTemporary)",
    );
    // Without a session the model refuses the write (Optix's runtime would crash).
    let refused = std::thread::spawn(|| model::set_variable("SomeVariable", true)).join();
    let refused = refused.map_err(|_| "the thread panicked")?;
    println!("a plain thread sets SomeVariable: {}", describe(refused));

    let root_engine = engine.clone();
    let done = std::thread::spawn(move || model::do_something_asynchronously(&root_engine));
    let done = done.join().map_err(|_| "the thread panicked")?;
    println!(
        "a plain thread runs DoSomethingAsynchronously: {}",
        describe(done)
    );

    // `GetVariable` is `session = impersonate`: outside a session it runs as root.
    let outcome = methods().call("GetVariable", vec![Value::from("SomeVariable")])?;
    println!(
        "start-up code calls GetVariable(\"SomeVariable\"): {}",
        outcome.value
    );
    Ok(())
}

/// Step 4: a thread from `sessions_core::thread::spawn` runs in the caller's session; one
/// from `std::thread::spawn` runs in none.
fn threads(bob: &Session) -> Result<(), Box<dyn Error>> {
    step(
        4,
        "thread::spawn carries the session, std::thread::spawn does not (Xojo WebThread, Thread)",
    );
    let _in_bob = bob.enter()?;
    let carried = thread::spawn(current_tab).join()?;
    let plain = std::thread::spawn(current_tab).join();
    let plain = plain.map_err(|_| "the thread panicked")?;
    println!(
        "in {}: sessions_core::thread::spawn sees {carried}",
        current_tab()
    );
    println!("in {}: std::thread::spawn sees {plain}", current_tab());
    Ok(())
}

/// Step 5: a timer in one tab, which stops by itself when that tab closes.
fn timer_in_one_tab(engine: &Engine, phone: &Session) -> Result<(), Box<dyn Error>> {
    step(
        5,
        "A timer in ada-phone (Xojo WebTimer): timer::every(10 ms)",
    );
    let (tx, rx) = mpsc::channel();
    let ticks = {
        // Like a WebTimer on a page, the timer belongs to the session it is made in.
        let _in_phone = phone.enter()?;
        timer::every(Duration::from_millis(10), move || {
            // Fails only once the trace stopped listening.
            let _ = tx.send(current_tab());
        })?
    };
    for n in 1..=3 {
        println!("tick {n} runs in {}", rx.recv_timeout(PATIENCE)?);
    }
    engine.close(phone.id())?;
    println!(
        "ada-phone closes; the timer is active: {}",
        ticks.is_active()
    );
    wait_for_disconnect(&rx)?;
    println!("the timer dropped its closure by itself, its handle still held");
    drop(ticks);
    Ok(())
}

/// Step 6: an admin pushes a notice to every tab of one user.
fn push_a_notice(
    engine: &Engine,
    tabs: &[Session],
    bob: &Session,
    carol: &Session,
) -> Result<(), Box<dyn Error>> {
    step(
        6,
        "carol (admin) sends a notice to every tab of ada (Xojo push)",
    );
    // The App timer that drains the queue, entering each target session in turn.
    let dispatcher = engine.spawn_dispatcher(Duration::from_millis(10));
    let notice = "The server restarts at 18:00";
    let mut sent = 0;
    for sender in [bob, carol] {
        println!(
            "{} calls NotifyUser(\"ada\", {notice:?}):",
            tab_name(sender)
        );
        let args = vec![Value::from("ada"), Value::from(notice)];
        let outcome = sender.call("NotifyUser", args)?;
        print_outcome(&outcome, "sent");
        sent += outcome.out("sent").and_then(Value::as_u64).unwrap_or(0);
    }
    wait_until(|| dispatcher.totals().delivered as u64 >= sent)?;
    let totals = dispatcher.stop();
    println!(
        "the dispatcher delivered {} message(s) in their sessions, {} failed",
        totals.delivered, totals.failed
    );
    for tab in tabs
        .iter()
        .filter(|tab| tab.is_open() && tab.user().is_some())
    {
        let inbox = tab.get::<Inbox>().map(|inbox| inbox.notices());
        // What a web host would push to the tab's page (`web_host` does): taken here.
        let pushed = tab.take_notifications().len();
        println!(
            "{:<13} inbox: {:?}, pushed to its page: {pushed}",
            tab_name(tab),
            inbox.unwrap_or_default()
        );
    }
    Ok(())
}
