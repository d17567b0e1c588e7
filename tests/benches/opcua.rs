//! The OPC UA host's cost per call: an exported `add(i64, i64)` called through the host,
//! against the same function registered directly as an async-opcua method callback on a
//! plain async-opcua server (the limit: what any OPC UA method costs with this stack). Both
//! servers run in this process on 127.0.0.1 and are called by the same client code
//! (async-opcua's), one call at a time, in alternating rounds so that drift of the machine
//! falls on both alike.
//!
//! ```sh
//! cargo bench -p sessions-tests --bench opcua            # 20 rounds of 500 calls each
//! cargo bench -p sessions-tests --bench opcua -- 40 1000 # ROUNDS CALLS
//! ```
//!
//! It prints, for each server, calls per second and the median (p50) and 99th percentile
//! (p99) of the round-trip time of one call, and the host's overhead over the limit.

use std::sync::Arc;
use std::time::{Duration, Instant};

use opcua::client::{ClientBuilder, IdentityToken, Session};
use opcua::crypto::SecurityPolicy;
use opcua::nodes::{MethodBuilder, ObjectBuilder};
use opcua::server::diagnostics::NamespaceMetadata;
use opcua::server::node_manager::memory::{simple_node_manager, SimpleNodeManager};
use opcua::server::{ServerBuilder, ServerEndpoint};
use opcua::types::{
    CallMethodRequest, DataTypeId, MessageSecurityMode, NodeId, ObjectId, QualifiedName,
    StatusCode, UserTokenPolicy, VariableId, Variant,
};
use sessions_core::opcua::{OpcUaHost, NAMESPACE_URI};
use sessions_core::{export_method, Engine};

/// The sum of two numbers.
#[export_method(name = "add", session = none)]
pub fn add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

const PEER_NAMESPACE: &str = "urn:sessions:bench:peer:methods";

fn pki_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("opcua-bench-pki")
}

/// A plain async-opcua server with one method `add` on an object `Functions`, whose
/// callback adds its two Int64 arguments, checked as strictly as the host checks them.
async fn start_peer() -> (String, opcua::server::ServerHandle) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a free port");
    let port = listener.local_addr().expect("its address").port();
    let url = format!("opc.tcp://127.0.0.1:{port}/");
    let (server, handle) = ServerBuilder::new()
        .application_name("peer")
        .application_uri("urn:sessions:bench:peer")
        .product_uri("urn:sessions:bench")
        .host("127.0.0.1")
        .port(port)
        .pki_dir(pki_dir().join("peer"))
        .create_sample_keypair(false)
        .discovery_urls(vec![url.clone()])
        .add_endpoint(
            "none",
            ServerEndpoint::new_none("/", &[opcua::server::ANONYMOUS_USER_TOKEN_ID.to_owned()]),
        )
        .with_node_manager(simple_node_manager(
            NamespaceMetadata {
                namespace_uri: PEER_NAMESPACE.to_owned(),
                ..Default::default()
            },
            "peer",
        ))
        .build()
        .expect("the peer server builds");
    let manager = handle
        .node_managers()
        .get_of_type::<SimpleNodeManager>()
        .expect("the peer's node manager");
    let ns = handle
        .get_namespace_index(PEER_NAMESPACE)
        .expect("the peer's namespace");
    {
        let mut space = manager.address_space().write();
        let object = NodeId::new(ns, "Functions");
        ObjectBuilder::new(&object, QualifiedName::new(ns, "Functions"), "Functions")
            .organized_by(ObjectId::ObjectsFolder)
            .insert(&mut *space);
        let method = NodeId::new(ns, "add");
        MethodBuilder::new(&method, QualifiedName::new(ns, "add"), "add")
            .component_of(object)
            .input_args(
                &mut *space,
                &NodeId::new(ns, "add#InputArguments"),
                &[
                    ("a", DataTypeId::Int64).into(),
                    ("b", DataTypeId::Int64).into(),
                ],
            )
            .output_args(
                &mut *space,
                &NodeId::new(ns, "add#OutputArguments"),
                &[("return", DataTypeId::Int64).into()],
            )
            .insert(&mut *space);
    }
    manager
        .inner()
        .add_method_callback(NodeId::new(ns, "add"), |args| match args {
            [Variant::Int64(a), Variant::Int64(b)] => Ok(vec![Variant::Int64(add(*a, *b))]),
            [_, _] => Err(StatusCode::BadInvalidArgument),
            [] | [_] => Err(StatusCode::BadArgumentsMissing),
            _ => Err(StatusCode::BadTooManyArguments),
        });
    tokio::spawn(server.run_with(listener));
    (url, handle)
}

struct Client {
    session: Arc<Session>,
    request: CallMethodRequest,
}

impl Client {
    /// Connects anonymously to `url`; calls go to `method` of `object` in `namespace`.
    async fn connect(url: &str, namespace: &str, object: impl Fn(u16) -> NodeId) -> Client {
        let mut client = ClientBuilder::new()
            .application_name("bench client")
            .application_uri("urn:sessions:bench:client")
            .product_uri("urn:sessions:bench")
            .create_sample_keypair(false)
            .trust_server_certs(true)
            .pki_dir(pki_dir().join("client"))
            .session_retry_limit(0)
            .client()
            .expect("a client");
        let (session, event_loop) = client
            .connect_to_matching_endpoint(
                (
                    url,
                    SecurityPolicy::None.to_str(),
                    MessageSecurityMode::None,
                    UserTokenPolicy::anonymous(),
                ),
                IdentityToken::Anonymous,
            )
            .await
            .expect("connects");
        event_loop.spawn();
        assert!(session.wait_for_connection().await, "connected");
        let namespaces = session
            .read(
                &[NodeId::from(VariableId::Server_NamespaceArray).into()],
                opcua::types::TimestampsToReturn::Neither,
                0.0,
            )
            .await
            .expect("the namespace array");
        let Some(Variant::Array(array)) = namespaces[0].value.clone() else {
            panic!("the namespace array is an array");
        };
        let ns = array
            .values
            .iter()
            .position(|uri| matches!(uri, Variant::String(s) if s.as_ref() == namespace))
            .expect("the namespace is on the server");
        let ns = u16::try_from(ns).expect("a small index");
        let request = CallMethodRequest {
            object_id: object(ns),
            method_id: NodeId::new(ns, "add"),
            input_arguments: Some(vec![Variant::Int64(40), Variant::Int64(2)]),
        };
        Client { session, request }
    }

    /// One call, checked; its round-trip time.
    async fn call(&self) -> Duration {
        let started = Instant::now();
        let results = self
            .session
            .call(vec![self.request.clone()])
            .await
            .expect("the Call service answers");
        let elapsed = started.elapsed();
        assert_eq!(
            results[0].status_code,
            StatusCode::Good,
            "{:?}",
            self.request
        );
        assert_eq!(
            results[0].output_arguments.as_deref(),
            Some(&[Variant::Int64(42)][..])
        );
        elapsed
    }
}

/// Percentile `p` (0..=100) of sorted `times`.
fn percentile(times: &[Duration], p: usize) -> Duration {
    let index = (times.len() * p / 100).min(times.len() - 1);
    times[index]
}

fn main() {
    let mut args = std::env::args().skip(1).filter(|a| !a.starts_with("--"));
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let calls: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(500);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async move {
        let engine = Engine::builder()
            .name("opcua-bench")
            .build()
            .expect("an engine");
        let host = OpcUaHost::builder(engine)
            .port(0)
            .pki_dir(pki_dir().join("host"))
            .start()
            .await
            .expect("the host starts");
        let (peer_url, peer) = start_peer().await;
        let ours = Client::connect(host.endpoint_url(), NAMESPACE_URI, |ns| NodeId::new(ns, 1u32)).await;
        let limit = Client::connect(&peer_url, PEER_NAMESPACE, |ns| NodeId::new(ns, "Functions")).await;

        for _ in 0..calls.max(200) {
            ours.call().await;
            limit.call().await;
        }
        let mut times = [Vec::with_capacity(rounds * calls), Vec::with_capacity(rounds * calls)];
        let mut busy = [Duration::ZERO; 2];
        for round in 0..rounds {
            // Alternate which goes first, so neither always follows the other.
            let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
            for which in order {
                let client = if which == 0 { &ours } else { &limit };
                let started = Instant::now();
                for _ in 0..calls {
                    times[which].push(client.call().await);
                }
                busy[which] += started.elapsed();
            }
        }
        println!(
            "OPC UA Call of add(i64, i64), one client, one call at a time: {rounds} rounds x {calls} calls each, alternating"
        );
        println!("{:<44} {:>10} {:>10} {:>10}", "server", "calls/s", "p50", "p99");
        let mut p50s = [Duration::ZERO; 2];
        for (which, name) in ["sessions OPC UA host (exported fn)", "async-opcua method callback (limit)"]
            .into_iter()
            .enumerate()
        {
            let times = &mut times[which];
            times.sort_unstable();
            let per_second = times.len() as f64 / busy[which].as_secs_f64();
            p50s[which] = percentile(times, 50);
            println!(
                "{name:<44} {per_second:>10.0} {:>10.1?} {:>10.1?}",
                p50s[which],
                percentile(times, 99)
            );
        }
        let overhead = p50s[0].as_secs_f64() / p50s[1].as_secs_f64() - 1.0;
        let throughput = busy[0].as_secs_f64() / busy[1].as_secs_f64() - 1.0;
        println!(
            "overhead of the host over the limit: {:+.1}% at p50, {:+.1}% in time per call (target: at most +10%)",
            overhead * 100.0,
            throughput * 100.0
        );
        drop(ours);
        drop(limit);
        host.shutdown().await.expect("the host stops");
        peer.cancel();
    });
}
