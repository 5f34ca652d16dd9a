//! What a protocol sees and does in one call: the [`Context`].
//!
//! A context belongs to one peer and one service. It reads the time, the peer's neighbours and
//! links, the peer's own random stream and storage, and the registry of produced messages; it
//! takes the protocol's effects (send, set or cancel a timer, connect, disconnect) into a buffer
//! that the world applies when the call returns. It cannot reach other peers' state, the kernel,
//! or the network's switches.

use std::marker::PhantomData;

use p2psim_kernel::{PeerRng, SimDuration, SimTime, TimerId, Timers};
use p2psim_net::{Network, PeerId, PeerState};
use rand::RngExt;
use smallvec::SmallVec;

use crate::instance::ServiceState;
use crate::kinds::Wire;
use crate::message::{Message, MsgId, MsgIdx};
use crate::peers::PeerTable;
use crate::registry::Messages;
use crate::select::{Exclusions, sample};
use crate::storage::{Range, Record};

/// Peers chosen as targets (inline up to 8, so that choosing allocates nothing).
pub type Targets = SmallVec<[PeerId; 8]>;

/// Something a protocol wants done, applied by the world after the call, in order.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send a message: over the link to a neighbour (dropped and counted if there is none), or
    /// `connectionless`, to any peer (P2PSimpy's `Hello`; partners picked uniformly).
    Send {
        /// Sender.
        from: PeerId,
        /// Receiver.
        to: PeerId,
        /// The message.
        msg: Message,
        /// Without a link.
        connectionless: bool,
    },
    /// Call the service's `on_timer(tag)` for `peer` after `after`, unless cancelled.
    Timer {
        /// The peer.
        peer: PeerId,
        /// Delay.
        after: SimDuration,
        /// The timer.
        id: TimerId,
        /// The protocol's own meaning.
        tag: u32,
    },
    /// Link two peers.
    Connect(PeerId, PeerId),
    /// Unlink two peers.
    Disconnect(PeerId, PeerId),
    /// Set when `.0` last heard from its neighbour `.1` (a connection manager's "assume recently
    /// added" for links never heard from).
    MarkHeard(PeerId, PeerId),
}

/// The parts of the world a call reads and writes, besides the service's own.
pub(crate) struct Env<'a> {
    pub(crate) now: SimTime,
    pub(crate) net: &'a Network<Message>,
    pub(crate) peers: &'a PeerTable,
    pub(crate) messages: &'a mut Messages,
    pub(crate) effects: &'a mut Vec<Effect>,
    pub(crate) timers: &'a mut Timers,
    pub(crate) scratch: &'a mut Vec<PeerId>,
}

/// What a protocol sees and does in one call, for one peer.
pub struct Context<'a, M> {
    env: Env<'a>,
    common: &'a mut ServiceState,
    peer: PeerId,
    local: u32,
    _message: PhantomData<fn(M) -> M>,
}

impl<'a, M: Wire> Context<'a, M> {
    pub(crate) fn new(env: Env<'a>, common: &'a mut ServiceState, peer: PeerId, local: u32) -> Context<'a, M> {
        Context { env, common, peer, local, _message: PhantomData }
    }

    // --- time and place -------------------------------------------------------------------

    /// The current time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.env.now
    }

    /// The peer this call is for.
    #[inline]
    pub fn peer(&self) -> PeerId {
        self.peer
    }

    /// The peer's position among the peers of its service (0, 1, …), for protocols that keep
    /// something per peer outside their state.
    pub fn local(&self) -> u32 {
        self.local
    }

    /// True if the peer is online. An offline peer's sends are dropped; most protocols skip their
    /// work while offline.
    #[inline]
    pub fn is_online(&self) -> bool {
        self.env.net.is_online(self.peer)
    }

    /// Whether the peer is online, offline, or not in the network (not joined yet, or left).
    pub fn state(&self) -> PeerState {
        self.env.net.state(self.peer)
    }

    /// The peer's neighbours, in the order the links were made.
    #[inline]
    pub fn neighbours(&self) -> &[PeerId] {
        self.env.net.neighbours(self.peer)
    }

    /// The peer's number of links.
    pub fn degree(&self) -> usize {
        self.env.net.degree(self.peer)
    }

    /// True if the peer is linked to `q`.
    pub fn is_neighbour(&self, q: PeerId) -> bool {
        self.env.net.is_connected(self.peer, q)
    }

    /// The type of peer `q`, as a number (see [`Context::type_name`]).
    pub fn type_of(&self, q: PeerId) -> u16 {
        self.env.peers.type_of(q)
    }

    /// The name of peer `q`'s type.
    pub fn type_name(&self, q: PeerId) -> &str {
        self.env.peers.type_name(self.env.peers.type_of(q))
    }

    /// How many peers the network has (ids `0..peer_count()`).
    pub fn peer_count(&self) -> usize {
        self.env.net.peer_count()
    }

    /// The peers this service runs on, in id order (this peer among them).
    pub fn members(&self) -> &[PeerId] {
        &self.common.members
    }

    /// When the peer last received a message from its neighbour `q` (`None`: never, or not linked).
    pub fn last_heard(&self, q: PeerId) -> Option<SimTime> {
        self.env.net.last_seen(self.peer, q)
    }

    /// When the peer last came online again after an outage or before joining (time 0 if it has
    /// been online from the start): silence from before it is the peer's own doing.
    pub fn online_since(&self) -> SimTime {
        self.env.net.online_since(self.peer)
    }

    /// When the peer's link to `q` was made.
    pub fn connected_since(&self, q: PeerId) -> Option<SimTime> {
        self.env.net.connected_since(self.peer, q)
    }

    /// Upload and download bandwidth of peer `q` in effect now, bytes per second.
    pub fn bandwidth(&self, q: PeerId) -> (f64, f64) {
        self.env.net.bandwidth(q)
    }

    /// Length of P2PSimpy's repr of a peer, `Peer_<id>:<type>` (for sizes of peer lists).
    pub fn peer_repr_len(&self, q: PeerId) -> u32 {
        self.env.peers.repr_len(q)
    }

    /// The peer's own random stream for this service.
    #[inline]
    pub fn rng(&mut self) -> &mut PeerRng {
        self.common.rng(self.local, self.peer)
    }

    // --- storage --------------------------------------------------------------------------

    /// Stores a copy of `msg` that made `hops` hops from its producer (0 at the source). The
    /// first copy's time and hops are kept; every copy is counted. Returns true for the first.
    /// This is what the delay, copies, hops and convergence tables read.
    #[inline]
    pub fn store(&mut self, msg: MsgIdx, hops: u8) -> bool {
        self.store_version(msg, hops, false)
    }

    /// Like [`Context::store`], for a copy whose data may have been altered on its way (the
    /// first copy's version is kept).
    #[inline]
    pub fn store_version(&mut self, msg: MsgIdx, hops: u8, tampered: bool) -> bool {
        self.common.storage.add(self.local, msg, self.env.now, hops, tampered)
    }

    /// True if the peer stored `msg`.
    #[inline]
    pub fn has(&self, msg: MsgIdx) -> bool {
        self.common.storage.has(self.local, msg)
    }

    /// Asks the CPU to bring the peer's cell of each of `ids` into the cache: a protocol about to
    /// read or store many messages at one peer (pull's requests and responses) overlaps their
    /// waits on memory instead of waiting for each in turn.
    #[inline]
    pub(crate) fn prefetch_cells(&self, ids: impl Iterator<Item = MsgId>) {
        for id in ids {
            if let Some(m) = self.env.messages.lookup(id) {
                self.common.storage.prefetch(self.local, m);
            }
        }
    }

    /// What the peer knows of `msg`.
    pub fn record(&self, msg: MsgIdx) -> Option<Record> {
        self.common.storage.get(self.local, msg)
    }

    /// The messages the peer stored, in the order it stored them (with
    /// [`StorageNeeds::known`](crate::StorageNeeds)).
    pub fn known(&self) -> &[MsgIdx] {
        self.common.storage.known(self.local)
    }

    /// Ranged storage ([`StorageNeeds::ranged`](crate::StorageNeeds)): the peer's counters for
    /// `producer`.
    pub fn range(&self, producer: PeerId) -> Option<&Range> {
        self.common.storage.range(self.local, producer.0)
    }

    /// Ranged storage: all the peer's counters, sorted by producer.
    pub fn ranges(&self) -> impl ExactSizeIterator<Item = (PeerId, &Range)> {
        self.common.storage.ranges(self.local).iter().map(|(p, r)| (PeerId(*p), r))
    }

    /// Ranged storage: marks every counter of `producer` above the peer's last, up to `last`, as a
    /// hole (P2PSimpy's `pre_add`).
    pub fn mark_holes(&mut self, producer: PeerId, last: u32) {
        self.common.storage.pre_add(self.local, producer.0, last);
    }

    /// Ranged storage: records that `id` is stored (raises the last counter, fills its hole).
    pub fn note_stored(&mut self, id: MsgId) {
        self.common.storage.ranged_add(self.local, id.producer.0, id.seq);
    }

    // --- the messages of the run ----------------------------------------------------------

    /// Produces a new message at this peer, now, `size` bytes on the wire: registers it (its id
    /// is this peer and the peer's next counter) and returns it. Store it and send it yourself.
    pub fn produce(&mut self, size: u32) -> MsgIdx {
        self.produce_with(size, 0)
    }

    pub(crate) fn produce_with(&mut self, size: u32, validation: u8) -> MsgIdx {
        let size = u16::try_from(size).unwrap_or(u16::MAX);
        self.env.messages.produce(self.peer, self.env.now, size, validation).0
    }

    /// The registry of the messages produced in the run (ids, production times, sizes).
    pub fn messages(&self) -> &Messages {
        self.env.messages
    }

    // --- choosing partners ----------------------------------------------------------------

    /// Up to `k` of the peer's neighbours, a uniform sample from its stream, leaving out `except`
    /// and whom `exclusions` forbids.
    pub fn choose_neighbours(&mut self, k: usize, except: Option<PeerId>, exclusions: &Exclusions) -> Targets {
        let mut scratch = std::mem::take(self.env.scratch);
        scratch.clear();
        let peers = self.env.peers;
        for &q in self.env.net.neighbours(self.peer) {
            if Some(q) != except && exclusions.allows(q, || peers.type_of(q)) {
                scratch.push(q);
            }
        }
        let chosen = Targets::from_slice(sample(self.common.rng(self.local, self.peer), &mut scratch, k));
        *self.env.scratch = scratch;
        chosen
    }

    /// Up to `k` distinct peers of this service other than this one and `except`, each uniform
    /// among them, linked or not (the complete-graph model of the analyses).
    pub fn choose_members(&mut self, k: usize, except: Option<PeerId>) -> Targets {
        let mut chosen = Targets::new();
        let m = self.common.members.len();
        let want = k.min(m.saturating_sub(1));
        // By rejection: k is small against the members.
        let mut guard = 0;
        while chosen.len() < want && guard < 64 * (want + 1) {
            guard += 1;
            let i = self.common.rng(self.local, self.peer).random_range(0..m);
            let q = self.common.members[i];
            if q != self.peer && Some(q) != except && !chosen.contains(&q) {
                chosen.push(q);
            }
        }
        chosen
    }

    // --- effects --------------------------------------------------------------------------

    /// Sends `msg` to the neighbour `to` (dropped and counted if they are not linked when it
    /// leaves, or no longer when it arrives).
    #[inline]
    pub fn send(&mut self, to: PeerId, msg: M) {
        let msg = msg.wrap(self.common.kind_base);
        self.env.effects.push(Effect::Send { from: self.peer, to, msg, connectionless: false });
    }

    /// Sends `msg` to any peer, linked or not (P2PSimpy's `Hello` "like UDP"; partners picked
    /// uniformly among all peers).
    pub fn send_connectionless(&mut self, to: PeerId, msg: M) {
        let msg = msg.wrap(self.common.kind_base);
        self.env.effects.push(Effect::Send { from: self.peer, to, msg, connectionless: true });
    }

    /// Asks for `on_timer(tag)` after `after`; the id cancels it.
    pub fn set_timer(&mut self, after: SimDuration, tag: u32) -> TimerId {
        let id = self.env.timers.insert();
        self.env.effects.push(Effect::Timer { peer: self.peer, after, id, tag });
        id
    }

    /// Cancels a timer; false if it had fired or been cancelled already.
    pub fn cancel_timer(&mut self, id: TimerId) -> bool {
        self.env.timers.cancel(id)
    }

    /// Links the peer to `q`, both ways, at once.
    pub fn connect(&mut self, q: PeerId) {
        self.env.effects.push(Effect::Connect(self.peer, q));
    }

    /// Unlinks the peer from `q`, both ways, at once.
    pub fn disconnect(&mut self, q: PeerId) {
        self.env.effects.push(Effect::Disconnect(self.peer, q));
    }

    /// Records that the peer heard from its neighbour `q` now.
    pub fn mark_heard(&mut self, q: PeerId) {
        self.env.effects.push(Effect::MarkHeard(self.peer, q));
    }
}
