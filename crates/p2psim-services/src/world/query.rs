//! What the layers above read of a world: its parts, its services and what they stored, traffic.

use p2psim_kernel::Seed;
use p2psim_net::{KindTotal, Network, PeerId};

use super::{ServiceId, World};
use crate::config::Role;
use crate::kinds::{KindId, Kinds};
use crate::message::{Message, MsgIdx};
use crate::peers::PeerTable;
use crate::registry::Messages;
use crate::storage::{Record, Storage};

impl World {
    /// The network.
    pub fn net(&self) -> &Network<Message> {
        &self.net
    }

    /// Peer types.
    pub fn peers(&self) -> &PeerTable {
        &self.peers
    }

    /// The produced messages.
    pub fn messages(&self) -> &Messages {
        &self.messages
    }

    /// The kinds of message of this run.
    pub fn kinds(&self) -> &Kinds {
        &self.kinds
    }

    /// The master seed.
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// The services, in the order the types and their services were given.
    pub fn services(&self) -> impl ExactSizeIterator<Item = ServiceId> + use<> {
        (0..self.services.len() as u16).map(ServiceId)
    }

    /// The service named `name` on type `peer_type`.
    pub fn service(&self, peer_type: &str, name: &str) -> Option<ServiceId> {
        let t = self.peers.type_id(peer_type)?;
        self.services.iter().position(|s| s.state.type_id == t && s.state.name == name).map(|i| ServiceId(i as u16))
    }

    /// The name of a service within its type.
    pub fn service_name(&self, id: ServiceId) -> &str {
        &self.slot(id).state.name
    }

    /// The peer type a service runs on.
    pub fn service_type(&self, id: ServiceId) -> u16 {
        self.slot(id).state.type_id
    }

    /// The peers a service runs on, in id order.
    pub fn service_members(&self, id: ServiceId) -> &[PeerId] {
        &self.slot(id).state.members
    }

    /// The kinds a service handles.
    pub fn service_kinds(&self, id: ServiceId) -> &[KindId] {
        &self.slot(id).state.kinds
    }

    /// A service's storage.
    pub fn storage(&self, id: ServiceId) -> &Storage {
        &self.slot(id).state.storage
    }

    /// What `peer` knows of `m` in service `id`.
    pub fn record(&self, id: ServiceId, peer: PeerId, m: MsgIdx) -> Option<Record> {
        let c = &self.slot(id).state;
        if c.type_id != self.peers.type_of(peer) {
            return None;
        }
        c.storage.get(self.peers.local(peer), m)
    }

    /// What `p` sent of `kind` (counted for the kinds some service handles, and those asked for
    /// with [`World::count_kind`]).
    pub fn sent_by_kind(&self, p: PeerId, kind: KindId) -> KindTotal {
        self.net.monitors().sent_by_kind(p, kind.index())
    }

    /// Messages and bytes the peers of a service sent, of the kinds it handles (for a producer,
    /// which handles none, nothing).
    pub fn service_traffic(&self, id: ServiceId) -> KindTotal {
        let c = &self.slot(id).state;
        let mut total = KindTotal::default();
        for &p in &c.members {
            for &k in &c.kinds {
                let t = self.sent_by_kind(p, k);
                total.msgs += t.msgs;
                total.bytes += t.bytes;
            }
        }
        total
    }

    /// Updates (copies of produced messages) the peers of a service sent: Demers' traffic m,
    /// before dividing by peers and messages.
    pub fn service_updates(&self, id: ServiceId) -> u64 {
        self.slot(id).state.members.iter().map(|&p| u64::from(self.net.monitors().updates_sent(p))).sum()
    }

    /// Delivered messages that no service of the receiver handles.
    pub fn unhandled(&self) -> u64 {
        self.unhandled
    }

    /// The states of the peers of service `id`, in the order of its members, if its protocol is
    /// a `P`: what a test or an analysis of that protocol reads of its peers.
    pub fn protocol_states<P: crate::Protocol>(&self, id: ServiceId) -> Option<&[P::State]> {
        self.slot(id).instance.erased().states().downcast_ref::<Vec<P::State>>().map(Vec::as_slice)
    }

    /// Whether a service's configuration said it spreads, produces, or manages links: how reports
    /// choose the service they read and which peers they draw as clients.
    pub fn service_role(&self, id: ServiceId) -> Role {
        self.slot(id).role
    }
}
