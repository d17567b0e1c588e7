//! The engine's exported variables in the host's address space: in the namespace
//! `urn:sessions:methods`, an object `Variables` in the Objects folder organizes a Variable
//! node per exported variable (`s=<path>`, browse name its path), typed as an argument of
//! its Rust type is (`types.rs`), readable and writable (`AccessLevel` CurrentRead |
//! CurrentWrite; the `UserAccessLevel` a user sees drops CurrentWrite when the variable's
//! write role is not theirs, `auth.rs`). The variable of an exported object
//! (`<object path>/<field>`) is also a component of that object's node.
//!
//! [`VariableNodes`] keeps what each node stands for, and the task that follows each
//! variable's changes (started by the caller's `follow`, ended here when the variable goes
//! or the host stops): one task per exported variable, no more.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use opcua::nodes::{AccessLevel, NodeType, VariableBuilder};
use opcua::server::address_space::AddressSpace;
use opcua::sync::RwLock;
use opcua::types::{
    NodeId, ObjectId, ObjectTypeId, QualifiedName, ReferenceTypeId, VariableTypeId,
};
use tokio::task::JoinHandle;

use super::types::{Scalar, UaType};
use crate::lock::lock;
use crate::model::AnyVariable;
use crate::{Engine, User};

/// The browse name (and display name) of the object that organizes the exported variables.
pub const VARIABLES_OBJECT: &str = "Variables";

/// The numeric id of the `Variables` object: numeric, so no path can take it (the
/// `Methods` object is 1).
const VARIABLES_OBJECT_ID: u32 = 2;

/// One exported variable's node: what it reads, writes and watches.
pub(super) struct VariableNode {
    /// The path it is exported at.
    pub path: Arc<str>,
    /// Its node id, `s=<path>`.
    pub id: NodeId,
    /// The variable, shared with the engine.
    pub variable: Arc<dyn AnyVariable>,
    /// How its values travel.
    pub ty: UaType,
}

impl VariableNode {
    /// Whether the session rule lets a session of `user` write it: any session when it has
    /// no write role, otherwise a user with that role (an OPC UA session is never a root).
    pub fn writable_by(&self, user: Option<&User>) -> bool {
        match self.variable.write_role() {
            None => true,
            Some(role) => user.is_some_and(|user| user.has_role(role)),
        }
    }
}

/// A variable in the address space and the task that follows its changes.
struct Followed {
    node: Arc<VariableNode>,
    watcher: JoinHandle<()>,
}

/// The Variable nodes of the host.
pub(super) struct VariableNodes {
    namespace: AtomicU16,
    by_node: RwLock<HashMap<NodeId, Arc<VariableNode>>>,
    /// By path; `None` once the host stopped (no task is started after that).
    by_path: Mutex<Option<BTreeMap<String, Followed>>>,
}

impl VariableNodes {
    pub fn new() -> VariableNodes {
        VariableNodes {
            namespace: AtomicU16::new(0),
            by_node: RwLock::new(HashMap::new()),
            by_path: Mutex::new(Some(BTreeMap::new())),
        }
    }

    /// The node `node` stands for, if it is an exported variable's.
    pub fn node(&self, node: &NodeId) -> Option<Arc<VariableNode>> {
        self.by_node.read().get(node).cloned()
    }

    /// The `Variables` object's node id.
    fn object(&self) -> NodeId {
        NodeId::new(self.namespace.load(Ordering::Relaxed), VARIABLES_OBJECT_ID)
    }

    /// Adds the `Variables` object; `namespace` is the index the server gave
    /// `urn:sessions:methods`.
    pub fn init(&self, space: &mut AddressSpace, namespace: u16) {
        self.namespace.store(namespace, Ordering::Relaxed);
        opcua::nodes::ObjectBuilder::new(
            &self.object(),
            QualifiedName::new(namespace, VARIABLES_OBJECT),
            VARIABLES_OBJECT,
        )
        .description("The exported variables: each a Variable node named by its path")
        .organized_by(ObjectId::ObjectsFolder)
        .has_type_definition(ObjectTypeId::BaseObjectType)
        .insert(space);
    }

    /// Makes the Variable nodes match `engine`'s exported variables: adds the new ones (and
    /// starts `follow` for each), removes the dropped or replaced ones (and ends their
    /// task). Then links each variable `<path>/<name>` to the Object node `<path>`, if there
    /// is one.
    pub fn sync(
        &self,
        engine: &Engine,
        space: &RwLock<AddressSpace>,
        follow: &dyn Fn(&Arc<VariableNode>) -> JoinHandle<()>,
    ) {
        let exported = engine.exported_variables();
        let mut guard = lock(&self.by_path);
        let Some(by_path) = guard.as_mut() else {
            return;
        };
        let stale: Vec<String> = by_path
            .iter()
            .filter(|(path, followed)| {
                !exported
                    .iter()
                    .any(|(p, v)| p == *path && Arc::ptr_eq(v, &followed.node.variable))
            })
            .map(|(path, _)| path.clone())
            .collect();
        let namespace = self.namespace.load(Ordering::Relaxed);
        let mut space = space.write();
        let mut by_node = self.by_node.write();
        for path in &stale {
            if let Some(gone) = by_path.remove(path) {
                gone.watcher.abort();
                by_node.remove(&gone.node.id);
                space.delete(&gone.node.id, true);
            }
        }
        for (path, variable) in exported {
            if by_path.contains_key(&path) {
                continue;
            }
            let id = NodeId::new(namespace, path.as_str());
            if space.node_exists(&id) {
                tracing::warn!(
                    path = %path,
                    "an exported variable's node id is taken by an exported method or object of the same name: the OPC UA host does not list the variable"
                );
                continue;
            }
            let ty = UaType::of(variable.type_name());
            insert_variable(&mut space, &self.object(), &id, &path, &*variable, ty);
            let node = Arc::new(VariableNode {
                path: path.as_str().into(),
                id: id.clone(),
                variable,
                ty,
            });
            let watcher = follow(&node);
            by_node.insert(id, node.clone());
            by_path.insert(path, Followed { node, watcher });
        }
        link_to_objects(&mut space, by_path.values().map(|f| &*f.node));
    }

    /// Ends every variable's task: the host stopped. No task is started after this.
    pub fn stop(&self) {
        if let Some(by_path) = lock(&self.by_path).take() {
            for followed in by_path.into_values() {
                followed.watcher.abort();
            }
        }
    }
}

/// Inserts the Variable node `id` of `variable` exported at `path`, organized by the
/// `Variables` object `object`.
fn insert_variable(
    space: &mut AddressSpace,
    object: &NodeId,
    id: &NodeId,
    path: &str,
    variable: &dyn AnyVariable,
    ty: UaType,
) {
    let rust = variable.type_name();
    let mut description = match ty.scalar {
        Scalar::Json => format!("The exported variable {path}: a {rust}, as JSON text"),
        _ => format!("The exported variable {path}: a {rust}"),
    };
    if let Some(role) = variable.write_role() {
        description.push_str(&format!(", written by the role {role}"));
    }
    let level = AccessLevel::CURRENT_READ | AccessLevel::CURRENT_WRITE;
    let mut builder = VariableBuilder::new(id, QualifiedName::new(id.namespace, path), path)
        .description(description)
        .data_type(ty.data_type())
        .value_rank(if ty.array { 1 } else { -1 })
        .access_level(level)
        .user_access_level(level)
        // Each change is pushed as it happens: nothing is sampled.
        .minimum_sampling_interval(0.0)
        .organized_by(object.clone())
        .has_type_definition(VariableTypeId::BaseDataVariableType);
    if ty.array {
        builder = builder.array_dimensions(&[0]);
    }
    builder.insert(space);
}

/// Makes each variable `<path>/<name>` a component of the Object node `s=<path>`, when that
/// node is an exported object's (an object dropped takes its references with it; one
/// exported again gets them back here).
fn link_to_objects<'a>(space: &mut AddressSpace, nodes: impl Iterator<Item = &'a VariableNode>) {
    for node in nodes {
        let Some((parent, _)) = node.path.rsplit_once('/') else {
            continue;
        };
        let object = NodeId::new(node.id.namespace, parent);
        let is_object = matches!(space.find(&object), Some(NodeType::Object(_)));
        let component = NodeId::from(ReferenceTypeId::HasComponent);
        if is_object && !space.has_reference(&object, &node.id, &component) {
            space.insert_reference(&object, &node.id, component);
        }
    }
}
