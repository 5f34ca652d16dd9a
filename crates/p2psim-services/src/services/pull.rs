//! Pull gossip (anti-entropy by index exchange): `PullGossipService` and `RangedPullGossipService`.
//!
//! Each round a peer sends `SyncPing(index)` to `fanout` partners. The index is a snapshot taken at
//! send time (P2PSimpy sent a live view, oddity G2): the set of ids held, or, ranged, the highest
//! counter held per producer. A receiver answers with `SyncPong` (what the sender lacks) and
//! `MsgRequest` (what it lacks); a `MsgRequest` is answered with `MsgResponse`, whose copies are
//! stored (and counted as copies, as P2PSimpy's `times_seen` does).
//!
//! Ranged, as in P2PSimpy (oddity G4, kept): learning that a producer reached counter `c` marks
//! every counter above my `last` up to `c` as a hole, without raising `last`; I then request all my
//! holes of that producer, even those above what the partner advertised, and a partner without the
//! message answers `None`, leaving the hole open for later rounds.

use p2psim_kernel::{Resolved, SimDuration};
use p2psim_net::PeerId;
use rustc_hash::FxHashSet;

use super::{Exclusions, Shared, peer_round, send, start_rounds, table_round};
use crate::config::{PullGossipConfig, Rounds};
use crate::cx::Cx;
use crate::message::{Body, Kind, Message, MsgId, StoredCopy, TAMPERED_SIZE};
use crate::select::Selection;

#[derive(Debug)]
pub(crate) struct PullGossip {
    ranged: bool,
    fanout: usize,
    round_time: SimDuration,
    init_timeout: Vec<Resolved>,
    rounds: Rounds,
    selection: Selection,
    exclude: Exclusions,
}

impl PullGossip {
    pub(crate) fn new(c: &PullGossipConfig, ranged: bool, init_timeout: Vec<Resolved>, exclude: Exclusions) -> Self {
        PullGossip {
            ranged,
            fanout: c.fanout as usize,
            round_time: SimDuration::from_millis_f64(c.round_time),
            init_timeout,
            rounds: c.rounds.clone(),
            selection: c.selection,
            exclude,
        }
    }

    pub(crate) fn start(&mut self, cx: &mut Cx<'_>, sh: &mut Shared) {
        let init = &self.init_timeout;
        start_rounds(cx, sh, &self.rounds, self.round_time, |local, rng| {
            SimDuration::from_millis_abs(init[local as usize].get(rng))
        });
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId) {
        let rounds = self.rounds.clone();
        peer_round(cx, sh, &rounds, self.round_time, peer, |cx, sh, p, l| self.sync(cx, sh, p, l));
    }

    pub(crate) fn on_round(&mut self, cx: &mut Cx<'_>, sh: &mut Shared) {
        table_round(cx, sh, self.round_time, |cx, sh, p, l| self.sync(cx, sh, p, l));
    }

    fn index(&self, cx: &Cx<'_>, sh: &Shared, local: u32) -> Body {
        if self.ranged {
            Body::Index(sh.storage.ranges(local).into_iter().map(|(p, r)| (PeerId(p), r.last)).collect())
        } else {
            Body::Ids(sh.storage.known(local).iter().map(|&m| cx.messages.id(m)).collect())
        }
    }

    fn sync(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId, local: u32) {
        if !cx.net.is_online(peer) {
            return;
        }
        let n = sh.choose(cx, peer, local, None, &self.exclude, self.selection, self.fanout);
        if n == 0 {
            return;
        }
        let ping = Message::with(Kind::SyncPing, self.index(cx, sh, local));
        for i in 0..n {
            send(cx, self.selection, peer, sh.scratch[i], ping.clone());
        }
    }

    pub(crate) fn on_message(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, to: PeerId, from: PeerId, msg: &Message) {
        let local = cx.peers.local(to);
        match msg {
            Message::Gossip { idx, tampered, .. } => {
                sh.storage.add(local, *idx, cx.now, *tampered);
                let id = cx.messages.id(*idx);
                sh.storage.ranged_add(local, id.producer.0, id.seq);
            }
            Message::With { kind, body, .. } => match (kind, &**body) {
                (Kind::SyncPing, theirs) => {
                    self.peer_missing(cx, sh, to, local, from, theirs);
                    self.self_missing(cx, sh, to, local, from, theirs);
                }
                (Kind::SyncPong, theirs) => self.self_missing(cx, sh, to, local, from, theirs),
                (Kind::MsgRequest, Body::Ids(ids)) => {
                    respond(cx, sh, self.selection, to, local, from, ids);
                }
                (Kind::MsgResponse, Body::Response(items)) => store_response(cx, sh, local, items),
                _ => {}
            },
            _ => {}
        }
    }

    /// Tells `from` what it lacks, by `SyncPong`.
    fn peer_missing(&self, cx: &mut Cx<'_>, sh: &Shared, to: PeerId, local: u32, from: PeerId, theirs: &Body) {
        let pong = match theirs {
            Body::Ids(their_ids) => {
                let have: FxHashSet<MsgId> = their_ids.iter().copied().collect();
                let missing: Vec<MsgId> =
                    sh.storage.known(local).iter().map(|&m| cx.messages.id(m)).filter(|i| !have.contains(i)).collect();
                (!missing.is_empty()).then_some(Body::Ids(missing))
            }
            Body::Index(their_index) => {
                let missing: Vec<(PeerId, u32)> = sh
                    .storage
                    .ranges(local)
                    .into_iter()
                    .filter(|&(p, r)| {
                        let theirs = their_index.iter().find(|e| e.0.0 == p).map_or(0, |e| e.1);
                        theirs == 0 || theirs < r.last
                    })
                    .map(|(p, r)| (PeerId(p), r.last))
                    .collect();
                (!missing.is_empty()).then_some(Body::Index(missing))
            }
            _ => None,
        };
        if let Some(body) = pong {
            send(cx, self.selection, to, from, Message::with(Kind::SyncPong, body));
        }
    }

    /// Asks `from` for what I lack, by `MsgRequest`.
    fn self_missing(&self, cx: &mut Cx<'_>, sh: &mut Shared, to: PeerId, local: u32, from: PeerId, theirs: &Body) {
        let wanted: Vec<MsgId> = match theirs {
            Body::Ids(ids) => ids
                .iter()
                .copied()
                .filter(|&id| cx.messages.lookup(id).is_none_or(|m| !sh.storage.has(local, m)))
                .collect(),
            Body::Index(index) => {
                let mut out = Vec::new();
                for &(p, last) in index {
                    sh.storage.pre_add(local, p.0, last);
                    if let Some(r) = sh.storage.range(local, p.0) {
                        out.extend(r.holes.iter().map(|&seq| MsgId { producer: p, seq }));
                    }
                }
                out
            }
            _ => Vec::new(),
        };
        if !wanted.is_empty() {
            send(cx, self.selection, to, from, Message::with(Kind::MsgRequest, Body::Ids(wanted)));
        }
    }
}

/// Answers a request with the stored copies (`None` for ids not held).
pub(crate) fn respond(
    cx: &mut Cx<'_>,
    sh: &Shared,
    selection: Selection,
    to: PeerId,
    local: u32,
    from: PeerId,
    ids: &[MsgId],
) {
    let items: Vec<(MsgId, Option<StoredCopy>)> = ids
        .iter()
        .map(|&id| {
            let copy = cx.messages.lookup(id).and_then(|m| {
                sh.storage.get(local, m).map(|r| StoredCopy {
                    tampered: r.tampered,
                    size: if r.tampered { u32::from(TAMPERED_SIZE) } else { u32::from(cx.messages.size(m)) },
                    validation: cx.messages.validation(m),
                })
            });
            (id, copy)
        })
        .collect();
    send(cx, selection, to, from, Message::with(Kind::MsgResponse, Body::Response(items)));
}

/// Stores the copies of a response; `None`s are ignored.
pub(crate) fn store_response(cx: &mut Cx<'_>, sh: &mut Shared, local: u32, items: &[(MsgId, Option<StoredCopy>)]) {
    for &(id, copy) in items {
        let (Some(copy), Some(m)) = (copy, cx.messages.lookup(id)) else { continue };
        sh.storage.add(local, m, cx.now, copy.tampered);
        sh.storage.ranged_add(local, id.producer.0, id.seq);
    }
}
