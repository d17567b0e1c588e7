//! Resume on any node of a farm: a tab that brings a resume token this host does not know
//! (its node died or drained) is offered to the engine's adopter, which the farm sets when
//! the engine joins one. The adopter checks the token's verifier and the client against
//! what the session's owner wrote to Redis, and moves the session here: the tab gets the
//! same session, `resumed: true`. A good token whose session another node still holds under
//! a live lease (a node killed a moment ago holds its sessions until its lease ends) is
//! refused for now: the socket is closed with 1013 ("try again later"), and the tab
//! reconnects with its token after its backoff, by when the lease has ended or the load
//! balancer sends it to the owner. Otherwise (no farm, a wrong token or client) the tab gets
//! a new session, as a tab without a token.

use super::tabs::{Attached, Refusal, Tabs};
use super::verifier::verifier;
use crate::engine::Adoption;
use crate::{ClientId, SessionId, User};

impl Tabs {
    /// The tab a socket of `client` attaches to: the tab of `resume` on this host, else the
    /// session the farm lets this host adopt for it, else a new tab.
    pub(super) fn attach(
        &self,
        resume: Option<&str>,
        client: &ClientId,
        user: Option<User>,
    ) -> Result<Attached, Refusal> {
        if let Some(token) = resume {
            if let Some(attached) = self.resume(token, client) {
                return Ok(attached);
            }
            if let Some(attached) = self.adopt(token, client) {
                return attached;
            }
        }
        self.open(client, user)
    }

    /// The session of `token` adopted from another node, if the engine is in a farm and the
    /// farm lets this node adopt it; [`Refusal::HeldElsewhere`] while another live node
    /// holds it.
    fn adopt(&self, token: &str, client: &ClientId) -> Option<Result<Attached, Refusal>> {
        let key = token.get(..32)?.parse::<SessionId>().ok()?;
        let secret = token.get(32..)?.parse::<SessionId>().ok()?;
        let adopter = self.engine().adopter()?;
        match adopter.adopt(&key.to_string(), &verifier(&secret), client) {
            Adoption::Adopted(session) => Some(self.insert_adopted(key, secret, client, session)),
            Adoption::HeldElsewhere => Some(Err(Refusal::HeldElsewhere)),
            Adoption::Declined => None,
        }
    }
}
