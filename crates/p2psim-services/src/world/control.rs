//! The world's control interface: what the layers above (faults, churn, partitions) may do to a
//! running world. Protocols never see it; the fault layer sees nothing else that changes a run.

use p2psim_kernel::{EventQueue, Kernel, SimTime};
use p2psim_net::{LocationId, NetError, NetEvent, PeerId, PeerState};

use super::{Event, World};
use crate::message::Message;

/// A handle on a running world for one event's worth of changes (see [`World::control`]).
pub struct Control<'w, E, Q> {
    pub(super) world: &'w mut World,
    pub(super) kernel: &'w mut Kernel<E, Q>,
}

impl<E, Q> Control<'_, E, Q>
where
    E: From<Event> + From<NetEvent<Message>>,
    Q: EventQueue<E>,
{
    /// The current time.
    pub fn now(&self) -> SimTime {
        self.kernel.now()
    }

    /// Takes an online peer offline: it sends nothing, and what reaches it is dropped after its
    /// download. Its links stay. False if it was not online.
    pub fn take_offline(&mut self, p: PeerId) -> bool {
        let online = self.world.net.state(p) == PeerState::Online;
        if online {
            self.world.net.set_state(p, PeerState::Offline);
        }
        online
    }

    /// Brings an offline peer back online. What it last heard from each neighbour stays as it
    /// was (so its connection manager pings those it has not heard from lately, as P2PSimpy's
    /// does); the connection manager judges silence from the return at the earliest
    /// ([`Context::online_since`](crate::Context::online_since)), so that it does not drop links
    /// for the silence its own outage caused. False if it was not offline.
    pub fn bring_online(&mut self, p: PeerId) -> bool {
        if self.world.net.state(p) != PeerState::Offline {
            return false;
        }
        let now = self.kernel.now();
        self.world.net.bring_online(p, now);
        true
    }

    /// Takes a peer out of the network (not joined yet, or left for good): everything to it is
    /// dropped.
    pub fn make_absent(&mut self, p: PeerId) {
        self.world.net.set_state(p, PeerState::Absent);
    }

    /// Puts an absent peer into the network, online.
    pub fn join(&mut self, p: PeerId) {
        let now = self.kernel.now();
        self.world.net.bring_online(p, now);
    }

    /// Removes every link of `p`.
    pub fn unlink_all(&mut self, p: PeerId) {
        for q in self.world.net.neighbours(p).to_vec() {
            self.world.net.disconnect(p, q);
        }
    }

    /// Throttles both bandwidths of `p` to `factor` times their configured value (1 restores
    /// them exactly).
    pub fn set_slowdown(&mut self, p: PeerId, factor: f64) -> Result<(), NetError> {
        self.world.net.set_slowdown(p, factor)
    }

    /// Sets the probability that a message sent from now on is lost.
    pub fn set_loss(&mut self, probability: f64) -> Result<(), NetError> {
        self.world.net.set_loss(probability)
    }

    /// Sets the loss between two locations, on top of the network-wide loss (see
    /// [`Network::set_loss_between`](p2psim_net::Network::set_loss_between)).
    pub fn set_loss_between(&mut self, a: LocationId, b: LocationId, probability: f64) -> Result<(), NetError> {
        self.world.net.set_loss_between(a, b, probability)
    }

    /// Puts a partition in force (see [`Network::partition`](p2psim_net::Network::partition)).
    pub fn partition(&mut self, owner: u32, groups: Vec<u16>) {
        self.world.net.partition(owner, groups);
    }

    /// Ends the partition of `owner`.
    pub fn heal(&mut self, owner: u32) {
        self.world.net.heal(owner);
    }

    /// `from` says `Hello` to `to` without a link (P2PSimpy's `bootstrap_connect`): a connection
    /// manager at `to` links them. Counted in `from`'s traffic like any other message.
    pub fn say_hello(&mut self, from: PeerId, to: PeerId) {
        self.world.send(self.kernel, from, to, Message::Hello, true);
    }
}
