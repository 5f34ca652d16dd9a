//! The epidemic family of Demers et al. (1987): anti-entropy, rumor mongering, infect-and-die.
//!
//! Each round a peer picks one partner at random (among its neighbours, or uniformly among all peers
//! running the service: the complete-graph model of the analyses).

use p2psim_kernel::SimDuration;
use p2psim_net::PeerId;
use rand::RngExt;
use rustc_hash::FxHashSet;

use super::pull::{respond, store_response};
use super::{Exclusions, Shared, peer_round, send, start_rounds, table_round};
use crate::config::{AntiEntropyConfig, Direction, InfectAndDieConfig, LossOfInterest, Rounds, RumorMongeringConfig};
use crate::cx::Cx;
use crate::message::{Body, Kind, Message, MsgId, MsgIdx, StoredCopy, TAMPERED_SIZE};
use crate::select::Selection;

/// Anti-entropy: each round, a digest (`SyncPing`) to one partner; the partner sends what the
/// initiator lacks (pull), asks for what it lacks itself (push), or both.
#[derive(Debug)]
pub(crate) struct AntiEntropy {
    direction: Direction,
    round_time: SimDuration,
    rounds: Rounds,
    selection: Selection,
}

impl AntiEntropy {
    pub(crate) fn new(c: &AntiEntropyConfig) -> Self {
        AntiEntropy {
            direction: c.direction,
            round_time: SimDuration::from_millis_f64(c.round_time),
            rounds: c.rounds.clone(),
            selection: c.selection,
        }
    }

    pub(crate) fn start(&mut self, cx: &mut Cx<'_>, sh: &mut Shared) {
        start_rounds(cx, sh, &self.rounds, self.round_time, |_, _| SimDuration::ZERO);
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId) {
        let rounds = self.rounds.clone();
        peer_round(cx, sh, &rounds, self.round_time, peer, |cx, sh, p, l| self.contact(cx, sh, p, l));
    }

    pub(crate) fn on_round(&mut self, cx: &mut Cx<'_>, sh: &mut Shared) {
        table_round(cx, sh, self.round_time, |cx, sh, p, l| self.contact(cx, sh, p, l));
    }

    fn contact(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId, local: u32) {
        if !cx.net.is_online(peer) || sh.choose(cx, peer, local, None, &Exclusions::default(), self.selection, 1) == 0 {
            return;
        }
        let partner = sh.scratch[0];
        let digest = Body::Ids(sh.storage.known(local).iter().map(|&m| cx.messages.id(m)).collect());
        send(cx, self.selection, peer, partner, Message::with(Kind::SyncPing, digest));
    }

    pub(crate) fn on_message(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, to: PeerId, from: PeerId, msg: &Message) {
        let local = cx.peers.local(to);
        match msg {
            Message::Gossip { idx, tampered, .. } => {
                sh.storage.add(local, *idx, cx.now, *tampered);
            }
            Message::With { kind, body, .. } => match (kind, &**body) {
                (Kind::SyncPing, Body::Ids(theirs)) => {
                    let have: FxHashSet<MsgId> = theirs.iter().copied().collect();
                    if self.direction != Direction::Push {
                        let missing: Vec<MsgId> = sh
                            .storage
                            .known(local)
                            .iter()
                            .map(|&m| cx.messages.id(m))
                            .filter(|i| !have.contains(i))
                            .collect();
                        if !missing.is_empty() {
                            let items: Vec<(MsgId, Option<StoredCopy>)> = missing
                                .into_iter()
                                .map(|id| {
                                    let m = cx.messages.lookup(id).expect("known ids are registered");
                                    let r = sh.storage.get(local, m).expect("known");
                                    let size = if r.tampered { TAMPERED_SIZE } else { cx.messages.size(m) };
                                    let copy = StoredCopy {
                                        tampered: r.tampered,
                                        size: u32::from(size),
                                        validation: cx.messages.validation(m),
                                    };
                                    (id, Some(copy))
                                })
                                .collect();
                            send(cx, self.selection, to, from, Message::with(Kind::MsgResponse, Body::Response(items)));
                        }
                    }
                    if self.direction != Direction::Pull {
                        let wanted: Vec<MsgId> = theirs
                            .iter()
                            .copied()
                            .filter(|&id| cx.messages.lookup(id).is_none_or(|m| !sh.storage.has(local, m)))
                            .collect();
                        if !wanted.is_empty() {
                            send(cx, self.selection, to, from, Message::with(Kind::MsgRequest, Body::Ids(wanted)));
                        }
                    }
                }
                (Kind::MsgRequest, Body::Ids(ids)) => respond(cx, sh, self.selection, to, local, from, ids),
                (Kind::MsgResponse, Body::Response(items)) => store_response(cx, sh, local, items),
                _ => {}
            },
            _ => {}
        }
    }
}

/// Rumor mongering: a peer that learns a rumor becomes hot and, each round, pushes it to one random
/// partner until it loses interest: with feedback, only contacts with a partner that already knew
/// count; blind, every contact counts; by coin (lose interest with probability 1/k) or by counter
/// (after k).
#[derive(Debug)]
pub(crate) struct RumorMongering {
    k: u32,
    feedback: bool,
    loss: LossOfInterest,
    round_time: SimDuration,
    rounds: Rounds,
    selection: Selection,
    hot: Vec<Vec<(MsgIdx, u32)>>,
}

impl RumorMongering {
    pub(crate) fn new(c: &RumorMongeringConfig, members: usize) -> Self {
        RumorMongering {
            k: c.k.max(1),
            feedback: c.feedback,
            loss: c.loss,
            round_time: SimDuration::from_millis_f64(c.round_time),
            rounds: c.rounds.clone(),
            selection: c.selection,
            hot: vec![Vec::new(); members],
        }
    }

    pub(crate) fn start(&mut self, cx: &mut Cx<'_>, sh: &mut Shared) {
        start_rounds(cx, sh, &self.rounds, self.round_time, |_, _| SimDuration::ZERO);
    }

    pub(crate) fn inject(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId, idx: MsgIdx) {
        let local = cx.peers.local(peer);
        if sh.storage.add(local, idx, cx.now, false) {
            self.hot[local as usize].push((idx, 0));
        }
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId) {
        let rounds = self.rounds.clone();
        peer_round(cx, sh, &rounds, self.round_time, peer, |cx, sh, p, l| self.push_round(cx, sh, p, l));
    }

    pub(crate) fn on_round(&mut self, cx: &mut Cx<'_>, sh: &mut Shared) {
        table_round(cx, sh, self.round_time, |cx, sh, p, l| self.push_round(cx, sh, p, l));
    }

    /// True if the counter or the coin says to lose interest now.
    fn lose_interest(&self, sh: &mut Shared, local: u32, count: &mut u32) -> bool {
        match self.loss {
            LossOfInterest::Counter => {
                *count += 1;
                *count >= self.k
            }
            LossOfInterest::Coin => sh.rng(local).random_ratio(1, self.k),
        }
    }

    fn push_round(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId, local: u32) {
        if !cx.net.is_online(peer) || self.hot[local as usize].is_empty() {
            return;
        }
        let mut hot = std::mem::take(&mut self.hot[local as usize]);
        hot.retain_mut(|(idx, count)| {
            if sh.choose(cx, peer, local, None, &Exclusions::default(), self.selection, 1) == 0 {
                return true;
            }
            send(cx, self.selection, peer, sh.scratch[0], Message::Rumor(*idx));
            self.feedback || !self.lose_interest(sh, local, count)
        });
        self.hot[local as usize] = hot;
    }

    pub(crate) fn on_message(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, to: PeerId, from: PeerId, msg: &Message) {
        let local = cx.peers.local(to);
        match *msg {
            Message::Rumor(idx) | Message::Gossip { idx, .. } => {
                if sh.storage.add(local, idx, cx.now, false) {
                    self.hot[local as usize].push((idx, 0));
                } else if self.feedback && matches!(msg, Message::Rumor(_)) {
                    send(cx, self.selection, to, from, Message::Feedback(idx));
                }
            }
            Message::Feedback(idx) => {
                let mut hot = std::mem::take(&mut self.hot[local as usize]);
                if let Some(i) = hot.iter().position(|e| e.0 == idx) {
                    let mut count = hot[i].1;
                    if self.lose_interest(sh, local, &mut count) {
                        hot.remove(i);
                    } else {
                        hot[i].1 = count;
                    }
                }
                self.hot[local as usize] = hot;
            }
            _ => {}
        }
    }

    /// Peers still spreading some rumor.
    pub(crate) fn hot_peers(&self) -> usize {
        self.hot.iter().filter(|h| !h.is_empty()).count()
    }
}

/// Infect-and-die: on the first copy, forward once to `fanout` random partners.
#[derive(Debug)]
pub(crate) struct InfectAndDie {
    fanout: usize,
    selection: Selection,
}

impl InfectAndDie {
    pub(crate) fn new(c: &InfectAndDieConfig) -> Self {
        InfectAndDie { fanout: c.fanout as usize, selection: c.selection }
    }

    fn forward(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId, local: u32, idx: MsgIdx) {
        let n = sh.choose(cx, peer, local, None, &Exclusions::default(), self.selection, self.fanout);
        for i in 0..n {
            send(cx, self.selection, peer, sh.scratch[i], Message::Rumor(idx));
        }
    }

    pub(crate) fn inject(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId, idx: MsgIdx) {
        let local = cx.peers.local(peer);
        if sh.storage.add(local, idx, cx.now, false) {
            self.forward(cx, sh, peer, local, idx);
        }
    }

    pub(crate) fn on_message(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, to: PeerId, _from: PeerId, msg: &Message) {
        let (Message::Rumor(idx) | Message::Gossip { idx, .. }) = *msg else { return };
        let local = cx.peers.local(to);
        if sh.storage.add(local, idx, cx.now, false) {
            self.forward(cx, sh, to, local, idx);
        }
    }
}
