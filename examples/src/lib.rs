//! The example application: the exported methods a host calls, ported from Optix NetLogic
//! and Xojo Web.
//!
//! - [`optix`]: `GetActiveWebSessionsNumber`, the Optix cheat sheet's method;
//! - [`notices`]: `NotifyUser` and `ShowNotice`, Xojo's push pattern, shown in the
//!   user's pages;
//! - [`live`]: `WatchCounts`, the counts a page shows live (logged-in sessions, this
//!   browser's tabs), pushed when they change (a log-in is the host's: `web_host` logs
//!   users in from an accounts file, with the roles the file gives);
//! - [`model`]: `GetVariable` (`session = impersonate`) and the Optix background task that
//!   impersonates the root session;
//! - [`audit`](mod@audit): the audit trail of the servers' `--audit FILE`;
//! - [`line`](mod@line): the NetLogic objects of a production line, an `Oven` and a `Counter`,
//!   exported per line (`Line1/Oven.SetTarget`).
//!
//! The programs that use them are in `src/bin/`: `web_sessions` (the tour),
//! `list_methods` (what a host sees) and `web_host` (the methods served to browsers);
//! `accounts` makes the entries of an accounts file (`examples/demo-accounts.toml` is a demo
//! one, whose passwords it names). The methods of a second crate,
//! [`sessions_examples_plugin`], are in the same table.

pub mod audit;
mod error;
pub mod farm;
pub mod line;
pub mod live;
pub mod model;
pub mod notices;
pub mod optix;

pub use error::AppError;
pub use sessions_examples_plugin as plugin;

/// The name of the examples' engine, as Optix names its `WebPresentationEngine` node.
pub const ENGINE_NAME: &str = "WebPresentationEngine";
