//! Durable session state: the typed state an application registers with
//! [`EngineBuilder::persist`](super::EngineBuilder::persist) travels with a session when
//! another node of a farm adopts it; every other type stays on the node that holds it.
//!
//! The engine keeps, per registered type, how to write a session's value as JSON and how
//! to put it back. It tells its observers ([`EngineEvent::StateChanged`]) when a value of a
//! registered type is inserted or removed, so the farm writes it again (batched, off the
//! caller's path). A tab's resume verifier (a hash of its resume token's secret, never the
//! secret) is kept the same way, so any node can check a token it did not give.
//!
//! The engine's adoption hook ([`Adopter`]) is set by the farm when the engine joins one:
//! a host that gets a resume token it does not know asks it, without knowing the farm.

use std::any::{Any, TypeId};
use std::sync::{Arc, RwLock};

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{Engine, EngineEvent, EngineShared, Session};
use crate::{ClientId, SessionId};

/// The most bytes a session's registered state may take as JSON: a session whose state is
/// larger is still announced, without its state (logged with what to do).
pub(crate) const MAX_STATE_BYTES: usize = 64 * 1024;

/// How to write one registered type, and put it back.
pub(crate) struct Persisted {
    pub(crate) type_id: TypeId,
    /// The type's name (`std::any::type_name`): the key of its value in the JSON object,
    /// the same on every node that runs the same program.
    pub(crate) name: &'static str,
    save: fn(&Session) -> Option<Result<serde_json::Value, serde_json::Error>>,
    load: fn(&Session, serde_json::Value) -> Result<(), serde_json::Error>,
}

impl Persisted {
    pub(crate) fn of<T: Serialize + DeserializeOwned + Send + Sync + 'static>() -> Persisted {
        Persisted {
            type_id: TypeId::of::<T>(),
            name: std::any::type_name::<T>(),
            save: |session| {
                session
                    .get::<T>()
                    .map(|value| serde_json::to_value(&*value))
            },
            load: |session, value| {
                let value: T = serde_json::from_value(value)?;
                session.insert_quietly(value);
                Ok(())
            },
        }
    }
}

/// A tab's resume verifier, kept as the session's (private) typed state: the key that
/// finds the tab (hex) and a hash of the token's secret (hex).
#[derive(Clone, Debug)]
pub(crate) struct ResumeVerifier {
    pub(crate) key: String,
    pub(crate) hash: String,
}

/// What a host asks when a tab brings a resume token this node does not know: the farm's
/// answer (set when the engine joins one).
pub(crate) trait Adopter: Send + Sync {
    /// Adopts the session the token's `key` names, when `verifier` and `client` are its own
    /// and its owner's lease ended or it released it: the session is open here on return,
    /// with the same id, user, client and registered state.
    fn adopt(&self, key: &str, verifier: &str, client: &ClientId) -> Adoption;
}

/// The farm's answer to a tab's resume token that this node does not know.
pub(crate) enum Adoption {
    /// The session moved here, open with its id, user, client and registered state.
    Adopted(Session),
    /// The token and the client are the session's, but another node holds it under a live
    /// lease (a node just killed holds it until its lease ends): the tab should try again
    /// later, when the session is adoptable or it reaches its owner, rather than take a new
    /// session and leave its own behind.
    HeldElsewhere,
    /// Nothing to adopt (no farm session for the token, a wrong verifier or client, or the
    /// farm could not be asked; logged): the tab gets a new session.
    Declined,
}

/// The engine's adopter slot.
#[derive(Default)]
pub(crate) struct AdopterSlot(RwLock<Option<Arc<dyn Adopter>>>);

impl EngineShared {
    /// Whether `type_id` is a registered (durable) state type.
    pub(crate) fn persists(&self, type_id: TypeId) -> bool {
        type_id == TypeId::of::<ResumeVerifier>()
            || self.persisted.iter().any(|p| p.type_id == type_id)
    }
}

impl Session {
    /// Tells the engine's observers that this session's durable state changed, when `T` is
    /// durable.
    pub(crate) fn state_changed<T: Any>(&self) {
        if let Some(engine) = self.inner.engine.upgrade() {
            if self.is_open() && !self.is_root() && engine.persists(TypeId::of::<T>()) {
                engine.observers.tell(EngineEvent::StateChanged(self));
            }
        }
    }

    /// Keeps the tab's resume verifier with the session (so the farm writes it).
    pub(crate) fn set_resume_verifier(&self, key: String, hash: String) {
        self.insert(ResumeVerifier { key, hash });
    }

    /// The tab's resume verifier, if a host set one.
    pub(crate) fn resume_verifier(&self) -> Option<Arc<ResumeVerifier>> {
        self.get::<ResumeVerifier>()
    }
}

impl Engine {
    /// The session's registered state as one JSON object (type name → value), or `None`
    /// when it has none. A value that does not serialize, or a state larger than
    /// [`MAX_STATE_BYTES`], is left out and logged.
    pub(crate) fn durable_state(&self, session: &Session) -> Option<String> {
        let mut object = serde_json::Map::new();
        for persisted in &self.shared.persisted {
            match (persisted.save)(session) {
                None => {}
                Some(Ok(value)) => {
                    object.insert(persisted.name.to_owned(), value);
                }
                Some(Err(error)) => tracing::error!(
                    session = %session.id(),
                    state = persisted.name,
                    %error,
                    "a session's registered state does not serialize; it does not travel to another node (fix its Serialize impl)"
                ),
            }
        }
        if object.is_empty() {
            return None;
        }
        let text = serde_json::Value::Object(object).to_string();
        if text.len() > MAX_STATE_BYTES {
            tracing::error!(
                session = %session.id(),
                bytes = text.len(),
                max = MAX_STATE_BYTES,
                "a session's registered state is too large to write to the farm; it does not travel to another node (keep less in the registered types, or register fewer)"
            );
            return None;
        }
        Some(text)
    }

    /// Puts back the registered state `json` (from [`durable_state`](Self::durable_state))
    /// into `session`. A type this engine does not register, or a value that does not
    /// parse, is left out and logged.
    pub(crate) fn restore_state(&self, session: &Session, json: &str) {
        if json.is_empty() {
            return;
        }
        let object = match serde_json::from_str::<serde_json::Value>(json) {
            Ok(serde_json::Value::Object(object)) => object,
            _ => {
                tracing::error!(session = %session.id(), "a session's state in the farm is not a JSON object; the session is adopted without it");
                return;
            }
        };
        for (name, value) in object {
            match self.shared.persisted.iter().find(|p| p.name == name) {
                Some(persisted) => {
                    if let Err(error) = (persisted.load)(session, value) {
                        tracing::error!(session = %session.id(), state = %name, %error, "a session's registered state does not parse on this node; the session is adopted without it (do all nodes run the same program?)");
                    }
                }
                None => {
                    tracing::error!(session = %session.id(), state = %name, "a session's state is of a type this engine does not register with `persist`; the session is adopted without it (do all nodes register the same types?)")
                }
            }
        }
    }

    /// Opens a session adopted from another node: the same `id`, `client` and `user`, its
    /// registered state put back from `state` before the observers and the `on_open` hook
    /// are told. `None` when a session with this id is open here already.
    ///
    /// # Errors
    /// [`SessionError::Capacity`](crate::SessionError::Capacity) at `max_sessions`.
    pub(crate) fn open_adopted(
        &self,
        id: SessionId,
        client: Option<ClientId>,
        user: Option<crate::User>,
        state: &str,
    ) -> Result<Option<Session>, crate::SessionError> {
        let Some(session) = self.open_with_id(Some(id), client, |session| {
            if user.is_some() {
                session.set_user_quietly(user);
            }
            self.restore_state(session, state);
        })?
        else {
            return Ok(None);
        };
        Ok(Some(session))
    }

    /// Sets (or, with `None`, clears) the engine's adopter.
    pub(crate) fn set_adopter(&self, adopter: Option<Arc<dyn Adopter>>) {
        *self
            .shared
            .adopter
            .0
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = adopter;
    }

    /// The engine's adopter, when it is in a farm.
    pub(crate) fn adopter(&self) -> Option<Arc<dyn Adopter>> {
        self.shared
            .adopter
            .0
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use serde::{Deserialize, Serialize};

    use super::MAX_STATE_BYTES;
    use crate::engine::EngineEvent;
    use crate::{ClientId, Engine, SessionId, User};

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Cart(Vec<String>);

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Big(String);

    #[derive(Debug)]
    struct Local;

    fn engine() -> Engine {
        Engine::builder()
            .persist::<Cart>()
            .persist::<Big>()
            .persist::<Cart>()
            .build()
            .expect("engine")
    }

    #[test]
    fn registered_state_round_trips_and_unregistered_state_stays() {
        let engine = engine();
        let session = engine.open().expect("open");
        assert_eq!(
            engine.durable_state(&session),
            None,
            "nothing registered is held"
        );
        session.insert(Cart(vec!["apple".into()]));
        session.insert(Local);
        let state = engine.durable_state(&session).expect("a state");
        assert!(!state.contains("Local"), "{state}");

        let other = Engine::builder().persist::<Cart>().build().expect("engine");
        let id = SessionId::random();
        let user = User::new("alice").with_roles(["admin"]);
        let adopted = other
            .open_adopted(id, Some(ClientId::new("c1")), Some(user), &state)
            .expect("capacity")
            .expect("a new id");
        assert_eq!(adopted.id(), id);
        assert_eq!(adopted.client(), Some(ClientId::new("c1")));
        assert!(adopted.user().is_some_and(|u| u.has_role("admin")));
        assert_eq!(other.active_count(), 1);
        assert_eq!(
            adopted.get::<Cart>().as_deref(),
            Some(&Cart(vec!["apple".into()]))
        );
        assert!(adopted.get::<Local>().is_none());
        // The same id again: refused, and nothing is counted twice.
        let again = other
            .open_adopted(id, None, Some(User::new("bob")), "")
            .expect("capacity");
        assert!(again.is_none());
        assert_eq!((other.len(), other.active_count()), (1, 1));
    }

    #[test]
    fn a_state_too_large_or_unknown_is_left_out() {
        let engine = engine();
        let session = engine.open().expect("open");
        session.insert(Big("x".repeat(MAX_STATE_BYTES + 1)));
        assert_eq!(engine.durable_state(&session), None);
        // A type this engine does not register, and a value that does not parse: the
        // session is adopted without them.
        let state = r#"{"some::Other":1,"sessions_core::engine::persist::tests::Cart":7}"#;
        let adopted = engine
            .open_adopted(SessionId::random(), None, None, state)
            .expect("capacity")
            .expect("new");
        assert!(adopted.get::<Cart>().is_none());
        let adopted = engine
            .open_adopted(SessionId::random(), None, None, "not json")
            .expect("capacity")
            .expect("new");
        assert!(adopted.get::<Cart>().is_none());
    }

    #[test]
    fn only_registered_state_changes_are_told() {
        let engine = engine();
        let told = Arc::new(AtomicUsize::new(0));
        let counter = told.clone();
        let _observer = engine.observe(move |event: &EngineEvent<'_>| {
            if matches!(event, EngineEvent::StateChanged(_)) {
                counter.fetch_add(1, Ordering::SeqCst);
            }
        });
        let session = engine.open().expect("open");
        session.insert(Local);
        assert_eq!(told.load(Ordering::SeqCst), 0);
        session.insert(Cart(Vec::new()));
        session.remove::<Cart>();
        assert_eq!(told.load(Ordering::SeqCst), 2);
        engine.close(session.id()).expect("close");
        session.insert(Cart(Vec::new()));
        assert_eq!(
            told.load(Ordering::SeqCst),
            2,
            "a closed session tells nothing"
        );
    }
}
