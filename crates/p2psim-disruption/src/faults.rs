//! The fault layer at run time: a [`World`] plus the faults that act on it.

use p2psim_kernel::{
    EventQueue, Kernel, LazyRng, Model, Param, Resolved, Seed, SimDuration, SimRng, SimTime, StreamKey,
};
use p2psim_net::{NetEvent, PeerId, PeerState};
use p2psim_services::{Message, World};
use rand::RngExt;

use crate::spec::{FaultSpec, Groups, Selector, Timing};

/// Events of a simulation with faults.
#[derive(Clone, Debug)]
pub enum Event {
    /// An event of the protocol layer.
    World(p2psim_services::Event),
    /// A fault's step for one peer.
    Fault {
        /// The fault.
        fault: u16,
        /// The peer.
        peer: PeerId,
        /// What the step does (fault-specific).
        step: u32,
    },
    /// A network-wide fault switching on (`on`) or off.
    Global {
        /// The fault.
        fault: u16,
        /// On or off.
        on: bool,
    },
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

/// Why the faults could not be set up.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum FaultError {
    /// A selector names a type or location that does not exist.
    #[error("fault {fault}: unknown {what} `{name}`")]
    Unknown {
        /// Index of the fault in the list.
        fault: usize,
        /// "peer type" or "location".
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A selector names a peer past the end.
    #[error("fault {fault}: peer {peer} does not exist (the network has {peers})")]
    UnknownPeer {
        /// Index of the fault.
        fault: usize,
        /// The peer.
        peer: u32,
        /// Number of peers.
        peers: usize,
    },
    /// A number outside its domain.
    #[error("fault {fault}: `{field}` {problem}")]
    Bad {
        /// Index of the fault.
        fault: usize,
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
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

/// Per (fault, peer) state.
#[derive(Debug)]
struct PeerFault {
    rng: LazyRng,
    up: Resolved,
    down: Resolved,
    disrupted: bool,
}

#[derive(Debug)]
struct Fault {
    spec: FaultSpec,
    members: Vec<PeerId>,
    per_peer: Vec<PeerFault>,
    /// `members` index of each peer, where it is a member.
    index: Vec<u32>,
    groups: Vec<u16>,
}

const NONE: u32 = u32::MAX;
// Steps of a fault event.
const STEP_DOWN: u32 = 0;
const STEP_UP: u32 = 1;
const STEP_LEAVE_OR_RETURN: u32 = 2;
const STEP_JOIN: u32 = 3;

/// A world with faults: the model of a whole run.
pub struct Faulty {
    /// The protocol layer.
    pub world: World,
    seed: Seed,
    faults: Vec<Fault>,
    /// Active causes of downtime, per peer.
    down_causes: Vec<u16>,
    /// Active slowdowns (fault, factor), per peer.
    slow: Vec<Vec<(u16, f64)>>,
    /// Neighbours at the moment each peer went down.
    neighbours_at_down: Vec<Vec<PeerId>>,
    down_since: Vec<Option<SimTime>>,
    down_total: Vec<SimDuration>,
    outages: Vec<u32>,
    loss_before: f64,
}

fn draw_ms(r: &Resolved, rng: &mut SimRng) -> SimDuration {
    SimDuration::from_millis_abs(r.get(rng))
}

impl Faulty {
    /// Sets up `faults` over `world` (before it runs).
    pub fn new(world: World, faults: &[FaultSpec]) -> Result<Faulty, FaultError> {
        let n = world.net().peer_count();
        let seed = world.seed();
        let mut built = Vec::new();
        for (fi, spec) in faults.iter().enumerate() {
            let members = select(&world, fi, spec)?;
            check(fi, spec)?;
            let mut index = vec![NONE; n];
            for (i, p) in members.iter().enumerate() {
                index[p.index()] = i as u32;
            }
            let zero = Param::Const(0.0);
            let (up, down) = match spec {
                FaultSpec::Downtime { timing: Timing::Random { up, down, .. }, .. }
                | FaultSpec::Slowdown { timing: Timing::Random { up, down, .. }, .. } => (up, down),
                _ => (&zero, &zero),
            };
            let per_peer = members
                .iter()
                .map(|&p| {
                    let mut rng = seed.stream(StreamKey::new("fault-param").with(fi as u64).with(p.0.into()));
                    PeerFault {
                        rng: LazyRng::new(),
                        up: up.resolve(&mut rng),
                        down: down.resolve(&mut rng),
                        disrupted: false,
                    }
                })
                .collect();
            let groups = match spec {
                FaultSpec::Partition { groups: Groups::ByLocation, .. } => {
                    world.net().peers().map(|p| world.net().location(p).0).collect()
                }
                FaultSpec::Partition { groups: Groups::Lists(lists), .. } => {
                    let mut g = vec![lists.len() as u16; n];
                    for (gi, list) in lists.iter().enumerate() {
                        for &p in list {
                            g[p as usize] = gi as u16;
                        }
                    }
                    g
                }
                _ => Vec::new(),
            };
            built.push(Fault { spec: spec.clone(), members, per_peer, index, groups });
        }
        let loss_before = world.net().config().loss;
        Ok(Faulty {
            world,
            seed,
            faults: built,
            down_causes: vec![0; n],
            slow: vec![Vec::new(); n],
            neighbours_at_down: vec![Vec::new(); n],
            down_since: vec![None; n],
            down_total: vec![SimDuration::ZERO; n],
            outages: vec![0; n],
            loss_before,
        })
    }

    fn rng(&mut self, fi: usize, i: usize) -> &mut SimRng {
        let peer = self.faults[fi].members[i];
        let key = StreamKey::new("fault").with(fi as u64).with(peer.0.into());
        self.faults[fi].per_peer[i].rng.get(self.seed, key)
    }

    /// Starts the world and schedules every fault's first step. Call once, before running.
    pub fn start<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>) {
        // Peers that join later are absent from the start.
        for f in &self.faults {
            if let FaultSpec::Join { .. } = f.spec {
                for &p in &f.members {
                    self.world.net_mut().set_state(p, PeerState::Absent);
                }
            }
        }
        self.world.start(k);
        for fi in 0..self.faults.len() {
            let f = fi as u16;
            match self.faults[fi].spec.clone() {
                FaultSpec::Downtime { timing, .. } | FaultSpec::Slowdown { timing, .. } => {
                    for i in 0..self.faults[fi].members.len() {
                        let peer = self.faults[fi].members[i];
                        match &timing {
                            Timing::Scheduled(d) if !d.is_empty() => {
                                k.schedule_in(
                                    SimDuration::from_millis_abs(d[0]),
                                    Event::Fault { fault: f, peer, step: 0 },
                                );
                            }
                            Timing::Scheduled(_) => {}
                            Timing::Random { start, .. } => {
                                let start = start.resolve(self.rng(fi, i)).get(self.rng(fi, i));
                                let up = self.faults[fi].per_peer[i].up.clone();
                                let wait = SimDuration::from_millis_abs(start) + draw_ms(&up, self.rng(fi, i));
                                k.schedule_in(wait, Event::Fault { fault: f, peer, step: 0 });
                            }
                            Timing::Availability { .. } => {
                                let wait = self.availability_wait(fi, i, false);
                                k.schedule_in(wait, Event::Fault { fault: f, peer, step: 0 });
                            }
                            Timing::Once { at, duration } => {
                                k.schedule_in(
                                    SimDuration::from_millis_abs(*at),
                                    Event::Fault { fault: f, peer, step: STEP_DOWN },
                                );
                                let end = SimDuration::from_millis_abs(*at + *duration);
                                k.schedule_in(end, Event::Fault { fault: f, peer, step: STEP_UP });
                            }
                        }
                    }
                }
                FaultSpec::Churn { session, .. } => {
                    for i in 0..self.faults[fi].members.len() {
                        let peer = self.faults[fi].members[i];
                        let wait = SimDuration::from_millis_abs(session.draw(self.rng(fi, i)));
                        k.schedule_in(wait, Event::Fault { fault: f, peer, step: STEP_DOWN });
                    }
                }
                FaultSpec::Join { at, .. } => {
                    for i in 0..self.faults[fi].members.len() {
                        let peer = self.faults[fi].members[i];
                        let when = at.resolve(self.rng(fi, i)).get(self.rng(fi, i));
                        k.schedule_in(
                            SimDuration::from_millis_abs(when),
                            Event::Fault { fault: f, peer, step: STEP_JOIN },
                        );
                    }
                }
                FaultSpec::Loss { from, until, .. } | FaultSpec::Partition { from, until, .. } => {
                    k.schedule_in(SimDuration::from_millis_abs(from), Event::Global { fault: f, on: true });
                    if let Some(u) = until {
                        k.schedule_in(SimDuration::from_millis_abs(u), Event::Global { fault: f, on: false });
                    }
                }
            }
        }
    }

    /// The availability model's wait until the next change: a whole number of check intervals,
    /// geometric with the per-check probability (drawn directly rather than checking every interval).
    fn availability_wait(&mut self, fi: usize, i: usize, disrupted: bool) -> SimDuration {
        let Timing::Availability { interval, mtbf, availability, p2psimpy_formula } = (match &self.faults[fi].spec {
            FaultSpec::Downtime { timing, .. } | FaultSpec::Slowdown { timing, .. } => timing.clone(),
            _ => unreachable!("availability timing only on downtime and slowdown"),
        }) else {
            unreachable!("called for availability timing only")
        };
        let p = match (disrupted, p2psimpy_formula) {
            (false, false) => interval / (availability * mtbf),
            (true, false) => interval / ((1.0 - availability) * mtbf),
            (false, true) => interval / mtbf,
            (true, true) => interval / (mtbf * (1.0 - availability)),
        }
        .clamp(0.0, 1.0);
        let u: f64 = 1.0 - self.rng(fi, i).random::<f64>();
        let checks = if p >= 1.0 { 1.0 } else { (u.ln() / (1.0 - p).ln()).ceil().max(1.0) };
        SimDuration::from_millis_f64(checks * interval)
    }

    fn go_down<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, p: PeerId) {
        let c = &mut self.down_causes[p.index()];
        *c += 1;
        if *c == 1 && self.world.net().state(p) == PeerState::Online {
            self.neighbours_at_down[p.index()] = self.world.net().neighbours(p).to_vec();
            self.world.net_mut().set_state(p, PeerState::Offline);
            self.down_since[p.index()] = Some(k.now());
            self.outages[p.index()] += 1;
            tracing::warn!(t = %k.now(), peer = p.0, "offline");
        }
    }

    fn go_up<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, p: PeerId) {
        let c = &mut self.down_causes[p.index()];
        *c = c.saturating_sub(1);
        if *c > 0 || self.world.net().state(p) != PeerState::Offline {
            return;
        }
        let now = k.now();
        self.world.net_mut().set_state(p, PeerState::Online);
        if let Some(since) = self.down_since[p.index()].take() {
            self.down_total[p.index()] = self.down_total[p.index()] + (now - since);
        }
        tracing::info!(t = %now, peer = p.0, "online");
        // Links that survived the outage count as just heard from, so the returning peer's own
        // connection manager does not drop them for the silence it caused itself.
        for q in self.world.net().neighbours(p).to_vec() {
            self.world.net_mut().set_last_seen(p, q, now);
        }
        // Say Hello to every neighbour it had when it went down (P2PSimpy's restore, but from a
        // snapshot: links dropped during the outage come back too).
        for q in std::mem::take(&mut self.neighbours_at_down[p.index()]) {
            self.world.send(k, p, q, Message::Hello, true);
        }
    }

    fn set_slow(&mut self, p: PeerId, fault: u16, factor: Option<f64>) {
        let list = &mut self.slow[p.index()];
        list.retain(|e| e.0 != fault);
        if let Some(f) = factor {
            list.push((fault, f));
        }
        let product = list.iter().map(|e| e.1).product::<f64>();
        self.world.net_mut().set_slowdown(p, product).expect("factors are checked to lie in [0, 1]");
    }

    fn leave<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, p: PeerId) {
        if let Some(since) = self.down_since[p.index()].take() {
            self.down_total[p.index()] = self.down_total[p.index()] + (k.now() - since);
        }
        for q in self.world.net().neighbours(p).to_vec() {
            self.world.net_mut().disconnect(p, q);
        }
        self.world.net_mut().set_state(p, PeerState::Absent);
        tracing::warn!(t = %k.now(), peer = p.0, "left");
    }

    fn fault_step<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, fi: usize, peer: PeerId, step: u32) {
        let i = self.faults[fi].index[peer.index()] as usize;
        let f = fi as u16;
        match self.faults[fi].spec.clone() {
            FaultSpec::Downtime { timing, .. } | FaultSpec::Slowdown { timing, .. } => {
                let disrupt = match &timing {
                    Timing::Once { .. } => step == STEP_DOWN,
                    _ => !self.faults[fi].per_peer[i].disrupted,
                };
                self.faults[fi].per_peer[i].disrupted = disrupt;
                match (&self.faults[fi].spec, disrupt) {
                    (FaultSpec::Downtime { .. }, true) => self.go_down(k, peer),
                    (FaultSpec::Downtime { .. }, false) => self.go_up(k, peer),
                    (FaultSpec::Slowdown { factor, .. }, d) => {
                        let factor = *factor;
                        self.set_slow(peer, f, d.then_some(factor));
                    }
                    _ => unreachable!("matched above"),
                }
                let next = match &timing {
                    Timing::Scheduled(d) => d.get(step as usize + 1).map(|&ms| SimDuration::from_millis_abs(ms)),
                    Timing::Random { .. } => {
                        let r = if disrupt {
                            self.faults[fi].per_peer[i].down.clone()
                        } else {
                            self.faults[fi].per_peer[i].up.clone()
                        };
                        Some(draw_ms(&r, self.rng(fi, i)))
                    }
                    Timing::Availability { .. } => Some(self.availability_wait(fi, i, disrupt)),
                    Timing::Once { .. } => None,
                };
                if let Some(wait) = next {
                    k.schedule_in(wait, Event::Fault { fault: f, peer, step: step + 1 });
                }
            }
            FaultSpec::Churn { offtime, session, leave, .. } => match step {
                STEP_DOWN => {
                    self.go_down(k, peer);
                    if self.rng(fi, i).random_bool(leave) {
                        self.leave(k, peer);
                    } else {
                        let wait = SimDuration::from_millis_abs(offtime.draw(self.rng(fi, i)));
                        k.schedule_in(wait, Event::Fault { fault: f, peer, step: STEP_LEAVE_OR_RETURN });
                    }
                }
                _ => {
                    self.go_up(k, peer);
                    let wait = SimDuration::from_millis_abs(session.draw(self.rng(fi, i)));
                    k.schedule_in(wait, Event::Fault { fault: f, peer, step: STEP_DOWN });
                }
            },
            FaultSpec::Join { links, to, .. } => {
                self.world.net_mut().set_state(peer, PeerState::Online);
                let mut candidates: Vec<PeerId> = Vec::new();
                for name in &to {
                    if let Some(t) = self.world.peers().type_id(name) {
                        candidates.extend(
                            self.world
                                .peers()
                                .members(t)
                                .iter()
                                .copied()
                                .filter(|&q| q != peer && self.world.net().is_online(q)),
                        );
                    }
                }
                candidates.sort_unstable();
                let chosen =
                    rand::seq::index::sample(self.rng(fi, i), candidates.len(), (links as usize).min(candidates.len()));
                let targets: Vec<PeerId> = chosen.into_iter().map(|j| candidates[j]).collect();
                tracing::info!(t = %k.now(), peer = peer.0, links = targets.len(), "joined");
                for q in targets {
                    self.world.send(k, peer, q, Message::Hello, true);
                }
            }
            FaultSpec::Loss { .. } | FaultSpec::Partition { .. } => {}
        }
    }

    fn global_step(&mut self, fi: usize, on: bool) {
        match &self.faults[fi].spec {
            FaultSpec::Loss { probability, .. } => {
                let p = if on { *probability } else { self.loss_before };
                self.world.net_mut().set_loss(p).expect("probabilities are checked");
            }
            FaultSpec::Partition { .. } => {
                let groups = on.then(|| self.faults[fi].groups.clone());
                self.world.net_mut().set_partition(groups);
            }
            _ => {}
        }
    }

    /// The live graph now.
    pub fn snapshot(&self, at: SimTime) -> GraphSnapshot {
        let net = self.world.net();
        GraphSnapshot { at, states: net.peers().map(|p| net.state(p)).collect(), links: net.live_links() }
    }

    /// Fraction of `[0, until)` that peer `p` was not offline (absent time counts as down).
    pub fn availability(&self, p: PeerId, until: SimTime) -> f64 {
        let mut down = self.down_total[p.index()];
        if let Some(since) = self.down_since[p.index()] {
            down = down + (until - since);
        }
        if self.world.net().state(p) == PeerState::Absent && self.down_since[p.index()].is_none() {
            return 0.0;
        }
        1.0 - down.as_millis_f64() / until.as_millis_f64().max(f64::MIN_POSITIVE)
    }

    /// Number of outages of `p` so far.
    pub fn outages(&self, p: PeerId) -> u32 {
        self.outages[p.index()]
    }

    /// Total time `p` spent offline so far (not counting an outage still under way).
    pub fn downtime(&self, p: PeerId) -> SimDuration {
        self.down_total[p.index()]
    }

    /// The peers a fault applies to.
    pub fn fault_members(&self, fault: usize) -> &[PeerId] {
        &self.faults[fault].members
    }
}

impl Model<Event> for Faulty {
    fn handle<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, event: Event) {
        match event {
            Event::World(e) => self.world.handle(k, e),
            Event::Fault { fault, peer, step } => self.fault_step(k, fault as usize, peer, step),
            Event::Global { fault, on } => self.global_step(fault as usize, on),
        }
    }

    #[inline]
    fn prefetch(&self, event: &Event) {
        if let Event::World(e) = event {
            self.world.prefetch(e);
        }
    }
}

fn select(world: &World, fi: usize, spec: &FaultSpec) -> Result<Vec<PeerId>, FaultError> {
    let selector = match spec {
        FaultSpec::Downtime { peers, .. }
        | FaultSpec::Slowdown { peers, .. }
        | FaultSpec::Churn { peers, .. }
        | FaultSpec::Join { peers, .. } => peers,
        FaultSpec::Loss { .. } | FaultSpec::Partition { .. } => return Ok(Vec::new()),
    };
    let net = world.net();
    Ok(match selector {
        Selector::All => net.peers().collect(),
        Selector::Type(name) => {
            let t = world.peers().type_id(name).ok_or_else(|| FaultError::Unknown {
                fault: fi,
                what: "peer type",
                name: name.clone(),
            })?;
            world.peers().members(t).to_vec()
        }
        Selector::Peers(ids) => {
            let mut out = Vec::new();
            for &p in ids {
                if p as usize >= net.peer_count() {
                    return Err(FaultError::UnknownPeer { fault: fi, peer: p, peers: net.peer_count() });
                }
                if !out.contains(&PeerId(p)) {
                    out.push(PeerId(p));
                }
            }
            out
        }
        Selector::Location(name) => {
            let l = net.locations().id(name).ok_or_else(|| FaultError::Unknown {
                fault: fi,
                what: "location",
                name: name.clone(),
            })?;
            net.peers().filter(|&p| net.location(p) == l).collect()
        }
    })
}

fn check(fi: usize, spec: &FaultSpec) -> Result<(), FaultError> {
    let bad = |field: &'static str, problem: String| Err(FaultError::Bad { fault: fi, field, problem });
    let unit = |x: f64| (0.0..=1.0).contains(&x);
    let timing = match spec {
        FaultSpec::Downtime { timing, .. } => Some(timing),
        FaultSpec::Slowdown { timing, factor, .. } => {
            if !unit(*factor) {
                return bad("factor", format!("must be in [0, 1], got {factor}"));
            }
            Some(timing)
        }
        FaultSpec::Churn { leave, .. } if !unit(*leave) => {
            return bad("leave", format!("must be in [0, 1], got {leave}"));
        }
        FaultSpec::Loss { probability, .. } if !unit(*probability) => {
            return bad("probability", format!("must be in [0, 1], got {probability}"));
        }
        _ => None,
    };
    if let Some(Timing::Availability { interval, mtbf, availability, .. }) = timing {
        if !(*interval > 0.0 && *mtbf >= *interval) {
            return bad("interval", format!("needs 0 < interval <= mtbf, got interval {interval}, mtbf {mtbf}"));
        }
        if !(*availability > 0.0 && *availability < 1.0) {
            return bad("availability", format!("must be in (0, 1), got {availability}"));
        }
    }
    if let Some(Timing::Scheduled(d)) = timing
        && d.iter().any(|x| !x.is_finite())
    {
        return bad("timing", "scheduled durations must be finite numbers of ms".into());
    }
    Ok(())
}
