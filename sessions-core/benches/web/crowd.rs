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
    let mut sockets = Vec::with_capacity(count);
    open_each(peer, addr, count, |ws| sockets.push(ws)).await?;
    Ok(sockets)
}

/// Opens `count` WebSockets to `peer` at `addr`, handing each to `each` as soon as it is
/// open (a tab that must read, to answer the host's pings, starts reading then, not after
/// the last one opened).
pub async fn open_each(
    peer: Peer,
    addr: SocketAddr,
    count: usize,
    mut each: impl FnMut(Ws),
) -> Result<(), String> {
    // The client's own buffers stay small: 10,000 of tungstenite's default 128 KiB read
    // buffers would be over a GiB here for nothing.
    let config = WebSocketConfig::default()
        .read_buffer_size(4 * 1024)
        .write_buffer_size(0);
    stream::iter(0..count)
        .map(|_| open_ws(peer, addr, config))
        .buffer_unordered(OPENING_AT_ONCE)
        .try_for_each(|ws| {
            each(ws);
            std::future::ready(Ok(()))
        })
        .await
}
