//! `P2pConnectionManager`: liveness plus peer discovery (P2PSimpy's `P2PConnectionManager`).

use std::collections::BTreeSet;

use p2psim_kernel::{ConfigError, Param, SimDuration};
use p2psim_net::PeerId;
use serde::{Deserialize, Serialize};

use super::liveness::{Liveness, TICK, check_liveness, handle_basic};
use super::{check_count, param};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, Role, ServiceConfig};
use crate::context::Context;
use crate::message::{Body, Kind, Message};
use crate::protocol::{PeerInit, PeerParam, Protocol};
use crate::select::sample;

/// Peer discovery on top of liveness (`P2PConnectionManager`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct P2pConnectionManagerConfig {
    /// Liveness settings.
    pub ping_interval: Param,
    /// Disconnect after this much silence.
    pub max_silence: Param,
    /// Keep links at least this long before dropping them as slow.
    pub min_keep_time: Param,
    /// Peers sent in answer to `RequestPeers` (1).
    pub peer_list_number: Param,
    /// Look for more peers below this many links (15).
    pub min_peers: Param,
    /// Drop the slowest links above this many (25).
    pub max_peers: Param,
    /// Neighbours asked for peers at once (5).
    pub peer_batch_request: Param,
}

impl Default for P2pConnectionManagerConfig {
    fn default() -> Self {
        P2pConnectionManagerConfig {
            ping_interval: Param::Const(500.0),
            max_silence: Param::Const(3000.0),
            min_keep_time: Param::Const(3000.0),
            peer_list_number: Param::Const(1.0),
            min_peers: Param::Const(15.0),
            max_peers: Param::Const(25.0),
            peer_batch_request: Param::Const(5.0),
        }
    }
}

impl ServiceConfig for P2pConnectionManagerConfig {
    type Protocol = P2pConnectionManager;

    const REFERENCE: &'static str = "### `P2pConnectionManager`

P2PSimpy's `P2PConnectionManager`: the connection manager plus peer discovery. Below `min_peers`
links it asks its neighbours for peers (`RequestPeers`, answered with a `PeerList` of up to
`peer_list_number` peers) and says `Hello` to up to `peer_batch_request` peers it learnt of; above
`max_peers` it drops the links with the lowest bandwidth that are older than `min_keep_time`. A
peer with no link at the start says `Hello` to a random peer of the type named `bootstrap`.

| field | meaning | default |
|---|---|---|
| `ping_interval`, `max_silence` | as `ConnectionManager` | 500, 3000 |
| `min_keep_time` | ms a link is kept before it may be dropped for having too many | 3000 |
| `peer_list_number` | peers sent per `PeerList` answer (*Param*) | 1 |
| `min_peers` | below this many links, look for more (*Param*) | 15 |
| `max_peers` | above this many links, drop some (*Param*) | 25 |
| `peer_batch_request` | peers greeted per round of discovery (*Param*) | 5 |
";

    fn role(&self) -> Role {
        Role::Links
    }

    fn check(&self, _: &CheckCx<'_>) -> Result<(), ConfigError> {
        check_liveness(&self.ping_interval, &self.max_silence, &self.min_keep_time)?;
        check_count("peer_list_number", &self.peer_list_number)?;
        check_count("min_peers", &self.min_peers)?;
        check_count("max_peers", &self.max_peers)?;
        check_count("peer_batch_request", &self.peer_batch_request)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> P2pConnectionManager {
        P2pConnectionManager {
            liveness: Liveness {
                ping_interval: param(cx, "ping_interval", &self.ping_interval),
                max_silence: param(cx, "max_silence", &self.max_silence),
            },
            min_keep_time: param(cx, "min_keep_time", &self.min_keep_time),
            peer_list_number: param(cx, "peer_list_number", &self.peer_list_number),
            min_peers: param(cx, "min_peers", &self.min_peers),
            max_peers: param(cx, "max_peers", &self.max_peers),
            peer_batch_request: param(cx, "peer_batch_request", &self.peer_batch_request),
            bootstrap: cx.peers_of_type("bootstrap").to_vec(),
        }
    }

    fn estimate(&self, cx: &EstimateCx) -> Load {
        super::liveness::estimate(cx, &self.ping_interval)
    }
}

/// `P2PConnectionManager`: liveness plus discovery. Below `min_peers` links it asks neighbours for
/// peers and says `Hello` to peers it learnt of; above `max_peers` it drops the links with the
/// lowest bandwidth that are older than `min_keep_time`. A peer with no link at the start says
/// `Hello` to a random peer of type `bootstrap` (P2PSimpy's bootstrap servers).
#[derive(Debug)]
pub struct P2pConnectionManager {
    liveness: Liveness,
    min_keep_time: PeerParam,
    peer_list_number: PeerParam,
    min_peers: PeerParam,
    max_peers: PeerParam,
    peer_batch_request: PeerParam,
    bootstrap: Vec<PeerId>,
}

/// What one peer's discovery knows.
#[derive(Debug, Default)]
pub struct Discovery {
    known: BTreeSet<PeerId>,
    disconnected: BTreeSet<PeerId>,
}

impl Protocol for P2pConnectionManager {
    type Message = Message;
    type State = Discovery;

    fn init(&self, _: &mut PeerInit<'_>) -> Discovery {
        Discovery::default()
    }

    fn kinds(&self) -> Option<&'static [Kind]> {
        Some(&[Kind::Hello, Kind::Ping, Kind::Pong, Kind::RequestPeers, Kind::PeerList])
    }

    fn on_start(&self, _: &mut Discovery, cx: &mut Context<'_, Message>) {
        cx.set_timer(SimDuration::ZERO, TICK);
        if cx.degree() == 0 {
            let me = cx.peer();
            let mut candidates: Vec<PeerId> = self.bootstrap.iter().copied().filter(|&b| b != me).collect();
            if let Some(&b) = sample(cx.rng(), &mut candidates, 1).first() {
                cx.send_connectionless(b, Message::Hello);
            }
        }
    }

    fn on_message(&self, d: &mut Discovery, cx: &mut Context<'_, Message>, from: PeerId, msg: &Message) {
        if handle_basic(cx, from, msg) {
            cx.send(from, Message::RequestPeers);
            return;
        }
        match msg {
            Message::RequestPeers => {
                let mut nbrs = cx.neighbours().to_vec();
                let k = self.peer_list_number.count(cx).min(nbrs.len());
                let chosen = sample(cx.rng(), &mut nbrs, k).to_vec();
                let body = Body::Peers(chosen.iter().map(|&q| (q, cx.peer_repr_len(q))).collect());
                cx.send(from, Message::with(Kind::PeerList, body));
            }
            Message::With { kind: Kind::PeerList, body, .. } => {
                if let Body::Peers(list) = &**body {
                    let me = cx.peer();
                    d.known.extend(list.iter().map(|&(q, _)| q).filter(|&q| q != me));
                }
            }
            _ => {}
        }
    }

    fn on_timer(&self, d: &mut Discovery, cx: &mut Context<'_, Message>, _: u32) {
        if cx.is_online() {
            self.monitor(d, cx);
        }
        self.liveness.tick(cx, Some(&mut d.disconnected));
    }
}

impl P2pConnectionManager {
    fn monitor(&self, d: &mut Discovery, cx: &mut Context<'_, Message>) {
        let degree = cx.degree();
        let min_peers = self.min_peers.count(cx);
        let max_peers = self.max_peers.count(cx);
        if degree < min_peers {
            let needed = min_peers - degree;
            let candidates: Vec<PeerId> =
                d.known.iter().copied().filter(|&q| !cx.is_neighbour(q) && !d.disconnected.contains(&q)).collect();
            if candidates.len() < needed {
                let mut nbrs = cx.neighbours().to_vec();
                let k = self.peer_batch_request.count(cx).min(nbrs.len());
                for q in sample(cx.rng(), &mut nbrs, k).to_vec() {
                    cx.send(q, Message::RequestPeers);
                }
            }
            for &q in candidates.iter().take(needed) {
                cx.send_connectionless(q, Message::Hello);
            }
        } else if degree > max_peers {
            let me = cx.peer();
            let (up, _) = cx.bandwidth(me);
            let min_keep = SimDuration::from_millis_f64(self.min_keep_time.get(cx));
            let now = cx.now();
            let mut slow: Vec<(f64, PeerId)> = cx
                .neighbours()
                .iter()
                .copied()
                .filter(|&q| !d.disconnected.contains(&q) && cx.connected_since(q).is_some_and(|t| now - t > min_keep))
                .map(|q| (up.min(cx.bandwidth(q).1), q))
                .collect();
            slow.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
            for &(_, q) in slow.iter().take(degree - max_peers) {
                cx.disconnect(q);
                d.disconnected.insert(q);
            }
        }
    }
}
