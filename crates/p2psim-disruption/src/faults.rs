//! The fault layer at run time: a [`World`] plus its faults, each built once into a runtime form
//! whose events carry typed steps, acting on the world only through its
//! [`Control`](p2psim_services::Control) interface.

use p2psim_kernel::{
    Ahead, Dist, EventQueue, Kernel, Model, Param, PeerRng, Seed, SimDuration, SimRng, SimTime, StreamKey, Streams,
};
use p2psim_net::{NetEvent, PeerId, PeerState};
use p2psim_services::{Kind, Message, World};
use rand::RngExt;

use crate::clock::{Clock, PerPeer};
use crate::spec::{FaultSpec, Groups, Selector, Timing};
use crate::workload::{Inject, Workload};

/// Events of a simulation with faults.
#[derive(Clone, Debug)]
pub enum Event {
    /// An event of the protocol layer.
    World(p2psim_services::Event),
    /// A per-peer fault's next step for one peer.
    Fault {
        /// The fault.
        fault: u16,
        /// The peer.
        peer: PeerId,
        /// What happens now.
        step: Step,
    },
    /// A network-wide fault's window opening (`on`) or closing.
    Window {
        /// The fault.
        fault: u16,
        /// Opening or closing.
        on: bool,
    },
    /// The workload injects message number `index` of entry `entry`.
    Inject {
        /// The entry of the workload.
        entry: u16,
        /// Injections of this entry before this one.
        index: u32,
    },
}

/// What a per-peer fault does at one of its events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A downtime or slowdown starts (`on`) or ends. `index` counts the changes so far: a
    /// scheduled timing reads its next duration there.
    Disrupt {
        /// Starting or ending.
        on: bool,
        /// Changes made before this one.
        index: u32,
    },
    /// A churning peer's session ends.
    SessionEnd,
    /// A churning peer comes back.
    Return,
    /// A peer joins the network.
    Join,
}

impl From<p2psim_services::Event> for Event {
    fn from(e: p2psim_services::Event) -> Event {
        Event::World(e)
    }
}

impl From<NetEvent<Message>> for Event {
    fn from(e: NetEvent<Message>) -> Event {
        Event::World(p2psim_services::Event::Net(e))
    }
}

/// The live graph at one instant: who is online, and the links between online peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphSnapshot {
    /// The instant.
    pub at: SimTime,
    /// State of every peer.
    pub states: Vec<PeerState>,
    /// Links between two online peers.
    pub links: Vec<(PeerId, PeerId)>,
}

/// What a disruption does.
#[derive(Debug)]
enum Effect {
    Down,
    Slow(PerPeer),
}

/// A fault in its runtime form.
#[derive(Debug)]
#[allow(clippy::large_enum_variant, reason = "one per fault of the experiment, built once per run")]
enum Runtime {
    Disruption { effect: Effect, clock: Clock },
    Churn { session: Dist, offtime: Dist, leave: PerPeer },
    Join { at: PerPeer, links: PerPeer, to: Vec<u16> },
    Loss { probability: f64, from: f64, until: Option<f64> },
    Partition { groups: Vec<u16>, from: f64, until: Option<f64> },
}

#[derive(Debug)]
struct Fault {
    runtime: Runtime,
    members: Vec<PeerId>,
    /// `members` index of each peer, where it is a member.
    index: Vec<u32>,
    rngs: Streams,
    disrupted: Vec<bool>,
}

impl Fault {
    /// Member `i`'s stream for fault number `fi`.
    fn rng(&mut self, fi: usize, i: usize) -> &mut PeerRng {
        let key = StreamKey::new("fault").with(fi as u64).with(self.members[i].0.into());
        self.rngs.get(i, key)
    }
}

const NONE: u32 = u32::MAX;

/// A world with faults: the model of a whole run.
pub struct Faulty {
    /// The protocol layer.
    pub world: World,
    seed: Seed,
    faults: Vec<Fault>,
    /// Active causes of downtime, per peer. This and the five vectors after it have an entry per
    /// peer when the run has faults, and none otherwise (nothing then takes a peer down).
    down_causes: Vec<u16>,
    /// Active slowdowns (fault, factor), per peer.
    slow: Vec<Vec<(u16, f64)>>,
    /// Neighbours at the moment each peer went down.
    neighbours_at_down: Vec<Vec<PeerId>>,
    down_since: Vec<Option<SimTime>>,
    down_total: Vec<SimDuration>,
    outages: Vec<u32>,
    /// The loss probability without any loss window, and the windows open now (fault, probability).
    base_loss: f64,
    open_losses: Vec<(u16, f64)>,
    workload: Workload,
}

impl Faulty {
    /// Sets up `faults` over `world` (before it runs). The faults were checked
    /// ([`FaultSpec::check`]) against the same experiment: building cannot fail.
    ///
    /// Faults that change peers, links or partitions forbid the world to account known copies at
    /// send, since an arrival's outcome is then unknown until it arrives.
    pub fn new(mut world: World, specs: &[FaultSpec]) -> Faulty {
        let n = world.net().peer_count();
        let seed = world.seed();
        if specs.iter().any(FaultSpec::changes_peers) {
            world.forbid_known_copies("faults change peers, links or partitions during the run");
        }
        if specs
            .iter()
            .any(|f| matches!(f, FaultSpec::Downtime { .. } | FaultSpec::Churn { .. } | FaultSpec::Join { .. }))
        {
            // Returning and joining peers say Hello.
            world.count_kind(Kind::Hello.id());
        }
        let faults = specs.iter().enumerate().map(|(fi, spec)| build(&world, seed, fi, spec, n)).collect();
        let base_loss = world.net().config().loss;
        // Only faults take peers down or slow them: without any, the per-peer records stay empty
        // (78 bytes a peer, 780 MB at ten million peers) and the queries below read zeros.
        let tracked = if specs.is_empty() { 0 } else { n };
        Faulty {
            world,
            seed,
            faults,
            down_causes: vec![0; tracked],
            slow: vec![Vec::new(); tracked],
            neighbours_at_down: vec![Vec::new(); tracked],
            down_since: vec![None; tracked],
            down_total: vec![SimDuration::ZERO; tracked],
            outages: vec![0; tracked],
            base_loss,
            open_losses: Vec::new(),
            workload: Workload::default(),
        }
    }

    /// Sets the workload: messages injected at peers ([`Inject`], checked against the same
    /// experiment). Call before [`Faulty::start`].
    pub fn set_workload(&mut self, workload: &[Inject]) {
        self.workload = Workload::new(&self.world, self.seed, workload);
    }

    /// Starts the world and schedules every fault's first step. Call once, before running.
    pub fn start<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>) {
        // Peers that join later are absent from the start.
        for f in &self.faults {
            if let Runtime::Join { .. } = f.runtime {
                for &p in &f.members {
                    self.world.control(k).make_absent(p);
                }
            }
        }
        self.world.start(k);
        for (fi, f) in self.faults.iter_mut().enumerate() {
            let fault = fi as u16;
            for i in 0..f.members.len() {
                let peer = f.members[i];
                let key = StreamKey::new("fault").with(fi as u64).with(peer.0.into());
                let rng = f.rngs.get(i, key);
                let first: Vec<(SimDuration, Step)> = match &f.runtime {
                    Runtime::Disruption { clock, .. } => clock.first(i, rng),
                    Runtime::Churn { session, .. } => vec![(ms(session.draw(rng)), Step::SessionEnd)],
                    Runtime::Join { at, .. } => vec![(at.ms(i, rng), Step::Join)],
                    Runtime::Loss { .. } | Runtime::Partition { .. } => Vec::new(),
                };
                for (wait, step) in first {
                    k.schedule_in(wait, Event::Fault { fault, peer, step });
                }
            }
            if let Runtime::Loss { from, until, .. } | Runtime::Partition { from, until, .. } = f.runtime {
                k.schedule_in(ms(from), Event::Window { fault, on: true });
                if let Some(u) = until {
                    k.schedule_in(ms(u), Event::Window { fault, on: false });
                }
            }
        }
        for (entry, at) in self.workload.first() {
            k.schedule_in(at, Event::Inject { entry, index: 0 });
        }
    }

    fn inject<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, entry: u16, index: u32) {
        let (peers, ttl, next) = self.workload.step(&self.world, entry, index);
        for p in peers {
            self.world.inject(k, p, ttl);
        }
        if let Some(wait) = next {
            k.schedule_in(wait, Event::Inject { entry, index: index + 1 });
        }
    }

    fn go_down<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, p: PeerId) {
        let c = &mut self.down_causes[p.index()];
        *c += 1;
        if *c == 1 && self.world.net().state(p) == PeerState::Online {
            self.neighbours_at_down[p.index()] = self.world.net().neighbours(p).to_vec();
            self.world.control(k).take_offline(p);
            self.down_since[p.index()] = Some(k.now());
            self.outages[p.index()] += 1;
            tracing::warn!(t = %k.now(), peer = p.0, "offline");
        }
    }

    fn go_up<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, p: PeerId) {
        let c = &mut self.down_causes[p.index()];
        *c = c.saturating_sub(1);
        if *c > 0 || !self.world.control(k).bring_online(p) {
            return;
        }
        let now = k.now();
        if let Some(since) = self.down_since[p.index()].take() {
            self.down_total[p.index()] = self.down_total[p.index()] + (now - since);
        }
        tracing::info!(t = %now, peer = p.0, "online");
        // Say Hello to every neighbour it had when it went down (P2PSimpy's restore, but from a
        // snapshot: links dropped during the outage come back too).
        for q in std::mem::take(&mut self.neighbours_at_down[p.index()]) {
            self.world.control(k).say_hello(p, q);
        }
    }

    fn set_slow<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, p: PeerId, fault: u16, factor: Option<f64>) {
        let list = &mut self.slow[p.index()];
        list.retain(|e| e.0 != fault);
        if let Some(f) = factor {
            list.push((fault, f));
        }
        let product = list.iter().map(|e| e.1).product::<f64>().clamp(0.0, 1.0);
        self.world.control(k).set_slowdown(p, product).expect("a product of factors in [0, 1]");
    }

    fn leave<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, p: PeerId) {
        if let Some(since) = self.down_since[p.index()].take() {
            self.down_total[p.index()] = self.down_total[p.index()] + (k.now() - since);
        }
        let mut control = self.world.control(k);
        control.unlink_all(p);
        control.make_absent(p);
        tracing::warn!(t = %k.now(), peer = p.0, "left");
    }

    fn step<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, fi: usize, peer: PeerId, step: Step) {
        let fault = fi as u16;
        let f = &mut self.faults[fi];
        let i = f.index[peer.index()] as usize;
        let disrupted = f.disrupted[i];
        let key = StreamKey::new("fault").with(fi as u64).with(peer.0.into());
        let rng = f.rngs.get(i, key);
        match (&f.runtime, step) {
            (Runtime::Disruption { effect, clock }, Step::Disrupt { on, index }) => {
                let on = clock.starts(on, disrupted);
                let factor = match effect {
                    Effect::Slow(factor) => Some(factor.get(i, rng)),
                    Effect::Down => None,
                };
                let next = clock.next(i, index, on, rng);
                f.disrupted[i] = on;
                match (factor, on) {
                    (None, true) => self.go_down(k, peer),
                    (None, false) => self.go_up(k, peer),
                    (Some(factor), on) => self.set_slow(k, peer, fault, on.then_some(factor)),
                }
                if let Some(wait) = next {
                    k.schedule_in(
                        wait,
                        Event::Fault { fault, peer, step: Step::Disrupt { on: !on, index: index + 1 } },
                    );
                }
            }
            (Runtime::Churn { offtime, leave, .. }, Step::SessionEnd) => {
                let leave = leave.get(i, rng).clamp(0.0, 1.0);
                let leaves = rng.random_bool(leave);
                let back = (!leaves).then(|| ms(offtime.draw(rng)));
                self.go_down(k, peer);
                match back {
                    None => self.leave(k, peer),
                    Some(wait) => k.schedule_in(wait, Event::Fault { fault, peer, step: Step::Return }),
                }
            }
            (Runtime::Churn { session, .. }, Step::Return) => {
                let wait = ms(session.draw(rng));
                self.go_up(k, peer);
                k.schedule_in(wait, Event::Fault { fault, peer, step: Step::SessionEnd });
            }
            (Runtime::Join { links, to, .. }, Step::Join) => {
                let links = links.get(i, rng);
                let to = to.clone();
                self.join(k, fi, i, peer, links, &to);
            }
            (runtime, step) => {
                debug_assert!(false, "step {step:?} does not belong to {runtime:?}");
            }
        }
    }

    fn join<Q: EventQueue<Event>>(
        &mut self,
        k: &mut Kernel<Event, Q>,
        fi: usize,
        i: usize,
        peer: PeerId,
        links: f64,
        to: &[u16],
    ) {
        self.world.control(k).join(peer);
        let mut candidates: Vec<PeerId> = Vec::new();
        for &t in to {
            candidates.extend(
                self.world.peers().members(t).iter().copied().filter(|&q| q != peer && self.world.net().is_online(q)),
            );
        }
        candidates.sort_unstable();
        let want = if links > 0.0 { (links.round() as usize).min(candidates.len()) } else { 0 };
        let rng = self.faults[fi].rng(fi, i);
        let chosen = rand::seq::index::sample(rng, candidates.len(), want);
        let targets: Vec<PeerId> = chosen.into_iter().map(|j| candidates[j]).collect();
        tracing::info!(t = %k.now(), peer = peer.0, links = targets.len(), "joined");
        for q in targets {
            self.world.control(k).say_hello(peer, q);
        }
    }

    fn window<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, fi: usize, on: bool) {
        let fault = fi as u16;
        match &self.faults[fi].runtime {
            Runtime::Loss { probability, .. } => {
                self.open_losses.retain(|e| e.0 != fault);
                if on {
                    self.open_losses.push((fault, *probability));
                }
                // Losses stack: a message survives every open window, and the base loss, apart.
                let survive = (1.0 - self.base_loss) * self.open_losses.iter().map(|e| 1.0 - e.1).product::<f64>();
                self.world.control(k).set_loss((1.0 - survive).clamp(0.0, 1.0)).expect("a probability");
            }
            Runtime::Partition { groups, .. } => {
                let groups = groups.clone();
                let mut control = self.world.control(k);
                if on {
                    control.partition(u32::from(fault), groups);
                } else {
                    control.heal(u32::from(fault));
                }
            }
            other => debug_assert!(false, "a window of {other:?}, which has none"),
        }
    }

    /// The live graph now.
    pub fn snapshot(&self, at: SimTime) -> GraphSnapshot {
        let net = self.world.net();
        GraphSnapshot { at, states: net.peers().map(|p| net.state(p)).collect(), links: net.live_links() }
    }

    /// Fraction of `[0, until)` that peer `p` was not offline (absent time counts as down).
    pub fn availability(&self, p: PeerId, until: SimTime) -> f64 {
        let since = self.down_since.get(p.index()).copied().flatten();
        let mut down = self.downtime(p);
        if let Some(since) = since {
            down = down + (until - since);
        }
        if self.world.net().state(p) == PeerState::Absent && since.is_none() {
            return 0.0;
        }
        1.0 - down.as_millis_f64() / until.as_millis_f64().max(f64::MIN_POSITIVE)
    }

    /// Number of outages of `p` so far.
    pub fn outages(&self, p: PeerId) -> u32 {
        self.outages.get(p.index()).copied().unwrap_or(0)
    }

    /// Total time `p` spent offline so far (not counting an outage still under way).
    pub fn downtime(&self, p: PeerId) -> SimDuration {
        self.down_total.get(p.index()).copied().unwrap_or(SimDuration::ZERO)
    }

    /// The peers a fault applies to.
    pub fn fault_members(&self, fault: usize) -> &[PeerId] {
        &self.faults[fault].members
    }
}

fn ms(x: f64) -> SimDuration {
    SimDuration::from_millis_abs(x)
}

impl Model<Event> for Faulty {
    fn handle<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, event: Event) {
        match event {
            Event::World(e) => self.world.handle(k, e),
            Event::Fault { fault, peer, step } => self.step(k, usize::from(fault), peer, step),
            Event::Window { fault, on } => self.window(k, usize::from(fault), on),
            Event::Inject { entry, index } => self.inject(k, entry, index),
        }
    }

    #[inline]
    fn prefetch(&self, event: &Event, ahead: Ahead) {
        if let Event::World(e) = event {
            self.world.prefetch(e, ahead);
        }
    }
}

/// The runtime form of fault `fi`: its members, their own parameter values, its groups.
fn build(world: &World, seed: Seed, fi: usize, spec: &FaultSpec, n: usize) -> Fault {
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
    let clock = |timing: &Timing, per_peer: &mut dyn FnMut(&Param) -> PerPeer| match timing {
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
    };
    let runtime = match spec {
        FaultSpec::Downtime { timing, .. } => {
            Runtime::Disruption { effect: Effect::Down, clock: clock(timing, &mut per_peer) }
        }
        FaultSpec::Slowdown { timing, factor, .. } => {
            let clock = clock(timing, &mut per_peer);
            Runtime::Disruption { effect: Effect::Slow(per_peer(factor)), clock }
        }
        FaultSpec::Churn { session, offtime, leave, .. } => {
            Runtime::Churn { session: session.clone(), offtime: offtime.clone(), leave: per_peer(leave) }
        }
        FaultSpec::Join { at, links, to, .. } => Runtime::Join {
            at: per_peer(at),
            links: per_peer(links),
            to: to.iter().filter_map(|name| world.peers().type_id(name)).collect(),
        },
        FaultSpec::Loss { probability, from, until } => {
            Runtime::Loss { probability: *probability, from: *from, until: *until }
        }
        FaultSpec::Partition { groups, from, until } => {
            let groups = match groups {
                Groups::ByLocation => world.net().peers().map(|p| world.net().location(p).0).collect(),
                Groups::Lists(lists) => {
                    let mut g = vec![lists.len() as u16; n];
                    for (gi, list) in lists.iter().enumerate() {
                        for &p in list {
                            g[p as usize] = gi as u16;
                        }
                    }
                    g
                }
            };
            Runtime::Partition { groups, from: *from, until: *until }
        }
    };
    let m = members.len();
    Fault { runtime, members, index, rngs: Streams::new(seed, m), disrupted: vec![false; m] }
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
