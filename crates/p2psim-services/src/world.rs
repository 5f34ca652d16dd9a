//! The world: the network, the peers' types and services, and the adapter that binds the sans-IO
//! services to the kernel and the network.
//!
//! A delivered message goes to every service of the receiver's type that handles its kind; a
//! message no service handles is counted (P2PSimpy raises, oddity P2). Effects a service emits are
//! applied right after its call, in order.

use p2psim_kernel::{Dist, EventQueue, Kernel, LazyRng, Model, Param, Resolved, Seed, SimDuration, SimTime, StreamKey};
use p2psim_net::{
    Admission, Admit, DropReason, Locations, NetConfig, NetError, NetEvent, Network, PeerId, PeerSpec, Sent, Topology,
};

use crate::config::{PullGossipConfig, ServiceSpec, ValidationConfig};
use crate::cx::{Cx, Effect};
use crate::message::{Kind, Message, MsgIdx};
use crate::peers::PeerTable;
use crate::registry::Messages;
use crate::services::{
    AntiEntropy, ConnectionManager, Exclusions, Imp, InfectAndDie, P2pConnectionManager, Producer, PullGossip,
    PushGossip, RumorMongering, Shared,
};
use crate::storage::{Record, Storage};

/// Events of the protocol layer. Layers above wrap it (and [`NetEvent`]) in their own enum.
#[derive(Clone, Debug)]
pub enum Event {
    /// A network event.
    Net(NetEvent<Message>),
    /// A service's timer for one peer.
    Timer {
        /// The peer.
        peer: PeerId,
        /// The service (index in the world).
        slot: u16,
        /// The service's own meaning.
        token: u32,
    },
    /// A service's round, for all its peers at once.
    Round {
        /// The service.
        slot: u16,
        /// The service's own meaning.
        token: u32,
    },
}

impl From<NetEvent<Message>> for Event {
    fn from(e: NetEvent<Message>) -> Event {
        Event::Net(e)
    }
}

/// Where the peers of a type are.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum LocationChoice {
    /// All at this location.
    Fixed(String),
    /// Each peer draws one (P2PSimpy's `Dist('sample', locations)`), uniformly or with weights.
    Sample {
        /// The locations.
        values: Vec<String>,
        /// Their weights (default: equal).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weights: Option<Vec<f64>>,
    },
    /// Peer number i of the type is at `values[i % len]`: an exact even spread.
    Cycle(Vec<String>),
}

/// The physical description of a type's peers. Bandwidths are in bytes per second (P2PSimpy's
/// `MBit` is 131,072); a `Dist` is drawn once per peer, as P2PSimpy's `Config.get()` does.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Physical {
    /// Location.
    pub location: LocationChoice,
    /// Upload bandwidth.
    pub upload: Param,
    /// Download bandwidth.
    pub download: Param,
}

/// A peer type: a name, its peers' physical description, and its services, each with a name
/// unique within the type.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerTypeSpec {
    /// The type's name (`peer`, `client`, …).
    pub name: String,
    /// Location and bandwidths of its peers.
    pub physical: Physical,
    /// The services, in order.
    pub services: Vec<(String, ServiceSpec)>,
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

/// Why a world could not be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A peer type is used that was not declared.
    #[error("peer {peer} has type index {index}, but only {types} types are declared")]
    UnknownTypeIndex {
        /// The peer.
        peer: u32,
        /// The bad index.
        index: u16,
        /// Declared types.
        types: usize,
    },
    /// A service names a peer type that does not exist.
    #[error("type `{peer_type}`, service `{service}`: unknown peer type `{name}` in `exclude_types`")]
    UnknownExcludedType {
        /// The type.
        peer_type: String,
        /// The service.
        service: String,
        /// The unknown name.
        name: String,
    },
    /// Two services of one type share a name.
    #[error("type `{peer_type}`: two services are named `{service}`")]
    DuplicateService {
        /// The type.
        peer_type: String,
        /// The name.
        service: String,
    },
    /// A peer type's physical description is wrong.
    #[error("type `{peer_type}`: `{field}` {problem}")]
    BadPhysical {
        /// The type.
        peer_type: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A parameter outside its domain.
    #[error("type `{peer_type}`, service `{service}`: `{field}` {problem}")]
    BadParameter {
        /// The type.
        peer_type: String,
        /// The service.
        service: String,
        /// The field.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// The network refused its part.
    #[error(transparent)]
    Net(#[from] NetError),
    /// Too many services or types.
    #[error("too many services ({0}); at most 65535")]
    TooManyServices(usize),
}

/// A validation as the receiver applies it.
#[derive(Clone, Debug)]
struct Validation {
    delay: Dist,
    reject_tampered: bool,
}

/// P2PSimpy's `pre_task` as the network's admission step: a drawn delay, then accept or reject.
#[derive(Debug)]
struct Validator {
    seed: Seed,
    specs: Vec<Validation>,
    rngs: Vec<LazyRng>,
}

impl Admission<Message> for Validator {
    fn admit(&mut self, _: SimTime, to: PeerId, _: PeerId, msg: &Message) -> Admit {
        let Message::Gossip { validation, tampered, .. } = *msg else { return Admit::Now };
        if validation == 0 {
            return Admit::Now;
        }
        let spec = &self.specs[validation as usize - 1];
        let rng = self.rngs[to.index()].get(self.seed, StreamKey::new("validation").with(to.0.into()));
        let delay = SimDuration::from_millis_abs(spec.delay.draw(rng));
        Admit::After { delay, accept: !(spec.reject_tampered && tampered) }
    }
}

/// Messages and bytes one peer sent, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KindTraffic {
    /// Messages sent, by [`Kind::index`].
    pub msgs: [u32; Kind::COUNT],
    /// Bytes sent, by [`Kind::index`].
    pub bytes: [u64; Kind::COUNT],
}

/// For one message and one service: how far it spread (the quantities of the epidemic analyses).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpreadStats {
    /// Peers running the service.
    pub peers: usize,
    /// Peers that stored the message.
    pub reached: usize,
    /// Fraction of peers never reached.
    pub residue: f64,
    /// Mean first-receipt time minus production time, over reached peers, in ms.
    pub t_ave_ms: f64,
    /// Last first-receipt time minus production time, in ms.
    pub t_last_ms: f64,
}

struct ServiceSlot {
    shared: Shared,
    imp: Imp,
}

/// The protocol layer of a run: network, peers, services.
pub struct World {
    seed: Seed,
    net: Network<Message>,
    peers: PeerTable,
    messages: Messages,
    services: Vec<ServiceSlot>,
    routes: Vec<Vec<u16>>,
    validator: Validator,
    effects: Vec<Effect>,
    traffic: Vec<KindTraffic>,
    unhandled: u64,
    topology: Topology,
    bootstrap: Bootstrap,
    /// Copies of gossip messages to peers that have them, arriving before this time, are accounted
    /// when sent (zero: never; see [`World::account_known_copies`]).
    account_before: SimTime,
    /// Per route (peer type × kind): the service that only counts known copies, if it alone
    /// handles the route.
    copy_counters: Vec<Option<u16>>,
}

fn bad(peer_type: &str, service: &str, field: &'static str, problem: impl Into<String>) -> BuildError {
    BuildError::BadParameter {
        peer_type: peer_type.to_owned(),
        service: service.to_owned(),
        field,
        problem: problem.into(),
    }
}

impl World {
    /// Builds the world: peer `p` has the type `types[peer_type[p]]`; `topology` gives the initial
    /// links. Each peer's location and bandwidths are drawn from its type's [`Physical`], from a
    /// stream of its own.
    pub fn new(
        seed: Seed,
        locations: Locations,
        net_config: NetConfig,
        types: &[PeerTypeSpec],
        peer_type: &[u16],
        topology: Topology,
        bootstrap: Bootstrap,
    ) -> Result<World, BuildError> {
        for (p, &t) in peer_type.iter().enumerate() {
            if t as usize >= types.len() {
                return Err(BuildError::UnknownTypeIndex { peer: p as u32, index: t, types: types.len() });
            }
        }
        let physical = physical_specs(seed, &locations, types, peer_type)?;
        let mut net = Network::new(seed, locations, &physical, net_config)?;
        if bootstrap == Bootstrap::Instant {
            net.connect_topology(&topology, SimTime::ZERO)?;
        }
        let peers = PeerTable::new(types.iter().map(|t| t.name.clone()).collect(), peer_type);
        let mut services = Vec::new();
        let mut routes = vec![Vec::new(); types.len() * Kind::COUNT];
        let mut validations = Vec::new();
        for (t, spec) in types.iter().enumerate() {
            for (i, (name, _)) in spec.services.iter().enumerate() {
                if spec.services[..i].iter().any(|(n, _)| n == name) {
                    return Err(BuildError::DuplicateService { peer_type: spec.name.clone(), service: name.clone() });
                }
            }
            let members = peers.members(t as u16).to_vec();
            for (name, service) in &spec.services {
                let slot = u16::try_from(services.len()).map_err(|_| BuildError::TooManyServices(services.len()))?;
                let built =
                    build_service(seed, &peers, &spec.name, t as u16, name, service, &members, &mut validations)?;
                for kind in built.imp.kinds() {
                    routes[t * Kind::COUNT + kind.index()].push(slot);
                }
                services.push(built);
            }
        }
        let n = peer_type.len();
        Ok(World {
            seed,
            net,
            peers,
            messages: Messages::new(),
            services,
            routes,
            validator: Validator { seed, specs: validations, rngs: (0..n).map(|_| LazyRng::new()).collect() },
            effects: Vec::new(),
            traffic: vec![KindTraffic::default(); n],
            unhandled: 0,
            topology,
            bootstrap,
            account_before: SimTime::ZERO,
            copy_counters: Vec::new(),
        })
    }

    /// Skips the arrival events whose outcome is known when the copy is sent: a copy of a gossip
    /// message to a peer whose only service for gossip relays first copies (so it would just count
    /// this one), arriving before `until`, when the peer has the message already or an earlier
    /// copy is on its way to it. The copy is counted, in the storage, the receiver's monitor and
    /// the network's counters, as it would have been on arrival; results are identical, events
    /// fewer.
    ///
    /// Call it only when nothing can change a peer's state, links or partitions during the run
    /// (no faults); it does nothing, and returns false, when a service manages links or messages
    /// need validation. Copies that arrive at `until` or later, or at a slow receiver, still go as
    /// events. Until `until` is reached, a copy accounted early may show in the counts before its
    /// arrival time.
    pub fn account_known_copies(&mut self, until: SimTime) -> bool {
        // Links that change, or validation that keeps a receiver busy, would make a copy's
        // outcome unknown until it arrives.
        if self.services.iter().any(|s| s.imp.manages_links()) || !self.validator.specs.is_empty() {
            return false;
        }
        self.copy_counters = self
            .routes
            .iter()
            .enumerate()
            .map(|(route, slots)| match slots[..] {
                [slot]
                    if route % Kind::COUNT == Kind::Gossip.index()
                        && self.services[slot as usize].imp.counts_known_copies_only() =>
                {
                    Some(slot)
                }
                _ => None,
            })
            .collect();
        self.account_before = until;
        true
    }

    /// If `msg` may be a known copy for `to` (see [`World::account_known_copies`]): the service
    /// that would count it.
    #[inline]
    fn copy_counter(&self, to: PeerId, msg: &Message) -> Option<(u16, MsgIdx)> {
        if self.account_before == SimTime::ZERO {
            return None;
        }
        let Message::Gossip { idx, validation: 0, .. } = *msg else { return None };
        let route = self.peers.type_of(to) as usize * Kind::COUNT + Kind::Gossip.index();
        Some((self.copy_counters[route]?, idx))
    }

    /// Asks the CPU to bring what handling `event` will read into the cache (see
    /// [`p2psim_kernel::Model::prefetch`]): for a gossip arrival, the receiver's network record,
    /// traffic counters, storage cells and generators.
    #[inline]
    pub fn prefetch(&self, event: &Event) {
        if let Event::Net(NetEvent::Arrive { to, msg, .. }) = event {
            self.net.prefetch_arrival(*to);
            if let Some(t) = self.traffic.get(to.index()) {
                prefetch_index::prefetch_index(t.msgs.as_slice(), Kind::Gossip.index());
                prefetch_index::prefetch_index(t.bytes.as_slice(), Kind::Gossip.index());
            }
            if let Message::Gossip { idx, .. } = *msg {
                let route = self.peers.type_of(*to) as usize * Kind::COUNT + Kind::Gossip.index();
                let local = self.peers.local(*to);
                for &slot in &self.routes[route] {
                    self.services[slot as usize].shared.prefetch(local, idx);
                }
            }
        }
    }

    /// Starts every service (runners start at time 0, as in P2PSimpy) and, with
    /// [`Bootstrap::Hello`], sends the `Hello`s. Call once, before running.
    pub fn start<E, Q>(&mut self, k: &mut Kernel<E, Q>)
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        for slot in 0..self.services.len() {
            self.call(k, slot as u16, |imp, cx, sh| imp.start(cx, sh));
        }
        if self.bootstrap == Bootstrap::Hello {
            for p in self.net.peers() {
                let nbrs: Vec<PeerId> = self
                    .topology
                    .edges()
                    .iter()
                    .filter_map(|&(a, b)| {
                        if a == p {
                            Some(b)
                        } else if b == p {
                            Some(a)
                        } else {
                            None
                        }
                    })
                    .collect();
                for q in nbrs {
                    self.send(k, p, q, Message::Hello, true);
                }
            }
        }
    }

    /// Sends a message on behalf of the layers above (a returning peer's `Hello`s), counted in the
    /// sender's traffic like any other. Returns true if it left the sender.
    pub fn send<E, Q>(
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
        let kind = msg.kind();
        let size = p2psim_net::Payload::size(&msg);
        tracing::trace!(t = %k.now(), from = from.0, to = to.0, kind = kind.name(), size, "send");
        let counter = if connectionless { None } else { self.copy_counter(to, &msg) };
        let result = if connectionless {
            self.net.send_connectionless(k, from, to, msg)
        } else if let Some((slot, idx)) = counter {
            // The receiving push service would only count a copy that finds the message stored:
            // the storage tells, and counts it, from the copies stored or on their way.
            let local = self.peers.local(to);
            let storage = &mut self.services[slot as usize].shared.storage;
            self.net
                .send_or_account(k, from, to, msg, self.account_before, |arrival| {
                    storage.count_known_copy(local, idx, arrival)
                })
                .map(Sent::time)
        } else {
            self.net.send(k, from, to, msg)
        };
        match result {
            Ok(_) | Err(DropReason::Lost) => {
                let t = &mut self.traffic[from.index()];
                t.msgs[kind.index()] += 1;
                t.bytes[kind.index()] += u64::from(size);
                true
            }
            Err(reason) => {
                tracing::debug!(t = %k.now(), from = from.0, to = to.0, kind = kind.name(), reason = reason.name(), "not sent");
                false
            }
        }
    }

    /// Runs one call of service `slot` with a fresh context, then applies the effects it emitted.
    fn call<E, Q>(&mut self, k: &mut Kernel<E, Q>, slot: u16, f: impl FnOnce(&mut Imp, &mut Cx<'_>, &mut Shared))
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        let s = &mut self.services[slot as usize];
        let mut cx = Cx::new(k.now(), &self.net, &self.peers, &mut self.messages, &mut self.effects);
        f(&mut s.imp, &mut cx, &mut s.shared);
        self.apply(k, slot);
    }

    /// Applies the effects a service emitted.
    fn apply<E, Q>(&mut self, k: &mut Kernel<E, Q>, slot: u16)
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        let mut effects = std::mem::take(&mut self.effects);
        if self.account_before != SimTime::ZERO {
            // The copies about to be sent will each look up the receiver's cell, most likely far
            // from the cache in a big run: fetch them all at once first.
            for e in &effects {
                if let Effect::Send { to, msg, .. } = e
                    && let Some((slot, idx)) = self.copy_counter(*to, msg)
                {
                    self.services[slot as usize].shared.storage.prefetch(self.peers.local(*to), idx);
                    self.net.prefetch(*to);
                }
            }
        }
        for e in effects.drain(..) {
            match e {
                Effect::Send { from, to, msg } => {
                    let kind = msg.kind();
                    if self.send(k, from, to, msg, false) {
                        self.services[slot as usize].shared.sent[kind.index()] += 1;
                    }
                }
                Effect::SendConnectionless { from, to, msg } => {
                    let kind = msg.kind();
                    if self.send(k, from, to, msg, true) {
                        self.services[slot as usize].shared.sent[kind.index()] += 1;
                    }
                }
                Effect::Timer { peer, after, token } => k.schedule_in(after, Event::Timer { peer, slot, token }.into()),
                Effect::Round { after, token } => k.schedule_in(after, Event::Round { slot, token }.into()),
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
                Effect::MarkSeen(p, q) => self.net.set_last_seen(p, q, k.now()),
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
            Event::Timer { peer, slot, token } => {
                // Timers run whatever the peer's state, so a peer that joins later or comes back
                // finds its services still ticking; each service decides what an absent or offline
                // peer does (nothing, in every service here).
                self.call(k, slot, |imp, cx, sh| imp.on_timer(cx, sh, peer, token));
            }
            Event::Round { slot, .. } => {
                self.call(k, slot, |imp, cx, sh| imp.on_round(cx, sh));
            }
        }
    }

    fn deliver<E, Q>(&mut self, k: &mut Kernel<E, Q>, to: PeerId, from: PeerId, msg: Message)
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        let kind = msg.kind();
        tracing::trace!(t = %k.now(), to = to.0, from = from.0, kind = kind.name(), "receive");
        let route = self.peers.type_of(to) as usize * Kind::COUNT + kind.index();
        let n = self.routes[route].len();
        if n == 0 {
            self.unhandled += 1;
            tracing::error!(t = %k.now(), to = to.0, kind = kind.name(), "no handler for the message");
            return;
        }
        for i in 0..n {
            let slot = self.routes[route][i];
            self.call(k, slot, |imp, cx, sh| imp.on_message(cx, sh, to, from, &msg));
        }
    }

    /// Produces a new message at `peer` now (as the experiment's source, not through a producer
    /// service) and hands it to each of the peer's services: stored everywhere; a push service sends
    /// it on with `ttl`, a rumor monger becomes hot, infect-and-die forwards it.
    pub fn inject<E, Q>(&mut self, k: &mut Kernel<E, Q>, peer: PeerId, ttl: u8) -> MsgIdx
    where
        E: From<Event> + From<NetEvent<Message>>,
        Q: EventQueue<E>,
    {
        let size = crate::message::gossip_size(20) as u16;
        let (idx, _) = self.messages.produce(peer, k.now(), size, 0);
        let t = self.peers.type_of(peer);
        for slot in 0..self.services.len() {
            if self.services[slot].shared.type_id != t {
                continue;
            }
            self.call(k, slot as u16, |imp, cx, sh| imp.on_inject(cx, sh, peer, idx, ttl));
        }
        idx
    }

    /// The network.
    pub fn net(&self) -> &Network<Message> {
        &self.net
    }

    /// The network, for layers above (faults).
    pub fn net_mut(&mut self) -> &mut Network<Message> {
        &mut self.net
    }

    /// Peer types.
    pub fn peers(&self) -> &PeerTable {
        &self.peers
    }

    /// The produced messages.
    pub fn messages(&self) -> &Messages {
        &self.messages
    }

    /// The master seed.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// The initial topology.
    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    /// Number of service instances.
    pub fn service_count(&self) -> usize {
        self.services.len()
    }

    /// The slot of the service named `name` on type `peer_type`.
    pub fn service(&self, peer_type: &str, name: &str) -> Option<u16> {
        let t = self.peers.type_id(peer_type)?;
        self.services.iter().position(|s| s.shared.type_id == t && s.shared.name == name).map(|i| i as u16)
    }

    /// The name of a service.
    pub fn service_name(&self, slot: u16) -> &str {
        &self.services[slot as usize].shared.name
    }

    /// The peers a service runs on.
    pub fn service_members(&self, slot: u16) -> &[PeerId] {
        &self.services[slot as usize].shared.members
    }

    /// A service's storage.
    pub fn storage(&self, slot: u16) -> &Storage {
        &self.services[slot as usize].shared.storage
    }

    /// What `peer` knows of `m` in service `slot`.
    pub fn record(&self, slot: u16, peer: PeerId, m: MsgIdx) -> Option<Record> {
        let s = &self.services[slot as usize].shared;
        if s.type_id != self.peers.type_of(peer) {
            return None;
        }
        s.storage.get(self.peers.local(peer), m)
    }

    /// Messages a service sent, by kind.
    pub fn service_sent(&self, slot: u16) -> &[u64; Kind::COUNT] {
        &self.services[slot as usize].shared.sent
    }

    /// Messages and bytes `p` sent, by kind.
    pub fn traffic(&self, p: PeerId) -> &KindTraffic {
        &self.traffic[p.index()]
    }

    /// Delivered messages that no service of the receiver handles.
    pub fn unhandled(&self) -> u64 {
        self.unhandled
    }

    /// Peers still spreading a rumor, for a rumor-mongering service (None for other services).
    pub fn hot_peers(&self, slot: u16) -> Option<usize> {
        match &self.services[slot as usize].imp {
            Imp::Rumor(r) => Some(r.hot_peers()),
            _ => None,
        }
    }

    /// How far message `m` spread in service `slot`.
    pub fn spread(&self, slot: u16, m: MsgIdx) -> SpreadStats {
        let s = &self.services[slot as usize].shared;
        let produced = self.messages.produced_at(m);
        let (mut reached, mut sum, mut last) = (0usize, 0.0, 0.0f64);
        for local in 0..s.members.len() as u32 {
            if let Some(r) = s.storage.get(local, m) {
                reached += 1;
                let d = (r.first_seen - produced).as_millis_f64();
                sum += d;
                last = last.max(d);
            }
        }
        let peers = s.members.len();
        SpreadStats {
            peers,
            reached,
            residue: if peers == 0 { 0.0 } else { (peers - reached) as f64 / peers as f64 },
            t_ave_ms: if reached == 0 { f64::NAN } else { sum / reached as f64 },
            t_last_ms: last,
        }
    }
}

impl Model<Event> for World {
    fn handle<Q: EventQueue<Event>>(&mut self, k: &mut Kernel<Event, Q>, event: Event) {
        World::handle(self, k, event);
    }
}

/// Draws every peer's location and bandwidths from its type's description.
fn physical_specs(
    seed: Seed,
    locations: &Locations,
    types: &[PeerTypeSpec],
    peer_type: &[u16],
) -> Result<Vec<PeerSpec>, BuildError> {
    let phys_err = |t: &PeerTypeSpec, field: &'static str, problem: String| BuildError::BadPhysical {
        peer_type: t.name.clone(),
        field,
        problem,
    };
    let mut choices = Vec::new();
    for t in types {
        let names: &[String] = match &t.physical.location {
            LocationChoice::Fixed(n) => std::slice::from_ref(n),
            LocationChoice::Sample { values, .. } | LocationChoice::Cycle(values) => values,
        };
        if names.is_empty() {
            return Err(phys_err(t, "location", "lists no location".into()));
        }
        let mut ids = Vec::new();
        for n in names {
            ids.push(locations.id(n).ok_or_else(|| {
                phys_err(
                    t,
                    "location",
                    format!("names `{n}`, which is not a location ({})", locations.names().join(", ")),
                )
            })?);
        }
        let weights = match &t.physical.location {
            LocationChoice::Sample { weights: Some(w), .. } => {
                let values: Vec<f64> = (0..ids.len()).map(|i| i as f64).collect();
                Some(Dist::sample(values, Some(w.clone())).map_err(|e| phys_err(t, "location", e.to_string()))?)
            }
            _ => None,
        };
        choices.push((ids, weights));
    }
    let mut position = vec![0usize; types.len()];
    let mut out = Vec::with_capacity(peer_type.len());
    for (p, &ti) in peer_type.iter().enumerate() {
        let t = &types[ti as usize];
        let mut rng = seed.stream(StreamKey::new("physical").with(p as u64));
        let (ids, weights) = &choices[ti as usize];
        let location = match (&t.physical.location, weights) {
            (LocationChoice::Cycle(_), _) => ids[position[ti as usize] % ids.len()],
            (_, Some(w)) => ids[w.draw(&mut rng) as usize],
            _ => ids[rand::RngExt::random_range(&mut rng, 0..ids.len())],
        };
        position[ti as usize] += 1;
        // A drawn bandwidth that is not positive is drawn again (a normal's tail reaches below zero
        // about once in 3 million peers for N(50 MBit, 10 MBit)); P2PSimpy would crash on it.
        let mut bandwidth = |field: &'static str, param: &Param| -> Result<f64, BuildError> {
            let mut last = 0.0;
            for _ in 0..100 {
                last = param.resolve(&mut rng).get(&mut rng);
                if last > 0.0 {
                    return Ok(last);
                }
            }
            Err(phys_err(t, field, format!("drew {last} for peer {p}; bandwidths must be > 0 bytes/s")))
        };
        let upload = bandwidth("upload", &t.physical.upload)?;
        let download = bandwidth("download", &t.physical.download)?;
        out.push(PeerSpec { location, upload, download });
    }
    Ok(out)
}

fn exclusions(
    peers: &PeerTable,
    peer_type: &str,
    service: &str,
    ids: &[u32],
    names: &[String],
) -> Result<Exclusions, BuildError> {
    let mut types = Vec::new();
    for n in names.iter().map(String::as_str).chain(["bootstrap"]) {
        match peers.type_id(n) {
            Some(t) => types.push(t),
            None if n == "bootstrap" => {}
            None => {
                return Err(BuildError::UnknownExcludedType {
                    peer_type: peer_type.to_owned(),
                    service: service.to_owned(),
                    name: n.to_owned(),
                });
            }
        }
    }
    Ok(Exclusions { peers: ids.iter().map(|&p| PeerId(p)).collect(), types })
}

/// Draws a per-peer parameter for every member from its own stream.
fn resolve_all(
    seed: Seed,
    type_name: &str,
    service: &str,
    field: &str,
    p: &Param,
    members: &[PeerId],
) -> Vec<Resolved> {
    members
        .iter()
        .map(|&m| {
            let key =
                StreamKey::new("param").with_label(type_name).with_label(service).with_label(field).with(m.0.into());
            p.resolve(&mut seed.stream(key))
        })
        .collect()
}

/// A positive, finite number (NaN is not).
fn positive_ms(x: f64) -> bool {
    x > 0.0 && x.is_finite()
}

fn check_pull(t: &str, name: &str, c: &PullGossipConfig) -> Result<(), BuildError> {
    if !positive_ms(c.round_time) {
        return Err(bad(t, name, "round_time", format!("must be a positive number of ms, got {}", c.round_time)));
    }
    Ok(())
}

#[allow(clippy::too_many_arguments, reason = "internal builder step")]
fn build_service(
    seed: Seed,
    peers: &PeerTable,
    type_name: &str,
    type_id: u16,
    name: &str,
    spec: &ServiceSpec,
    members: &[PeerId],
    validations: &mut Vec<Validation>,
) -> Result<ServiceSlot, BuildError> {
    let n = members.len();
    let (storage, imp) = match spec {
        ServiceSpec::ConnectionManager(c) => {
            if !positive_ms(c.ping_interval) {
                return Err(bad(type_name, name, "ping_interval", "must be > 0 ms"));
            }
            (Storage::new(0, false, false), Imp::Cm(ConnectionManager::new(c)))
        }
        ServiceSpec::P2pConnectionManager(c) => {
            if !positive_ms(c.ping_interval) {
                return Err(bad(type_name, name, "ping_interval", "must be > 0 ms"));
            }
            let bootstrap = peers.type_id("bootstrap").map(|t| peers.members(t).to_vec()).unwrap_or_default();
            (Storage::new(0, false, false), Imp::P2pCm(P2pConnectionManager::new(c, n, bootstrap)))
        }
        ServiceSpec::Producer(c) => {
            if !positive_ms(c.msg_rate) {
                return Err(bad(type_name, name, "msg_rate", format!("must be a positive rate, got {}", c.msg_rate)));
            }
            let validation = match &c.validation {
                None => 0,
                Some(ValidationConfig { delay, reject_tampered }) => {
                    validations.push(Validation { delay: delay.clone(), reject_tampered: *reject_tampered });
                    u8::try_from(validations.len())
                        .map_err(|_| bad(type_name, name, "validation", "at most 255 validations in a run"))?
                }
            };
            let ex = exclusions(peers, type_name, name, &[], &c.exclude_types)?;
            let init = resolve_all(seed, type_name, name, "init_timeout", &c.init_timeout, members);
            (Storage::new(n, true, true), Imp::Producer(Producer::new(c, init, ex, validation)))
        }
        ServiceSpec::PushGossip(c) | ServiceSpec::MaliciousGossip(c) => {
            let ex = exclusions(peers, type_name, name, &c.exclude_peers, &c.exclude_types)?;
            let malicious = matches!(spec, ServiceSpec::MaliciousGossip(_));
            (Storage::new(n, false, false), Imp::Push(PushGossip::new(c, ex, malicious)))
        }
        ServiceSpec::PullGossip(c) | ServiceSpec::RangedPullGossip(c) => {
            check_pull(type_name, name, c)?;
            let ranged = matches!(spec, ServiceSpec::RangedPullGossip(_));
            let ex = exclusions(peers, type_name, name, &c.exclude_peers, &c.exclude_types)?;
            let init = resolve_all(seed, type_name, name, "init_timeout", &c.init_timeout, members);
            (Storage::new(n, true, ranged), Imp::Pull(PullGossip::new(c, ranged, init, ex)))
        }
        ServiceSpec::PushPullGossip { push, pull } => {
            check_pull(type_name, name, pull)?;
            let push_ex = exclusions(peers, type_name, name, &push.exclude_peers, &push.exclude_types)?;
            let pull_ex = exclusions(peers, type_name, name, &pull.exclude_peers, &pull.exclude_types)?;
            let init = resolve_all(seed, type_name, name, "init_timeout", &pull.init_timeout, members);
            (
                Storage::new(n, true, false),
                Imp::PushPull(PushGossip::new(push, push_ex, false), PullGossip::new(pull, false, init, pull_ex)),
            )
        }
        ServiceSpec::AntiEntropy(c) => {
            if !positive_ms(c.round_time) {
                return Err(bad(type_name, name, "round_time", "must be > 0 ms"));
            }
            (Storage::new(n, true, false), Imp::AntiEntropy(AntiEntropy::new(c)))
        }
        ServiceSpec::RumorMongering(c) => {
            if c.k == 0 {
                return Err(bad(type_name, name, "k", "must be at least 1"));
            }
            if !positive_ms(c.round_time) {
                return Err(bad(type_name, name, "round_time", "must be > 0 ms"));
            }
            (Storage::new(n, false, false), Imp::Rumor(RumorMongering::new(c, n)))
        }
        ServiceSpec::InfectAndDie(c) => (Storage::new(n, false, false), Imp::InfectAndDie(InfectAndDie::new(c))),
    };
    Ok(ServiceSlot { shared: Shared::new(name.to_owned(), type_name, type_id, members.to_vec(), storage, seed), imp })
}
