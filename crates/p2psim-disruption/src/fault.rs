//! What every fault kind is at run time ([`Fault`]): a state machine per member, like a
//! protocol, that reads the world through a narrow [`View`] and answers with [`Action`]s; the run
//! model applies them through the world's `Control`. Also how a checked [`FaultSpec`] becomes its
//! kind's runtime form, and which peers it applies to.
//!
//! Not here: any one kind's behaviour (a module each: `downtime`, `slowdown`, `churn`, `join`,
//! `loss`, `partition`), nor how actions change the world (`outages.rs`, `model.rs`).

use p2psim_kernel::{Param, PeerRng, Seed, SimDuration, SimRng, StreamKey, Streams};
use p2psim_net::PeerId;
use p2psim_services::World;

use crate::churn::Churn;
use crate::clock::{Clock, PerPeer};
use crate::downtime::Downtime;
use crate::join::Join;
use crate::loss::Loss;
use crate::model::Step;
use crate::partition::Partition;
use crate::slowdown::Slowdown;
use crate::spec::{FaultSpec, Selector, Timing};

/// One kind of fault at run time. A per-peer fault (downtime, slowdown, churn, join) has
/// members, each with its own stream, and steps; a network-wide one (loss, partition) has a
/// window that opens and closes.
pub(crate) trait Fault: std::fmt::Debug {
    /// Member `i`'s first steps, each after its wait from the start.
    fn first(&self, _i: usize, _rng: &mut PeerRng) -> Vec<(SimDuration, Step)> {
        Vec::new()
    }

    /// When a network-wide fault's window opens and, if ever, closes (ms from the start).
    fn window(&self) -> Option<(f64, Option<f64>)> {
        None
    }

    /// True if the members are absent until the fault brings them in.
    fn members_start_absent(&self) -> bool {
        false
    }

    /// Member `m` takes `step`; what follows goes in `out`, in order.
    fn step(&self, _m: Member<'_>, _step: Step, _view: &View<'_>, _out: &mut Vec<Action>) {}

    /// The window opens (`on`) or closes.
    fn toggle(&self, _on: bool, _out: &mut Vec<Action>) {}
}

/// The member a step is for.
pub(crate) struct Member<'a> {
    /// Its place among the fault's members (its own parameter values are there).
    pub(crate) i: usize,
    /// The peer.
    pub(crate) peer: PeerId,
    /// Whether this fault disrupts it now; the fault keeps it.
    pub(crate) disrupted: &'a mut bool,
    /// Its own stream for this fault.
    pub(crate) rng: &'a mut PeerRng,
}

/// What a fault may do to the world; the run model applies each through `Control`.
#[derive(Debug)]
pub(crate) enum Action {
    /// The peer gains a cause of downtime (it goes offline at the first).
    Down(PeerId),
    /// The peer loses one (it comes back and says Hello when none is left).
    Up(PeerId),
    /// This fault's slowdown of the peer becomes the factor, or goes.
    Slow(PeerId, Option<f64>),
    /// The peer leaves for good: unlinked and absent.
    Leave(PeerId),
    /// The peer joins and says Hello to these peers.
    Join(PeerId, Vec<PeerId>),
    /// The member's next step, after the wait.
    After(SimDuration, Step),
    /// This fault's loss window opens with this probability, or closes.
    Loss(Option<f64>),
    /// This fault's partition into these groups (per peer) starts.
    Partition(Vec<u16>),
    /// This fault's partition heals.
    Heal,
}

/// What a fault may read of the world.
pub(crate) struct View<'a> {
    world: &'a World,
}

impl<'a> View<'a> {
    pub(crate) fn new(world: &'a World) -> View<'a> {
        View { world }
    }

    /// True if `p` is online now.
    pub(crate) fn is_online(&self, p: PeerId) -> bool {
        self.world.net().is_online(p)
    }

    /// The peers of type `t`.
    pub(crate) fn members(&self, t: u16) -> &'a [PeerId] {
        self.world.peers().members(t)
    }

    /// The id of the peer type called `name`.
    pub(crate) fn type_id(&self, name: &str) -> Option<u16> {
        self.world.peers().type_id(name)
    }

    /// Every peer's location id, in peer order.
    pub(crate) fn locations(&self) -> Vec<u16> {
        let net = self.world.net();
        net.peers().map(|p| net.location(p).0).collect()
    }

    /// The number of peers.
    pub(crate) fn peer_count(&self) -> usize {
        self.world.net().peer_count()
    }
}

const NONE: u32 = u32::MAX;

/// A fault built for one run: its kind, its members, their streams and whether each is
/// disrupted by it now.
#[derive(Debug)]
pub(crate) struct Built {
    pub(crate) kind: Box<dyn Fault>,
    pub(crate) members: Vec<PeerId>,
    /// `members` index of each peer, where it is a member.
    index: Vec<u32>,
    rngs: Streams,
    disrupted: Vec<bool>,
    /// The fault's number in the experiment (its streams are keyed by it).
    number: u64,
}

impl Built {
    /// The fault's kind and its member `i`, with the member's stream.
    pub(crate) fn member(&mut self, i: usize) -> (&dyn Fault, Member<'_>) {
        let peer = self.members[i];
        let key = StreamKey::new("fault").with(self.number).with(peer.0.into());
        (&*self.kind, Member { i, peer, disrupted: &mut self.disrupted[i], rng: self.rngs.get(i, peer.0, key) })
    }

    /// The same for the member that is peer `p`.
    pub(crate) fn member_of(&mut self, p: PeerId) -> (&dyn Fault, Member<'_>) {
        let i = self.index[p.index()] as usize;
        self.member(i)
    }
}

/// The runtime form of fault number `fi`: its members, their own parameter values, its kind.
pub(crate) fn build(world: &World, seed: Seed, fi: usize, spec: &FaultSpec) -> Built {
    let n = world.net().peer_count();
    let view = View::new(world);
    let members = select(world, spec);
    let mut index = vec![NONE; n];
    for (i, p) in members.iter().enumerate() {
        index[p.index()] = i as u32;
    }
    // `Dist` parameters: one draw per member, from its own stream, in the order of the fields.
    let mut param_rngs: Vec<SimRng> =
        members.iter().map(|&p| seed.stream(StreamKey::new("fault-param").with(fi as u64).with(p.0.into()))).collect();
    let mut per_peer = |p: &Param| PerPeer {
        own: match p {
            Param::Dist(_) => param_rngs.iter_mut().map(|r| p.per_instance(r)).collect(),
            _ => Vec::new(),
        },
        param: p.clone(),
    };
    let kind: Box<dyn Fault> = match spec {
        FaultSpec::Downtime { timing, .. } => Box::new(Downtime { clock: clock(timing, &mut per_peer) }),
        FaultSpec::Slowdown { timing, factor, .. } => {
            let clock = clock(timing, &mut per_peer);
            Box::new(Slowdown { clock, factor: per_peer(factor) })
        }
        FaultSpec::Churn { session, offtime, leave, .. } => {
            Box::new(Churn { session: session.clone(), offtime: offtime.clone(), leave: per_peer(leave) })
        }
        FaultSpec::Join { at, links, to, .. } => Box::new(Join {
            at: per_peer(at),
            links: per_peer(links),
            to: to.iter().filter_map(|name| view.type_id(name)).collect(),
        }),
        FaultSpec::Loss { probability, from, until } => {
            Box::new(Loss { probability: *probability, from: *from, until: *until })
        }
        FaultSpec::Partition { groups, from, until } => Box::new(Partition::new(groups, *from, *until, &view)),
    };
    let m = members.len();
    Built { kind, members, index, rngs: Streams::new(seed, m), disrupted: vec![false; m], number: fi as u64 }
}

/// A timing in its runtime form, its parameters held per member.
fn clock(timing: &Timing, per_peer: &mut dyn FnMut(&Param) -> PerPeer) -> Clock {
    match timing {
        Timing::Scheduled(d) => Clock::Scheduled(d.iter().map(|&ms| SimDuration::from_millis_abs(ms)).collect()),
        Timing::Random { start, up, down } => {
            let (up, down) = (per_peer(up), per_peer(down));
            Clock::Random { start: per_peer(start), up, down }
        }
        Timing::Availability { interval, mtbf, availability, p2psimpy_formula } => Clock::Availability {
            interval: per_peer(interval),
            mtbf: per_peer(mtbf),
            availability: per_peer(availability),
            p2psimpy_formula: *p2psimpy_formula,
        },
        Timing::Once { at, duration } => Clock::Once { at: per_peer(at), duration: per_peer(duration) },
    }
}

/// The peers a fault applies to (checked selectors).
fn select(world: &World, spec: &FaultSpec) -> Vec<PeerId> {
    match spec {
        FaultSpec::Downtime { peers, .. }
        | FaultSpec::Slowdown { peers, .. }
        | FaultSpec::Churn { peers, .. }
        | FaultSpec::Join { peers, .. } => selected(world, peers),
        FaultSpec::Loss { .. } | FaultSpec::Partition { .. } => Vec::new(),
    }
}

/// The peers a checked selector names, each once, in the order named.
pub(crate) fn selected(world: &World, selector: &Selector) -> Vec<PeerId> {
    let net = world.net();
    match selector {
        Selector::All => net.peers().collect(),
        Selector::Type(name) => {
            world.peers().type_id(name).map_or_else(Vec::new, |t| world.peers().members(t).to_vec())
        }
        Selector::Peers(ids) => {
            let mut seen = vec![false; net.peer_count()];
            ids.iter().filter(|&&p| !std::mem::replace(&mut seen[p as usize], true)).map(|&p| PeerId(p)).collect()
        }
        Selector::Location(name) => match net.locations().id(name) {
            Some(l) => net.peers().filter(|&p| net.location(p) == l).collect(),
            None => Vec::new(),
        },
    }
}

/// A wait of `|x|` ms (P2PSimpy takes the absolute value of every disruption draw; NaN waits nothing).
pub(crate) fn ms(x: f64) -> SimDuration {
    SimDuration::from_millis_abs(x)
}
