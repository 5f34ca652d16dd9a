//! The model of a whole run: a [`World`] plus its faults and its workload, and the events that
//! drive them. Each fault's kind (a module each) decides what happens; this applies it, through
//! the world's [`Control`](p2psim_services::Control) interface only, and answers what the faults
//! did (outages, availability, the live graph).
//!
//! Not here: any fault kind's rules (`downtime.rs` … `partition.rs`), per-peer records
//! (`outages.rs`).

use p2psim_kernel::{Ahead, EventQueue, Kernel, Model, Seed, SimDuration, SimTime};
use p2psim_net::{NetEvent, PeerId, PeerState};
use p2psim_services::{Kind, Message, World};

use crate::fault::{Action, Built, View, build, ms};
use crate::outages::Outages;
use crate::spec::FaultSpec;
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

/// A world with faults and a workload: the model of a whole run.
pub struct RunModel {
    /// The protocol layer.
    pub world: World,
    seed: Seed,
    faults: Vec<Built>,
    outages: Outages,
    /// The loss probability without any loss window, and the windows open now (fault, probability).
    base_loss: f64,
    open_losses: Vec<(u16, f64)>,
    workload: Workload,
    /// Actions of the step being applied (kept to reuse its memory).
    actions: Vec<Action>,
}

impl RunModel {
    /// Sets up `faults` over `world` (before it runs). The faults were checked
    /// ([`FaultSpec::check`]) against the same experiment: building cannot fail.
    ///
    /// Faults that change peers, links or partitions forbid the world to account known copies at
    /// send, since an arrival's outcome is then unknown until it arrives.
    pub fn new(mut world: World, specs: &[FaultSpec]) -> RunModel {
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
        let faults = specs.iter().enumerate().map(|(fi, spec)| build(&world, seed, fi, spec)).collect();
        let base_loss = world.net().config().loss;
        // Only faults take peers down or slow them: without any, no per-peer records.
        let outages = if specs.is_empty() { Outages::default() } else { Outages::new(n) };
        RunModel {
            world,
            seed,
            faults,
            outages,
            base_loss,
            open_losses: Vec::new(),
            workload: Workload::default(),
            actions: Vec::new(),
        }
    }

    /// Sets the workload: messages injected at peers ([`Inject`], checked against the same
    /// experiment). Call before [`RunModel::start`].
    pub fn set_workload(&mut self, workload: &[Inject]) {
        self.workload = Workload::new(&self.world, self.seed, workload);
    }

    /// How many actors order the run's events: the world's (peers, then services), then one per
    /// fault (its network-wide windows), then one per workload entry.
    pub fn actors(&self) -> u32 {
        self.world.actors() + self.faults.len() as u32 + self.workload.entries() as u32
    }

    /// The actor of `event` (see [`p2psim_kernel::Model::actor`]): a per-peer fault's step is its
    /// peer's; a window is its fault's; an injection is its entry's (and each injecting peer acts
    /// as itself).
    #[inline]
    pub fn actor(&self, event: &Event) -> u32 {
        match event {
            Event::World(e) => self.world.actor(e),
            Event::Fault { peer, .. } => peer.0,
            Event::Window { fault, .. } => self.window_actor(*fault),
            Event::Inject { entry, .. } => self.inject_actor(*entry),
        }
    }

    /// The actor of fault `fault`'s network-wide windows: after the world's.
    fn window_actor(&self, fault: u16) -> u32 {
        self.world.actors() + u32::from(fault)
    }

    /// The actor of workload entry `entry`: after the faults'.
    fn inject_actor(&self, entry: u16) -> u32 {
        self.world.actors() + self.faults.len() as u32 + u32::from(entry)
    }

    /// Starts the world and schedules every fault's first step. Call once, before running, on a
    /// kernel with nothing scheduled: it declares the run's actors to it.
    pub fn start<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>) {
        k.declare_actors(self.actors());
        // Peers that join later are absent from the start.
        for f in &self.faults {
            if f.kind.members_start_absent() {
                for &p in &f.members {
                    self.world.control(k).make_absent(p);
                }
            }
        }
        self.world.start(k);
        for fi in 0..self.faults.len() {
            let fault = fi as u16;
            let window_actor = self.window_actor(fault);
            let f = &mut self.faults[fi];
            for i in 0..f.members.len() {
                k.set_actor(f.members[i].0);
                let (kind, m) = f.member(i);
                let peer = m.peer;
                for (wait, step) in kind.first(i, m.rng) {
                    k.schedule_in(wait, Event::Fault { fault, peer, step });
                }
            }
            if let Some((from, until)) = f.kind.window() {
                k.set_actor(window_actor);
                k.schedule_in(ms(from), Event::Window { fault, on: true });
                if let Some(u) = until {
                    k.schedule_in(ms(u), Event::Window { fault, on: false });
                }
            }
        }
        for (entry, at) in self.workload.first() {
            k.set_actor(self.inject_actor(entry));
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

    fn step<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, fi: usize, peer: PeerId, step: Step) {
        let mut actions = std::mem::take(&mut self.actions);
        let (kind, member) = self.faults[fi].member_of(peer);
        kind.step(member, step, &View::new(&self.world), &mut actions);
        self.apply(k, fi, peer, &mut actions);
        self.actions = actions;
    }

    fn window<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, fi: usize, on: bool) {
        let mut actions = std::mem::take(&mut self.actions);
        self.faults[fi].kind.toggle(on, &mut actions);
        self.apply(k, fi, PeerId(u32::MAX), &mut actions);
        self.actions = actions;
    }

    /// Applies the actions of fault `fi` (at member `peer`, for a per-peer fault), in order.
    fn apply<Q: EventQueue<Event>>(
        &mut self,
        k: &mut Kernel<Event, Q>,
        fi: usize,
        peer: PeerId,
        actions: &mut Vec<Action>,
    ) {
        let fault = fi as u16;
        for action in actions.drain(..) {
            let world = &mut self.world;
            match action {
                Action::Down(p) => self.outages.go_down(world, k, p),
                Action::Up(p) => self.outages.go_up(world, k, p),
                Action::Slow(p, factor) => self.outages.set_slow(world, k, p, fault, factor),
                Action::Leave(p) => self.outages.leave(world, k, p),
                Action::Join(p, targets) => {
                    world.control(k).join(p);
                    tracing::info!(t = %k.now(), peer = p.0, links = targets.len(), "joined");
                    for q in targets {
                        world.control(k).say_hello(p, q);
                    }
                }
                Action::After(wait, step) => k.schedule_in(wait, Event::Fault { fault, peer, step }),
                Action::Loss(probability) => {
                    self.open_losses.retain(|e| e.0 != fault);
                    if let Some(p) = probability {
                        self.open_losses.push((fault, p));
                    }
                    // Losses stack: a message survives every open window, and the base loss, apart.
                    let survive = (1.0 - self.base_loss) * self.open_losses.iter().map(|e| 1.0 - e.1).product::<f64>();
                    world.control(k).set_loss((1.0 - survive).clamp(0.0, 1.0)).expect("a probability");
                }
                Action::Partition(groups) => world.control(k).partition(u32::from(fault), groups),
                Action::Heal => world.control(k).heal(u32::from(fault)),
            }
        }
    }

    /// The live graph now.
    pub fn snapshot(&self, at: SimTime) -> GraphSnapshot {
        let net = self.world.net();
        GraphSnapshot { at, states: net.peers().map(|p| net.state(p)).collect(), links: net.live_links() }
    }

    /// Fraction of `[0, until)` that peer `p` was not offline (absent time counts as down).
    pub fn availability(&self, p: PeerId, until: SimTime) -> f64 {
        let since = self.outages.since(p);
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
        self.outages.count(p)
    }

    /// Total time `p` spent offline so far (not counting an outage still under way).
    pub fn downtime(&self, p: PeerId) -> SimDuration {
        self.outages.total(p)
    }

    /// The peers a fault applies to.
    pub fn fault_members(&self, fault: usize) -> &[PeerId] {
        &self.faults[fault].members
    }
}

impl Model<Event> for RunModel {
    fn handle<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, event: Event) {
        match event {
            Event::World(e) => self.world.handle(k, e),
            Event::Fault { fault, peer, step } => self.step(k, usize::from(fault), peer, step),
            Event::Window { fault, on } => self.window(k, usize::from(fault), on),
            Event::Inject { entry, index } => self.inject(k, entry, index),
        }
    }

    #[inline]
    fn actor(&self, event: &Event) -> u32 {
        RunModel::actor(self, event)
    }

    #[inline]
    fn prefetch(&self, event: &Event, ahead: Ahead) {
        if let Event::World(e) = event {
            self.world.prefetch(e, ahead);
        }
    }
}
