//! The network: peers with a location, bandwidths and an online state; links; the path of a message
//! from `send` to delivery.
//!
//! The path of one message, P2PSimpy's model (docs/p2psimpy.md says where p2psim departs from it):
//! 1. [`Network::send`]: dropped if the sender is not online or not connected to the receiver
//!    (P2PSimpy raises; here it is counted); counted as sent traffic; possibly lost; then it travels
//!    for the upload transmission delay (`size / upload`, uploads in parallel by default) plus the
//!    latency, and a [`NetEvent::Arrive`] is scheduled.
//! 2. On arrival the receiver must still be connected to the sender (unless the send was
//!    connectionless, like P2PSimpy's `Hello`), else the message is dropped. It joins the receiver's
//!    download queue: one FIFO server per peer.
//! 3. The head of the queue takes `size / download` (bandwidth read when its download starts), then
//!    an optional admission step (P2PSimpy's `pre_task`: a validation delay, then accept or reject)
//!    during which the queue stays busy.
//! 4. If accepted and the receiver is online, the message is counted in the receiver's monitor, the
//!    link's last-seen time is updated, and [`Network::handle`] returns it as a [`Delivery`].

use p2psim_kernel::{EventQueue, Kernel, Seed, SimDuration, SimRng, SimTime, StreamKey};
use rand::RngExt;

use crate::bandwidth::{TransmissionModel, UploadModel};
use crate::links::{LinkMeta, Links, NEVER};
use crate::location::{LatencyMode, LatencyModel, LatencySampler, Locations};
use crate::monitor::Monitors;
use crate::topology::Topology;
use crate::{LocationId, PeerId};

/// A message the network can carry: all it needs to know is its size, and for counting what each
/// peer sent, an opaque kind number and how many updates it carries.
pub trait Payload {
    /// Size in bytes, for transmission delays and traffic monitors.
    fn size(&self) -> u32;
    /// The kind of message, as a dense number chosen by the layer above (see
    /// [`Network::count_sent_by_kind`]).
    fn kind(&self) -> usize {
        0
    }
    /// How many copies of an update (a produced message) this message carries: 1 for a pushed
    /// gossip message, the number of copies in a pull response, 0 for control messages. Demers'
    /// traffic m is the updates sent per peer.
    fn updates(&self) -> u32 {
        0
    }
}

/// Whether a peer takes part in the network right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PeerState {
    /// Sends and receives.
    Online,
    /// Down for a while: sends nothing; messages still arrive and are downloaded, then dropped.
    Offline,
    /// Not in the network (not joined yet, or left for good): everything to it is dropped on arrival.
    Absent,
}

/// The physical description of one peer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PeerSpec {
    /// Where the peer is.
    pub location: LocationId,
    /// Upload bandwidth (bytes per second unless the compatibility unit is chosen).
    pub upload: f64,
    /// Download bandwidth.
    pub download: f64,
}

/// Options of the network model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NetConfig {
    /// How latencies are drawn and applied.
    pub latency: LatencyModel,
    /// Bandwidth unit and upload sharing.
    pub transmission: TransmissionModel,
    /// Record per-peer, per-second traffic (default true).
    pub monitors: bool,
    /// Keep connected-since and last-seen times per link, for connection managers (default true).
    pub link_times: bool,
    /// Probability that any message is lost in transit (default 0).
    pub loss: f64,
}

impl Default for NetConfig {
    fn default() -> Self {
        NetConfig {
            latency: LatencyModel::default(),
            transmission: TransmissionModel::default(),
            monitors: true,
            link_times: true,
            loss: 0.0,
        }
    }
}

/// Events of the network model; the model above wraps them in its own event type.
///
/// A message in flight travels inside its `Arrive` event, so the common path (an idle receiver with
/// no download delay) never touches a side table: keep `M` small (an id, or a handle into the
/// layer above's own storage).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NetEvent<M> {
    /// The message reaches its receiver's download queue.
    Arrive {
        /// The sender.
        from: PeerId,
        /// The receiver.
        to: PeerId,
        /// Sent without a link (no link check on arrival).
        connectionless: bool,
        /// The message.
        msg: M,
    },
    /// The head of the peer's download queue finished downloading.
    Downloaded(PeerId),
    /// The head of the peer's download queue finished its admission delay.
    Admitted(PeerId),
}

/// Why a message did not reach its receiver's services.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum DropReason {
    /// The sender was not online.
    SenderOffline,
    /// The sender was not connected to the receiver.
    NotConnected,
    /// Lost in transit (the loss probability).
    Lost,
    /// Sender and receiver are in different partitions.
    Partitioned,
    /// The receiver had dropped the link by the time the message arrived.
    LinkGoneOnArrival,
    /// The receiver is not in the network.
    ReceiverAbsent,
    /// The receiver was offline when the message was processed.
    ReceiverOffline,
    /// The admission step rejected it.
    Rejected,
}

impl DropReason {
    /// Every reason, in a fixed order (for reports).
    pub const ALL: [DropReason; 8] = [
        DropReason::SenderOffline,
        DropReason::NotConnected,
        DropReason::Lost,
        DropReason::Partitioned,
        DropReason::LinkGoneOnArrival,
        DropReason::ReceiverAbsent,
        DropReason::ReceiverOffline,
        DropReason::Rejected,
    ];

    /// A short snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::SenderOffline => "sender_offline",
            DropReason::NotConnected => "not_connected",
            DropReason::Lost => "lost",
            DropReason::Partitioned => "partitioned",
            DropReason::LinkGoneOnArrival => "link_gone_on_arrival",
            DropReason::ReceiverAbsent => "receiver_absent",
            DropReason::ReceiverOffline => "receiver_offline",
            DropReason::Rejected => "rejected",
        }
    }
}

/// Message counts of the whole network.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetCounters {
    /// Messages that left their sender (lost ones included; per peer and kind:
    /// [`Monitors::sent_by_kind`]).
    pub sent: u64,
    /// Messages handed to the receiver's services.
    pub delivered: u64,
    /// Of the delivered, those whose arrival was accounted when they were sent, without an event
    /// (see [`Network::account`]).
    pub accounted: u64,
    dropped: [u64; 8],
}

/// A message that has left its sender, before it is either scheduled as an arrival event
/// ([`Network::schedule`]) or accounted as delivered at once ([`Network::account`]).
///
/// Making the plan counts the sent traffic and draws the loss and the latency, so both ways of
/// finishing it see the same draws: a run that accounts some arrivals at send makes exactly the
/// draws of one that schedules them all.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use = "a plan is finished by Network::schedule or Network::account"]
pub struct SendPlan {
    from: PeerId,
    to: PeerId,
    arrival: SimTime,
    size: u32,
    connectionless: bool,
    plain: bool,
}

impl SendPlan {
    /// When the message will reach the receiver.
    pub fn arrival(&self) -> SimTime {
        self.arrival
    }

    /// True if the receiver's handling of this arrival depends on nothing but the layer above,
    /// as things stand when the message is sent: the receiver is online, idle, downloads without
    /// delay, no partition is in force and no link times are kept. Only such a plan may be
    /// accounted.
    pub fn receiver_is_plain(&self) -> bool {
        self.plain
    }
}

impl NetCounters {
    /// Messages dropped for `reason`.
    pub fn dropped(&self, reason: DropReason) -> u64 {
        self.dropped[reason as usize]
    }
    /// Messages dropped for any reason.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.iter().sum()
    }
}

/// What happens to a downloaded message before it is accepted (P2PSimpy's `pre_task`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Admit {
    /// Accept at once.
    Now,
    /// Keep the download queue busy for `delay`, then accept or reject.
    After {
        /// The validation time.
        delay: SimDuration,
        /// The verdict.
        accept: bool,
    },
}

/// The admission policy, supplied by the layer above at each [`Network::handle`] call.
pub trait Admission<M> {
    /// Decides for a message that `to` finished downloading from `from`.
    fn admit(&mut self, now: SimTime, to: PeerId, from: PeerId, msg: &M) -> Admit;
}

/// Accepts everything at once.
impl<M> Admission<M> for () {
    fn admit(&mut self, _: SimTime, _: PeerId, _: PeerId, _: &M) -> Admit {
        Admit::Now
    }
}

/// A message handed to the receiver.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery<M> {
    /// The receiver.
    pub to: PeerId,
    /// The sender.
    pub from: PeerId,
    /// The message.
    pub msg: M,
}

/// Why a network could not be built or changed.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum NetError {
    /// A peer names a location outside the table.
    #[error("peer {peer}: location index {location} is not in the location table")]
    UnknownLocation {
        /// The peer.
        peer: PeerId,
        /// The bad index.
        location: u16,
    },
    /// A bandwidth that is not a positive number.
    #[error("peer {peer}: {which} bandwidth must be > 0 (or infinite), got {value}")]
    BadBandwidth {
        /// The peer.
        peer: PeerId,
        /// "upload" or "download".
        which: &'static str,
        /// The value given.
        value: f64,
    },
    /// A slowdown factor outside `[0, 1]`.
    #[error("peer {peer}: slowdown factor must be in [0, 1], got {value}")]
    BadSlowdown {
        /// The peer.
        peer: PeerId,
        /// The value given.
        value: f64,
    },
    /// A probability outside `[0, 1]`.
    #[error("loss probability must be in [0, 1], got {0}")]
    BadProbability(f64),
    /// A topology for a different number of peers.
    #[error("the topology has {topology} peers but the network has {network}")]
    TopologySize {
        /// Peers in the topology.
        topology: usize,
        /// Peers in the network.
        network: usize,
    },
    /// More than 2^32 − 1 peers.
    #[error("too many peers ({0})")]
    TooManyPeers(usize),
}

const NIL: u32 = u32::MAX;

/// A message waiting in, or at the head of, a download queue.
#[derive(Debug)]
struct Queued<M> {
    from: PeerId,
    size: u32,
    /// Next in the receiver's download queue.
    next: u32,
    accept: bool,
    msg: Option<M>,
}

/// Per-peer flags, one byte each: the only per-receiver state the common arrival path reads, so that
/// at a million peers it stays in cache (the full [`Hot`] record is 32 times larger).
mod flag {
    /// Not online (offline or absent; [`Hot::state`](super::Hot) says which).
    pub(super) const NOT_ONLINE: u8 = 1;
    /// The download queue is not empty.
    pub(super) const BUSY: u8 = 2;
    /// Downloads take time (finite download bandwidth).
    pub(super) const FINITE_DOWN: u8 = 4;
    /// Some link of this peer was removed at some point: arrivals must check their link.
    pub(super) const LOST_LINK: u8 = 8;
}

/// The receiver's full state on the slower paths.
#[derive(Clone, Copy, Debug)]
struct Hot {
    /// Upload and download bandwidth in effect (slowdown applied).
    up: f64,
    down: f64,
    fifo_head: u32,
    fifo_tail: u32,
    state: PeerState,
}

/// The network model of one run.
#[derive(Debug)]
pub struct Network<M> {
    config: NetConfig,
    latency: LatencySampler,
    loss_rng: SimRng,
    /// Loss between pairs of locations on top of `config.loss`, row by row (`locations²`
    /// entries, symmetric); `None` while no pair has its own, so the common path reads one field.
    pair_loss: Option<Box<[f64]>>,
    /// When each peer last came back online; empty until one does.
    returned_at: Vec<SimTime>,
    location: Vec<LocationId>,
    upload: Vec<f64>,
    download: Vec<f64>,
    slowdown: Vec<f64>,
    hot: Vec<Hot>,
    flags: Vec<u8>,
    /// The partitions in force, each with its owner: messages between peers in different groups of
    /// any of them are dropped.
    partitions: Vec<(u32, Vec<u16>)>,
    upload_free_at: Vec<SimTime>,
    queued: Vec<Queued<M>>,
    free_slots: Vec<u32>,
    in_flight: usize,
    links: Links,
    monitors: Monitors,
    counters: NetCounters,
}

fn check_bandwidth(peer: PeerId, which: &'static str, value: f64) -> Result<f64, NetError> {
    if value > 0.0 { Ok(value) } else { Err(NetError::BadBandwidth { peer, which, value }) }
}

impl<M: Payload> Network<M> {
    /// A network of `peers` (peer `i` is `PeerId(i)`), all online and unconnected.
    pub fn new(seed: Seed, locations: Locations, peers: &[PeerSpec], config: NetConfig) -> Result<Self, NetError> {
        if u32::try_from(peers.len()).is_err() || peers.len() == u32::MAX as usize {
            return Err(NetError::TooManyPeers(peers.len()));
        }
        if !(0.0..=1.0).contains(&config.loss) {
            return Err(NetError::BadProbability(config.loss));
        }
        for (i, p) in peers.iter().enumerate() {
            let peer = PeerId(i as u32);
            if p.location.index() >= locations.len() {
                return Err(NetError::UnknownLocation { peer, location: p.location.0 });
            }
            check_bandwidth(peer, "upload", p.upload)?;
            check_bandwidth(peer, "download", p.download)?;
        }
        let n = peers.len();
        let fixed = config.latency.mode == LatencyMode::FixedPerLink;
        Ok(Network {
            latency: LatencySampler::new(locations, config.latency, seed),
            loss_rng: seed.stream(StreamKey::new("loss")),
            pair_loss: None,
            returned_at: Vec::new(),
            location: peers.iter().map(|p| p.location).collect(),
            upload: peers.iter().map(|p| p.upload).collect(),
            download: peers.iter().map(|p| p.download).collect(),
            slowdown: vec![1.0; n],
            hot: peers
                .iter()
                .map(|p| Hot {
                    up: p.upload,
                    down: p.download,
                    fifo_head: NIL,
                    fifo_tail: NIL,
                    state: PeerState::Online,
                })
                .collect(),
            flags: peers.iter().map(|p| if p.download.is_finite() { flag::FINITE_DOWN } else { 0 }).collect(),
            partitions: Vec::new(),
            upload_free_at: match config.transmission.uploads {
                UploadModel::Serialised => vec![SimTime::ZERO; n],
                UploadModel::Parallel => Vec::new(),
            },
            queued: Vec::new(),
            free_slots: Vec::new(),
            in_flight: 0,
            links: Links::new(n, config.link_times, fixed),
            monitors: Monitors::new(n, config.monitors),
            counters: NetCounters::default(),
            config,
        })
    }

    /// The options the network was built with.
    pub fn config(&self) -> &NetConfig {
        &self.config
    }

    /// Number of peers.
    pub fn peer_count(&self) -> usize {
        self.location.len()
    }

    /// All peer ids.
    pub fn peers(&self) -> impl ExactSizeIterator<Item = PeerId> + use<M> {
        (0..self.location.len() as u32).map(PeerId)
    }

    /// The location table.
    pub fn locations(&self) -> &Locations {
        self.latency.locations()
    }

    /// Where the peer is.
    pub fn location(&self, p: PeerId) -> LocationId {
        self.location[p.index()]
    }

    /// Asks the CPU to bring what a send to `p` reads of it (its flags and location) into the
    /// cache, without waiting: for a caller about to send to many peers, a way to fetch their data
    /// all at once instead of waiting for each in turn.
    #[inline]
    pub fn prefetch(&self, p: PeerId) {
        prefetch_index::prefetch_index(&self.flags, p.index());
        prefetch_index::prefetch_index(&self.location, p.index());
    }

    /// Asks the CPU to bring what a message's arrival at `p` reads of it (flags, state and
    /// bandwidth, location, where its links are, what it sent so far) into the cache, without
    /// waiting: see [`p2psim_kernel::Model::prefetch`].
    #[inline]
    pub fn prefetch_arrival(&self, p: PeerId) {
        self.prefetch(p);
        prefetch_index::prefetch_index(&self.hot, p.index());
        self.links.prefetch(p);
        self.monitors.prefetch_totals(p);
    }

    /// The peer's state.
    pub fn state(&self, p: PeerId) -> PeerState {
        self.hot[p.index()].state
    }

    /// True if the peer is online.
    #[inline]
    pub fn is_online(&self, p: PeerId) -> bool {
        self.flags[p.index()] & flag::NOT_ONLINE == 0
    }

    /// Changes the peer's state. Links are kept: what happens to them is the caller's policy.
    pub fn set_state(&mut self, p: PeerId, state: PeerState) {
        self.hot[p.index()].state = state;
        self.set_flag(p, flag::NOT_ONLINE, state != PeerState::Online);
    }

    /// Brings an offline or absent peer online at `now`, remembering when (see
    /// [`Network::online_since`]).
    pub fn bring_online(&mut self, p: PeerId, now: SimTime) {
        self.set_state(p, PeerState::Online);
        if self.returned_at.is_empty() {
            self.returned_at = vec![SimTime::ZERO; self.hot.len()];
        }
        self.returned_at[p.index()] = now;
    }

    /// When `p` last came online again after being offline or absent (time 0 if it never was).
    pub fn online_since(&self, p: PeerId) -> SimTime {
        self.returned_at.get(p.index()).copied().unwrap_or(SimTime::ZERO)
    }

    #[inline]
    fn set_flag(&mut self, p: PeerId, f: u8, on: bool) {
        let x = &mut self.flags[p.index()];
        *x = if on { *x | f } else { *x & !f };
    }

    /// Upload and download bandwidth in effect (slowdown applied).
    pub fn bandwidth(&self, p: PeerId) -> (f64, f64) {
        let h = &self.hot[p.index()];
        (h.up, h.down)
    }

    /// The configured bandwidths, without slowdown.
    pub fn nominal_bandwidth(&self, p: PeerId) -> (f64, f64) {
        (self.upload[p.index()], self.download[p.index()])
    }

    /// The slowdown factor in effect (1 = full speed).
    pub fn slowdown(&self, p: PeerId) -> f64 {
        self.slowdown[p.index()]
    }

    /// Throttles both bandwidths of `p` to `factor` times their configured value. Setting 1 restores
    /// them exactly (the configured value is never overwritten). A transfer already under way keeps
    /// the speed it started with, as in P2PSimpy.
    pub fn set_slowdown(&mut self, p: PeerId, factor: f64) -> Result<(), NetError> {
        if !(0.0..=1.0).contains(&factor) {
            return Err(NetError::BadSlowdown { peer: p, value: factor });
        }
        let i = p.index();
        self.slowdown[i] = factor;
        self.hot[i].up = self.upload[i] * factor;
        self.hot[i].down = self.download[i] * factor;
        let finite = self.hot[i].down.is_finite();
        self.set_flag(p, flag::FINITE_DOWN, finite);
        Ok(())
    }

    /// Changes the loss probability for messages sent from now on.
    pub fn set_loss(&mut self, p: f64) -> Result<(), NetError> {
        if !(0.0..=1.0).contains(&p) {
            return Err(NetError::BadProbability(p));
        }
        self.config.loss = p;
        Ok(())
    }

    /// Sets the probability that a message sent from now on between locations `a` and `b` (either
    /// way) is lost, on top of the network-wide loss: a message survives both apart.
    pub fn set_loss_between(&mut self, a: LocationId, b: LocationId, p: f64) -> Result<(), NetError> {
        if !(0.0..=1.0).contains(&p) {
            return Err(NetError::BadProbability(p));
        }
        let l = self.latency.locations().len();
        if a.index() >= l || b.index() >= l {
            return Err(NetError::UnknownLocation { peer: PeerId(u32::MAX), location: a.0.max(b.0) });
        }
        let m = self.pair_loss.get_or_insert_with(|| vec![0.0; l * l].into_boxed_slice());
        m[a.index() * l + b.index()] = p;
        m[b.index() * l + a.index()] = p;
        Ok(())
    }

    /// The probability that a message sent now from a peer at `a` to one at `b` is lost.
    pub fn loss_between(&self, a: LocationId, b: LocationId) -> f64 {
        match &self.pair_loss {
            None => self.config.loss,
            Some(m) => {
                let l = self.latency.locations().len();
                1.0 - (1.0 - self.config.loss) * (1.0 - m[a.index() * l + b.index()])
            }
        }
    }

    /// Splits the network: from now on (and for messages in flight) messages between peers of
    /// different groups are dropped, until [`Network::heal`] is called with the same `owner`.
    /// `groups[p]` is the group of peer `p`. Partitions stack: a message is dropped if any
    /// partition in force separates its ends, and healing one leaves the others in force.
    pub fn partition(&mut self, owner: u32, groups: Vec<u16>) {
        assert_eq!(groups.len(), self.peer_count(), "one group per peer");
        self.partitions.retain(|(o, _)| *o != owner);
        self.partitions.push((owner, groups));
    }

    /// Ends the partition put in force by `owner`, if any.
    pub fn heal(&mut self, owner: u32) {
        self.partitions.retain(|(o, _)| *o != owner);
    }

    #[inline]
    fn partitioned(&self, a: PeerId, b: PeerId) -> bool {
        self.partitions.iter().any(|(_, g)| g[a.index()] != g[b.index()])
    }

    /// The peer's neighbours, in the order the links were made.
    #[inline]
    pub fn neighbours(&self, p: PeerId) -> &[PeerId] {
        self.links.neighbours(p)
    }

    /// The peer's number of links.
    pub fn degree(&self, p: PeerId) -> usize {
        self.links.degree(p)
    }

    /// Number of links in the network.
    pub fn link_count(&self) -> usize {
        self.links.link_count()
    }

    /// True if `p` and `q` are linked.
    #[inline]
    pub fn is_connected(&self, p: PeerId, q: PeerId) -> bool {
        self.links.find(p, q).is_some()
    }

    /// Links `p` and `q` both ways. False if they already were, or `p == q`.
    pub fn connect(&mut self, p: PeerId, q: PeerId, now: SimTime) -> bool {
        let latency = if self.config.latency.mode == LatencyMode::FixedPerLink {
            self.latency.per_link(p.0, q.0, self.location(p), self.location(q))
        } else {
            SimDuration::ZERO
        };
        self.links.connect(p, q, now, latency)
    }

    /// Removes the link between `p` and `q`, both ways. False if there was none.
    pub fn disconnect(&mut self, p: PeerId, q: PeerId) -> bool {
        let removed = self.links.disconnect(p, q);
        if removed {
            self.set_flag(p, flag::LOST_LINK, true);
            self.set_flag(q, flag::LOST_LINK, true);
        }
        removed
    }

    /// Makes every link of `topology`, laid out as a flat adjacency.
    pub fn connect_topology(&mut self, topology: &Topology, now: SimTime) -> Result<(), NetError> {
        if topology.peer_count() != self.peer_count() {
            return Err(NetError::TopologySize { topology: topology.peer_count(), network: self.peer_count() });
        }
        if self.links.link_count() == 0 {
            self.links.reserve_degrees(&topology.degrees());
        }
        for &(a, b) in topology.edges() {
            self.connect(a, b, now);
        }
        Ok(())
    }

    /// When `p` last received a message from its neighbour `q`; `None` if never or not linked.
    pub fn last_seen(&self, p: PeerId, q: PeerId) -> Option<SimTime> {
        let idx = self.links.find(p, q)?;
        self.links.meta(idx).map(|m| m.last_seen).filter(|&t| t != NEVER)
    }

    /// Sets when `p` last heard from its neighbour `q` (a connection manager's "assume recently
    /// added"). Does nothing if they are not linked.
    pub fn set_last_seen(&mut self, p: PeerId, q: PeerId, t: SimTime) {
        if let Some(idx) = self.links.find(p, q)
            && let Some(m) = self.links.meta_mut(idx)
        {
            m.last_seen = t;
        }
    }

    /// When the link between `p` and `q` was made.
    pub fn connected_since(&self, p: PeerId, q: PeerId) -> Option<SimTime> {
        let idx = self.links.find(p, q)?;
        self.links.meta(idx).map(|m: &LinkMeta| m.since)
    }

    /// Counts what each peer sends of the kinds `counted` lists (kinds are [`Payload::kind`]
    /// numbers), and the updates it sends (see [`Monitors::sent_by_kind`]). Call before anything
    /// is sent; without it only the network-wide count is kept.
    pub fn count_sent_by_kind(&mut self, counted: &[usize]) {
        self.monitors.count_sent_by_kind(counted);
    }

    /// The traffic monitors.
    pub fn monitors(&self) -> &Monitors {
        &self.monitors
    }

    /// The network-wide message counts.
    pub fn counters(&self) -> &NetCounters {
        &self.counters
    }

    /// Messages in flight or queued for download.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// The live graph: links between two online peers.
    pub fn live_links(&self) -> Vec<(PeerId, PeerId)> {
        let mut out = Vec::new();
        for p in self.peers() {
            if !self.is_online(p) {
                continue;
            }
            for &q in self.neighbours(p) {
                if p < q && self.is_online(q) {
                    out.push((p, q));
                }
            }
        }
        out
    }

    /// Bytes held by the network's tables (not counting the event queue).
    pub fn memory_bytes(&self) -> usize {
        let n = self.peer_count();
        n * (std::mem::size_of::<LocationId>() + 3 * 8 + std::mem::size_of::<Hot>())
            + self.partitions.iter().map(|(_, g)| g.capacity() * 2).sum::<usize>()
            + self.upload_free_at.capacity() * 8
            + self.queued.capacity() * std::mem::size_of::<Queued<M>>()
            + self.free_slots.capacity() * 4
            + self.links.memory_bytes()
            + self.monitors.memory_bytes()
    }

    #[inline]
    fn drop_msg(&mut self, reason: DropReason) {
        self.counters.dropped[reason as usize] += 1;
    }

    /// Sends `msg` from `from` to its neighbour `to`. Returns the arrival time, or why it was dropped.
    #[inline]
    pub fn send<E: From<NetEvent<M>>, Q: EventQueue<E>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        from: PeerId,
        to: PeerId,
        msg: M,
    ) -> Result<SimTime, DropReason> {
        let plan = self.plan(k.now(), from, to, &msg, false)?;
        Ok(self.schedule(k, plan, msg))
    }

    /// Sends `msg` to any peer, linked or not, like P2PSimpy's `Hello` ("like UDP"); also how
    /// protocols that pick partners uniformly among all peers reach them.
    pub fn send_connectionless<E: From<NetEvent<M>>, Q: EventQueue<E>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        from: PeerId,
        to: PeerId,
        msg: M,
    ) -> Result<SimTime, DropReason> {
        let plan = self.plan(k.now(), from, to, &msg, true)?;
        Ok(self.schedule(k, plan, msg))
    }

    /// The first half of a send: drops and counts `msg` if its sender is not online or (unless
    /// `connectionless`) not linked to `to`; otherwise counts it as sent, draws whether it is lost
    /// and when it arrives, and returns the plan (or [`DropReason::Lost`]). Finish the plan with
    /// [`Network::schedule`] or [`Network::account`].
    #[inline]
    pub fn plan(
        &mut self,
        now: SimTime,
        from: PeerId,
        to: PeerId,
        msg: &M,
        connectionless: bool,
    ) -> Result<SendPlan, DropReason> {
        if !self.is_online(from) {
            self.drop_msg(DropReason::SenderOffline);
            return Err(DropReason::SenderOffline);
        }
        let link = self.links.find(from, to);
        if link.is_none() && !connectionless {
            self.drop_msg(DropReason::NotConnected);
            return Err(DropReason::NotConnected);
        }
        let size = msg.size();
        self.monitors.sent(from, now, size, msg.kind(), msg.updates());
        self.counters.sent += 1;
        let loss = match self.pair_loss {
            None => self.config.loss,
            Some(_) => self.loss_between(self.location(from), self.location(to)),
        };
        if loss > 0.0 && self.loss_rng.random_bool(loss) {
            self.drop_msg(DropReason::Lost);
            return Err(DropReason::Lost);
        }
        let (up, _) = self.bandwidth(from);
        let tx = self.config.transmission.transmission_delay(size, up);
        let departure = match self.config.transmission.uploads {
            UploadModel::Parallel => now + tx,
            UploadModel::Serialised => {
                let free = &mut self.upload_free_at[from.index()];
                *free = (*free).max(now) + tx;
                *free
            }
        };
        let latency = match self.config.latency.mode {
            LatencyMode::PerMessage => self.latency.per_message(self.location(from), self.location(to)),
            LatencyMode::FixedPerLink => match link.and_then(|i| self.links.fixed_latency(i)) {
                Some(l) => l,
                None => self.latency.per_link(from.0, to.0, self.location(from), self.location(to)),
            },
        };
        let plain = self.flags[to.index()] == 0 && self.partitions.is_empty() && !self.config.link_times;
        Ok(SendPlan { from, to, arrival: departure + latency, size, connectionless, plain })
    }

    /// The second half of a send: the message travels, and arrives as an event at the planned time.
    #[inline]
    pub fn schedule<E: From<NetEvent<M>>, Q: EventQueue<E>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        plan: SendPlan,
        msg: M,
    ) -> SimTime {
        self.in_flight += 1;
        let SendPlan { from, to, connectionless, arrival, .. } = plan;
        k.schedule_in(arrival - k.now(), NetEvent::Arrive { from, to, connectionless, msg }.into());
        arrival
    }

    /// The other second half of a send, for a caller that knows already what the arrival will do
    /// in the layer above: counts the message as delivered now (the receiver's monitor at the
    /// arrival time), with no event. What `arrive` and `accept` would do at the arrival for a
    /// plain receiver.
    ///
    /// The plan must be [`SendPlan::receiver_is_plain`], and the caller vouches that nothing will
    /// change the receiver, its links or the partitions before the arrival.
    #[inline]
    pub fn account(&mut self, plan: SendPlan) {
        debug_assert!(plan.plain, "only an arrival at a plain receiver can be accounted at send");
        self.monitors.received(plan.to, plan.arrival, plan.size);
        self.counters.delivered += 1;
        self.counters.accounted += 1;
    }

    /// Advances the message path for one network event; returns the message if it reaches the
    /// receiver's services now.
    #[inline]
    pub fn handle<E: From<NetEvent<M>>, Q: EventQueue<E>, A: Admission<M>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        event: NetEvent<M>,
        admission: &mut A,
    ) -> Option<Delivery<M>> {
        match event {
            NetEvent::Arrive { from, to, connectionless, msg } => {
                self.arrive(k, from, to, connectionless, msg, admission)
            }
            NetEvent::Downloaded(p) => self.downloaded(k, p, admission),
            NetEvent::Admitted(p) => {
                let accept = self.queued[self.hot[p.index()].fifo_head as usize].accept;
                self.complete(k, p, accept)
            }
        }
    }

    fn enqueue(&mut self, to: PeerId, item: Queued<M>) -> u32 {
        let slot = match self.free_slots.pop() {
            Some(s) => {
                self.queued[s as usize] = item;
                s
            }
            None => {
                self.queued.push(item);
                u32::try_from(self.queued.len() - 1).expect("more than 2^32 queued messages")
            }
        };
        self.flags[to.index()] |= flag::BUSY;
        let h = &mut self.hot[to.index()];
        if h.fifo_head == NIL {
            h.fifo_head = slot;
        } else {
            let tail = h.fifo_tail;
            self.queued[tail as usize].next = slot;
        }
        self.hot[to.index()].fifo_tail = slot;
        slot
    }

    #[inline]
    fn arrive<E: From<NetEvent<M>>, Q: EventQueue<E>, A: Admission<M>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        from: PeerId,
        to: PeerId,
        connectionless: bool,
        msg: M,
        admission: &mut A,
    ) -> Option<Delivery<M>> {
        let flags = self.flags[to.index()];
        if flags != 0 || !self.partitions.is_empty() {
            let state = self.hot[to.index()].state;
            let reason = if state == PeerState::Absent {
                Some(DropReason::ReceiverAbsent)
            } else if self.partitioned(from, to) {
                Some(DropReason::Partitioned)
            } else if !connectionless && flags & flag::LOST_LINK != 0 && self.links.find(to, from).is_none() {
                // The link existed when the message was sent; it can only be gone if the receiver lost one.
                Some(DropReason::LinkGoneOnArrival)
            } else {
                None
            };
            if let Some(reason) = reason {
                self.in_flight -= 1;
                self.drop_msg(reason);
                return None;
            }
            if flags & (flag::BUSY | flag::FINITE_DOWN) != 0 {
                let size = msg.size();
                let busy = flags & flag::BUSY != 0;
                self.enqueue(to, Queued { from, size, next: NIL, accept: true, msg: Some(msg) });
                if !busy {
                    let tx = self.config.transmission.transmission_delay(size, self.hot[to.index()].down);
                    k.schedule_in(tx, NetEvent::Downloaded(to).into());
                }
                return None;
            }
        }
        let size = msg.size();
        // Idle receiver, nothing to download: admit at once, without queueing.
        match admission.admit(k.now(), to, from, &msg) {
            Admit::Now => {
                self.in_flight -= 1;
                self.accept(k.now(), to, from, size, msg)
            }
            Admit::After { delay, accept } => {
                self.enqueue(to, Queued { from, size, next: NIL, accept, msg: Some(msg) });
                k.schedule_in(delay, NetEvent::Admitted(to).into());
                None
            }
        }
    }

    fn downloaded<E: From<NetEvent<M>>, Q: EventQueue<E>, A: Admission<M>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        p: PeerId,
        admission: &mut A,
    ) -> Option<Delivery<M>> {
        let slot = self.hot[p.index()].fifo_head;
        let q = &self.queued[slot as usize];
        let msg = q.msg.as_ref().expect("queued message is present");
        match admission.admit(k.now(), p, q.from, msg) {
            Admit::Now => self.complete(k, p, true),
            Admit::After { delay, accept } => {
                self.queued[slot as usize].accept = accept;
                k.schedule_in(delay, NetEvent::Admitted(p).into());
                None
            }
        }
    }

    /// Takes the head of `p`'s download queue, starts the next download, and delivers the head.
    fn complete<E: From<NetEvent<M>>, Q: EventQueue<E>>(
        &mut self,
        k: &mut Kernel<E, Q>,
        p: PeerId,
        accept: bool,
    ) -> Option<Delivery<M>> {
        let pi = p.index();
        let slot = self.hot[pi].fifo_head;
        let q = &mut self.queued[slot as usize];
        let (from, size, next) = (q.from, q.size, q.next);
        let msg = q.msg.take().expect("queued message is present");
        self.free_slots.push(slot);
        self.in_flight -= 1;
        self.hot[pi].fifo_head = next;
        if next == NIL {
            self.hot[pi].fifo_tail = NIL;
            self.flags[pi] &= !flag::BUSY;
        } else {
            // The next download starts now, at the bandwidth in effect now.
            let tx = self.config.transmission.transmission_delay(self.queued[next as usize].size, self.hot[pi].down);
            k.schedule_in(tx, NetEvent::Downloaded(p).into());
        }
        if !accept {
            self.drop_msg(DropReason::Rejected);
            return None;
        }
        self.accept(k.now(), p, from, size, msg)
    }

    /// The last step: an online receiver counts the message and hands it up.
    #[inline]
    fn accept(&mut self, now: SimTime, p: PeerId, from: PeerId, size: u32, msg: M) -> Option<Delivery<M>> {
        if !self.is_online(p) {
            self.drop_msg(DropReason::ReceiverOffline);
            return None;
        }
        self.monitors.received(p, now, size);
        if self.config.link_times {
            self.set_last_seen(p, from, now);
        }
        self.counters.delivered += 1;
        Some(Delivery { to: p, from, msg })
    }
}
