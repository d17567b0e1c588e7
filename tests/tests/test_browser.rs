//! The `web_host` example in a real headless Chromium, driven over WebDriver: each tab is a
//! session, the tabs of one browser share a client, another browser is another client, a
//! log-in with a password (the demo accounts) holds for every tab of the browser and a
//! wrong one is refused, a notice only an admin may send reaches every tab of its user and
//! no other, a log-out logs out every tab of the browser, the count of
//! logged-in sessions changes in open tabs without a reload, a closed tab's session
//! closes after the grace period, a tab the page opens again gets a session of its own, and
//! a reload keeps the tab's. A screenshot of the page is written to `target/web_host.png`.
//!
//! Needs Debian's `chromium` and `chromium-driver`; skipped (with the reason on stderr)
//! without them, unless `SESSIONS_EXTERNAL_TESTS=require` (see `browser_support`).

mod browser_support;

use std::time::{Duration, Instant};

use browser_support::driver::{Browser, ChromeDriver, Tab, PATIENCE};
use browser_support::server::WebHostProcess;
use browser_support::{parts_or_skip, target_dir, TempDir};

/// The host's grace period in this test: how long a closed tab's session stays open.
const GRACE: Duration = Duration::from_secs(2);

/// What a tab shows about itself once it is connected.
#[derive(Debug)]
struct Shown {
    session: String,
    client: String,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_host_page_in_two_browsers() {
    let Some(parts) = parts_or_skip("the_web_host_page_in_two_browsers") else {
        return;
    };
    // Dropped last: the processes below write into it until they end.
    let dir = TempDir::new("test_browser");
    let grace_ms = GRACE.as_millis().to_string();
    let mut host = WebHostProcess::start(dir.path(), &["--grace-ms", &grace_ms]);
    // Without `--accounts`, it uses the shipped demo file, and says so before it listens.
    let log = std::fs::read_to_string(&host.log).unwrap_or_default();
    assert!(
        log.contains("DEMO ACCOUNTS STORE") && log.contains("demo-accounts.toml"),
        "web_host says it uses the demo accounts: {log}"
    );
    let driver = ChromeDriver::start(&parts, dir.path());
    let url = host.url.clone();

    // Two tabs of one browser: one client, two sessions, and each knows there are two.
    let mut first = driver.browser("first").await;
    let a1 = first.open_tab("1", &url).await;
    let a1_shown = shown(&first, &a1).await;
    let a2 = first.open_tab("2", &url).await;
    let a2_shown = shown(&first, &a2).await;
    assert_eq!(a1_shown.client, a2_shown.client, "two tabs, one browser");
    assert_ne!(a1_shown.session, a2_shown.session, "a session per tab");
    first.wait_text(&a1, "#tabs", "2").await;
    first.wait_text(&a2, "#tabs", "2").await;

    // Another browser (its own profile, its own cookie): another client.
    let mut second = driver.browser("second").await;
    let b1 = second.open_tab("1", &url).await;
    let b1_shown = shown(&second, &b1).await;
    assert_ne!(
        b1_shown.client, a1_shown.client,
        "another browser, another client"
    );
    assert!(![&a1_shown.session, &a2_shown.session].contains(&&b1_shown.session));
    second.wait_text(&b1, "#tabs", "1").await;
    assert_eq!(first.text(&a1, "#tabs").await.as_deref(), Some("2"));

    // Logging in with a password (the demo accounts web_host uses without `--accounts`)
    // logs in every tab of that browser, and changes the count in the open tabs of every
    // browser, without a reload.
    for (browser, tab) in [(&first, &a1), (&first, &a2), (&second, &b1)] {
        browser.wait_text(tab, "#active", "0").await;
    }
    let marker = "window.notReloaded = true; return window.notReloaded;";
    assert_eq!(first.run(&a2, marker).await, serde_json::json!(true));
    assert_eq!(second.run(&b1, marker).await, serde_json::json!(true));
    log_in(&first, &a1, "bob", "bob-demo").await;
    first.wait_text(&a1, "#user", "bob (operator)").await;
    first.wait_text(&a2, "#user", "bob (operator)").await;
    for (browser, tab) in [(&first, &a1), (&first, &a2), (&second, &b1)] {
        browser.wait_text(tab, "#active", "2").await;
    }
    assert_eq!(second.text(&b1, "#user").await.as_deref(), Some("nobody"));

    // A wrong password: refused with the host's one message, nobody logged in.
    log_in(&second, &b1, "alice", "not-her-password").await;
    second
        .wait_for(&b1, "#login-result", "the refusal", PATIENCE, |text| {
            text == "wrong user name or password"
        })
        .await;
    assert_eq!(second.text(&b1, "#user").await.as_deref(), Some("nobody"));
    log_in(&second, &b1, "alice", "alice-demo").await;
    second
        .wait_text(&b1, "#user", "alice (admin, operator)")
        .await;
    for (browser, tab) in [(&first, &a1), (&first, &a2), (&second, &b1)] {
        browser.wait_text(tab, "#active", "3").await;
    }
    let still_there = "return window.notReloaded === true;";
    assert_eq!(first.run(&a2, still_there).await, serde_json::json!(true));
    assert_eq!(second.run(&b1, still_there).await, serde_json::json!(true));

    // A new tab of the first browser opens logged in as bob.
    let a3 = first.open_tab("3", &url).await;
    shown(&first, &a3).await;
    first.wait_text(&a3, "#user", "bob (operator)").await;
    for tab in [&a1, &a2, &a3] {
        first.wait_text(tab, "#tabs", "3").await;
        first.wait_text(tab, "#active", "4").await;
    }

    // Only an admin may send a notice: bob (an operator) is refused by the host.
    let refused = send_notice(&first, &a3, "bob", "from bob").await;
    assert!(refused.contains("role \"admin\""), "{refused}");

    // alice (admin, other browser) sends bob two notices: in every bob tab, in no other.
    let notices = [
        "Line 1 stops at 18:00 for cleaning",
        "Please log today's batch",
    ];
    for notice in notices {
        let sent = send_notice(&second, &b1, "bob", notice).await;
        assert_eq!(sent, "Sent to 3 tabs of bob.");
    }
    for tab in [&a1, &a2, &a3] {
        first
            .wait_for(
                tab,
                "#notices li:nth-child(2)",
                "two notices",
                PATIENCE,
                |_| true,
            )
            .await;
        let shown = first.texts(tab, "#notices li").await;
        assert_eq!(shown.len(), 2, "{}: {shown:?}", tab.name);
        // Newest first, each with its sender.
        for (line, notice) in shown.iter().zip(notices.iter().rev()) {
            assert!(
                line.starts_with("alice") && line.contains(notice),
                "{}: {line:?}",
                tab.name
            );
        }
    }
    assert_eq!(second.texts(&b1, "#notices li").await, Vec::<String>::new());

    // The page as a person sees it, for the README.
    let png = first.screenshot(&a1).await;
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG");
    let path = target_dir().join("web_host.png");
    std::fs::write(&path, &png).unwrap_or_else(|error| panic!("{}: {error}", path.display()));

    // Closing bob's second tab closes its session after the grace period: the tab count
    // of its browser and the count of logged-in sessions drop in the tabs still open.
    first.close_tab(a2).await;
    let closed = Instant::now();
    assert_eq!(
        first.text(&a1, "#tabs").await.as_deref(),
        Some("3"),
        "within the grace period"
    );
    first
        .wait_for(&a1, "#tabs", "\"2\"", GRACE + PATIENCE, |text| text == "2")
        .await;
    let waited = closed.elapsed();
    assert!(
        waited >= GRACE / 2,
        "the session closed {waited:?} after its tab, before the grace period of {GRACE:?}"
    );
    second
        .wait_for(&b1, "#active", "\"3\"", PATIENCE, |text| text == "3")
        .await;
    first.wait_text(&a3, "#active", "3").await;

    // A tab that the page opens again (`window.open` copies the opener's sessionStorage,
    // where a reload finds its session's resume token) is a tab of its own: its own
    // session, while its opener keeps its own.
    let a4 = first.open_from(&a1, "4").await;
    let a4_shown = shown(&first, &a4).await;
    assert_eq!(a4_shown.client, a1_shown.client);
    assert_ne!(
        a4_shown.session, a1_shown.session,
        "a tab opened from a tab"
    );
    first.wait_text(&a1, "#tabs", "3").await;
    assert_eq!(first.text(&a1, "#status").await.as_deref(), Some("live"));
    assert_eq!(
        first.text(&a1, "#session").await,
        Some(a1_shown.session.clone())
    );

    // A reload keeps the tab's session, and its user.
    first.run(&a1, "location.reload(); return true;").await;
    let reloaded = shown(&first, &a1).await;
    assert_eq!(
        reloaded.session, a1_shown.session,
        "a reload resumes the session"
    );
    first.wait_text(&a1, "#user", "bob (operator)").await;

    // A log-out from one tab logs out every tab of the browser.
    first.click(&a1, "#logout").await;
    for tab in [&a1, &a3, &a4] {
        first.wait_text(tab, "#user", "nobody").await;
    }
    second.wait_text(&b1, "#active", "1").await;

    assert!(
        host.is_running(),
        "web_host died; its log is {}",
        host.log.display()
    );
    first.quit().await;
    second.quit().await;
}

/// Waits until `tab` is connected and watching its counts, and reads its session and
/// client ids.
async fn shown(browser: &Browser, tab: &Tab) -> Shown {
    browser
        .wait_for(tab, "#status", "\"live\"", PATIENCE, |text| text == "live")
        .await;
    let id = |text: &str| text.len() == 32 && text.bytes().all(|b| b.is_ascii_hexdigit());
    Shown {
        session: browser
            .wait_for(tab, "#session", "a session id", PATIENCE, id)
            .await,
        client: browser
            .wait_for(tab, "#client", "a client id", PATIENCE, id)
            .await,
    }
}

/// Fills the page's log-in form with `user` and `password` and sends it; the caller waits
/// for what the page shows.
async fn log_in(browser: &Browser, tab: &Tab, user: &str, password: &str) {
    browser
        .run(
            tab,
            "document.getElementById('login-result').textContent = '';",
        )
        .await;
    browser.fill(tab, "#login-user", user).await;
    browser.fill(tab, "#login-password", password).await;
    browser.click(tab, "#login").await;
}

/// Sends a notice with the page's admin form; returns what the page says came of it.
async fn send_notice(browser: &Browser, tab: &Tab, to: &str, text: &str) -> String {
    browser
        .run(
            tab,
            "document.getElementById('notify-result').textContent = '';",
        )
        .await;
    browser.fill(tab, "#notify-user", to).await;
    browser.fill(tab, "#notify-text", text).await;
    browser.click(tab, "#notify").await;
    browser
        .wait_for(tab, "#notify-result", "the outcome", PATIENCE, |text| {
            !text.is_empty()
        })
        .await
}
