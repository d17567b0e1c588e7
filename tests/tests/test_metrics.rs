//! Metrics (feature `metrics`): the web host's `GET {base}/metrics` after calls and
//! failures over a real WebSocket and real POSTs, each series' value checked; Prometheus's
//! `promtool check metrics` accepts the scrape; a real Prometheus server scrapes the host
//! and its query API returns `sessions_open`.

mod browser_support;
mod prometheus_support;
mod web_support;

use std::net::SocketAddr;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use browser_support::server::WebHostProcess;
use serde_json::json;
use sessions_core::metrics::Metrics;
use sessions_core::web::WebHost;
use sessions_core::{export_method, export_methods, Engine, Session, SessionError, User};
use sessions_examples::ENGINE_NAME;
use web_support::{http, Handshake, Server, Tab};

/// Adds two numbers, in any context.
#[export_method(name = "MetricsAdd", session = none)]
fn metrics_add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

/// Always fails (in a session).
#[export_method(name = "MetricsFail")]
fn metrics_fail() -> Result<i64, SessionError> {
    Err(SessionError::NoContext)
}

/// Always panics.
#[export_method(name = "MetricsPanic", session = none)]
fn metrics_panic() -> i64 {
    panic!("the metrics test's panic")
}

/// Logs the calling session in as `name`.
#[export_method(name = "MetricsLogIn")]
fn metrics_log_in(session: &Session, name: String) -> Result<(), SessionError> {
    session.set_user(Some(User::new(name)));
    Ok(())
}

/// An oven of a production line, exported as an object.
#[derive(Default)]
pub struct MetricsOven {
    target: AtomicI64,
}

#[export_methods]
impl MetricsOven {
    /// Sets the target temperature; returns the one before.
    #[export(name = "SetTarget")]
    pub fn set_target(&self, degrees: i64) -> Result<i64, SessionError> {
        Ok(self.target.swap(degrees, Ordering::SeqCst))
    }
}

/// A user name that must never appear in a scrape.
const SECRET_USER: &str = "alice-the-operator";

/// The value of the series `series` (its name and labels, as written) in `text`.
fn value(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.parse().ok())
}

/// A web host of its own engine with metrics on, an object exported at `Line1/Oven`.
async fn server(name: &str) -> (Server, Metrics, sessions_core::ObjectHandle) {
    let engine = Engine::builder()
        .name(name)
        .build()
        .expect("a new engine name");
    let oven = engine
        .export_object("Line1/Oven", Arc::new(MetricsOven::default()))
        .expect("the oven is exported");
    let metrics = Metrics::new();
    let for_host = metrics.clone();
    let server = Server::start(engine, move |engine| {
        WebHost::builder(engine).metrics(for_host)
    })
    .await;
    (server, metrics, oven)
}

async fn scrape(server: &Server) -> String {
    let (status, headers, body) = http(server, "GET", "/sessions/metrics", &[], "").await;
    assert_eq!(status, 200, "{body}");
    let content_type = headers
        .iter()
        .find(|(name, _)| name == "content-type")
        .map(|(_, value)| value.as_str());
    assert_eq!(
        content_type,
        Some("text/plain; version=0.0.4; charset=utf-8")
    );
    body
}

async fn post(server: &Server, body: &str) -> serde_json::Value {
    let (status, _, answer) = http(server, "POST", "/sessions/rpc", &[], body).await;
    assert_eq!(status, 200, "{answer}");
    serde_json::from_str(&answer).expect("a JSON answer")
}

/// Calls and failures over a WebSocket and POSTs, then every series' value.
async fn scenario(server: &Server) -> Tab {
    let mut tab = Tab::open(server, Handshake::default()).await;
    let ok = tab.call("MetricsAdd", json!([1, 2])).await;
    assert_eq!(ok["result"]["value"], 3, "{ok}");
    let ok = tab.call("MetricsAdd", json!({"a": 2, "b": 2})).await;
    assert_eq!(ok["result"]["value"], 4, "{ok}");
    let failed = tab.call("MetricsFail", json!([])).await;
    assert_eq!(failed["error"]["code"], -32000, "{failed}");
    let panicked = tab.call("MetricsPanic", json!([])).await;
    assert_eq!(panicked["error"]["code"], -32603, "{panicked}");
    let object = tab.call("Line1/Oven.SetTarget", json!([180])).await;
    assert_eq!(object["result"]["value"], 0, "{object}");
    // A name the table does not know, sent by the client: counted as `unknown`.
    let unknown = tab.call("NoSuchMethodFromTheClient", json!([])).await;
    assert_eq!(unknown["error"]["code"], -32601, "{unknown}");
    let bad_args = tab.call("MetricsAdd", json!(["x"])).await;
    assert_eq!(bad_args["error"]["code"], -32602, "{bad_args}");
    let logged_in = tab.call("MetricsLogIn", json!([SECRET_USER])).await;
    assert!(logged_in.get("result").is_some(), "{logged_in}");

    let ok = post(
        server,
        r#"{"jsonrpc":"2.0","method":"MetricsAdd","params":[5,5],"id":1}"#,
    )
    .await;
    assert_eq!(ok["result"]["value"], 10, "{ok}");
    // A method that needs a session, from a POST without one: refused.
    let refused = post(server, r#"{"jsonrpc":"2.0","method":"MetricsFail","id":2}"#).await;
    assert_eq!(refused["error"]["code"], -32001, "{refused}");
    tab
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scrape_after_calls_and_failures_counts_each_by_method_outcome_and_host() {
    let (server, metrics, _oven) = server("MetricsScenario").await;
    let tab = scenario(&server).await;
    // Notifications left queued when a session closes: counted as undelivered.
    let quiet = server.engine.open().expect("a session");
    quiet.notify("never-taken", 1).expect("queued");
    quiet.notify("never-taken", 2).expect("queued");
    server.engine.close(quiet.id()).expect("closed");

    let text = scrape(&server).await;
    let calls = |method: &str, outcome: &str| {
        value(
            &text,
            &format!(r#"sessions_calls_total{{method="{method}",outcome="{outcome}",host="web"}}"#),
        )
    };
    assert_eq!(calls("MetricsAdd", "ok"), Some(3.0), "{text}");
    assert_eq!(calls("MetricsAdd", "invalid"), Some(1.0), "{text}");
    assert_eq!(calls("MetricsFail", "failed"), Some(1.0), "{text}");
    assert_eq!(calls("MetricsFail", "refused"), Some(1.0), "{text}");
    assert_eq!(calls("MetricsPanic", "panicked"), Some(1.0), "{text}");
    assert_eq!(calls("MetricsOven.SetTarget", "ok"), Some(1.0), "{text}");
    assert_eq!(calls("MetricsLogIn", "ok"), Some(1.0), "{text}");
    assert_eq!(calls("unknown", "invalid"), Some(1.0), "{text}");
    assert_eq!(
        calls("MetricsAdd", "failed"),
        None,
        "no such series: {text}"
    );

    let duration = |method: &str, part: &str| {
        value(
            &text,
            &format!(r#"sessions_call_duration_seconds_{part}{{method="{method}",host="web"}}"#),
        )
    };
    assert_eq!(duration("MetricsAdd", "count"), Some(4.0), "{text}");
    assert_eq!(duration("MetricsFail", "count"), Some(2.0), "{text}");
    assert_eq!(duration("unknown", "count"), Some(1.0), "{text}");
    assert!(
        duration("MetricsAdd", "sum").is_some_and(|sum| sum > 0.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"sessions_call_duration_seconds_bucket{method="MetricsAdd",host="web",le="+Inf"}"#
        ),
        Some(4.0),
        "{text}"
    );

    assert_eq!(
        value(&text, r#"sessions_open{engine="MetricsScenario"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"sessions_active{engine="MetricsScenario"}"#),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        value(
            &text,
            r#"sessions_notifications_undelivered_total{engine="MetricsScenario"}"#
        ),
        Some(2.0),
        "{text}"
    );

    // Nothing a client chose, and nothing that names a session or a user, is in a label.
    for secret in [
        "NoSuchMethodFromTheClient",
        SECRET_USER,
        tab.session(),
        tab.client(),
        "Line1/Oven",
    ] {
        assert!(
            !text.contains(secret),
            "{secret:?} is in the scrape: {text}"
        );
    }
    // The registry the host serves is the application's: the same text outside the host.
    assert_eq!(
        value(
            &metrics.encode(),
            r#"sessions_open{engine="MetricsScenario"}"#
        ),
        Some(1.0)
    );

    // The tab's session closes (as at the end of its grace period): the gauges follow.
    let id = tab.session().parse().expect("a session id");
    server.engine.close(id).expect("the tab's session closes");
    let text = scrape(&server).await;
    assert_eq!(
        value(&text, r#"sessions_open{engine="MetricsScenario"}"#),
        Some(0.0),
        "{text}"
    );
    assert_eq!(
        value(&text, r#"sessions_active{engine="MetricsScenario"}"#),
        Some(0.0),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_metrics_there_is_no_endpoint() {
    let server = Server::start(Engine::new(), WebHost::builder).await;
    let (status, _, _) = http(&server, "GET", "/sessions/metrics", &[], "").await;
    assert_eq!(status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn promtool_accepts_the_scrape() {
    let test = "promtool_accepts_the_scrape";
    if !prometheus_support::installed(test, "promtool") {
        return;
    }
    let (server, _metrics, _oven) = server("MetricsPromtool").await;
    let _tab = scenario(&server).await;
    let text = scrape(&server).await;
    if let Err(problems) = prometheus_support::promtool_check(&text) {
        panic!("promtool check metrics refused the scrape: {problems}\n{text}");
    }
    // And it refuses what is wrong, so its silence above means something.
    assert!(prometheus_support::promtool_check("sessions_calls 1\nsessions_calls 2\n").is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_prometheus_scrapes_web_host_and_answers_sessions_open() {
    let test = "a_real_prometheus_scrapes_web_host_and_answers_sessions_open";
    if !prometheus_support::installed(test, "prometheus") {
        return;
    }
    // Declared first, so dropped last: after web_host, whose log is in it.
    let dir = prometheus_support::TempDir::new("metrics");
    // The example as a user runs it: it turns its metrics on.
    let web_host = WebHostProcess::start(&dir.0, &[]);
    let addr: SocketAddr = web_host
        .url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .expect("web_host's address");
    let _first = Tab::try_open_at(addr, Handshake::default())
        .await
        .expect("web_host opens a tab");
    let _second = Tab::try_open_at(addr, Handshake::default())
        .await
        .expect("web_host opens a tab");
    let prometheus = prometheus_support::Prometheus::start(addr, "/sessions/metrics").await;
    let open = prometheus
        .query_value(&format!(r#"sessions_open{{engine="{ENGINE_NAME}"}}"#))
        .await;
    assert_eq!(open, 2.0, "{}", prometheus.log());
    let up = prometheus.query_value(r#"up{job="sessions"}"#).await;
    assert_eq!(
        up,
        1.0,
        "the scrape of web_host succeeded: {}",
        prometheus.log()
    );
}
