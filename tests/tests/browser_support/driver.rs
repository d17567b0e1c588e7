//! chromedriver and the headless Chromium browsers it drives over WebDriver (fantoccini),
//! with what a test does to a page: open it in a tab, read an element's text until it is
//! what is expected (polled against a deadline, never a blind sleep), type, click, close
//! the tab, take a screenshot.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use fantoccini::wd::{Capabilities, WindowHandle};
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;

use super::group::Group;
use super::Parts;

/// How long a page has to show what a test waits for, unless the test says otherwise.
pub const PATIENCE: Duration = Duration::from_secs(10);
/// How often a waited-for element is read again.
const POLL: Duration = Duration::from_millis(50);
/// The longest `TMPDIR` Chromium can make its singleton socket in: a unix socket's path
/// holds 107 bytes, and Chromium adds 46 (`/.org.chromium.Chromium.XXXXXX/SingletonSocket`).
const MAX_TMPDIR: usize = 107 - 46;
/// The browser window, as large as the page's screenshot.
const WINDOW: (u32, u32) = (1100, 760);

/// A running chromedriver, on a port it chose; its browsers and it end when dropped.
pub struct ChromeDriver {
    url: String,
    chromium: PathBuf,
    dir: PathBuf,
    _group: Group,
}

impl ChromeDriver {
    /// Starts chromedriver with `--port=0` and reads the port it chose; its log, its
    /// `TMPDIR` and its browsers' profiles go in `dir`.
    pub fn start(parts: &Parts, dir: &Path) -> ChromeDriver {
        let tmp = dir.join("tmp");
        // Chromium's `TMPDIR/.org.chromium.Chromium.XXXXXX/SingletonSocket` must fit a unix
        // socket's path (107 bytes); a longer one makes Chromium exit at start, which
        // chromedriver reports only as a renderer timeout a minute later.
        assert!(
            tmp.as_os_str().len() <= MAX_TMPDIR,
            "chromedriver's TMPDIR {} is longer than {MAX_TMPDIR} bytes: Chromium could not \
             make its socket there (use a shorter test name for the TempDir, or a target \
             directory with a shorter path)",
            tmp.display()
        );
        std::fs::create_dir_all(&tmp).expect("chromedriver's TMPDIR");
        let log = std::fs::File::create(dir.join("chromedriver.log")).expect("a log file");
        let mut command = Command::new(&parts.chromedriver);
        command
            .arg("--port=0")
            .env("TMPDIR", &tmp)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log);
        let mut group = Group::spawn("chromedriver", command).unwrap_or_else(|error| {
            panic!("cannot start {}: {error}", parts.chromedriver.display())
        });
        let stdout = group.leader().stdout.take().expect("piped stdout");
        let (port_tx, port_rx) = mpsc::channel();
        thread::spawn(move || {
            // "ChromeDriver was started successfully on port 40347."
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let port = line
                    .split_once("started successfully on port ")
                    .and_then(|(_, rest)| rest.trim_end_matches('.').parse::<u16>().ok());
                if let Some(port) = port {
                    let _ = port_tx.send(port);
                }
            }
        });
        let port = port_rx.recv_timeout(PATIENCE).unwrap_or_else(|_| {
            panic!(
                "chromedriver told no port within {PATIENCE:?} (exit: {:?}); see {}",
                group.exited(),
                dir.join("chromedriver.log").display()
            )
        });
        ChromeDriver {
            url: format!("http://127.0.0.1:{port}"),
            chromium: parts.chromium.clone(),
            dir: dir.to_owned(),
            _group: group,
        }
    }

    /// A new headless Chromium with a fresh profile of its own (`name`): its own cookies,
    /// so the host sees another browser.
    pub async fn browser(&self, name: &str) -> Browser {
        let profile = self.dir.join(format!("profile-{name}"));
        let args = [
            "--headless=new".to_owned(),
            // The sandbox needs user namespaces a container (or root) may not have.
            "--no-sandbox".to_owned(),
            format!("--user-data-dir={}", profile.display()),
            format!("--window-size={},{}", WINDOW.0, WINDOW.1),
            // Nothing but the page: no first-run UI, no calls home (there is no network).
            "--no-first-run".to_owned(),
            "--no-default-browser-check".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--disable-gpu".to_owned(),
            // Tabs in the background keep running as in the foreground.
            "--disable-background-timer-throttling".to_owned(),
            "--disable-renderer-backgrounding".to_owned(),
            "--disable-backgrounding-occluded-windows".to_owned(),
            // Chromium exits when chromedriver does.
            "--remote-debugging-pipe".to_owned(),
        ];
        let mut capabilities = Capabilities::new();
        capabilities.insert("browserName".to_owned(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({ "binary": self.chromium, "args": args }),
        );
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .unwrap_or_else(|error| {
                panic!(
                    "chromedriver could not start Chromium {}: {error}",
                    self.chromium.display()
                )
            });
        Browser {
            name: name.to_owned(),
            client,
            fresh_window: true,
        }
    }
}

/// One browser (one Chromium profile) and its tabs.
pub struct Browser {
    name: String,
    client: Client,
    /// Whether the browser's first window is still unused (a new tab takes it).
    fresh_window: bool,
}

/// A tab of a [`Browser`].
#[derive(Clone, Debug)]
pub struct Tab {
    /// `browser/n`, for messages.
    pub name: String,
    handle: WindowHandle,
}

impl Browser {
    /// Opens `url` in a new tab (the first one in the window the browser started with).
    pub async fn open_tab(&mut self, name: &str, url: &str) -> Tab {
        let handle = if self.fresh_window {
            self.fresh_window = false;
            self.client.window().await.expect("the first window")
        } else {
            self.client
                .new_window(true)
                .await
                .expect("a new tab")
                .handle
        };
        let tab = Tab {
            name: format!("{}/{name}", self.name),
            handle,
        };
        self.switch(&tab).await;
        self.client.goto(url).await.expect("the page loads");
        tab
    }

    /// Runs `window.open(location.href)` in `from`, as a page's script or a link opening
    /// the page again does, and returns the tab it opened.
    pub async fn open_from(&self, from: &Tab, name: &str) -> Tab {
        let before = self.client.windows().await.expect("the open tabs");
        self.run(from, "window.open(location.href); return true;")
            .await;
        let deadline = Instant::now() + PATIENCE;
        loop {
            let now = self.client.windows().await.expect("the open tabs");
            if let Some(handle) = now.into_iter().find(|handle| !before.contains(handle)) {
                let tab = Tab {
                    name: format!("{}/{name}", self.name),
                    handle,
                };
                self.switch(&tab).await;
                return tab;
            }
            assert!(
                Instant::now() < deadline,
                "{}: window.open opened no tab",
                from.name
            );
            tokio::time::sleep(POLL).await;
        }
    }

    async fn switch(&self, tab: &Tab) {
        self.client
            .switch_to_window(tab.handle.clone())
            .await
            .unwrap_or_else(|error| panic!("cannot switch to {}: {error}", tab.name));
    }

    /// The text of the element `css` in `tab`, `None` when there is none.
    pub async fn text(&self, tab: &Tab, css: &str) -> Option<String> {
        self.switch(tab).await;
        let element = self.client.find(Locator::Css(css)).await.ok()?;
        element.text().await.ok()
    }

    /// The texts of every element `css` matches in `tab`.
    pub async fn texts(&self, tab: &Tab, css: &str) -> Vec<String> {
        self.switch(tab).await;
        let elements = self
            .client
            .find_all(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{}: cannot look for {css}: {error}", tab.name));
        let mut texts = Vec::with_capacity(elements.len());
        for element in elements {
            texts.push(element.text().await.unwrap_or_default());
        }
        texts
    }

    /// Reads the text of `css` in `tab` until `expected` holds for it, for at most
    /// `patience`; returns it. Fails with the last text seen.
    pub async fn wait_for(
        &self,
        tab: &Tab,
        css: &str,
        what: &str,
        patience: Duration,
        expected: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + patience;
        loop {
            let text = self.text(tab, css).await;
            if let Some(text) = text.as_deref().filter(|text| expected(text)) {
                return text.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "{}: {css} did not show {what} within {patience:?}; it shows {text:?}",
                tab.name
            );
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the text of `css` in `tab` is `expected`.
    pub async fn wait_text(&self, tab: &Tab, css: &str, expected: &str) {
        self.wait_for(tab, css, &format!("{expected:?}"), PATIENCE, |text| {
            text == expected
        })
        .await;
    }

    /// Types `text` into the field `css` of `tab`, replacing what it held.
    pub async fn fill(&self, tab: &Tab, css: &str, text: &str) {
        self.switch(tab).await;
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{}: no {css}: {error}", tab.name));
        field.clear().await.expect("the field clears");
        field
            .send_keys(text)
            .await
            .expect("the field takes the text");
    }

    /// Clicks the element `css` of `tab`.
    pub async fn click(&self, tab: &Tab, css: &str) {
        self.switch(tab).await;
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{}: no {css}: {error}", tab.name))
            .click()
            .await
            .unwrap_or_else(|error| panic!("{}: cannot click {css}: {error}", tab.name));
    }

    /// Runs `script` (a function body) in `tab` and returns its result.
    pub async fn run(&self, tab: &Tab, script: &str) -> serde_json::Value {
        self.switch(tab).await;
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|error| panic!("{}: the script failed: {error}", tab.name))
    }

    /// The browser's cookie `name` for the page `tab` shows, as a `Cookie` header's
    /// `name=value` pair (HttpOnly ones too: a test hands it to a WebSocket client of its
    /// own, as another tab of this browser); `None` when it has none.
    pub async fn cookie(&self, tab: &Tab, name: &str) -> Option<String> {
        self.switch(tab).await;
        let cookie = self.client.get_named_cookie(name).await.ok()?;
        Some(format!("{}={}", cookie.name(), cookie.value()))
    }

    /// A PNG of what `tab` shows.
    pub async fn screenshot(&self, tab: &Tab) -> Vec<u8> {
        self.switch(tab).await;
        self.client.screenshot().await.expect("a screenshot")
    }

    /// Closes `tab`, as a user closing it does.
    pub async fn close_tab(&self, tab: Tab) {
        self.switch(&tab).await;
        self.client.close_window().await.expect("the tab closes");
    }

    /// Ends the browser's WebDriver session (Chromium exits).
    pub async fn quit(self) {
        self.client.close().await.expect("the browser quits");
    }
}
