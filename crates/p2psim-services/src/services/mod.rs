//! The protocols. Each is a state machine over all the peers of one type that run it; per-peer state
//! lives in vectors indexed by the peer's local index. The world dispatches by matching on [`Imp`]:
//! static dispatch, no boxing.

mod cm;
mod epidemic;
mod producer;
mod pull;
mod push;

pub(crate) use cm::{ConnectionManager, P2pConnectionManager};
pub(crate) use epidemic::{AntiEntropy, InfectAndDie, RumorMongering};
pub(crate) use producer::Producer;
pub(crate) use pull::PullGossip;
pub(crate) use push::PushGossip;

use p2psim_kernel::{LazyRng, Seed, SimDuration, SimRng, StreamKey};
use p2psim_net::PeerId;
use rand::RngExt;

use crate::config::Rounds;
use crate::cx::Cx;
use crate::message::{Kind, Message, MsgIdx};
use crate::select::{Selection, sample};
use crate::storage::Storage;

/// What every service instance has besides its protocol state.
#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) name: String,
    pub(crate) type_id: u16,
    pub(crate) members: Vec<PeerId>,
    pub(crate) storage: Storage,
    rngs: Vec<LazyRng>,
    seed: Seed,
    key: StreamKey,
    pub(crate) scratch: Vec<PeerId>,
    /// Messages sent by this service, by kind.
    pub(crate) sent: [u64; Kind::COUNT],
}

impl Shared {
    pub(crate) fn new(
        name: String,
        type_name: &str,
        type_id: u16,
        members: Vec<PeerId>,
        storage: Storage,
        seed: Seed,
    ) -> Shared {
        let key = StreamKey::new("service").with_label(type_name).with_label(&name);
        let rngs = (0..members.len()).map(|_| LazyRng::new()).collect();
        Shared { name, type_id, members, storage, rngs, seed, key, scratch: Vec::new(), sent: [0; Kind::COUNT] }
    }

    /// Asks the CPU to bring what a message's arrival at member `local` reads (its storage cell,
    /// the handle of its generator) into the cache.
    #[inline]
    pub(crate) fn prefetch(&self, local: u32, m: crate::MsgIdx) {
        self.storage.prefetch(local, m);
        prefetch_index::prefetch_index(&self.rngs, local as usize);
    }

    /// The peer's own stream for this service.
    #[inline]
    pub(crate) fn rng(&mut self, local: u32) -> &mut SimRng {
        let peer = self.members[local as usize];
        self.rngs[local as usize].get(self.seed, self.key.with(peer.0.into()))
    }

    /// Fills `scratch` with `peer`'s neighbours that `allowed` accepts, minus `except`.
    pub(crate) fn neighbour_candidates(
        &mut self,
        cx: &Cx<'_>,
        peer: PeerId,
        except: Option<PeerId>,
        allowed: &Exclusions,
    ) {
        self.scratch.clear();
        for &q in cx.net.neighbours(peer) {
            if Some(q) != except && allowed.allows(cx, q) {
                self.scratch.push(q);
            }
        }
    }

    /// Chooses up to `k` targets for `peer` (local index `local`): among its neighbours or uniformly
    /// among this service's other peers. Returns them in `scratch[..n]`; `n` is returned.
    #[allow(clippy::too_many_arguments, reason = "the full description of one choice; called from every protocol")]
    pub(crate) fn choose(
        &mut self,
        cx: &Cx<'_>,
        peer: PeerId,
        local: u32,
        except: Option<PeerId>,
        allowed: &Exclusions,
        selection: Selection,
        k: usize,
    ) -> usize {
        match selection {
            Selection::Neighbours => {
                self.neighbour_candidates(cx, peer, except, allowed);
                let mut v = std::mem::take(&mut self.scratch);
                let n = sample(self.rng(local), &mut v, k).len();
                self.scratch = v;
                n
            }
            Selection::Uniform => {
                // k distinct peers other than `peer`, by rejection (k is small against the members).
                self.scratch.clear();
                let m = self.members.len();
                let want = k.min(m.saturating_sub(1));
                let mut guard = 0;
                while self.scratch.len() < want && guard < 64 * (want + 1) {
                    guard += 1;
                    let i = self.rng(local).random_range(0..m);
                    let q = self.members[i];
                    if q != peer && Some(q) != except && !self.scratch.contains(&q) {
                        self.scratch.push(q);
                    }
                }
                self.scratch.len()
            }
        }
    }
}

/// Peers and peer types a service never sends to.
#[derive(Clone, Debug, Default)]
pub(crate) struct Exclusions {
    pub(crate) peers: Vec<PeerId>,
    pub(crate) types: Vec<u16>,
}

impl Exclusions {
    #[inline]
    pub(crate) fn allows(&self, cx: &Cx<'_>, q: PeerId) -> bool {
        (self.types.is_empty() || !self.types.contains(&cx.peers.type_of(q)))
            && (self.peers.is_empty() || !self.peers.contains(&q))
    }
}

/// Sends `msg` to `to`: over the link, or without one when partners are picked uniformly.
#[inline]
pub(crate) fn send(cx: &mut Cx<'_>, selection: Selection, from: PeerId, to: PeerId, msg: Message) {
    match selection {
        Selection::Neighbours => cx.send(from, to, msg),
        Selection::Uniform => cx.send_connectionless(from, to, msg),
    }
}

/// Timer token of a periodic protocol's per-peer round.
pub(crate) const ROUND: u32 = 1;

/// Schedules the first round(s) of a periodic protocol. Per-peer modes set a timer for each member;
/// synchronous rounds set one table-wide round.
pub(crate) fn start_rounds(
    cx: &mut Cx<'_>,
    shared: &mut Shared,
    rounds: &Rounds,
    round_time: SimDuration,
    init: impl Fn(u32, &mut SimRng) -> SimDuration,
) {
    match rounds {
        Rounds::Synchronous { offset } => {
            cx.round(SimDuration::from_millis_abs(*offset) + round_time, ROUND);
        }
        _ => {
            for local in 0..shared.members.len() as u32 {
                let peer = shared.members[local as usize];
                let first = match rounds {
                    Rounds::P2psimpy => init(local, shared.rng(local)) + round_time,
                    Rounds::RandomPhase => {
                        SimDuration::from_nanos(shared.rng(local).random_range(0..round_time.as_nanos().max(1)))
                    }
                    Rounds::Poisson => next_poisson(shared.rng(local), round_time),
                    Rounds::Synchronous { .. } => unreachable!("handled above"),
                };
                cx.timer(peer, first, ROUND);
            }
        }
    }
}

/// A per-peer round: `act` for `peer`, then the timer for its next round.
pub(crate) fn peer_round(
    cx: &mut Cx<'_>,
    sh: &mut Shared,
    rounds: &Rounds,
    round_time: SimDuration,
    peer: PeerId,
    act: impl FnOnce(&mut Cx<'_>, &mut Shared, PeerId, u32),
) {
    let local = cx.peers.local(peer);
    act(cx, sh, peer, local);
    let gap = next_round(sh.rng(local), rounds, round_time);
    cx.timer(peer, gap, ROUND);
}

/// A synchronous round: `act` for every peer of the service in id order, then the next round.
pub(crate) fn table_round(
    cx: &mut Cx<'_>,
    sh: &mut Shared,
    round_time: SimDuration,
    mut act: impl FnMut(&mut Cx<'_>, &mut Shared, PeerId, u32),
) {
    for local in 0..sh.members.len() as u32 {
        let peer = sh.members[local as usize];
        act(cx, sh, peer, local);
    }
    cx.round(round_time, ROUND);
}

/// The gap to a peer's next round after one just ran.
pub(crate) fn next_round(rng: &mut SimRng, rounds: &Rounds, round_time: SimDuration) -> SimDuration {
    match rounds {
        Rounds::Poisson => next_poisson(rng, round_time),
        _ => round_time,
    }
}

fn next_poisson(rng: &mut SimRng, mean: SimDuration) -> SimDuration {
    let u: f64 = 1.0 - rng.random::<f64>();
    SimDuration::from_millis_f64(-u.ln() * mean.as_millis_f64())
}

/// The protocol state of a service instance.
#[derive(Debug)]
pub(crate) enum Imp {
    Cm(ConnectionManager),
    P2pCm(P2pConnectionManager),
    Producer(Producer),
    Push(PushGossip),
    Pull(PullGossip),
    PushPull(PushGossip, PullGossip),
    AntiEntropy(AntiEntropy),
    Rumor(RumorMongering),
    InfectAndDie(InfectAndDie),
}

impl Imp {
    /// True if a copy of a gossip message the peer already has does nothing here but count: the
    /// condition for accounting such copies when they are sent, without an arrival event.
    pub(crate) fn counts_known_copies_only(&self) -> bool {
        matches!(self, Imp::Push(p) if p.counts_known_copies_only())
    }

    /// True if the service makes or breaks links, or reads when a link was last heard from.
    pub(crate) fn manages_links(&self) -> bool {
        matches!(self, Imp::Cm(_) | Imp::P2pCm(_))
    }

    /// The kinds this service handles.
    pub(crate) fn kinds(&self) -> &'static [Kind] {
        use Kind::*;
        match self {
            Imp::Cm(_) => &[Hello, Ping, Pong],
            Imp::P2pCm(_) => &[Hello, Ping, Pong, RequestPeers, PeerList],
            Imp::Producer(_) => &[],
            Imp::Push(_) => &[Gossip],
            Imp::Pull(_) | Imp::PushPull(..) => &[Gossip, SyncPing, SyncPong, MsgRequest, MsgResponse],
            Imp::AntiEntropy(_) => &[Gossip, SyncPing, MsgRequest, MsgResponse],
            Imp::Rumor(_) => &[Gossip, Rumor, Feedback],
            Imp::InfectAndDie(_) => &[Gossip, Rumor],
        }
    }

    pub(crate) fn start(&mut self, cx: &mut Cx<'_>, sh: &mut Shared) {
        match self {
            Imp::Cm(s) => s.start(cx, sh),
            Imp::P2pCm(s) => s.start(cx, sh),
            Imp::Producer(s) => s.start(cx, sh),
            Imp::Push(_) | Imp::InfectAndDie(_) => {}
            Imp::Pull(s) | Imp::PushPull(_, s) => s.start(cx, sh),
            Imp::AntiEntropy(s) => s.start(cx, sh),
            Imp::Rumor(s) => s.start(cx, sh),
        }
    }

    pub(crate) fn on_message(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, to: PeerId, from: PeerId, msg: &Message) {
        match self {
            Imp::Cm(s) => s.on_message(cx, sh, to, from, msg),
            Imp::P2pCm(s) => s.on_message(cx, sh, to, from, msg),
            Imp::Producer(_) => {}
            Imp::Push(s) => s.on_message(cx, sh, to, from, msg),
            Imp::Pull(s) => s.on_message(cx, sh, to, from, msg),
            Imp::PushPull(push, pull) => match msg {
                Message::Gossip { .. } => push.on_message(cx, sh, to, from, msg),
                _ => pull.on_message(cx, sh, to, from, msg),
            },
            Imp::AntiEntropy(s) => s.on_message(cx, sh, to, from, msg),
            Imp::Rumor(s) => s.on_message(cx, sh, to, from, msg),
            Imp::InfectAndDie(s) => s.on_message(cx, sh, to, from, msg),
        }
    }

    pub(crate) fn on_timer(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId, token: u32) {
        match self {
            Imp::Cm(s) => s.on_timer(cx, sh, peer),
            Imp::P2pCm(s) => s.on_timer(cx, sh, peer),
            Imp::Producer(s) => s.on_timer(cx, sh, peer),
            Imp::Pull(s) | Imp::PushPull(_, s) => s.on_timer(cx, sh, peer),
            Imp::AntiEntropy(s) => s.on_timer(cx, sh, peer),
            Imp::Rumor(s) => s.on_timer(cx, sh, peer),
            Imp::Push(_) | Imp::InfectAndDie(_) => {}
        }
        let _ = token;
    }

    pub(crate) fn on_round(&mut self, cx: &mut Cx<'_>, sh: &mut Shared) {
        match self {
            Imp::Pull(s) | Imp::PushPull(_, s) => s.on_round(cx, sh),
            Imp::AntiEntropy(s) => s.on_round(cx, sh),
            Imp::Rumor(s) => s.on_round(cx, sh),
            _ => {}
        }
    }

    /// A message appears at `peer` (produced there by the experiment, not received).
    pub(crate) fn on_inject(&mut self, cx: &mut Cx<'_>, sh: &mut Shared, peer: PeerId, idx: MsgIdx, ttl: u8) {
        let local = cx.peers.local(peer);
        let now = cx.now;
        match self {
            Imp::Cm(_) | Imp::P2pCm(_) => {}
            Imp::Producer(_) | Imp::Pull(_) | Imp::AntiEntropy(_) => {
                sh.storage.add(local, idx, now, false);
                let id = cx.messages.id(idx);
                sh.storage.ranged_add(local, id.producer.0, id.seq);
            }
            Imp::Push(s) | Imp::PushPull(s, _) => s.inject(cx, sh, peer, idx, ttl),
            Imp::Rumor(s) => s.inject(cx, sh, peer, idx),
            Imp::InfectAndDie(s) => s.inject(cx, sh, peer, idx),
        }
    }
}
