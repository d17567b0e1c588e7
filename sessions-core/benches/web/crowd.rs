//! Many tabs held by one client process: opened a few at a time, with small buffers, each
//! past our host's `session.opened` (or jsonrpsee's handshake).

use std::net::SocketAddr;

use futures_util::{stream, StreamExt, TryStreamExt};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::load::{open_ws, Ws};
use crate::servers::Peer;

/// Sockets being opened at once: well under the listen backlog.
const OPENING_AT_ONCE: usize = 64;

/// Opens `count` WebSockets to `peer` at `addr`.
pub async fn open(peer: Peer, addr: SocketAddr, count: usize) -> Result<Vec<Ws>, String> {
    // The client's own buffers stay small: 10,000 of tungstenite's default 128 KiB read
    // buffers would be over a GiB here for nothing.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    stream::iter(0..count)
        .map(|_| open_ws(peer, addr, config))
        .buffer_unordered(OPENING_AT_ONCE)
        .try_collect()
        .await
}
