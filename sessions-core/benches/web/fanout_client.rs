//! The fan-out's client process (`--fanout-client ADDR TABS PATH`, see `fanout.rs`): its
//! share of the tabs, each watching the variable; it says `ready` once all of them watch,
//! and `got ROUND at=NANOS` once all of them have a round, and ends when its stdin closes.

use std::net::SocketAddr;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::children::stdin_closed;
use crate::crowd;
use crate::fanout::now_nanos;
use crate::load::{next_text, within, Ws};
use crate::servers::Peer;

/// How long a client lives at most, whatever its parent does.
const CLIENT_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// What a client's tabs tell its main loop.
enum Event {
    Watching,
    Got { round: u64, at: u64 },
    Failed(String),
}

/// The client process: `tabs` tabs watching `path`, reporting each round once all of them
/// have it; ends when its stdin closes.
pub fn run(addr: SocketAddr, tabs: usize, path: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("client runtime: {e}"))?;
    let path = path.to_owned();
    runtime.block_on(async move {
        let ended = stdin_closed();
        match tokio::time::timeout(CLIENT_LIFETIME, watch_and_report(addr, tabs, path, ended)).await
        {
            Ok(result) => result,
            Err(_) => Err(format!("the fan-out client outlived {CLIENT_LIFETIME:?}")),
        }
    })
}

async fn watch_and_report(
    addr: SocketAddr,
    tabs: usize,
    path: String,
    mut ended: tokio::sync::oneshot::Receiver<()>,
) -> Result<(), String> {
    let (events, mut received) = mpsc::unbounded_channel();
    crowd::open_each(Peer::Ours, addr, tabs, |ws| {
        tokio::spawn(tab(ws, path.clone(), events.clone()));
    })
    .await?;
    drop(events);
    let mut watching = 0;
    // Per round: how many tabs have it, and when the latest of them got it.
    let mut rounds: std::collections::HashMap<u64, (usize, u64)> = Default::default();
    loop {
        let event = tokio::select! {
            _ = &mut ended => return Ok(()),
            event = received.recv() => event.ok_or("every tab ended")?,
        };
        match event {
            Event::Watching => {
                watching += 1;
                if watching == tabs {
                    println!("ready tabs={tabs}");
                }
            }
            Event::Got { round, at } => {
                let (count, last) = rounds.entry(round).or_default();
                *count += 1;
                *last = (*last).max(at);
                if *count == tabs {
                    println!("got {round} at={last}");
                    rounds.remove(&round);
                }
            }
            Event::Failed(error) => return Err(error),
        }
    }
}

/// One tab: watches `path`, then reports the round of each `variable.changed`.
async fn tab(mut ws: Ws, path: String, events: mpsc::UnboundedSender<Event>) {
    let watch = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"variable.watch","params":{{"path":"{path}"}}}}"#
    );
    let watched = async {
        within("send variable.watch", ws.send(Message::text(watch))).await?;
        let answer = next_text(&mut ws).await?;
        if answer.contains(r#""result""#) {
            Ok(())
        } else {
            Err(format!("variable.watch answered {answer}"))
        }
    };
    if let Err(error) = watched.await {
        let _ = events.send(Event::Failed(error));
        return;
    }
    let _ = events.send(Event::Watching);
    // Until the socket ends, or this process does.
    let failure = loop {
        match ws.next().await {
            Some(Ok(Message::Text(text))) => {
                let at = now_nanos();
                match round_of(text.as_str()) {
                    Some(round) => {
                        let _ = events.send(Event::Got { round, at });
                    }
                    None => break format!("a tab got an unexpected message: {text}"),
                }
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(other)) => break format!("a tab got {other:?}"),
            Some(Err(error)) => break format!("a tab's socket failed: {error}"),
            None => break "a tab's socket closed".to_owned(),
        }
    };
    let _ = events.send(Event::Failed(failure));
}

/// The round (the `value`) of a `variable.changed` notification.
fn round_of(text: &str) -> Option<u64> {
    let message: serde_json::Value = serde_json::from_str(text).ok()?;
    if message.get("method")?.as_str()? != "variable.changed" {
        return None;
    }
    message.get("params")?.get("value")?.as_u64()
}
