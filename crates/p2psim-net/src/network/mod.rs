//! The network: peers with a location, bandwidths and an online state; links; partitions and loss.
//! The path of a message from `send` to delivery is in [`path`](self::path).
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

use p2psim_kernel::{Seed, SimDuration, SimTime, Streams};

use crate::bandwidth::{TransmissionModel, UploadModel};
use crate::links::{LinkMeta, Links, NEVER};
use crate::location::{LatencyMode, LatencyModel, LatencySampler, Locations};
use crate::monitor::Monitors;
use crate::topology::Topology;
use crate::{LocationId, PeerId};

mod path;

use path::Queued;
pub use path::{Admission, Admit, Delivery, DropReason, NetCounters, NetEvent, SendPlan};

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

/// Per-peer flags, one byte in the peer's [`PeerHeader`]: the only per-receiver state the common arrival
/// path reads, beside the location (the full [`PeerDetail`] record is 8 times larger).
mod flag {
    /// Not online (offline or absent; [`PeerDetail::state`](super::PeerDetail) says which).
    pub(super) const NOT_ONLINE: u8 = 1;
    /// The download queue is not empty.
    pub(super) const BUSY: u8 = 2;
    /// Downloads take time (finite download bandwidth).
    pub(super) const FINITE_DOWN: u8 = 4;
    /// Some link of this peer was removed at some point: arrivals must check their link.
    pub(super) const LOST_LINK: u8 = 8;
}

/// What every send and arrival reads of a peer, in one record (one memory access instead of one
/// per array): its flags (`flag::*`, all clear on the common path), its location, and whether
/// its uploads take time.
#[derive(Clone, Copy, Debug)]
struct PeerHeader {
    flags: u8,
    /// Its upload bandwidth in effect is not infinite. When false a send's transmission delay is
    /// zero, as [`TransmissionModel::transmission_delay`] gives for an infinite bandwidth, known
    /// without reading the peer's [`PeerDetail`] record.
    finite_up: bool,
    location: LocationId,
}

/// The receiver's full state on the slower paths.
#[derive(Clone, Copy, Debug)]
struct PeerDetail {
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
    /// Per sender, the stream of its messages' loss and latency draws.
    send_rngs: Streams,
    /// Loss between pairs of locations on top of `config.loss`, row by row (`locations²`
    /// entries, symmetric); `None` while no pair has its own, so the common path reads one field.
    pair_loss: Option<Box<[f64]>>,
    /// When each peer last came back online; empty until one does.
    returned_at: Vec<SimTime>,
    upload: Vec<f64>,
    download: Vec<f64>,
    slowdown: Vec<f64>,
    details: Vec<PeerDetail>,
    headers: Vec<PeerHeader>,
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
            send_rngs: Streams::new(seed, n),
            pair_loss: None,
            returned_at: Vec::new(),
            upload: peers.iter().map(|p| p.upload).collect(),
            download: peers.iter().map(|p| p.download).collect(),
            slowdown: vec![1.0; n],
            details: peers
                .iter()
                .map(|p| PeerDetail {
                    up: p.upload,
                    down: p.download,
                    fifo_head: NIL,
                    fifo_tail: NIL,
                    state: PeerState::Online,
                })
                .collect(),
            headers: peers
                .iter()
                .map(|p| PeerHeader {
                    flags: if p.download.is_finite() { flag::FINITE_DOWN } else { 0 },
                    finite_up: p.upload != f64::INFINITY,
                    location: p.location,
                })
                .collect(),
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
        self.headers.len()
    }

    /// All peer ids.
    pub fn peers(&self) -> impl ExactSizeIterator<Item = PeerId> + use<M> {
        (0..self.headers.len() as u32).map(PeerId)
    }

    /// The location table.
    pub fn locations(&self) -> &Locations {
        self.latency.locations()
    }

    /// The least latency any message between two of its peers can have ([`Locations::lookahead`]).
    pub fn lookahead(&self) -> Result<SimDuration, crate::NoLookahead> {
        let mut peers = vec![0u32; self.locations().len()];
        for h in &self.headers {
            peers[h.location.index()] += 1;
        }
        self.locations().lookahead(self.config.latency, &peers)
    }

    /// Where the peer is.
    pub fn location(&self, p: PeerId) -> LocationId {
        self.headers[p.index()].location
    }

    /// Asks the CPU to bring what a send to `p` reads of it (its flags and location) into the
    /// cache, without waiting: for a caller about to send to many peers, a way to fetch their data
    /// all at once instead of waiting for each in turn.
    #[inline]
    pub fn prefetch(&self, p: PeerId) {
        prefetch_index::prefetch_index(&self.headers, p.index());
    }

    /// Asks the CPU to bring what a message's arrival at `p` reads of it first (flags and
    /// location, where its links are, what it sent so far) into the cache, without waiting: see
    /// [`p2psim_kernel::Model::prefetch`].
    #[inline]
    pub fn prefetch_arrival(&self, p: PeerId) {
        self.prefetch(p);
        self.send_rngs.prefetch(p.index());
        self.links.prefetch(p);
        self.monitors.prefetch_totals(p);
    }

    /// Asks the CPU to bring what a message's arrival at `p` reads of it through what
    /// [`Network::prefetch_arrival`] fetched (call it after that had time): its list of
    /// neighbours, and its full record when its flags or bandwidth call for it.
    #[inline]
    pub fn prefetch_arrival_then(&self, p: PeerId) {
        self.links.prefetch_neighbours(p);
        let tag = self.headers[p.index()];
        if tag.flags != 0 || tag.finite_up {
            prefetch_index::prefetch_index(&self.details, p.index());
        }
    }

    /// The peer's state.
    pub fn state(&self, p: PeerId) -> PeerState {
        self.details[p.index()].state
    }

    /// True if the peer is online.
    #[inline]
    pub fn is_online(&self, p: PeerId) -> bool {
        self.headers[p.index()].flags & flag::NOT_ONLINE == 0
    }

    /// Changes the peer's state. Links are kept: what happens to them is the caller's policy.
    pub fn set_state(&mut self, p: PeerId, state: PeerState) {
        self.details[p.index()].state = state;
        self.set_flag(p, flag::NOT_ONLINE, state != PeerState::Online);
    }

    /// Brings an offline or absent peer online at `now`, remembering when (see
    /// [`Network::online_since`]).
    pub fn bring_online(&mut self, p: PeerId, now: SimTime) {
        self.set_state(p, PeerState::Online);
        if self.returned_at.is_empty() {
            self.returned_at = vec![SimTime::ZERO; self.details.len()];
        }
        self.returned_at[p.index()] = now;
    }

    /// When `p` last came online again after being offline or absent (time 0 if it never was).
    pub fn online_since(&self, p: PeerId) -> SimTime {
        self.returned_at.get(p.index()).copied().unwrap_or(SimTime::ZERO)
    }

    #[inline]
    fn set_flag(&mut self, p: PeerId, f: u8, on: bool) {
        let x = &mut self.headers[p.index()].flags;
        *x = if on { *x | f } else { *x & !f };
    }

    /// Upload and download bandwidth in effect (slowdown applied).
    pub fn bandwidth(&self, p: PeerId) -> (f64, f64) {
        let h = &self.details[p.index()];
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
        self.details[i].up = self.upload[i] * factor;
        self.details[i].down = self.download[i] * factor;
        let finite = self.details[i].down.is_finite();
        self.set_flag(p, flag::FINITE_DOWN, finite);
        self.headers[i].finite_up = self.details[i].up != f64::INFINITY;
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
        n * (std::mem::size_of::<PeerHeader>() + 3 * 8 + std::mem::size_of::<PeerDetail>())
            + self.partitions.iter().map(|(_, g)| g.capacity() * 2).sum::<usize>()
            + self.upload_free_at.capacity() * 8
            + self.queued.capacity() * std::mem::size_of::<Queued<M>>()
            + self.free_slots.capacity() * 4
            + self.links.memory_bytes()
            + self.monitors.memory_bytes()
    }
}
