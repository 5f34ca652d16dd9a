//! Connection managers: ping/pong liveness, and peer discovery on top of it.

use std::collections::BTreeSet;

use p2psim_kernel::{SimDuration, SimTime};
use p2psim_net::PeerId;

use super::Shared;
use crate::config::{ConnectionManagerConfig, P2pConnectionManagerConfig};
use crate::cx::Cx;
use crate::message::{Body, Kind, Message};
use crate::select::sample;

const TICK: u32 = 0;

/// `BaseConnectionManager`: every `ping_interval` (from t = 0), ping neighbours not heard from for
/// more than `ping_interval`, then drop those silent for more than `max_silence`; answer `Ping` with
/// `Pong`; accept `Hello` from a new peer by linking and saying `Hello` back.
///
/// Unlike P2PSimpy (oddity D2), the checks pause while the peer is offline: an offline peer hears
/// nothing, and would otherwise drop all its links itself.
#[derive(Debug)]
pub(crate) struct ConnectionManager {
    ping_interval: SimDuration,
    max_silence: SimDuration,
}

impl ConnectionManager {
    pub(crate) fn new(c: &ConnectionManagerConfig) -> Self {
        ConnectionManager {
            ping_interval: SimDuration::from_millis_f64(c.ping_interval),
            max_silence: SimDuration::from_millis_f64(c.max_silence),
        }
    }

    pub(crate) fn start(&mut self, cx: &mut Cx<'_>, sh: &mut Shared) {
        for &p in &sh.members {
            cx.timer(p, SimDuration::ZERO, TICK);
        }
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx<'_>, _sh: &mut Shared, peer: PeerId) {
        if cx.net.is_online(peer) {
            liveness(cx, peer, self.ping_interval, self.max_silence, None);
        }
        cx.timer(peer, self.ping_interval, TICK);
    }

    pub(crate) fn on_message(&mut self, cx: &mut Cx<'_>, _sh: &mut Shared, to: PeerId, from: PeerId, msg: &Message) {
        handle_basic(cx, to, from, msg);
    }
}

/// Hello, Ping, Pong; returns true if a Hello made a new link.
fn handle_basic(cx: &mut Cx<'_>, to: PeerId, from: PeerId, msg: &Message) -> bool {
    match msg {
        Message::Hello if !cx.net.is_connected(to, from) => {
            cx.connect(to, from);
            cx.mark_seen(to, from);
            cx.send(to, from, Message::Hello);
            true
        }
        Message::Ping => {
            cx.send(to, from, Message::Pong);
            false
        }
        _ => false,
    }
}

/// Ping the quiet, drop the silent. `dropped` collects who was dropped.
fn liveness(
    cx: &mut Cx<'_>,
    peer: PeerId,
    ping_interval: SimDuration,
    max_silence: SimDuration,
    mut dropped: Option<&mut BTreeSet<PeerId>>,
) {
    let now = cx.now;
    for &q in cx.net.neighbours(peer) {
        // Never heard from counts as heard from at time 0 (P2PSimpy's default).
        let last = cx.net.last_seen(peer, q).unwrap_or(SimTime::ZERO);
        if now - last > ping_interval {
            cx.send(peer, q, Message::Ping);
        }
    }
    for &q in cx.net.neighbours(peer) {
        match cx.net.last_seen(peer, q) {
            None => cx.mark_seen(peer, q),
            Some(last) if now - last > max_silence => {
                cx.disconnect(peer, q);
                if let Some(d) = dropped.as_deref_mut() {
                    d.insert(q);
                }
            }
            Some(_) => {}
        }
    }
}

/// `P2PConnectionManager`: liveness plus discovery. Below `min_peers` links it asks neighbours for
/// peers and says `Hello` to peers it learnt of; above `max_peers` it drops the links with the
/// lowest bandwidth that are older than `min_keep_time`.
#[derive(Debug)]
pub(crate) struct P2pConnectionManager {
    base: ConnectionManager,
    min_keep_time: SimDuration,
    peer_list_number: usize,
    min_peers: usize,
    max_peers: usize,
    peer_batch_request: usize,
    bootstrap: Vec<PeerId>,
    known: Vec<BTreeSet<PeerId>>,
    disconnected: Vec<BTreeSet<PeerId>>,
}

impl P2pConnectionManager {
    pub(crate) fn new(c: &P2pConnectionManagerConfig, members: usize, bootstrap: Vec<PeerId>) -> Self {
        let base = ConnectionManagerConfig {
            ping_interval: c.ping_interval,
            max_silence: c.max_silence,
            min_keep_time: c.min_keep_time,
        };
        P2pConnectionManager {
            base: ConnectionManager::new(&base),
            min_keep_time: SimDuration::from_millis_f64(c.min_keep_time),
            peer_list_number: c.peer_list_number as usize,
            min_peers: c.min_peers as usize,
            max_peers: c.max_peers as usize,
            peer_batch_request: c.peer_batch_request as usize,
            bootstrap,
            known: vec![BTreeSet::new(); members],
            disconnected: vec![BTreeSet::new(); members],
        }
    }

    pub(crate) fn start(&mut self, cx: &mut Cx<'_>, sh: &mut Shared) {
        self.base.start(cx, sh);
        // A peer with no link says Hello to a bootstrap peer (P2PSimpy's bootstrap servers).
        for local in 0..sh.members.len() as u32 {
            let p = sh.members[local as usize];
            if cx.net.degree(p) == 0 {
                let mut candidates: Vec<PeerId> = self.bootstrap.iter().copied().filter(|&b| b != p).collect();
                if let Some(&b) = sample(sh.rng(local), &mut candidates, 1).first() {
                    cx.send_connectionless(p, b, Message::Hello);
                }
            }
        }
    }

    pub(crate) fn on_message(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, to: PeerId, from: PeerId, msg: &Message) {
        let local = cx.peers.local(to);
        if handle_basic(cx, to, from, msg) {
            cx.send(to, from, Message::RequestPeers);
            return;
        }
        match msg {
            Message::RequestPeers => {
                let mut nbrs: Vec<PeerId> = cx.net.neighbours(to).to_vec();
                let k = self.peer_list_number.min(nbrs.len());
                let chosen = sample(sh.rng(local), &mut nbrs, k);
                let body = Body::Peers(chosen.iter().map(|&q| (q, cx.peers.repr_len(q))).collect());
                cx.send(to, from, Message::with(Kind::PeerList, body));
            }
            Message::With { kind: Kind::PeerList, body, .. } => {
                if let Body::Peers(list) = &**body {
                    for &(q, _) in list {
                        if q != to {
                            self.known[local as usize].insert(q);
                        }
                    }
                }
            }
            _ => {}
        }
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId) {
        let local = cx.peers.local(peer) as usize;
        if cx.net.is_online(peer) {
            self.monitor(cx, sh, peer, local);
            liveness(cx, peer, self.base.ping_interval, self.base.max_silence, Some(&mut self.disconnected[local]));
        }
        cx.timer(peer, self.base.ping_interval, TICK);
    }

    fn monitor(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId, local: usize) {
        let degree = cx.net.degree(peer);
        if degree < self.min_peers {
            let needed = self.min_peers - degree;
            let candidates: Vec<PeerId> = self.known[local]
                .iter()
                .copied()
                .filter(|&q| !cx.net.is_connected(peer, q) && !self.disconnected[local].contains(&q))
                .collect();
            if candidates.len() < needed {
                let mut nbrs: Vec<PeerId> = cx.net.neighbours(peer).to_vec();
                let k = self.peer_batch_request.min(nbrs.len());
                for &q in sample(sh.rng(local as u32), &mut nbrs, k) {
                    cx.send(peer, q, Message::RequestPeers);
                }
            }
            for &q in candidates.iter().take(needed) {
                cx.send_connectionless(peer, q, Message::Hello);
            }
        } else if degree > self.max_peers {
            let (up, _) = cx.net.bandwidth(peer);
            let mut slow: Vec<(f64, PeerId)> = cx
                .net
                .neighbours(peer)
                .iter()
                .copied()
                .filter(|&q| {
                    !self.disconnected[local].contains(&q)
                        && cx.net.connected_since(peer, q).is_some_and(|t| cx.now - t > self.min_keep_time)
                })
                .map(|q| (up.min(cx.net.bandwidth(q).1), q))
                .collect();
            slow.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for &(_, q) in slow.iter().take(degree - self.max_peers) {
                cx.disconnect(peer, q);
                self.disconnected[local].insert(q);
            }
        }
    }
}
