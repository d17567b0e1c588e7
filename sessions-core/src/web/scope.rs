//! [`LoginScope`]: whether a web log-in holds for the browser or for the tab.

/// Which tabs a log-in (and a log-out) applies to:
/// [`WebHostBuilder::login_scope`](super::WebHostBuilder::login_scope).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoginScope {
    /// Every open tab of the browser (its client cookie), and the tabs it opens later, until
    /// a log-out from any of them or until its last tab's session closes: what web users
    /// expect. The default.
    #[default]
    Browser,
    /// The tab that logged in only (Xojo's default): each tab logs in by itself.
    Tab,
}
