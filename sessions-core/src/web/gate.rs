//! [`Gate`]: how many connections the host holds, from each peer and in all. A connection
//! past either cap is refused as soon as it is accepted, and counted.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex};

use super::limits::WebCounters;
use crate::lock::lock;

/// The caps on connections, and how many are held now.
pub(super) struct Gate {
    max_total: usize,
    max_per_peer: usize,
    held: Mutex<Held>,
    counters: WebCounters,
}

/// How many connections are held, in all and by peer (a peer with none has no entry, so
/// the map holds at most `max_total` entries).
#[derive(Default)]
struct Held {
    total: usize,
    per_peer: HashMap<IpAddr, usize>,
}

/// Why a connection was refused.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Refusal {
    /// Its peer holds as many connections as a peer may.
    Peer,
    /// The host holds as many connections as it may.
    Total,
}

/// One connection held: dropping it (when the connection, or the WebSocket upgraded from
/// it, ends) gives its place back.
pub(super) struct Permit {
    gate: Arc<Gate>,
    peer: IpAddr,
}

impl Gate {
    pub fn new(max_total: usize, max_per_peer: usize, counters: WebCounters) -> Arc<Gate> {
        Arc::new(Gate {
            max_total,
            max_per_peer,
            held: Mutex::new(Held::default()),
            counters,
        })
    }

    /// Takes a connection from `peer` if both caps allow it; counts a refusal.
    pub fn admit(self: &Arc<Self>, peer: IpAddr) -> Result<Permit, Refusal> {
        let peer = peer_key(peer);
        let mut held = lock(&self.held);
        if held.total >= self.max_total {
            self.counters.refused_total();
            return Err(Refusal::Total);
        }
        let of_peer = held.per_peer.entry(peer).or_insert(0);
        if *of_peer >= self.max_per_peer {
            self.counters.refused_peer();
            return Err(Refusal::Peer);
        }
        *of_peer += 1;
        held.total += 1;
        drop(held);
        self.counters.connection_opened();
        Ok(Permit {
            gate: Arc::clone(self),
            peer,
        })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut held = lock(&self.gate.held);
        held.total = held.total.saturating_sub(1);
        if let Some(of_peer) = held.per_peer.get_mut(&self.peer) {
            *of_peer = of_peer.saturating_sub(1);
            if *of_peer == 0 {
                held.per_peer.remove(&self.peer);
            }
        }
        drop(held);
        self.gate.counters.connection_closed();
    }
}

/// What a peer is counted as: its IPv4 address (an IPv4-mapped IPv6 address is taken as
/// IPv4), or the /64 of its IPv6 address (a host is given a /64, so counting each address
/// of it apart would let one host open a cap's worth of connections per address).
fn peer_key(peer: IpAddr) -> IpAddr {
    match peer {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !u128::from(u64::MAX);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn each_peer_has_its_cap_and_all_share_theirs() {
        let counters = WebCounters::default();
        let gate = Gate::new(3, 2, counters.clone());
        let a1 = gate.admit(ip("10.0.0.1")).expect("first of a");
        let _a2 = gate.admit(ip("10.0.0.1")).expect("second of a");
        assert_eq!(gate.admit(ip("10.0.0.1")).err(), Some(Refusal::Peer));
        let _b1 = gate.admit(ip("10.0.0.2")).expect("first of b");
        assert_eq!(gate.admit(ip("10.0.0.3")).err(), Some(Refusal::Total));
        assert_eq!(counters.refused_per_peer(), 1);
        assert_eq!(counters.refused_over_total(), 1);
        assert_eq!(counters.open_connections(), 3);
        drop(a1);
        assert_eq!(counters.open_connections(), 2);
        let _a3 = gate.admit(ip("10.0.0.1")).expect("a has a place again");
    }

    #[test]
    fn an_ipv6_host_is_its_64_and_a_mapped_ipv4_is_ipv4() {
        assert_eq!(peer_key(ip("2001:db8:1:2:aaaa::1")), ip("2001:db8:1:2::"));
        assert_eq!(peer_key(ip("2001:db8:1:2:bbbb::9")), ip("2001:db8:1:2::"));
        assert_ne!(peer_key(ip("2001:db8:1:3::1")), ip("2001:db8:1:2::"));
        assert_eq!(peer_key(ip("::ffff:10.0.0.1")), ip("10.0.0.1"));
    }

    #[test]
    fn a_peer_with_no_connection_keeps_no_entry() {
        let gate = Gate::new(10, 10, WebCounters::default());
        for n in 0..5u8 {
            drop(gate.admit(IpAddr::from([10, 0, 0, n])).expect("room"));
        }
        assert!(lock(&gate.held).per_peer.is_empty());
    }
}
