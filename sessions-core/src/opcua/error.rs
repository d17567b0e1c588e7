//! [`OpcUaError`]: why the host could not start, or stopped.

/// Why the host could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpcUaError {
    /// The address could not be bound (in use, not this machine's, no permission).
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `host:port` as configured.
        address: String,
        /// What the system said.
        #[source]
        source: std::io::Error,
    },
    /// The settings do not make a server.
    #[error("the OPC UA host's settings do not make a server: {0}")]
    Config(String),
    /// The server stopped with an error.
    #[error("the OPC UA server stopped: {0}")]
    Server(String),
}
