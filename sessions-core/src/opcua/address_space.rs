//! The host's address space, made from the method table and the engine's exported objects:
//! in the namespace `urn:sessions:methods`, an object `Methods` in the Objects folder with
//! a Method node per exported free function (`s=<name>`), and an Object node per exported
//! object (`s=<path>`) with a Method node per method of it (`s=<path>.<method>`). Each
//! Method node has `InputArguments` and `OutputArguments` (the return value first, named
//! `return`, then the out parameters), typed as `types.rs` says.
//!
//! [`MethodNodes`] also remembers what each Method node calls, for the node manager and the
//! authenticator (which asks it for the role a method needs).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use opcua::nodes::{MethodBuilder, ObjectBuilder};
use opcua::server::address_space::AddressSpace;
use opcua::sync::RwLock;
use opcua::types::{Argument, NodeId, ObjectId, ObjectTypeId, QualifiedName};

use super::types::UaType;
use crate::lock::lock;
use crate::methods::{methods, Direction, MethodInfo};
use crate::Engine;

/// The namespace of every node the host adds.
pub const NAMESPACE_URI: &str = "urn:sessions:methods";

/// The browse name (and display name) of the object that holds the free functions.
pub const METHODS_OBJECT: &str = "Methods";

/// The numeric id of the `Methods` object: numeric, so no method name can take it.
const METHODS_OBJECT_ID: u32 = 1;

/// What a Method node calls.
pub(super) struct Target {
    pub info: &'static MethodInfo,
    /// The name to call: the method's name, or `"<path>.<member>"` for an object's.
    pub name: Arc<str>,
    /// The in parameters' types, in order.
    pub inputs: Box<[UaType]>,
    /// How many leading arguments a caller must pass (trailing `Option`s may be left out).
    pub required: usize,
    /// The return value's type, when the method has one a host sees.
    pub returns: Option<UaType>,
    /// The out parameters' types, in order.
    pub outs: Box<[UaType]>,
}

impl Target {
    fn new(info: &'static MethodInfo, name: Arc<str>) -> Target {
        let inputs: Box<[UaType]> = info.inputs().map(|p| UaType::of(p.ty())).collect();
        let required = info
            .inputs()
            .enumerate()
            .filter(|(_, p)| !p.is_optional())
            .map(|(index, _)| index + 1)
            .max()
            .unwrap_or(0);
        let returns = (info.value_type() != "()").then(|| UaType::of(info.value_type()));
        let outs = info
            .params()
            .iter()
            .filter(|p| p.direction() == Direction::Out)
            .map(|p| UaType::of(p.ty()))
            .collect();
        Target {
            info,
            name,
            inputs,
            required,
            returns,
            outs,
        }
    }

    fn input_arguments(&self) -> Vec<Argument> {
        self.info
            .inputs()
            .zip(self.inputs.iter())
            .map(|(param, ty)| ty.argument(param.name(), param.ty()))
            .collect()
    }

    fn output_arguments(&self) -> Vec<Argument> {
        let returns = self
            .returns
            .map(|ty| ty.argument("return", self.info.value_type()));
        let outs = self
            .info
            .params()
            .iter()
            .filter(|p| p.direction() == Direction::Out)
            .zip(self.outs.iter())
            .map(|(param, ty)| ty.argument(param.name(), param.ty()));
        returns.into_iter().chain(outs).collect()
    }
}

/// Every Method node of the host and what it calls.
pub(super) struct MethodNodes {
    namespace: AtomicU16,
    by_node: RwLock<HashMap<NodeId, Arc<Target>>>,
    /// The objects in the address space: path → the node ids of its methods.
    objects: Mutex<BTreeMap<String, ObjectNodes>>,
}

struct ObjectNodes {
    /// The object's methods, to tell whether the object at a path was replaced.
    methods: Vec<&'static str>,
    nodes: Vec<NodeId>,
}

impl MethodNodes {
    pub fn new() -> MethodNodes {
        MethodNodes {
            namespace: AtomicU16::new(0),
            by_node: RwLock::new(HashMap::new()),
            objects: Mutex::new(BTreeMap::new()),
        }
    }

    /// The index of `urn:sessions:methods` on the server (0 until the server starts).
    pub fn namespace(&self) -> u16 {
        self.namespace.load(Ordering::Relaxed)
    }

    /// What the Method node `node` calls.
    pub fn target(&self, node: &NodeId) -> Option<Arc<Target>> {
        self.by_node.read().get(node).cloned()
    }

    /// The role the method of node `node` needs, if any.
    pub fn role(&self, node: &NodeId) -> Option<&'static str> {
        self.by_node.read().get(node).and_then(|t| t.info.role())
    }

    /// Adds the `Methods` object and a Method node per exported free function; `namespace`
    /// is the index the server gave `urn:sessions:methods`.
    pub fn init(&self, space: &mut AddressSpace, namespace: u16) {
        self.namespace.store(namespace, Ordering::Relaxed);
        let object = NodeId::new(namespace, METHODS_OBJECT_ID);
        ObjectBuilder::new(
            &object,
            QualifiedName::new(namespace, METHODS_OBJECT),
            METHODS_OBJECT,
        )
        .description("The exported methods: each a Method node named as it is exported")
        .organized_by(ObjectId::ObjectsFolder)
        .has_type_definition(ObjectTypeId::BaseObjectType)
        .insert(space);
        let mut by_node = self.by_node.write();
        for info in methods().iter().filter(|m| !m.is_instance()) {
            let node = NodeId::new(namespace, info.name());
            if by_node.contains_key(&node) {
                // A second method of the same name: calls of it are `Ambiguous`, answered
                // BadConfigurationError; `MethodTable::duplicates` tells at start-up.
                tracing::error!(
                    method = info.name(),
                    "two exported methods share a name: the OPC UA host lists the first"
                );
                continue;
            }
            let target = Arc::new(Target::new(info, info.name().into()));
            insert_method(space, &object, &node, info.name(), &target);
            by_node.insert(node, target);
        }
    }

    /// Makes the Object nodes match `engine`'s exported objects: adds the new ones, removes
    /// the dropped ones. Returns whether anything changed.
    pub fn sync_objects(&self, engine: &Engine, space: &RwLock<AddressSpace>) -> bool {
        let namespace = self.namespace();
        let exported = engine.object_methods();
        let mut objects = lock(&self.objects);
        let stale: Vec<String> = objects
            .iter()
            .filter(|(path, nodes)| {
                !exported
                    .iter()
                    .any(|(p, m)| p == *path && members(m) == nodes.methods)
            })
            .map(|(path, _)| path.clone())
            .collect();
        let new: Vec<_> = exported
            .iter()
            .filter(|(path, _)| !objects.contains_key(path) || stale.contains(path))
            .collect();
        if stale.is_empty() && new.is_empty() {
            return false;
        }
        let mut space = space.write();
        let mut by_node = self.by_node.write();
        for path in &stale {
            if let Some(gone) = objects.remove(path) {
                for node in &gone.nodes {
                    by_node.remove(node);
                }
                remove_object(&mut space, &NodeId::new(namespace, path.as_str()), &gone);
            }
        }
        for (path, object_methods) in new {
            let object = NodeId::new(namespace, path.as_str());
            if space.node_exists(&object) {
                tracing::warn!(
                    path = %path,
                    "an exported object's node id is taken by an exported method of the same name: the OPC UA host does not list the object"
                );
                continue;
            }
            ObjectBuilder::new(
                &object,
                QualifiedName::new(namespace, path.as_str()),
                path.as_str(),
            )
            .description(format!("The exported object at {path}"))
            .organized_by(ObjectId::ObjectsFolder)
            .has_type_definition(ObjectTypeId::BaseObjectType)
            .insert(&mut *space);
            let mut nodes = Vec::with_capacity(object_methods.len());
            for info in object_methods.iter() {
                let Some(member) = info.member() else {
                    continue;
                };
                let name: Arc<str> = format!("{path}.{member}").into();
                let node = NodeId::new(namespace, &*name);
                let target = Arc::new(Target::new(info, name));
                insert_method(&mut space, &object, &node, member, &target);
                by_node.insert(node.clone(), target);
                nodes.push(node);
            }
            objects.insert(
                path.clone(),
                ObjectNodes {
                    methods: members(object_methods),
                    nodes,
                },
            );
        }
        true
    }
}

fn members(methods: &[&'static MethodInfo]) -> Vec<&'static str> {
    methods.iter().filter_map(|m| m.member()).collect()
}

/// The Method node `node` named `browse_name`, a component of `object`, with its argument
/// properties.
fn insert_method(
    space: &mut AddressSpace,
    object: &NodeId,
    node: &NodeId,
    browse_name: &str,
    target: &Target,
) {
    let namespace = node.namespace;
    let id = node_text(node);
    let mut method = MethodBuilder::new(
        node,
        QualifiedName::new(namespace, browse_name),
        browse_name,
    )
    .description(target.info.doc())
    .component_of(object.clone())
    .executable(true)
    .user_executable(true);
    let inputs = target.input_arguments();
    if !inputs.is_empty() {
        let args = NodeId::new(namespace, format!("{id}#InputArguments"));
        method = method.input_args(space, &args, &inputs);
    }
    let outputs = target.output_arguments();
    if !outputs.is_empty() {
        let args = NodeId::new(namespace, format!("{id}#OutputArguments"));
        method = method.output_args(space, &args, &outputs);
    }
    method.insert(space);
}

/// The string of a string node id.
fn node_text(node: &NodeId) -> String {
    match &node.identifier {
        opcua::types::Identifier::String(text) => text.as_ref().to_owned(),
        other => other.to_string(),
    }
}

fn remove_object(space: &mut AddressSpace, object: &NodeId, gone: &ObjectNodes) {
    for node in &gone.nodes {
        let id = node_text(node);
        for suffix in ["#InputArguments", "#OutputArguments"] {
            space.delete(&NodeId::new(node.namespace, format!("{id}{suffix}")), true);
        }
        space.delete(node, true);
    }
    space.delete(object, true);
}
