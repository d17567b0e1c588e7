//! The OPC UA host's tests: the methods they call, a real host on 127.0.0.1 (a free port,
//! stopped when dropped, so also when a test fails) and async-opcua's own client. Every
//! wait is bounded.

#![allow(dead_code)] // Each test binary uses its own part of this module.

pub mod python;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use opcua::client::{ClientBuilder, IdentityToken, Password, Session as ClientSession};
use opcua::crypto::SecurityPolicy;
use opcua::types::{
    BrowseDescription, BrowseDirection, BrowseResultMask, CallMethodRequest, CallMethodResult,
    MessageSecurityMode, NodeClassMask, NodeId, ReadValueId, ReferenceTypeId, StatusCode,
    TimestampsToReturn, UserTokenPolicy, VariableId, Variant,
};
use serde::{Deserialize, Serialize};
use sessions_core::opcua::{OpcUaHandle, OpcUaHost, OpcUaHostBuilder, NAMESPACE_URI};
use sessions_core::{export_method, export_methods, Engine, Session, SessionError};
use tokio::task::JoinHandle;

/// How long any one expected thing may take before the test fails.
pub const WAIT: Duration = Duration::from_secs(20);

// ---- The methods the tests call ----------------------------------------------------------

/// Number of sessions with a logged-in user on the named engine (Optix's example).
#[export_method(name = "GetActiveWebSessionsNumber", sentinel = -1)]
pub fn get_active_web_sessions_number(
    engine: String,
    active: &mut i32,
) -> Result<(), SessionError> {
    let engine = Engine::find(&engine).ok_or(SessionError::UnknownEngine(engine))?;
    *active = i32::try_from(engine.active_count()).unwrap_or(i32::MAX);
    Ok(())
}

/// The sum of two numbers.
#[export_method(name = "add", session = none)]
pub fn add(a: i64, b: i64) -> i64 {
    a.wrapping_add(b)
}

/// Who calls: the user's name ("" when anonymous), and the session's id as an out parameter.
#[export_method(name = "WhoAmI")]
pub async fn who_am_i(session: Session, id: &mut String) -> Result<String, SessionError> {
    // A real method awaits I/O: the answer must still be the caller's.
    tokio::task::yield_now().await;
    *id = session.id().to_string();
    Ok(session
        .user()
        .map(|user| user.name().to_owned())
        .unwrap_or_default())
}

/// Waits `millis` milliseconds, then returns them: a slow async method.
#[export_method(name = "Sleep", session = none)]
pub async fn sleep(millis: u32) -> u32 {
    tokio::time::sleep(Duration::from_millis(u64::from(millis))).await;
    millis
}

/// The quotient, or the sentinel -1.0 when dividing by zero.
#[export_method(name = "Divide", sentinel = -1.0)]
pub fn divide(a: f64, b: f64, quotient: &mut f64) -> anyhow::Result<()> {
    if b == 0.0 {
        anyhow::bail!("cannot divide {a} by zero");
    }
    *quotient = a / b;
    Ok(())
}

/// How many values there are (returned), and the smallest and largest (out parameters).
#[export_method(name = "MinMax", sentinel = 0)]
pub fn min_max(values: Vec<i32>, min: &mut i32, max: &mut i32) -> Result<u32, SessionError> {
    *min = values.iter().copied().min().unwrap_or(0);
    *max = values.iter().copied().max().unwrap_or(0);
    Ok(u32::try_from(values.len()).unwrap_or(u32::MAX))
}

/// Resets the counters: administrators only.
#[export_method(name = "ResetCounters", role = "admin", sentinel = false)]
pub fn reset_counters(done: &mut bool) -> Result<(), SessionError> {
    *done = true;
    Ok(())
}

/// Always panics.
#[export_method(name = "Explode", session = none)]
pub fn explode() -> i32 {
    panic!("the method blew up on purpose");
}

/// A recipe: a user type, sent as JSON text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipe {
    pub name: String,
    pub minutes: u32,
}

/// The recipe, twice as long.
#[export_method(name = "Slower", session = none)]
pub fn slower(recipe: Recipe) -> Recipe {
    Recipe {
        minutes: recipe.minutes * 2,
        ..recipe
    }
}

/// A greeting: `greeting` may be left out.
#[export_method(name = "Greet", session = none)]
pub fn greet(name: String, greeting: Option<String>) -> String {
    format!("{}, {name}", greeting.as_deref().unwrap_or("Hello"))
}

/// One parameter of each kind, to check their OPC UA data types.
#[export_method(name = "Kinds", session = none)]
pub fn kinds(flag: bool, small: u8, big: u64, ratio: f32, names: Vec<String>) -> usize {
    usize::from(flag)
        + usize::from(small)
        + usize::try_from(big).unwrap_or(0)
        + names.len()
        + ratio as usize
}

/// A counter on a production line: an exported object.
#[derive(Default)]
pub struct Counter {
    count: std::sync::Mutex<u64>,
}

#[export_methods]
impl Counter {
    /// Adds `pieces`, returns the new count.
    pub fn bump(&self, pieces: u64) -> Result<u64, SessionError> {
        let mut count = self.count.lock().unwrap_or_else(|e| e.into_inner());
        *count += pieces;
        Ok(*count)
    }
}

// ---- The host ----------------------------------------------------------------------------

/// A fresh engine name for each test (engine names are process-wide).
pub fn engine_name(test: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("opcua-{test}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The users every test host knows: `admin` (role admin), `operator` and `viewer`.
pub fn with_users(builder: OpcUaHostBuilder) -> OpcUaHostBuilder {
    builder
        .user("admin", "admin-pw", ["admin"])
        .user("operator", "operator-pw", ["operator"])
        .user("viewer", "viewer-pw", Vec::<String>::new())
}

/// An accounts store of its own for one test (a file under the target folder, cheap hash
/// parameters): `store-admin` (role admin, password `store-admin-pw`) and `store-viewer`
/// (no role, `store-viewer-pw`).
pub fn accounts_store(test: &str) -> sessions_core::auth::Accounts {
    use sessions_core::auth::{hash_password_with, Accounts, AccountsFile, HashParams};
    let dir =
        std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("opcua-accounts-{test}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    let path = dir.join("accounts.toml");
    let fast = HashParams::new(64, 1, 1).expect("valid parameters");
    let users: [(&str, &[&str]); 2] = [("store-admin", &["admin"]), ("store-viewer", &[])];
    for (name, roles) in users {
        let hash = hash_password_with(&format!("{name}-pw"), fast).expect("hash");
        AccountsFile::add(&path, name, roles, &hash).expect("entry added");
    }
    Accounts::load(path).expect("the accounts load")
}

/// A host on a free port of 127.0.0.1, its engine named for the test; it stops when dropped.
pub struct Host {
    pub engine: Engine,
    pub handle: OpcUaHandle,
}

impl Host {
    pub async fn start(
        test: &str,
        configure: impl FnOnce(OpcUaHostBuilder) -> OpcUaHostBuilder,
    ) -> Host {
        let engine = Engine::builder()
            .name(engine_name(test))
            .build()
            .expect("a fresh engine name");
        let builder = OpcUaHost::builder(engine.clone())
            .port(0)
            .pki_dir(pki_dir());
        let handle = configure(with_users(builder))
            .start()
            .await
            .expect("the OPC UA host starts on 127.0.0.1");
        Host { engine, handle }
    }

    pub fn url(&self) -> String {
        self.handle.endpoint_url().to_owned()
    }

    pub fn engine_name(&self) -> String {
        self.engine.name().expect("a named engine").to_owned()
    }

    /// Waits until `done()` holds (checked every 20 ms), failing the test after [`WAIT`].
    pub async fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let deadline = tokio::time::Instant::now() + WAIT;
        while !done() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "timed out after {WAIT:?} waiting until {what}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The certificate stores of the tests' servers and clients: under the target directory.
pub fn pki_dir() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("opcua-pki")
}

/// A fresh certificate and key for the host, in a folder of this test.
pub fn server_certificate(test: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    use opcua::crypto::{CertificateStore, X509Data};
    let dir = pki_dir().join(format!("{test}-{}", std::process::id()));
    let (cert, key) = (dir.join("host-cert.der"), dir.join("host-key.pem"));
    let data = X509Data {
        key_size: 2048,
        common_name: "sessions test host".into(),
        organization: "sessions".into(),
        organizational_unit: "tests".into(),
        country: "DE".into(),
        state: "Berlin".into(),
        alt_host_names: vec!["urn:sessions:host".to_owned(), "127.0.0.1".to_owned()].into(),
        certificate_duration_days: 1,
    };
    CertificateStore::create_certificate_and_key(&data, true, &cert, &key).expect("a certificate");
    (cert, key)
}

// ---- async-opcua's client ----------------------------------------------------------------

/// One connected client (async-opcua's), its session's event loop running.
pub struct Client {
    pub session: Arc<ClientSession>,
    event_loop: JoinHandle<StatusCode>,
    /// The index of `urn:sessions:methods` on the server.
    pub ns: u16,
}

impl Client {
    /// The forward hierarchical references of `node`: browse name → node id.
    pub async fn children(&self, node: NodeId) -> BTreeMap<String, NodeId> {
        let description = BrowseDescription {
            node_id: node,
            browse_direction: BrowseDirection::Forward,
            reference_type_id: ReferenceTypeId::HierarchicalReferences.into(),
            include_subtypes: true,
            node_class_mask: NodeClassMask::all().bits(),
            result_mask: BrowseResultMask::All as u32,
        };
        let results = self
            .session
            .browse(&[description], 10_000, None)
            .await
            .expect("Browse answers");
        let result = results.into_iter().next().expect("one result");
        assert_eq!(result.status_code, StatusCode::Good);
        result
            .references
            .unwrap_or_default()
            .into_iter()
            .map(|r| (r.browse_name.name.as_ref().to_owned(), r.node_id.node_id))
            .collect()
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        self.event_loop.abort();
    }
}

/// A user name token.
pub fn user(name: &str, password: &str) -> IdentityToken {
    IdentityToken::UserName(name.to_owned(), Password::new(password))
}

impl Client {
    /// Connects to `url` (security None) as `identity`.
    pub async fn connect(
        url: &str,
        identity: IdentityToken,
    ) -> Result<Client, opcua::types::Error> {
        Client::connect_with(
            url,
            SecurityPolicy::None,
            MessageSecurityMode::None,
            identity,
        )
        .await
    }

    /// Connects to `url`'s endpoint of `policy` and `mode` as `identity`; with security, the
    /// client makes itself a certificate (once: it is kept in the client's store).
    pub async fn connect_with(
        url: &str,
        policy: SecurityPolicy,
        mode: MessageSecurityMode,
        identity: IdentityToken,
    ) -> Result<Client, opcua::types::Error> {
        let mut client = ClientBuilder::new()
            .application_name("sessions tests")
            .application_uri("urn:sessions:tests")
            .product_uri("urn:sessions:tests")
            .create_sample_keypair(policy != SecurityPolicy::None)
            .trust_server_certs(true)
            .pki_dir(pki_dir().join("client"))
            .session_retry_limit(0)
            .session_timeout(10_000)
            .client()
            .map_err(|errors| {
                opcua::types::Error::new(StatusCode::BadConfigurationError, errors.join(", "))
            })?;
        let (session, event_loop) = client
            .connect_to_matching_endpoint(
                (url, policy.to_str(), mode, UserTokenPolicy::anonymous()),
                identity,
            )
            .await?;
        let mut event_loop = event_loop.spawn();
        // A refused log-in ends the event loop (no retries): stop waiting then.
        let connected = tokio::select! {
            connected = tokio::time::timeout(WAIT, session.wait_for_connection()) => matches!(connected, Ok(true)),
            ended = &mut event_loop => {
                let status = ended.unwrap_or(StatusCode::BadUnexpectedError);
                return Err(opcua::types::Error::new(status, "the client's connection ended before its session was activated"));
            }
        };
        if !connected {
            event_loop.abort();
            return Err(opcua::types::Error::new(
                StatusCode::BadNotConnected,
                "the client could not connect and activate its session",
            ));
        }
        let mut client = Client {
            session,
            event_loop,
            ns: 0,
        };
        client.ns = client.namespace_index().await;
        Ok(client)
    }

    async fn namespace_index(&self) -> u16 {
        let read = ReadValueId::from(NodeId::from(VariableId::Server_NamespaceArray));
        let values = self
            .session
            .read(&[read], TimestampsToReturn::Neither, 0.0)
            .await
            .expect("the NamespaceArray can be read");
        let Some(Variant::Array(array)) = values.first().and_then(|v| v.value.clone()) else {
            panic!("the NamespaceArray is an array: {values:?}");
        };
        let index = array
            .values
            .iter()
            .position(|uri| matches!(uri, Variant::String(s) if s.as_ref() == NAMESPACE_URI))
            .expect("the server has the namespace urn:sessions:methods");
        u16::try_from(index).expect("a small index")
    }

    /// The `Methods` object.
    pub fn methods_object(&self) -> NodeId {
        NodeId::new(self.ns, 1u32)
    }

    /// Calls the free method `name` with `args`.
    pub async fn call(&self, name: &str, args: Vec<Variant>) -> CallMethodResult {
        self.call_on(self.methods_object(), name, args).await
    }

    /// Calls the method node `s=<method>` of the object `object`.
    pub async fn call_on(
        &self,
        object: NodeId,
        method: &str,
        args: Vec<Variant>,
    ) -> CallMethodResult {
        let request = CallMethodRequest {
            object_id: object,
            method_id: NodeId::new(self.ns, method),
            input_arguments: Some(args),
        };
        let mut results = tokio::time::timeout(WAIT, self.session.call(vec![request]))
            .await
            .expect("the call is answered in time")
            .expect("the Call service answers");
        results.pop().expect("one result per call")
    }

    /// Closes the session and the connection.
    pub async fn disconnect(self) {
        let _ = tokio::time::timeout(WAIT, self.session.disconnect()).await;
    }
}

/// The outputs of a result that must be Good.
pub fn outputs(result: CallMethodResult) -> Vec<Variant> {
    assert_eq!(result.status_code, StatusCode::Good, "{result:?}");
    result.output_arguments.unwrap_or_default()
}
