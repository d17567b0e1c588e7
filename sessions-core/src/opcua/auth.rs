//! The host's [`AuthManager`]: which identity tokens an endpoint takes (anonymous when
//! allowed, user name and password when users or a hook are configured), who a user name
//! and password are (the configured users, then the hook), and whether a user may execute
//! a method (its `role`).
//!
//! async-opcua knows a user by a [`UserToken`] string only; this one is `user:` and the
//! user's name (so no user can be taken for the anonymous token, `ANONYMOUS`), and the
//! [`User`] with its roles is kept here by that token while a session holds it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use opcua::crypto::SecurityPolicy;
use opcua::nodes::AccessLevel;
use opcua::server::authenticator::{
    user_pass_security_policy_id, AuthManager, Password, UserToken,
};
use opcua::server::ServerEndpoint;
use opcua::types::{Error, NodeId, StatusCode, UAString, UserTokenPolicy, UserTokenType};

use super::address_space::MethodNodes;
use super::anonymous::AnonymousSlots;
use super::variable_nodes::VariableNodes;
use crate::audit::{AuditHost, AuditKind, AuditOutcome};
use crate::auth::{Accounts, AuthError, Throttle};
use crate::engine::audit::CallAudit;
use crate::host::{Authenticate, Credentials};
use crate::lock::lock;
use crate::{Engine, User};

/// The policy id of the anonymous token (async-opcua checks a client's token against it).
const ANONYMOUS_POLICY_ID: &str = "anonymous";

/// How long a user authenticated by the hook is remembered with no session holding it (an
/// activation that follows its authentication finds it well within this).
const UNHELD_USER_TTL: Duration = Duration::from_secs(60);

/// One configured user: the password and who they are.
pub(super) struct Account {
    pub password: String,
    pub user: User,
}

/// The token async-opcua knows `user` by.
pub(super) fn token_of(user: &User) -> UserToken {
    UserToken(format!("user:{}", user.name()))
}

pub(super) struct Auth {
    allow_anonymous: bool,
    accounts: HashMap<String, Account>,
    store: Option<Accounts>,
    hook: Option<Arc<Authenticate>>,
    /// The users last authenticated, by token, and when.
    known: Mutex<HashMap<String, (User, Instant)>>,
    nodes: Arc<MethodNodes>,
    /// The exported variables' nodes: who may write each.
    variables: Arc<VariableNodes>,
    throttle: Throttle,
    /// The engine whose audit trail records each log-in, if it keeps one.
    audit: Option<Engine>,
    /// The cap on anonymous sessions.
    anonymous: AnonymousSlots,
}

impl Auth {
    pub fn new(
        allow_anonymous: bool,
        accounts: HashMap<String, Account>,
        store: Option<Accounts>,
        hook: Option<Arc<Authenticate>>,
        nodes: Arc<MethodNodes>,
    ) -> Auth {
        Auth {
            allow_anonymous,
            accounts,
            store,
            hook,
            known: Mutex::new(HashMap::new()),
            nodes,
            variables: Arc::new(VariableNodes::new()),
            throttle: Throttle::builder().build(),
            audit: None,
            anonymous: AnonymousSlots::new(usize::MAX),
        }
    }

    /// Holds at most `max` anonymous sessions at once: an anonymous activation past it is
    /// refused with `BadTooManySessions`.
    pub fn anonymous_at_most(mut self, max: usize) -> Auth {
        self.anonymous = AnonymousSlots::new(max);
        self
    }

    /// The host's registry opened an anonymous session (or a session became anonymous).
    pub fn anonymous_opened(&self) {
        self.anonymous.opened();
    }

    /// The host's registry holds `held` anonymous sessions.
    pub fn anonymous_held(&self, held: usize) {
        self.anonymous.held(held);
    }

    /// Tells each user's access level of the Variable nodes in `variables` (the write bit
    /// follows the variable's write role).
    pub fn with_variables(mut self, variables: Arc<VariableNodes>) -> Auth {
        self.variables = variables;
        self
    }

    /// Records each log-in (ok, failed, refused) in `engine`'s audit trail, if it keeps one.
    pub fn audited_by(mut self, engine: Engine) -> Auth {
        self.audit = Some(engine);
        self
    }

    /// Counts failed log-ins in `throttle` (by user name), and refuses a name past its limit.
    pub fn throttled_by(mut self, throttle: Throttle) -> Auth {
        self.throttle = throttle;
        self
    }

    /// Whether any user can log in with a name and password.
    pub fn takes_passwords(&self) -> bool {
        !self.accounts.is_empty() || self.store.is_some() || self.hook.is_some()
    }

    /// The user a session's token stands for: `None` for the anonymous token (or a token
    /// this host did not give, which cannot happen).
    pub fn user(&self, token: &UserToken) -> Option<User> {
        if token.is_anonymous() {
            return None;
        }
        lock(&self.known)
            .get(&token.0)
            .map(|(user, _)| user.clone())
    }

    /// Forgets the users that no session holds (`held` says which tokens sessions hold) and
    /// that were authenticated long enough ago: memory stays bounded by the live sessions
    /// and the recent log-ins.
    pub fn forget_unheld(&self, held: impl Fn(&str) -> bool) {
        let now = Instant::now();
        lock(&self.known)
            .retain(|token, (_, at)| held(token) || now.duration_since(*at) < UNHELD_USER_TTL);
    }

    /// Who `name` is if `password` is theirs: a user given to the builder, else the
    /// accounts store's (checked on tokio's blocking pool, throttled), else the hook's.
    async fn check(&self, name: &str, password: &str) -> Result<User, AuthError> {
        if let Some(account) = self.accounts.get(name) {
            return crate::ct::eq(account.password.as_bytes(), password.as_bytes())
                .then(|| account.user.clone())
                .ok_or(AuthError::Invalid);
        }
        if let Some(store) = &self.store {
            if let Err(error) = store.reload_if_changed() {
                tracing::warn!(%error, "the accounts file changed but could not be read again: the users before stay");
            }
            // async-opcua does not say who the peer is: throttled per name only.
            return store
                .verify_async(name.to_owned(), password.to_owned(), None)
                .await;
        }
        let hook = self.hook.as_ref().ok_or(AuthError::Invalid)?;
        hook(&Credentials::password(name, password)).ok_or(AuthError::Invalid)
    }
}

#[async_trait::async_trait]
impl AuthManager for Auth {
    async fn authenticate_anonymous_token(&self, endpoint: &ServerEndpoint) -> Result<(), Error> {
        if self.allow_anonymous {
            if self.anonymous.reserve() {
                return Ok(());
            }
            // Not logged at WARN: a client opening sessions in a loop would fill the log.
            tracing::debug!(
                max = self.anonymous.max(),
                "anonymous OPC UA session refused: the cap is reached"
            );
            return Err(Error::new(
                StatusCode::BadTooManySessions,
                format!(
                    "this server holds {} anonymous sessions, its limit: log in with a user name and password, or try again later",
                    self.anonymous.max()
                ),
            ));
        }
        Err(Error::new(
            StatusCode::BadIdentityTokenRejected,
            format!(
                "endpoint {:?} does not take anonymous clients: log in with a user name and password",
                endpoint.path
            ),
        ))
    }

    async fn authenticate_username_identity_token(
        &self,
        _endpoint: &ServerEndpoint,
        username: &str,
        password: &Password,
    ) -> Result<UserToken, Error> {
        // A log-in has no session yet: async-opcua activates it afterwards.
        let audit = self.audit.as_ref().and_then(|engine| {
            CallAudit::event(
                engine,
                AuditHost::Opcua,
                AuditKind::Login,
                username,
                None,
                None,
            )
        });
        let finish = |outcome| {
            if let Some(audit) = audit {
                audit.finish_as(outcome);
            }
        };
        // Every name is throttled here, the store's users (which the store throttles too)
        // and the configured users and the hook's alike.
        let attempt = match self.throttle.begin(username, None) {
            Ok(attempt) => attempt,
            Err(error) => {
                // Not logged at WARN: a client hammering a name would fill the log.
                tracing::debug!(user = username, %error, "OPC UA log-in throttled");
                let why = match error {
                    AuthError::Throttled { retry_after } => format!(
                        "too many failed log-ins for {username:?}: try again in {} s",
                        retry_after.as_secs().max(1)
                    ),
                    other => format!("cannot log in {username:?}: {other}"),
                };
                finish(AuditOutcome::Refused);
                return Err(Error::new(StatusCode::BadUserAccessDenied, why));
            }
        };
        let user = match self.check(username, password.get()).await {
            Ok(user) => user,
            Err(error) => {
                attempt.failed();
                finish(match error {
                    AuthError::Throttled { .. } => AuditOutcome::Refused,
                    _ => AuditOutcome::Failed,
                });
                // The error's own text: one for an unknown user and a wrong password, the
                // wait when throttled, the store's failure when it could not answer.
                tracing::warn!(user = username, reason = %error, "OPC UA log-in refused");
                return Err(Error::new(
                    StatusCode::BadUserAccessDenied,
                    format!("cannot log in {username:?}: {error}"),
                ));
            }
        };
        attempt.succeeded();
        finish(AuditOutcome::Ok);
        let token = token_of(&user);
        lock(&self.known).insert(token.0.clone(), (user, Instant::now()));
        Ok(token)
    }

    /// A Variable node of an exported variable is writable by a user only as its session
    /// rule says (the write role, if any): the `UserAccessLevel` a client reads, and what
    /// async-opcua checks before anything else is done.
    fn effective_user_access_level(
        &self,
        token: &UserToken,
        user_access_level: AccessLevel,
        node_id: &NodeId,
    ) -> AccessLevel {
        match self.variables.node(node_id) {
            Some(node) if !node.writable_by(self.user(token).as_ref()) => {
                user_access_level - AccessLevel::CURRENT_WRITE
            }
            _ => user_access_level,
        }
    }

    fn is_user_executable(&self, token: &UserToken, method_id: &NodeId) -> bool {
        match self.nodes.role(method_id) {
            None => true,
            Some(role) => self.user(token).is_some_and(|user| user.has_role(role)),
        }
    }

    fn user_token_policies(&self, endpoint: &ServerEndpoint) -> Vec<UserTokenPolicy> {
        let mut policies = Vec::with_capacity(2);
        if self.allow_anonymous {
            policies.push(UserTokenPolicy {
                policy_id: UAString::from(ANONYMOUS_POLICY_ID),
                token_type: UserTokenType::Anonymous,
                issued_token_type: UAString::null(),
                issuer_endpoint_url: UAString::null(),
                security_policy_uri: UAString::null(),
            });
        }
        if self.takes_passwords() {
            // With a certificate, a password is encrypted with it even on an endpoint
            // without security (the endpoint's `password_security_policy`); without one,
            // the endpoint's own policy applies (None: plain text).
            let password_policy = endpoint.password_security_policy();
            let security_policy_uri = if password_policy == endpoint.security_policy() {
                UAString::null()
            } else {
                UAString::from(password_policy.to_uri())
            };
            policies.push(UserTokenPolicy {
                policy_id: user_pass_security_policy_id(endpoint),
                token_type: UserTokenType::UserName,
                issued_token_type: UAString::null(),
                issuer_endpoint_url: UAString::null(),
                security_policy_uri,
            });
        }
        policies
    }
}

/// The password policy of an endpoint without security when the server has a certificate.
pub(super) const PASSWORD_POLICY_WITH_CERTIFICATE: SecurityPolicy = SecurityPolicy::Basic256Sha256;

#[cfg(test)]
mod tests {
    use super::*;

    fn auth(hook: Option<Arc<Authenticate>>) -> Auth {
        let mut accounts = HashMap::new();
        accounts.insert(
            "ada".to_owned(),
            Account {
                password: "pw".to_owned(),
                user: User::new("ada").with_roles(["admin"]),
            },
        );
        Auth::new(false, accounts, None, hook, Arc::new(MethodNodes::new()))
    }

    fn log_in(auth: &Auth, name: &str, password: &str) -> Result<UserToken, Error> {
        let endpoint = ServerEndpoint::new_none("/", &[]);
        let password = Password::new(password.to_owned());
        crate::block_on::block_on(
            auth.authenticate_username_identity_token(&endpoint, name, &password),
        )
    }

    #[test]
    fn users_log_in_by_password_or_hook_and_are_forgotten_when_no_session_holds_them() {
        let hook: Arc<Authenticate> = Arc::new(|credentials: &Credentials<'_>| {
            let (name, password) = credentials.user_and_password()?;
            (password == "hook").then(|| User::new(name))
        });
        let auth = auth(Some(hook));
        let ada = log_in(&auth, "ada", "pw").expect("a configured user");
        assert_eq!(auth.user(&ada).map(|u| u.has_role("admin")), Some(true));
        let refused = log_in(&auth, "ada", "hook").expect_err("a configured user's password only");
        assert_eq!(refused.status(), StatusCode::BadUserAccessDenied);
        let bob = log_in(&auth, "bob", "hook").expect("the hook's user");
        assert_eq!(
            auth.user(&bob).map(|u| u.name().to_owned()),
            Some("bob".to_owned())
        );
        assert!(log_in(&auth, "carol", "nope").is_err());

        // Recent log-ins are kept for their activation; held ones as long as a session is.
        auth.forget_unheld(|_| false);
        assert!(auth.user(&bob).is_some());
        let long_ago = Instant::now() - UNHELD_USER_TTL * 2;
        for (_, at) in lock(&auth.known).values_mut() {
            *at = long_ago;
        }
        auth.forget_unheld(|token| token == ada.0);
        assert!(auth.user(&ada).is_some(), "held by a session");
        assert!(auth.user(&bob).is_none(), "forgotten: memory stays bounded");
    }

    #[test]
    fn anonymous_clients_are_refused_when_not_allowed() {
        let endpoint = ServerEndpoint::new_none("/", &[]);
        let refused = crate::block_on::block_on(auth(None).authenticate_anonymous_token(&endpoint));
        assert_eq!(
            refused.expect_err("refused").status(),
            StatusCode::BadIdentityTokenRejected
        );
        let policies = auth(None).user_token_policies(&endpoint);
        assert_eq!(policies.len(), 1);
        assert_eq!(policies[0].token_type, UserTokenType::UserName);
    }

    #[test]
    fn tokens_never_look_anonymous() {
        let token = token_of(&User::new("ANONYMOUS"));
        assert_eq!(token.0, "user:ANONYMOUS");
        assert!(!token.is_anonymous());
    }
}
