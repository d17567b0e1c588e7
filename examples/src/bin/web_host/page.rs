//! The page: plain HTML, CSS and an ES module that imports the host's
//! `/sessions/client.js`, built into the program (no build step, no files to find at run
//! time).

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderValue;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const INDEX_HTML: &str = include_str!("page/index.html");
const PAGE_JS: &str = include_str!("page/page.js");
const STYLE_CSS: &str = include_str!("page/style.css");

/// `GET /`, `GET /page.js` and `GET /style.css`.
pub fn router() -> Router {
    Router::new()
        .route(
            "/",
            get(|| async { asset("text/html; charset=utf-8", INDEX_HTML) }),
        )
        .route(
            "/page.js",
            get(|| async { asset("text/javascript; charset=utf-8", PAGE_JS) }),
        )
        .route(
            "/style.css",
            get(|| async { asset("text/css; charset=utf-8", STYLE_CSS) }),
        )
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // A new build of the program serves a new page: never a stale one.
            (CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        body,
    )
}
