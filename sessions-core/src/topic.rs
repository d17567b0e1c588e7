//! Typed notification topics: a [`Topic<T>`] names a topic and the type of its payload, so
//! that a push cannot send the wrong shape and a client can be told each topic's type (the
//! TypeScript declarations list every topic declared with [`topic!`](crate::topic)).
//!
//! A topic is still a string on the wire ([`Session::notify`] takes any `&str`); declaring
//! one is what makes its payload type known.

use std::marker::PhantomData;

use serde::Serialize;

use crate::value::TypeSchema;
use crate::{Session, SessionError};

/// A notification topic whose payloads are `T`: declared once, as a constant, with
/// [`topic!`](crate::topic), which also lists it for the TypeScript declarations.
///
/// ```
/// use serde::Serialize;
/// use sessions_core::{schemars::JsonSchema, topic, Engine};
///
/// /// A line of text for the page.
/// #[derive(Serialize, JsonSchema)]
/// #[schemars(crate = "sessions_core::schemars")]
/// pub struct Notice {
///     pub from: String,
///     pub text: String,
/// }
///
/// topic! {
///     /// A notice shown on the page.
///     pub NOTICE: Notice = "notice";
/// }
///
/// let engine = Engine::builder().build()?;
/// let session = engine.open()?;
/// NOTICE.notify(&session, &Notice { from: "ops".into(), text: "Line 1 stops at noon".into() })?;
/// let pushed = session.take_notifications();
/// assert_eq!(pushed[0].topic, "notice");
/// assert!(sessions_core::topics().iter().any(|topic| topic.name() == "notice"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// The payload type must implement `serde::Serialize` and `schemars::JsonSchema`
/// ([`TopicPayload`]): [`topic!`](crate::topic) refuses any other at compile time, and
/// [`Topic::notify`] needs it.
pub struct Topic<T: ?Sized> {
    name: &'static str,
    payload: PhantomData<fn(&T)>,
}

impl<T: ?Sized> Topic<T> {
    /// The topic named `name` (what a page passes to `tab.on(name, fn)`). Prefer
    /// [`topic!`](crate::topic), which also lists it for the TypeScript declarations.
    pub const fn new(name: &'static str) -> Self {
        Topic {
            name,
            payload: PhantomData,
        }
    }

    /// The topic's name on the wire.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The record [`topic!`](crate::topic) submits for this topic.
    #[doc(hidden)]
    pub const fn info(&self, rust_type: &'static str, module_path: &'static str) -> TopicInfo
    where
        T: TopicPayload,
    {
        TopicInfo {
            name: self.name,
            rust_type,
            module_path,
            schema: T::SCHEMA,
        }
    }

    /// Pushes `payload` to `session`'s client: [`Session::notify`] with this topic's name.
    ///
    /// # Errors
    /// As [`Session::notify`]: the outbox is full, the session is closed, or the payload's
    /// `Serialize` impl failed.
    pub fn notify(&self, session: &Session, payload: &T) -> Result<(), SessionError>
    where
        T: TopicPayload,
    {
        session.notify(self.name, payload)
    }
}

impl<T: ?Sized> Clone for Topic<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Topic<T> {}

impl<T: ?Sized> std::fmt::Debug for Topic<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Topic").field(&self.name).finish()
    }
}

/// What a topic's payload must be: `serde::Serialize` (it is pushed as JSON) and, with the
/// feature `schema`, `schemars::JsonSchema` (its type is published). Implemented for every
/// such type; nothing implements it by hand.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the payload of a notification topic",
    label = "not a topic payload",
    note = "a topic's payload must implement `serde::Serialize` and (with the default feature \
            `schema`) `schemars::JsonSchema`: derive both, e.g. \
            `#[derive(serde::Serialize, schemars::JsonSchema)]`"
)]
pub trait TopicPayload: Serialize {
    /// The payload's schema, as generated code records it.
    #[doc(hidden)]
    const SCHEMA: TypeSchema;
}

#[cfg(feature = "schema")]
impl<T: Serialize + schemars::JsonSchema + ?Sized> TopicPayload for T {
    const SCHEMA: TypeSchema = TypeSchema::new(|generator| generator.subschema_for::<T>());
}

#[cfg(not(feature = "schema"))]
impl<T: Serialize + ?Sized> TopicPayload for T {
    const SCHEMA: TypeSchema = TypeSchema::NONE;
}

/// A declared topic as [`topics()`] lists it: its name, its payload's Rust type and
/// schema, and where it was declared.
#[derive(Clone, Copy)]
pub struct TopicInfo {
    name: &'static str,
    rust_type: &'static str,
    module_path: &'static str,
    // Read by the TypeScript declarations, which need the feature `schema`.
    #[cfg_attr(not(feature = "schema"), allow(dead_code))]
    schema: TypeSchema,
}

impl TopicInfo {
    /// The topic's name on the wire.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// The payload's Rust type, as written in the declaration.
    pub fn rust_type(&self) -> &'static str {
        self.rust_type
    }

    /// The module that declared the topic.
    pub fn module_path(&self) -> &'static str {
        self.module_path
    }

    /// The JSON Schema of the payload as it is sent (serde's serialize side), standing
    /// alone (`$schema`, `$defs`).
    #[cfg(feature = "schema")]
    pub fn schema(&self) -> Option<schemars::Schema> {
        let generator = crate::value::schema::settings().for_serialize();
        self.schema.standalone(generator.into_generator())
    }

    /// The payload's schema with its definitions added to `generator`.
    #[cfg(feature = "schema")]
    pub(crate) fn subschema(
        &self,
        generator: &mut schemars::SchemaGenerator,
    ) -> Option<schemars::Schema> {
        self.schema.subschema(generator)
    }
}

impl std::fmt::Debug for TopicInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopicInfo")
            .field("name", &self.name)
            .field("rust_type", &self.rust_type)
            .field("module_path", &self.module_path)
            .finish()
    }
}

inventory::collect!(TopicInfo);

/// Every topic declared with [`topic!`](crate::topic) in the program's linked crates,
/// sorted by name (then by the module that declared it).
pub fn topics() -> Vec<&'static TopicInfo> {
    let mut topics: Vec<&'static TopicInfo> = inventory::iter::<TopicInfo>.into_iter().collect();
    topics.sort_by_key(|topic| (topic.name, topic.module_path));
    topics
}

/// Declares a notification topic: a `const` [`Topic<T>`](crate::Topic) named as given, and
/// its entry in [`topics()`](crate::topics), so the TypeScript declarations type it.
///
/// ```
/// # use sessions_core::topic;
/// topic! {
///     /// The number of sessions with a user.
///     pub ACTIVE: usize = "active";
/// }
/// assert_eq!(ACTIVE.name(), "active");
/// ```
///
/// The payload type must implement `serde::Serialize` and `schemars::JsonSchema`: a type
/// that does not is a compile error that says so.
#[macro_export]
macro_rules! topic {
    ($(#[$attr:meta])* $vis:vis $name:ident : $payload:ty = $topic:expr ;) => {
        $(#[$attr])*
        $vis const $name: $crate::Topic<$payload> = $crate::Topic::new($topic);
        $crate::__private::inventory::submit! {
            $name.info(::core::stringify!($payload), ::core::module_path!())
        }
    };
}
