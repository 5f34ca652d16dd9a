//! The world: the network, the peers' types and services, and the adapter that runs the sans-IO
//! protocols on the kernel and the network.
//!
//! A delivered message goes to every service of the receiver's type that handles its kind, in
//! the order the type lists them; a message no service handles is counted (P2PSimpy raises,
//! oddity P2). A service's effects are applied right after its call, in order; only
//! [`World::apply`] (and the [`Control`] interface of the layers above) changes the network.

mod build;
mod control;
mod known_copies;
mod physical;
mod query;
#[cfg(feature = "test-stats")]
mod spread;

pub use build::CheckedTypes;
pub use control::Control;
pub use physical::{LocationChoice, PeerTypeSpec, Physical};
#[cfg(feature = "test-stats")]
pub use spread::SpreadStats;

use p2psim_kernel::{Ahead, EventQueue, Kernel, Model, Seed, TimerId, Timers};
use p2psim_net::{DropReason, NetEvent, Network, PeerId, Topology};

use crate::builtin::AnyInstance;
use crate::context::{Effect, Env};
use crate::instance::{Action, ServiceState};
use crate::kinds::{KindId, Kinds};
use crate::message::{Message, MsgIdx, gossip_size};
use crate::peers::PeerTable;
use crate::protocol::Injected;
use crate::registry::Messages;
use crate::rounds::Rounds;
use crate::validation::Validator;
use known_copies::KnownCopies;

/// A service of the world: its number, in the order the types and their services were given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ServiceId(pub u16);

/// Events of the protocol layer. Layers above wrap it (and [`NetEvent`]) in their own enum.
#[derive(Clone, Debug)]
pub enum Event {
    /// A network event.
    Net(NetEvent<Message>),
    /// A protocol's timer for one peer.
    Timer {
        /// The peer.
        peer: PeerId,
        /// The service.
        service: ServiceId,
        /// The timer (ignored if it was cancelled).
        id: TimerId,
        /// The protocol's own meaning.
        tag: u32,
    },
    /// A round of one peer.
    PeerRound {
        /// The peer.
        peer: PeerId,
        /// The service.
        service: ServiceId,
    },
    /// A synchronous round of all the peers of a service.
    Round {
        /// The service.
        service: ServiceId,
    },
}

impl From<NetEvent<Message>> for Event {
    fn from(e: NetEvent<Message>) -> Event {
        Event::Net(e)
    }
}

/// How the initial topology's links come up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Bootstrap {
    /// All links exist at time 0.
    #[default]
    Instant,
    /// P2PSimpy: at time 0 both ends of every link send `Hello`; a link exists once a connection
    /// manager receives one.
    Hello,
}

/// A service of the world: what it has whatever its protocol, and its protocol's instance.
pub(crate) struct RunningService {
    pub(crate) state: ServiceState,
    pub(crate) instance: AnyInstance,
    pub(crate) role: crate::config::Role,
}

/// The protocol layer of a run: network, peers, services.
pub struct World {
    seed: Seed,
    net: Network<Message>,
    peers: PeerTable,
    messages: Messages,
    kinds: Kinds,
    services: Vec<RunningService>,
    /// Per (peer type, kind): the services that handle it, in order.
    routes: Vec<Vec<u16>>,
    validator: Validator,
    effects: Vec<Effect>,
    timers: Timers,
    scratch: Vec<PeerId>,
    unhandled: u64,
    /// The initial topology, until the peers greet each other at start (`Bootstrap::Hello`); empty
    /// otherwise.
    topology: Topology,
    bootstrap: Bootstrap,
    known: KnownCopies,
    /// Kinds counted per peer besides those the services handle.
    counted_kinds: Vec<KindId>,
}

impl World {
    /// Asks the CPU to bring what handling `event` will read into the cache (see
    /// [`p2psim_kernel::Model::prefetch`]). For an arrival, first ([`Ahead::Far`]) the receiver's
    /// network record, traffic counters, where its links are, its storage cells (or, for other
    /// messages than pushed gossip, the lists of what it holds), generators and the message's
    /// body; then ([`Ahead::Near`]) its list of neighbours, which a relay reads first, and its
    /// full network record if it will be read, and the list inside the body. A peer's round reads
    /// the same of its peer.
    #[inline]
    pub fn prefetch(&self, event: &Event, ahead: Ahead) {
        let peer = match event {
            Event::Net(NetEvent::Arrive { to, .. }) => *to,
            Event::PeerRound { peer, .. } => *peer,
            _ => return,
        };
        if ahead == Ahead::Near {
            self.net.prefetch_arrival_then(peer);
            if let Event::Net(NetEvent::Arrive { msg: Message::With { body, .. }, .. }) = event {
                body.prefetch_items();
            }
            return;
        }
        self.net.prefetch_arrival(peer);
        let local = self.peers.local(peer);
        match event {
            Event::Net(NetEvent::Arrive { msg, .. }) => {
                for &slot in &self.routes[self.route(peer, msg.kind_id())] {
                    let common = &self.services[slot as usize].state;
                    match *msg {
                        Message::Gossip { idx, .. } => common.prefetch(local, idx),
                        _ => common.prefetch_peer(local),
                    }
                }
                if let Message::With { body, .. } = msg {
                    // The body was written by the sender long ago; only its address is at hand.
                    prefetch_index::prefetch_index(std::slice::from_ref(&**body), 0);
                }
            }
            Event::PeerRound { service, .. } => self.services[usize::from(service.0)].state.prefetch_peer(local),
            _ => {}
        }
    }

    /// How many actors order the world's events (see [`Kernel::declare_actors`]): every peer (its
    /// id), then every service (its synchronous round).
    pub fn actors(&self) -> u32 {
        let peers = u32::try_from(self.net.peer_count()).expect("peer ids are u32");
        peers + self.services.len() as u32
    }

    /// The actor of `event`: the peer whose state it changes, or the service of a synchronous
    /// round (which acts for each member in turn, as that member).
    #[inline]
    pub fn actor(&self, event: &Event) -> u32 {
        match event {
            Event::Net(e) => e.peer().0,
            Event::Timer { peer: p, .. } | Event::PeerRound { peer: p, .. } => p.0,
            Event::Round { service } => self.round_actor(*service),
        }
    }

    /// The actor of service `s`'s synchronous rounds: after every peer.
    #[inline]
    fn round_actor(&self, s: ServiceId) -> u32 {
        self.net.peer_count() as u32 + u32::from(s.0)
    }

    #[inline]
    fn route(&self, to: PeerId, kind: KindId) -> usize {
        usize::from(self.peers.type_of(to)) * self.kinds.len() + kind.index()
    }

    /// Starts every service (at time 0, as P2PSimpy starts its runners) and, with
    /// [`Bootstrap::Hello`], sends the `Hello`s. Call once, before running, on a kernel with
    /// nothing scheduled: it declares the world's actors to it.
    pub fn start<E, Q>(&mut self, k: &mut Kernel<E, Q>)
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        k.declare_actors(self.actors());
        let mut counted: Vec<usize> = self.counted_kinds.iter().map(|k| k.index()).collect();
        for s in &self.services {
            counted.extend(s.state.kinds.iter().map(|k| k.index()));
        }
        counted.sort_unstable();
        counted.dedup();
        self.net.count_sent_by_kind(&counted);
        for s in 0..self.services.len() {
            let members = self.services[s].state.members.len() as u32;
            for local in 0..members {
                let peer = self.services[s].state.members[local as usize];
                self.call(k, s, peer, local, Action::Start);
            }
            self.start_rounds(k, s);
        }
        if self.bootstrap == Bootstrap::Hello {
            // Each peer greets its neighbours of the initial topology, in the order of its edges;
            // the topology is not needed after this.
            let topology = std::mem::replace(&mut self.topology, Topology::empty(0));
            let mut neighbours: Vec<Vec<PeerId>> = vec![Vec::new(); self.net.peer_count()];
            for &(a, b) in topology.edges() {
                neighbours[a.index()].push(b);
                neighbours[b.index()].push(a);
            }
            for p in self.net.peers() {
                k.set_actor(p.0);
                for &q in &neighbours[p.index()] {
                    self.send(k, p, q, Message::Hello, true);
                }
            }
        }
    }

    /// Schedules the first rounds of service `s`: one table-wide round, or each peer's own.
    fn start_rounds<E, Q>(&mut self, k: &mut Kernel<E, Q>, s: usize)
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        let service = ServiceId(s as u16);
        let round_actor = self.round_actor(service);
        let common = &mut self.services[s].state;
        let Some(schedule) = common.rounds.clone() else { return };
        if common.members.is_empty() {
            return;
        }
        if let Rounds::Synchronous { .. } = schedule.rounds {
            k.set_actor(round_actor);
            let first = schedule.first(f64::NAN, f64::NAN, &mut common.round_rng);
            k.schedule_in(first, Event::Round { service }.into());
            return;
        }
        let type_name = self.peers.type_name(common.type_id).to_owned();
        for local in 0..common.members.len() as u32 {
            let peer = common.members[local as usize];
            let init = common.init_param(&type_name, local, &schedule.init);
            let period = common.period_own(local);
            k.set_actor(peer.0);
            let first = schedule.first(init, period, common.rng(local, peer));
            k.schedule_in(first, Event::PeerRound { peer, service }.into());
        }
    }

    /// Sends a message; returns true if it left the sender (arriving or lost).
    pub(crate) fn send<E, Q>(
        &mut self,
        k: &mut Kernel<E, Q>,
        from: PeerId,
        to: PeerId,
        msg: Message,
        connectionless: bool,
    ) -> bool
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        tracing::trace!(t = %k.now(), from = from.0, to = to.0, kind = self.kinds.name(msg.kind_id()), "send");
        let counter = if connectionless { None } else { self.known.counter(&self.peers, to, &msg) };
        let plan = match self.net.plan(k.now(), from, to, &msg, connectionless) {
            Ok(plan) => plan,
            Err(DropReason::Lost) => return true,
            Err(reason) => {
                tracing::debug!(t = %k.now(), from = from.0, to = to.0, reason = reason.name(), "not sent");
                return false;
            }
        };
        if let Some((slot, idx)) = counter
            && self.known.plan_allows(&plan)
        {
            let local = self.peers.local(to);
            if self.services[slot as usize].state.storage.count_known_copy(local, idx, k.now(), plan.arrival()) {
                self.net.account(plan);
                return true;
            }
        }
        self.net.schedule(k, plan, msg);
        true
    }

    /// Runs one action of one peer of service `s` with a fresh context, then applies the effects
    /// it emitted.
    #[inline]
    fn call<E, Q>(&mut self, k: &mut Kernel<E, Q>, s: usize, peer: PeerId, local: u32, action: Action<'_>)
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        // What the peer schedules is ordered under its own count, whoever called (a round of
        // all peers, the start, the workload).
        let caller = k.actor();
        k.set_actor(peer.0);
        let slot = &mut self.services[s];
        let env = Env {
            now: k.now(),
            net: &self.net,
            peers: &self.peers,
            messages: &mut self.messages,
            effects: &mut self.effects,
            timers: &mut self.timers,
            scratch: &mut self.scratch,
        };
        slot.instance.act(env, &mut slot.state, peer, local, action);
        self.apply(k, s);
        k.set_actor(caller);
    }

    /// Applies the effects service `s` emitted, in order.
    fn apply<E, Q>(&mut self, k: &mut Kernel<E, Q>, s: usize)
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        let mut effects = std::mem::take(&mut self.effects);
        if self.known.on() {
            // The copies about to be sent will each look up the receiver's cell, most likely far
            // from the cache in a big run: fetch them all at once first.
            for e in &effects {
                if let Effect::Send { to, msg, connectionless: false, .. } = e
                    && let Some((slot, idx)) = self.known.counter(&self.peers, *to, msg)
                {
                    self.services[slot as usize].state.storage.prefetch(self.peers.local(*to), idx);
                    self.net.prefetch(*to);
                }
            }
        }
        let service = ServiceId(s as u16);
        for e in effects.drain(..) {
            match e {
                Effect::Send { from, to, msg, connectionless } => {
                    self.send(k, from, to, msg, connectionless);
                }
                Effect::Timer { peer, after, id, tag } => {
                    k.schedule_in(after, Event::Timer { peer, service, id, tag }.into());
                }
                Effect::Connect(a, b) => {
                    if self.net.connect(a, b, k.now()) {
                        tracing::info!(t = %k.now(), peer = a.0, other = b.0, "connect");
                    }
                }
                Effect::Disconnect(a, b) => {
                    if self.net.disconnect(a, b) {
                        tracing::warn!(t = %k.now(), peer = a.0, other = b.0, "disconnect");
                    }
                }
                Effect::MarkHeard(p, q) => self.net.set_last_seen(p, q, k.now()),
            }
        }
        self.effects = effects;
    }

    /// Handles one event of this layer.
    pub fn handle<E, Q>(&mut self, k: &mut Kernel<E, Q>, event: Event)
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        match event {
            Event::Net(e) => {
                if let Some(d) = self.net.handle(k, e, &mut self.validator) {
                    self.deliver(k, d.to, d.from, d.msg);
                }
            }
            Event::Timer { peer, service, id, tag } => {
                // Timers run whatever the peer's state, so a peer that joins later or comes back
                // finds its services still ticking; each protocol decides what an absent or
                // offline peer does (nothing, in every built-in one).
                if self.timers.fire(id) {
                    let local = self.peers.local(peer);
                    self.call(k, usize::from(service.0), peer, local, Action::Timer { tag });
                }
            }
            Event::PeerRound { peer, service } => {
                let s = usize::from(service.0);
                let local = self.peers.local(peer);
                self.call(k, s, peer, local, Action::Round);
                let common = &mut self.services[s].state;
                let schedule = common.rounds.as_ref().expect("a round of a service with rounds");
                let period = common.period_own(local);
                let gap = schedule.clone().next(period, common.rng(local, peer));
                k.schedule_in(gap, Event::PeerRound { peer, service }.into());
            }
            Event::Round { service } => {
                let s = usize::from(service.0);
                for local in 0..self.services[s].state.members.len() as u32 {
                    let peer = self.services[s].state.members[local as usize];
                    self.call(k, s, peer, local, Action::Round);
                }
                let common = &mut self.services[s].state;
                let schedule = common.rounds.clone().expect("a round of a service with rounds");
                let gap = schedule.next(f64::NAN, &mut common.round_rng);
                k.schedule_in(gap, Event::Round { service }.into());
            }
        }
    }

    fn deliver<E, Q>(&mut self, k: &mut Kernel<E, Q>, to: PeerId, from: PeerId, msg: Message)
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        let kind = msg.kind_id();
        tracing::trace!(t = %k.now(), to = to.0, from = from.0, kind = self.kinds.name(kind), "receive");
        let route = self.route(to, kind);
        let n = self.routes[route].len();
        if n == 0 {
            self.unhandled += 1;
            tracing::error!(t = %k.now(), to = to.0, kind = self.kinds.name(kind), "no handler for the message");
            return;
        }
        let local = self.peers.local(to);
        for i in 0..n {
            let slot = self.routes[route][i];
            self.call(k, slot as usize, to, local, Action::Message { from, msg: &msg });
        }
    }

    /// Produces a new message at `peer` now (as the experiment's workload, not through a
    /// producer) and hands it to each of the peer's services: stored everywhere; a push service
    /// sends it on with `ttl`, a rumor monger becomes hot, infect-and-die forwards it.
    pub fn inject<E, Q>(&mut self, k: &mut Kernel<E, Q>, peer: PeerId, ttl: u8) -> MsgIdx
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        let size = gossip_size(20) as u16;
        let (idx, _) = self.messages.produce(peer, k.now(), size, 0);
        let t = self.peers.type_of(peer);
        let local = self.peers.local(peer);
        for s in 0..self.services.len() {
            if self.services[s].state.type_id == t {
                self.call(k, s, peer, local, Action::Inject(Injected { msg: idx, ttl }));
            }
        }
        idx
    }

    /// The control interface for the layers above (faults): one change at a time, at the kernel's
    /// current time.
    pub fn control<'w, E, Q>(&'w mut self, kernel: &'w mut Kernel<E, Q>) -> Control<'w, E, Q> {
        Control { world: self, kernel }
    }
}

impl Model<Event> for World {
    fn handle<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, event: Event) {
        World::handle(self, k, event);
    }

    #[inline]
    fn actor(&self, event: &Event) -> u32 {
        World::actor(self, event)
    }

    #[inline]
    fn prefetch(&self, event: &Event, ahead: Ahead) {
        World::prefetch(self, event, ahead);
    }
}
