//! What a service sees and does: the context of one call.
//!
//! Services are sans-IO state machines: they read the network (neighbours, link times, peer types)
//! through [`Cx`] and emit [`Effect`]s (send, set a timer, connect, disconnect) into a buffer. The
//! [`World`](crate::World) applies the effects after the call returns. A test can build a `Cx` over
//! a bare [`Network`] and inspect the effects, with no kernel at all.

use p2psim_kernel::{SimDuration, SimTime};
use p2psim_net::{Network, PeerId};

use crate::message::Message;
use crate::peers::PeerTable;
use crate::registry::Messages;

/// Something a service wants done.
#[derive(Clone, Debug, PartialEq)]
pub enum Effect {
    /// Send to a linked neighbour (dropped and counted if not linked).
    Send {
        /// Sender.
        from: PeerId,
        /// Receiver.
        to: PeerId,
        /// The message.
        msg: Message,
    },
    /// Send to any peer, linked or not (P2PSimpy's `Hello`; uniform partner selection).
    SendConnectionless {
        /// Sender.
        from: PeerId,
        /// Receiver.
        to: PeerId,
        /// The message.
        msg: Message,
    },
    /// Call this service's `on_timer(peer, token)` after `after`.
    Timer {
        /// The peer.
        peer: PeerId,
        /// Delay.
        after: SimDuration,
        /// The service's own meaning.
        token: u32,
    },
    /// Call this service's `on_round(token)` after `after` (one event for all its peers).
    Round {
        /// Delay.
        after: SimDuration,
        /// The service's own meaning.
        token: u32,
    },
    /// Link two peers.
    Connect(PeerId, PeerId),
    /// Unlink two peers.
    Disconnect(PeerId, PeerId),
    /// Set when `.0` last heard from its neighbour `.1` (a connection manager's "assume recently
    /// added" for links never heard from).
    MarkSeen(PeerId, PeerId),
}

/// The context of one service call.
pub struct Cx<'a> {
    /// The current time.
    pub now: SimTime,
    /// The network, read-only.
    pub net: &'a Network<Message>,
    /// Peer types and local indices.
    pub peers: &'a PeerTable,
    /// The registry of produced messages (producers add to it).
    pub messages: &'a mut Messages,
    pub(crate) effects: &'a mut Vec<Effect>,
}

impl<'a> Cx<'a> {
    /// A context over the given parts, collecting effects into `effects`.
    pub fn new(
        now: SimTime,
        net: &'a Network<Message>,
        peers: &'a PeerTable,
        messages: &'a mut Messages,
        effects: &'a mut Vec<Effect>,
    ) -> Cx<'a> {
        Cx { now, net, peers, messages, effects }
    }

    /// Sends `msg` from `from` to its neighbour `to`.
    pub fn send(&mut self, from: PeerId, to: PeerId, msg: Message) {
        self.effects.push(Effect::Send { from, to, msg });
    }

    /// Sends without a link.
    pub fn send_connectionless(&mut self, from: PeerId, to: PeerId, msg: Message) {
        self.effects.push(Effect::SendConnectionless { from, to, msg });
    }

    /// Asks for `on_timer(peer, token)` after `after`.
    pub fn timer(&mut self, peer: PeerId, after: SimDuration, token: u32) {
        self.effects.push(Effect::Timer { peer, after, token });
    }

    /// Asks for `on_round(token)` after `after`.
    pub fn round(&mut self, after: SimDuration, token: u32) {
        self.effects.push(Effect::Round { after, token });
    }

    /// Links two peers.
    pub fn connect(&mut self, a: PeerId, b: PeerId) {
        self.effects.push(Effect::Connect(a, b));
    }

    /// Unlinks two peers.
    pub fn disconnect(&mut self, a: PeerId, b: PeerId) {
        self.effects.push(Effect::Disconnect(a, b));
    }

    /// Records that `peer` heard from `q` now.
    pub fn mark_seen(&mut self, peer: PeerId, q: PeerId) {
        self.effects.push(Effect::MarkSeen(peer, q));
    }
}
