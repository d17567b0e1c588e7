//! The host's node manager: async-opcua's in-memory node manager over the address space of
//! `address_space.rs` and `variable_nodes.rs`, whose `call` runs each Method node's exported
//! method in the caller's session, whose Read, Write and MonitoredItems of a Variable node
//! are its variable's (`variable_values.rs`), and a thin wrapper around it that sees every
//! session activation (to open the session, `sessions.rs`). The exported objects' and
//! variables' nodes are kept up to date by the engine's events (`server.rs`), as each is
//! exported or dropped.
//!
//! async-opcua checks before `call` that the method is a component of the object, that the
//! user may execute it (`AuthManager::is_user_executable`, `auth.rs`) and that there are not
//! too many arguments; it does not check their types or that none is missing, which `call`
//! does here, strictly (`types.rs`).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use opcua::nodes::DefaultTypeTree;
use opcua::server::address_space::AddressSpace;
use opcua::server::diagnostics::NamespaceMetadata;
use opcua::server::node_manager::memory::{
    InMemoryNodeManager, InMemoryNodeManagerBuilder, InMemoryNodeManagerImpl,
};
use opcua::server::node_manager::{
    AddNodeItem, AddReferenceItem, BrowseNode, BrowsePathItem, DeleteNodeItem, DeleteReferenceItem,
    DynNodeManager, ExternalReferenceRequest, HistoryNode, HistoryUpdateNode, MethodCall,
    MonitoredItemRef, MonitoredItemUpdateRef, NodeManager, NodeManagerBuilder, ParsedReadValueId,
    QueryRequest, ReadNode, RegisterNodeItem, RequestContext, ServerContext, WriteNode,
};
use opcua::server::{CreateMonitoredItem, SubscriptionCache};
use opcua::sync::RwLock;
use opcua::types::{
    AttributeId, DataValue, DiagnosticBits, DiagnosticInfo, ExpandedNodeId, MonitoringMode, NodeId,
    ReadAnnotationDataDetails, ReadAtTimeDetails, ReadEventDetails, ReadProcessedDetails,
    ReadRawModifiedDetails, StatusCode, TimestampsToReturn, UAString, Variant,
};
use tokio::task::JoinHandle;

use super::address_space::{MethodNodes, Target, NAMESPACE_URI};
use super::sessions::OpcSessions;
use super::status::{answer_refusal, Refusal};
use super::variable_nodes::{VariableNode, VariableNodes};
use super::variable_values;
use crate::audit::AuditHost;
use crate::host::{Answer, Call};
use crate::metrics::Metrics;
use crate::{Engine, Session};

/// The name async-opcua knows the host's node manager by.
const NAME: &str = "sessions";

/// How long after a CreateMonitoredItems the host checks whether a variable changed while
/// the items were being made (`variable_values::resync`).
const RESYNC_AFTER: Duration = Duration::from_millis(250);

/// What the node manager and the host's background task share.
pub(super) struct Shared {
    pub engine: Engine,
    pub nodes: Arc<MethodNodes>,
    pub variables: Arc<VariableNodes>,
    pub sessions: Arc<OpcSessions>,
    /// The node manager's address space and the server's subscriptions, once the server
    /// has built them.
    pub server: OnceLock<Built>,
    /// The runtime the host was started on: each variable's task runs there, whichever
    /// thread exported the variable.
    pub runtime: tokio::runtime::Handle,
    /// The registry calls are counted in, if any.
    pub metrics: Option<Metrics>,
}

/// What the server built that the host reaches into.
pub(super) struct Built {
    pub space: Arc<RwLock<AddressSpace>>,
    pub subscriptions: Arc<SubscriptionCache>,
}

impl Shared {
    /// Brings the exported objects' and variables' nodes up to date: at start, and at each
    /// object or variable exported or dropped (the engine's events).
    pub fn sync(&self) {
        let Some(built) = self.server.get() else {
            return;
        };
        self.nodes.sync_objects(&self.engine, &built.space);
        let follow = |node: &Arc<VariableNode>| -> JoinHandle<()> {
            // Made now, before the node is listed: no change after it is missed.
            let watch = node.variable.watch_values();
            self.runtime.spawn(variable_values::follow(
                node.clone(),
                watch,
                built.subscriptions.clone(),
            ))
        };
        self.variables.sync(&self.engine, &built.space, &follow);
    }
}

/// Builds the node manager when the server is built.
pub(super) struct Builder(pub Arc<Shared>);

impl NodeManagerBuilder for Builder {
    fn build(self: Box<Self>, context: ServerContext) -> Arc<DynNodeManager> {
        let shared = self.0;
        let for_impl = Arc::clone(&shared);
        let subscriptions = context.subscriptions.clone();
        let memory = Box::new(InMemoryNodeManagerBuilder::new(
            move |context: ServerContext, space: &mut AddressSpace| {
                let namespace = context
                    .type_tree
                    .write()
                    .namespaces_mut()
                    .add_namespace(NAMESPACE_URI);
                space.add_namespace(NAMESPACE_URI, namespace);
                for_impl.nodes.init(space, namespace);
                for_impl.variables.init(space, namespace);
                MethodsImpl {
                    shared: for_impl,
                    namespace,
                }
            },
        ))
        .build(context);
        let inner = match memory
            .into_any_arc()
            .downcast::<InMemoryNodeManager<MethodsImpl>>()
        {
            Ok(inner) => inner,
            // `InMemoryNodeManagerBuilder` builds an `InMemoryNodeManager` of the impl it
            // was given: nothing else can come back.
            Err(_) => unreachable!("async-opcua's in-memory builder built another type"),
        };
        // Set once: this builder runs once per server.
        let _ = shared.server.set(Built {
            space: Arc::clone(inner.address_space()),
            subscriptions,
        });
        Arc::new(HostNodeManager { inner, shared })
    }
}

/// The in-memory node manager's behaviour: calls, and the values of Variable nodes.
pub(super) struct MethodsImpl {
    shared: Arc<Shared>,
    namespace: u16,
}

#[async_trait]
impl InMemoryNodeManagerImpl for MethodsImpl {
    async fn init(&self, _space: &mut AddressSpace, _context: ServerContext) {}

    fn name(&self) -> &str {
        NAME
    }

    fn namespaces(&self) -> Vec<NamespaceMetadata> {
        vec![NamespaceMetadata {
            namespace_uri: NAMESPACE_URI.to_owned(),
            namespace_index: self.namespace,
            ..Default::default()
        }]
    }

    async fn read_values(
        &self,
        context: &RequestContext,
        space: &RwLock<AddressSpace>,
        nodes: &[&ParsedReadValueId],
        max_age: f64,
        timestamps_to_return: TimestampsToReturn,
    ) -> Vec<DataValue> {
        let space = space.read();
        nodes
            .iter()
            .map(|read| match self.shared.variables.node(&read.node_id) {
                // Checked as any node is (readable, the encoding), then the variable's value.
                Some(node) => match space.validate_node_read(context, read) {
                    Ok(_) => variable_values::read(&node, &read.index_range, timestamps_to_return),
                    Err(status) => DataValue {
                        status: Some(status),
                        ..DataValue::default()
                    },
                },
                None => space.read(context, read, max_age, timestamps_to_return),
            })
            .collect()
    }

    async fn create_value_monitored_items(
        &self,
        context: &RequestContext,
        space: &RwLock<AddressSpace>,
        items: &mut [&mut &mut CreateMonitoredItem],
    ) {
        // The versions before the first read: a change after it, before async-opcua
        // registers the items, is pushed again a moment later.
        let watched: Vec<(Arc<VariableNode>, u64)> = items
            .iter()
            .filter_map(|item| self.shared.variables.node(&item.item_to_monitor().node_id))
            .map(|node| {
                let version = node.variable.version();
                (node, version)
            })
            .collect();
        let to_read: Vec<_> = items.iter().map(|item| item.item_to_monitor()).collect();
        let values = self
            .read_values(context, space, &to_read, 0.0, TimestampsToReturn::Both)
            .await;
        for (value, item) in values.into_iter().zip(items.iter_mut()) {
            if value.status() != StatusCode::BadAttributeIdInvalid {
                item.set_initial_value(value);
            }
            item.set_status(StatusCode::Good);
        }
        if watched.is_empty() {
            return;
        }
        if let Some(built) = self.shared.server.get() {
            let subscriptions = built.subscriptions.clone();
            self.shared.runtime.spawn(async move {
                tokio::time::sleep(RESYNC_AFTER).await;
                variable_values::resync(&watched, &subscriptions);
            });
        }
    }

    async fn write(
        &self,
        context: &RequestContext,
        space: &RwLock<AddressSpace>,
        nodes_to_write: &mut [&mut WriteNode],
    ) -> Result<(), StatusCode> {
        let session = match self.shared.sessions.session_of(context) {
            Ok(session) => session,
            Err(status) => {
                for write in nodes_to_write.iter_mut() {
                    write.set_status(status);
                }
                return Ok(());
            }
        };
        // One after another, in the order sent.
        for write in nodes_to_write.iter_mut() {
            let value = write.value();
            let status = match self.shared.variables.node(&value.node_id) {
                Some(node) if value.attribute_id == AttributeId::Value => {
                    if value.index_range.has_range() {
                        StatusCode::BadWriteNotSupported
                    } else {
                        variable_values::write(&session, &node, &value.value)
                    }
                }
                // Only a variable's value is written; every other attribute is the host's.
                Some(_) => StatusCode::BadNotWritable,
                None if space.read().node_exists(&value.node_id) => StatusCode::BadNotWritable,
                None => StatusCode::BadNodeIdUnknown,
            };
            write.set_status(status);
        }
        Ok(())
    }

    async fn call(
        &self,
        context: &RequestContext,
        _space: &RwLock<AddressSpace>,
        methods_to_call: &mut [&mut &mut MethodCall],
    ) -> Result<(), StatusCode> {
        let session = match self.shared.sessions.session_of(context) {
            Ok(session) => session,
            Err(status) => {
                for call in methods_to_call.iter_mut() {
                    call.set_status(status);
                }
                return Ok(());
            }
        };
        // One after another, in the order sent: a request's calls see each other's effects.
        // Each request is its own task in async-opcua, so a slow method holds up no other.
        for call in methods_to_call.iter_mut() {
            match self.shared.nodes.target(call.method_id()) {
                Some(target) => run(&session, &target, call, self.shared.metrics.as_ref()).await,
                None => call.set_status(StatusCode::BadMethodInvalid),
            }
        }
        Ok(())
    }
}

/// Runs one Method node's method in `session` and writes the answer into `call`.
async fn run(session: &Session, target: &Target, call: &mut MethodCall, metrics: Option<&Metrics>) {
    let given = call.arguments().len();
    if given < target.required {
        call.set_status(StatusCode::BadArgumentsMissing);
        return;
    }
    if given > target.inputs.len() {
        call.set_status(StatusCode::BadTooManyArguments);
        return;
    }
    let mut args = Vec::with_capacity(given);
    let mut results: Vec<StatusCode> = Vec::new();
    for (index, (argument, ty)) in call
        .arguments()
        .iter()
        .zip(target.inputs.iter())
        .enumerate()
    {
        match ty.read_argument(argument) {
            Ok(value) => args.push(value),
            Err(why) => {
                tracing::debug!(method = %target.name, argument = index, %why, "OPC UA call refused: an argument of the wrong type");
                if results.is_empty() {
                    results = vec![StatusCode::Good; given];
                }
                results[index] = StatusCode::BadTypeMismatch;
            }
        }
    }
    if !results.is_empty() {
        call.set_argument_error(results);
        return;
    }
    let answer = Call::new(&target.name, args)
        .in_session(Some(session))
        .metered(metrics, "opcua")
        .via(AuditHost::Opcua, None)
        .run()
        .await;
    let index_of = |name: &str| target.info.inputs().position(|p| p.name() == name);
    if let Some(reason) = failure_text(&answer) {
        give_reason(call, reason);
    }
    let outcome = match (answer_refusal(&answer, given, index_of), answer) {
        (None, Answer::Ran(outcome)) => outcome,
        (Some(Refusal::Status(status)), answer) => {
            if let Answer::NotRun(error) = &answer {
                if status == StatusCode::BadInternalError
                    || status == StatusCode::BadConfigurationError
                {
                    tracing::error!(method = %target.name, %error, "OPC UA call refused by the host");
                }
            }
            call.set_status(status);
            return;
        }
        (Some(Refusal::Arguments(results)), _) => {
            call.set_argument_error(results);
            return;
        }
        // `answer_refusal` is `None` only for a call that ran.
        (None, Answer::NotRun(_)) => {
            call.set_status(StatusCode::BadInternalError);
            return;
        }
    };
    // Good, succeeded or failed: a failure has its sentinels in the outputs, and was logged
    // by the core (what an Optix client sees).
    let mut outputs: Vec<Variant> = Vec::with_capacity(target.outs.len() + 1);
    let returned = target.returns.map(|ty| ty.write_result(outcome.value));
    let outs = outcome
        .outs
        .into_iter()
        .zip(target.outs.iter())
        .map(|((_, value), ty)| ty.write_result(value));
    for output in returned.into_iter().chain(outs) {
        match output {
            Ok(variant) => outputs.push(variant),
            Err(why) => {
                tracing::error!(method = %target.name, %why, "an OPC UA output does not fit its declared type");
                call.set_status(StatusCode::BadInternalError);
                return;
            }
        }
    }
    call.set_outputs(outputs);
    call.set_status(StatusCode::Good);
}

/// Why a call failed or could not be made, in words, if it did.
fn failure_text(answer: &Answer) -> Option<String> {
    match answer {
        Answer::Ran(outcome) => outcome.error.clone(),
        Answer::NotRun(error) => Some(error.to_string()),
    }
}

/// Gives the client the reason of a failed call as the call result's diagnostic info
/// (`additionalInfo`), when its request asked for operation-level additional info; the
/// status and outputs are unchanged (a failed method still answers Good with its sentinels).
fn give_reason(call: &mut MethodCall, reason: String) {
    if !call
        .diagnostic_bits()
        .contains(DiagnosticBits::OPERATIONAL_LEVEL_ADDITIONAL_INFO)
    {
        return;
    }
    call.set_diagnostic_info(DiagnosticInfo {
        additional_info: Some(UAString::from(reason)),
        ..DiagnosticInfo::default()
    });
}

/// The in-memory node manager, seen through: it opens a session at each activation.
struct HostNodeManager {
    inner: Arc<InMemoryNodeManager<MethodsImpl>>,
    shared: Arc<Shared>,
}

#[async_trait]
impl NodeManager for HostNodeManager {
    fn owns_node(&self, id: &NodeId) -> bool {
        self.inner.owns_node(id)
    }

    fn name(&self) -> &str {
        self.inner.name()
    }

    fn owns_server_events(&self) -> bool {
        self.inner.owns_server_events()
    }

    fn handle_new_node(&self, parent_id: &ExpandedNodeId) -> bool {
        self.inner.handle_new_node(parent_id)
    }

    /// Called by async-opcua right after every ActivateSession, with the session and its
    /// user token: the activation hook 0.19 does not otherwise have.
    fn namespaces_for_user(&self, context: &RequestContext) -> Vec<NamespaceMetadata> {
        self.shared.sessions.activated(context);
        self.inner.namespaces_for_user(context)
    }

    async fn init(&self, type_tree: &mut DefaultTypeTree, context: ServerContext) {
        self.inner.init(type_tree, context).await;
        self.shared.sync();
    }

    async fn resolve_external_references(
        &self,
        context: &RequestContext,
        items: &mut [&mut ExternalReferenceRequest],
    ) {
        self.inner.resolve_external_references(context, items).await;
    }

    async fn read(
        &self,
        context: &RequestContext,
        max_age: f64,
        timestamps_to_return: TimestampsToReturn,
        nodes_to_read: &mut [&mut ReadNode],
    ) -> Result<(), StatusCode> {
        self.inner
            .read(context, max_age, timestamps_to_return, nodes_to_read)
            .await
    }

    async fn history_read_raw_modified(
        &self,
        context: &RequestContext,
        details: &ReadRawModifiedDetails,
        nodes: &mut [&mut HistoryNode],
        timestamps_to_return: TimestampsToReturn,
    ) -> Result<(), StatusCode> {
        self.inner
            .history_read_raw_modified(context, details, nodes, timestamps_to_return)
            .await
    }

    async fn history_read_processed(
        &self,
        context: &RequestContext,
        details: &ReadProcessedDetails,
        nodes: &mut [&mut HistoryNode],
        timestamps_to_return: TimestampsToReturn,
    ) -> Result<(), StatusCode> {
        self.inner
            .history_read_processed(context, details, nodes, timestamps_to_return)
            .await
    }

    async fn history_read_at_time(
        &self,
        context: &RequestContext,
        details: &ReadAtTimeDetails,
        nodes: &mut [&mut HistoryNode],
        timestamps_to_return: TimestampsToReturn,
    ) -> Result<(), StatusCode> {
        self.inner
            .history_read_at_time(context, details, nodes, timestamps_to_return)
            .await
    }

    async fn history_read_events(
        &self,
        context: &RequestContext,
        details: &ReadEventDetails,
        nodes: &mut [&mut HistoryNode],
        timestamps_to_return: TimestampsToReturn,
    ) -> Result<(), StatusCode> {
        self.inner
            .history_read_events(context, details, nodes, timestamps_to_return)
            .await
    }

    async fn history_read_annotations(
        &self,
        context: &RequestContext,
        details: &ReadAnnotationDataDetails,
        nodes: &mut [&mut HistoryNode],
        timestamps_to_return: TimestampsToReturn,
    ) -> Result<(), StatusCode> {
        self.inner
            .history_read_annotations(context, details, nodes, timestamps_to_return)
            .await
    }

    async fn write(
        &self,
        context: &RequestContext,
        nodes_to_write: &mut [&mut WriteNode],
    ) -> Result<(), StatusCode> {
        self.inner.write(context, nodes_to_write).await
    }

    async fn history_update(
        &self,
        context: &RequestContext,
        nodes: &mut [&mut HistoryUpdateNode],
    ) -> Result<(), StatusCode> {
        self.inner.history_update(context, nodes).await
    }

    async fn browse(
        &self,
        context: &RequestContext,
        nodes_to_browse: &mut [BrowseNode],
    ) -> Result<(), StatusCode> {
        self.inner.browse(context, nodes_to_browse).await
    }

    async fn translate_browse_paths_to_node_ids(
        &self,
        context: &RequestContext,
        nodes: &mut [&mut BrowsePathItem],
    ) -> Result<(), StatusCode> {
        self.inner
            .translate_browse_paths_to_node_ids(context, nodes)
            .await
    }

    async fn register_nodes(
        &self,
        context: &RequestContext,
        nodes: &mut [&mut RegisterNodeItem],
    ) -> Result<(), StatusCode> {
        self.inner.register_nodes(context, nodes).await
    }

    async fn unregister_nodes(
        &self,
        context: &RequestContext,
        nodes: &[&NodeId],
    ) -> Result<(), StatusCode> {
        self.inner.unregister_nodes(context, nodes).await
    }

    async fn create_monitored_items(
        &self,
        context: &RequestContext,
        items: &mut [&mut CreateMonitoredItem],
    ) -> Result<(), StatusCode> {
        self.inner.create_monitored_items(context, items).await
    }

    async fn modify_monitored_items(
        &self,
        context: &RequestContext,
        items: &[&MonitoredItemUpdateRef],
    ) {
        self.inner.modify_monitored_items(context, items).await;
    }

    async fn set_monitoring_mode(
        &self,
        context: &RequestContext,
        mode: MonitoringMode,
        items: &[&MonitoredItemRef],
    ) {
        self.inner.set_monitoring_mode(context, mode, items).await;
    }

    async fn delete_monitored_items(&self, context: &RequestContext, items: &[&MonitoredItemRef]) {
        self.inner.delete_monitored_items(context, items).await;
    }

    async fn query(
        &self,
        context: &RequestContext,
        request: &mut QueryRequest,
    ) -> Result<(), StatusCode> {
        self.inner.query(context, request).await
    }

    async fn call(
        &self,
        context: &RequestContext,
        methods_to_call: &mut [&mut MethodCall],
    ) -> Result<(), StatusCode> {
        self.inner.call(context, methods_to_call).await
    }

    async fn add_nodes(
        &self,
        context: &RequestContext,
        nodes_to_add: &mut [&mut AddNodeItem],
    ) -> Result<(), StatusCode> {
        self.inner.add_nodes(context, nodes_to_add).await
    }

    async fn add_references(
        &self,
        context: &RequestContext,
        references_to_add: &mut [&mut AddReferenceItem],
    ) -> Result<(), StatusCode> {
        self.inner.add_references(context, references_to_add).await
    }

    async fn delete_nodes(
        &self,
        context: &RequestContext,
        nodes_to_delete: &mut [&mut DeleteNodeItem],
    ) -> Result<(), StatusCode> {
        self.inner.delete_nodes(context, nodes_to_delete).await
    }

    async fn delete_node_references(
        &self,
        context: &RequestContext,
        to_delete: &[&DeleteNodeItem],
    ) {
        self.inner.delete_node_references(context, to_delete).await;
    }

    async fn delete_references(
        &self,
        context: &RequestContext,
        references_to_delete: &mut [&mut DeleteReferenceItem],
    ) -> Result<(), StatusCode> {
        self.inner
            .delete_references(context, references_to_delete)
            .await
    }
}
