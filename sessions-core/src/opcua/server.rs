//! Starting the server: the endpoints, async-opcua's server with the host's authenticator
//! and node manager, the listener, the background task that closes the sessions of closed
//! OPC UA sessions, and the engine observer that keeps the exported objects' and variables'
//! nodes up to date; and the [`OpcUaHandle`] that stops it all (the variables' tasks too).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use opcua::crypto::{CertificateStore, SecurityPolicy};
use opcua::server::{ServerBuilder, ServerEndpoint, ServerHandle};
use opcua::types::MessageSecurityMode;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::address_space::{MethodNodes, NAMESPACE_URI};
use super::auth::{Auth, PASSWORD_POLICY_WITH_CERTIFICATE};
use super::config::Config;
use super::error::OpcUaError;
use super::node_manager::{Builder, Shared};
use super::sessions::{OpcSessions, SWEEP_INTERVAL};
use super::variable_nodes::VariableNodes;
use crate::host::{EngineEvent, ObserverHandle};

/// A running OPC UA host. [`shutdown`](Self::shutdown) stops it and closes its sessions;
/// dropping the handle stops it too (without waiting).
#[must_use = "dropping the handle stops the server"]
pub struct OpcUaHandle {
    address: SocketAddr,
    endpoint_url: String,
    server_handle: ServerHandle,
    server: Option<JoinHandle<Result<(), String>>>,
    sweeper: Option<JoinHandle<()>>,
    sessions: Arc<OpcSessions>,
    /// The exported variables' nodes, whose tasks end when the host stops.
    variables: Arc<VariableNodes>,
    /// The engine tells the host of objects and variables exported and dropped while this
    /// lives; taken when the host stops.
    observer: Option<ObserverHandle>,
}

impl OpcUaHandle {
    /// The address the server listens on: with port 0 configured, the port the system chose.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// The endpoint URL clients connect to: `opc.tcp://HOST:PORT/`.
    pub fn endpoint_url(&self) -> &str {
        &self.endpoint_url
    }

    /// Stops the server: every connection is closed, then every session of the host.
    ///
    /// # Errors
    /// [`OpcUaError::Server`] when the server had stopped with an error.
    pub async fn shutdown(mut self) -> Result<(), OpcUaError> {
        self.server_handle.cancel();
        self.finish().await
    }

    /// Waits until the server stops by itself (it fails), or forever: for a program whose
    /// only job is to serve. To stop it, keep the handle and call
    /// [`shutdown`](Self::shutdown) instead (on Ctrl-C, say).
    ///
    /// # Errors
    /// [`OpcUaError::Server`] when the server stopped with an error.
    pub async fn wait(mut self) -> Result<(), OpcUaError> {
        self.finish().await
    }

    async fn finish(&mut self) -> Result<(), OpcUaError> {
        let result = match self.server.take() {
            Some(server) => match server.await {
                Ok(result) => result.map_err(OpcUaError::Server),
                Err(error) => Err(OpcUaError::Server(error.to_string())),
            },
            None => Ok(()),
        };
        self.server_handle.cancel();
        self.stop_variables();
        if let Some(sweeper) = self.sweeper.take() {
            // It ends at the cancellation; a panic in it was already reported.
            let _ = sweeper.await;
        }
        self.sessions.close_all();
        result
    }

    /// Stops following the engine, then ends every variable's task.
    fn stop_variables(&mut self) {
        drop(self.observer.take());
        self.variables.stop();
    }
}

impl Drop for OpcUaHandle {
    fn drop(&mut self) {
        self.server_handle.cancel();
        self.stop_variables();
        if self.server.is_some() {
            self.sessions.close_all();
        }
    }
}

impl std::fmt::Debug for OpcUaHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpcUaHandle")
            .field("endpoint_url", &self.endpoint_url)
            .field("running", &!self.server_handle.token().is_cancelled())
            .finish()
    }
}

/// The endpoints of the host: `None` unless refused, and the secure ones with a
/// certificate, all at path `/`.
fn endpoints(config: &Config) -> Result<Vec<(String, ServerEndpoint)>, OpcUaError> {
    let mut endpoints = Vec::new();
    if config.allow_unsecured {
        let mut none = ServerEndpoint::new_none("/", &[]);
        if config.certificate.is_some() {
            none.password_security_policy = Some(PASSWORD_POLICY_WITH_CERTIFICATE.to_string());
        }
        endpoints.push(("none".to_owned(), none));
    }
    if config.certificate.is_some() {
        for policy in [
            SecurityPolicy::Basic256Sha256,
            SecurityPolicy::Aes128Sha256RsaOaep,
            SecurityPolicy::Aes256Sha256RsaPss,
        ] {
            for mode in [
                MessageSecurityMode::Sign,
                MessageSecurityMode::SignAndEncrypt,
            ] {
                let id = format!("{policy}_{mode:?}");
                let endpoint: ServerEndpoint = ("/", policy, mode, &[] as &[&str]).into();
                endpoints.push((id, endpoint));
            }
        }
    }
    if endpoints.is_empty() {
        return Err(OpcUaError::Config(
            "no endpoint: `allow_unsecured(false)` needs a `certificate(…)` for the secure ones"
                .to_owned(),
        ));
    }
    Ok(endpoints)
}

/// Checks that the certificate and key can be read, so that a mistake fails the start
/// rather than every secure connection.
fn check_certificate(
    pki: &std::path::Path,
    certificate: &(PathBuf, PathBuf),
) -> Result<(), OpcUaError> {
    let (cert, key) = certificate;
    let cert = pki.join(cert);
    let key = pki.join(key);
    CertificateStore::read_cert(&cert).map_err(|error| {
        OpcUaError::Config(format!(
            "cannot read the certificate {}: {error}",
            cert.display()
        ))
    })?;
    CertificateStore::read_pkey(&key).map_err(|error| {
        OpcUaError::Config(format!(
            "cannot read the private key {}: {error}",
            key.display()
        ))
    })?;
    Ok(())
}

pub(super) async fn start(config: Config) -> Result<OpcUaHandle, OpcUaError> {
    if config.application_uri == NAMESPACE_URI {
        // The application URI is namespace 1, the server's own; the methods need theirs.
        return Err(OpcUaError::Config(format!(
            "the application URI cannot be {NAMESPACE_URI:?}, the methods' namespace: choose another"
        )));
    }
    let address = format!("{}:{}", config.host, config.port);
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|source| OpcUaError::Bind {
            address: address.clone(),
            source,
        })?;
    let local = listener.local_addr().map_err(|source| OpcUaError::Bind {
        address: address.clone(),
        source,
    })?;
    let endpoint_url = format!("opc.tcp://{}:{}/", config.host, local.port());
    let pki_dir = match config.pki_dir.clone() {
        Some(dir) => dir,
        None => super::pki::default_pki_dir(&config.application_uri).map_err(OpcUaError::Config)?,
    };
    if let Some(certificate) = &config.certificate {
        check_certificate(&pki_dir, certificate)?;
    }
    let endpoints = endpoints(&config)?;

    let nodes = Arc::new(MethodNodes::new());
    let anonymous_cap = config.anonymous_cap();
    let variables = Arc::new(VariableNodes::new());
    let auth = Arc::new(
        Auth::new(
            config.allow_anonymous,
            config.accounts,
            config.store,
            config.authenticate,
            Arc::clone(&nodes),
        )
        .with_variables(Arc::clone(&variables))
        .throttled_by(config.login_throttle)
        .audited_by(config.engine.clone())
        .anonymous_at_most(anonymous_cap),
    );
    let sessions = Arc::new(OpcSessions::new(config.engine.clone(), Arc::clone(&auth)));
    let shared = Arc::new(Shared {
        engine: config.engine.clone(),
        nodes,
        variables: Arc::clone(&variables),
        sessions: Arc::clone(&sessions),
        server: OnceLock::new(),
        runtime: tokio::runtime::Handle::current(),
        metrics: config.metrics.clone(),
    });

    let max_timeout_ms = u64::try_from(config.max_session_timeout.as_millis()).unwrap_or(u64::MAX);
    let mut builder = ServerBuilder::new()
        .application_name(config.application_name)
        .application_uri(config.application_uri)
        .product_uri("urn:sessions")
        .host(config.host.clone())
        .port(local.port())
        .discovery_urls(vec![endpoint_url.clone()])
        .pki_dir(&pki_dir)
        // Without a configured certificate, a self-signed one made once in the store (so a
        // normal start logs no "crypto won't work" error, and secure channels can work).
        .create_sample_keypair(config.certificate.is_none())
        .trust_client_certs(config.trust_client_certificates)
        .max_sessions(config.max_sessions)
        .max_session_timeout_ms(max_timeout_ms)
        .with_authenticator(auth)
        .with_node_manager(Builder(Arc::clone(&shared)));
    if let Some((cert, key)) = &config.certificate {
        builder = builder.certificate_path(cert).private_key_path(key);
    }
    for (id, endpoint) in endpoints {
        builder = builder.add_endpoint(id, endpoint);
    }
    let built = {
        let _one_at_a_time = crate::lock::lock(&super::pki::BUILDING);
        builder.build()
    };
    let (server, handle) = built.map_err(OpcUaError::Config)?;
    // Each object or variable exported or dropped is in the address space (or gone from
    // it, its task ended) before `export_object`, `export_variable` (or the handle's drop)
    // returns: the engine tells, on the thread that changed it.
    let observer = {
        let shared = Arc::clone(&shared);
        config.engine.observe(move |event: &EngineEvent<'_>| {
            if let EngineEvent::ObjectExported { .. }
            | EngineEvent::ObjectDropped { .. }
            | EngineEvent::VariableExported { .. }
            | EngineEvent::VariableDropped { .. } = event
            {
                shared.sync();
            }
        })
    };
    let server = tokio::spawn(server.run_with(listener));

    let sweeper = {
        let server_handle = handle.clone();
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_INTERVAL);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = server_handle.token().cancelled() => break,
                    _ = tick.tick() => {
                        shared.sessions.sweep();
                    }
                }
            }
        })
    };
    tracing::info!(endpoint = %endpoint_url, "OPC UA host listening");
    Ok(OpcUaHandle {
        address: local,
        endpoint_url,
        server_handle: handle,
        server: Some(server),
        sweeper: Some(sweeper),
        sessions,
        variables,
        observer: Some(observer),
    })
}
