//! Resume on any node of a farm: a tab that brings a resume token this host does not know
//! (its node died or drained) is offered to the engine's adopter, which the farm sets when
//! the engine joins one. The adopter checks the token's verifier and the client against
//! what the session's owner wrote to Redis, and moves the session here: the tab gets the
//! same session, `resumed: true`. A session another node holds (it did not release it and
//! its lease runs: it may have died a moment ago) is refused for now
//! ([`Refusal::Held`]): the tab tries again with its token, and is adopted once the lease
//! ends, instead of taking a new session and losing its own. Otherwise (no farm, a wrong
//! token or client, an expired session) the tab gets a new session, as a tab without a
//! token.

use super::tabs::{Attached, Refusal, Tabs};
use super::verifier::verifier;
use crate::engine::Adoption;
use crate::{ClientId, SessionId, User};

/// The close code of a tab's socket whose resume token names a session another node of the
/// farm holds for now (it did not release it and its lease runs): try again shortly with
/// the same token (`client.js` does, for at most its `heldWaitMs`).
pub const SESSION_HELD: u16 = 4003;

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
    /// farm lets this node adopt it; [`Refusal::Held`] while another node holds it.
    fn adopt(&self, token: &str, client: &ClientId) -> Option<Result<Attached, Refusal>> {
        let key = token.get(..32)?.parse::<SessionId>().ok()?;
        let secret = token.get(32..)?.parse::<SessionId>().ok()?;
        let adopter = self.engine().adopter()?;
        match adopter.adopt(&key.to_string(), &verifier(&secret), client) {
            Adoption::Adopted(session) => Some(self.insert_adopted(key, secret, client, session)),
            Adoption::Held => Some(Err(Refusal::Held)),
            Adoption::Refused => None,
        }
    }
}
