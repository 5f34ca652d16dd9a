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

    /// How far message `m` spread in service `id`.
    pub fn spread(&self, id: ServiceId, m: MsgIdx) -> SpreadStats {
        let c = &self.slot(id).state;
        let produced = self.messages.produced_at(m);
        let (mut reached, mut sum, mut last) = (0usize, 0.0, 0.0f64);
        for local in 0..c.members.len() as u32 {
            if let Some(r) = c.storage.get(local, m) {
                reached += 1;
                let d = (r.first_seen - produced).as_millis_f64();
                sum += d;
                last = last.max(d);
            }
        }
        let peers = c.members.len();
        SpreadStats {
            peers,
            reached,
            residue: if peers == 0 { 0.0 } else { (peers - reached) as f64 / peers as f64 },
            t_ave_ms: if reached == 0 { f64::NAN } else { sum / reached as f64 },
            t_last_ms: last,
        }
    }

    /// Whether a service's configuration said it spreads, produces, or manages links: how reports
    /// choose the service they read and which peers they draw as clients.
    pub fn service_role(&self, id: ServiceId) -> Role {
        self.slot(id).role
    }
}
