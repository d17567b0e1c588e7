//! Exported objects (Optix's NetLogic objects): instances of a type whose `#[export_methods]`
//! block has `&self` methods, exported by an engine under a path, so that a host calls
//! `"<path>.<method>"` on that instance. [`Engine::export_object`] returns a handle that
//! unexports the object when dropped; [`Engine::objects`] lists the live ones.

use std::any::{Any, TypeId};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, Weak};

use super::paths::path_problem;
use super::{Engine, EngineEvent, EngineShared, VariableHandle};
use crate::current;
use crate::lock::lock;
use crate::methods::{
    in_object, methods, Args, CallError, CallFuture, CallOutcome, MethodInfo, ObjectRef,
};
use crate::model::{variables_of, VariableError};

/// The objects an engine exports, by path.
#[derive(Default)]
pub(crate) struct Objects {
    by_path: Mutex<BTreeMap<String, Exported>>,
}

/// One exported object.
#[derive(Clone)]
struct Exported {
    /// Its path again, shared with the calls that log it (`Line1/Oven.set_target`).
    path: Arc<str>,
    type_name: &'static str,
    /// The `&self` methods of its type, sorted by their own names: found once, at export.
    methods: Arc<[&'static MethodInfo]>,
    object: ObjectRef,
}

/// Why an object could not be exported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectError {
    /// The path is not one a host can name.
    #[error("cannot export an object at {path:?}: {why}")]
    InvalidPath {
        /// The path given.
        path: String,
        /// What is wrong with it.
        why: &'static str,
    },
    /// Another live object has this path on this engine.
    #[error("an object is already exported at {0:?}: drop its handle first")]
    PathTaken(String),
    /// The type has no `&self` method in an `#[export_methods]` block and no variable
    /// fields: a host could do nothing with it.
    #[error(
        "`{0}` has no exported `&self` methods and no variables: put `#[export_methods]` on an `impl` block of it, or `#[derive(Variables)]` on it for its `Variable` fields"
    )]
    NoMethods(&'static str),
    /// One of the object's `Variable` fields could not be exported at `<path>/<field>`
    /// (another variable has that path): the object was not exported.
    #[error("cannot export the object's variable field: {0}")]
    Variable(VariableError),
    /// A method that needs no object is already exported under the name that one of this
    /// object's methods would have at this path (a type named like the path, with an
    /// associated `fn` of the same name): a host could not tell the two apart.
    #[error("cannot export an object at {path:?}: its method would be called `{name}`, which already names the exported method at {location}; export the object under another path, or rename that method with `name = \"…\"`")]
    NameClash {
        /// The path given.
        path: String,
        /// The name both would have.
        name: String,
        /// Where the method already exported under that name is defined.
        location: String,
    },
}

/// What [`Engine::objects`] lists of each exported object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectInfo {
    /// Its path: a host calls `"<path>.<method>"`.
    pub path: String,
    /// Its Rust type (`std::any::type_name`).
    pub type_name: &'static str,
    /// The methods a host may call on it, by their own names, sorted.
    pub methods: Vec<&'static str>,
}

/// An exported object: unexported when this is dropped (or [`unexport`](Self::unexport)ed).
#[must_use = "the object is unexported when its handle is dropped"]
pub struct ObjectHandle {
    engine: Weak<EngineShared>,
    path: String,
    /// Its `Variable` fields, exported with it and unexported after it.
    variables: Vec<VariableHandle>,
}

impl ObjectHandle {
    /// The path the object is exported at.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The paths of its `Variable` fields, exported with it (`<path>/<field>`).
    pub fn variable_paths(&self) -> impl ExactSizeIterator<Item = &str> {
        self.variables.iter().map(VariableHandle::path)
    }

    /// Unexports the object now: later calls on its path are `UnknownMethod`.
    pub fn unexport(self) {}
}

impl Drop for ObjectHandle {
    fn drop(&mut self) {
        if let Some(engine) = self.engine.upgrade() {
            let removed = lock(&engine.objects.by_path).remove(&self.path);
            if removed.is_some() {
                engine
                    .observers
                    .tell(EngineEvent::ObjectDropped { path: &self.path });
            }
        }
    }
}

impl fmt::Debug for ObjectHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ObjectHandle")
            .field("path", &self.path)
            .finish()
    }
}

impl Engine {
    /// Exports `object` under `path`: a host calls its `&self` methods (those of its type's
    /// `#[export_methods]` blocks) as `"<path>.<method>"`, through
    /// [`Engine::call_as_root`], [`Session::call`](crate::Session::call) on this engine's
    /// sessions, or [`methods().call`](crate::MethodTable::call) where one of them (or
    /// nothing, for the global engine) is current.
    ///
    /// A path is one or more `/`-separated segments (`Line1/Oven`), each non-empty, without
    /// `.` (which separates the method), whitespace or control characters.
    ///
    /// When the type derives [`Variables`](crate::Variables), its `Variable` fields are
    /// exported with it, each as `<path>/<field>` ([`Engine::variable`]), and unexported
    /// with it.
    ///
    /// # Errors
    /// [`ObjectError::InvalidPath`], [`ObjectError::PathTaken`],
    /// [`ObjectError::NoMethods`] for a type with nothing to call or watch, or
    /// [`ObjectError::Variable`] when a field's path is taken by another variable.
    pub fn export_object<T: Any + Send + Sync>(
        &self,
        path: &str,
        object: Arc<T>,
    ) -> Result<ObjectHandle, ObjectError> {
        check_path(path)?;
        let type_id = TypeId::of::<T>();
        let mut of_type: Vec<&'static MethodInfo> = methods()
            .iter()
            .filter(|m| m.is_instance() && m.is_owned_by(type_id))
            .collect();
        let fields = variables_of(&*object);
        if of_type.is_empty() && fields.is_none() {
            return Err(ObjectError::NoMethods(std::any::type_name::<T>()));
        }
        of_type.sort_unstable_by_key(|m| m.member());
        clash(path, &of_type)?;
        if lock(&self.shared.objects.by_path).contains_key(path) {
            return Err(ObjectError::PathTaken(path.to_owned()));
        }
        // The fields first: an object is never seen exported without its variables.
        let mut variables = Vec::new();
        for (name, variable) in fields.unwrap_or_default() {
            let handle = self
                .export_any_variable(&format!("{path}/{name}"), variable)
                .map_err(ObjectError::Variable)?;
            variables.push(handle);
        }
        let mut by_path = lock(&self.shared.objects.by_path);
        if by_path.contains_key(path) {
            return Err(ObjectError::PathTaken(path.to_owned()));
        }
        let exported = Exported {
            path: Arc::from(path),
            type_name: std::any::type_name::<T>(),
            methods: of_type.into(),
            object,
        };
        by_path.insert(path.to_owned(), exported);
        drop(by_path);
        self.shared
            .observers
            .tell(EngineEvent::ObjectExported { path });
        Ok(ObjectHandle {
            engine: Arc::downgrade(&self.shared),
            path: path.to_owned(),
            variables,
        })
    }

    /// The objects this engine exports, sorted by path.
    pub fn objects(&self) -> Vec<ObjectInfo> {
        let by_path = lock(&self.shared.objects.by_path).clone();
        by_path
            .into_iter()
            .map(|(path, exported)| ObjectInfo {
                path,
                type_name: exported.type_name,
                methods: exported.methods.iter().filter_map(|m| m.member()).collect(),
            })
            .collect()
    }

    /// The exported objects' paths and `&self` methods (sorted by their own names), for a
    /// host that lists each method with its parameters (the OPC UA host's address space).
    #[cfg_attr(not(any(feature = "opcua", feature = "web")), allow(dead_code))]
    pub(crate) fn object_methods(&self) -> Vec<(String, Arc<[&'static MethodInfo]>)> {
        lock(&self.shared.objects.by_path)
            .iter()
            .map(|(path, exported)| (path.clone(), exported.methods.clone()))
            .collect()
    }

    /// The table's entry of the method `name` (`"<path>.<method>"`) calls on an object of
    /// this engine, if it names one: what a metric labels the call with.
    #[cfg_attr(not(feature = "metrics"), allow(dead_code))]
    pub(crate) fn object_method_info(&self, name: &str) -> Option<&'static MethodInfo> {
        let (path, member) = name.rsplit_once('.')?;
        self.object_method(path, member).map(|found| found.method)
    }

    /// The object at `path` and its method `member`, on this engine.
    pub(super) fn object_method(&self, path: &str, member: &str) -> Option<ObjectMethod> {
        let exported = lock(&self.shared.objects.by_path).get(path).cloned()?;
        let method = exported
            .methods
            .iter()
            .find(|m| m.member() == Some(member))?;
        Some(ObjectMethod {
            method,
            object: exported.object,
            path: exported.path,
        })
    }
}

/// A method of an exported object, found for one call.
pub(crate) struct ObjectMethod {
    pub(crate) method: &'static MethodInfo,
    object: ObjectRef,
    path: Arc<str>,
}

impl ObjectMethod {
    /// Calls the method (a plain `fn`) on the object now.
    pub(crate) fn call(&self, args: Args) -> Result<CallOutcome, CallError> {
        in_object(&self.path, || self.method.call_on(&self.object, args))
    }

    /// Starts the method (an `async fn`) on the object: `None` for a plain `fn`. Each poll
    /// of the future runs with the object's path known, for its failure events.
    pub(crate) fn start(self, args: Args) -> Option<Result<CallFuture, CallError>> {
        let ObjectMethod {
            method,
            object,
            path,
        } = self;
        let future = in_object(&path, || method.start_on(object, args))?;
        Some(future.map(|inner| -> CallFuture { Box::pin(InObject { path, inner }) }))
    }
}

/// An object's `async` method's call: every poll knows the object's path.
struct InObject {
    path: Arc<str>,
    inner: CallFuture,
}

impl std::future::Future for InObject {
    type Output = CallOutcome;

    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<CallOutcome> {
        let this = &mut *self;
        in_object(&this.path, || this.inner.as_mut().poll(cx))
    }
}

/// Calls `name` as `"<path>.<method>"` on an object of the engine of the current session,
/// or of the global engine when none is current; `None` when there is no such object or
/// method, so the caller reports the name as it found it.
pub(crate) fn call_on_object(name: &str, args: Args) -> Option<Result<CallOutcome, CallError>> {
    Some(find_object_method(name)?.call(args))
}

/// The object and method `name` (`"<path>.<method>"`) names, on the engine of the current
/// session, or on the global engine when none is current.
pub(crate) fn find_object_method(name: &str) -> Option<ObjectMethod> {
    let (path, member) = name.rsplit_once('.')?;
    let engine = current()
        .and_then(|session| session.engine())
        .unwrap_or_else(|| Engine::global().clone());
    engine.object_method(path, member)
}

/// Refuses `path` when one of its methods' names there (`<path>.<member>`) is already the
/// name of a method that needs no object: a host's call would be ambiguous. A `&self`
/// method's type-level entry (which only says to call it on an object) is no clash: the
/// object is looked up first.
fn clash(path: &str, of_type: &[&'static MethodInfo]) -> Result<(), ObjectError> {
    let table = methods();
    for member in of_type.iter().filter_map(|m| m.member()) {
        let name = format!("{path}.{member}");
        if let Some(other) = table.iter_named(&name).find(|m| !m.is_instance()) {
            return Err(ObjectError::NameClash {
                path: path.to_owned(),
                name,
                location: other.location(),
            });
        }
    }
    Ok(())
}

/// Refuses a path a host cannot name, as an object's error.
fn check_path(path: &str) -> Result<(), ObjectError> {
    match path_problem(path) {
        None => Ok(()),
        Some(why) => Err(ObjectError::InvalidPath {
            path: path.to_owned(),
            why,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_checked_segment_by_segment() {
        assert_eq!(check_path("Line1/Oven"), Ok(()));
        assert_eq!(check_path("Oven"), Ok(()));
        for bad in [
            "",
            "Line1//Oven",
            "/Oven",
            "Oven/",
            "Line.1/Oven",
            "Line 1",
            "a\nb",
        ] {
            assert!(check_path(bad).is_err(), "{bad:?}");
        }
    }
}
