//! Peer types and the dense local index of each peer within its type.

use p2psim_net::PeerId;

/// Which type each peer has, and its position among the peers of that type.
#[derive(Clone, Debug, Default)]
pub struct PeerTable {
    names: Vec<String>,
    type_of: Vec<u16>,
    local: Vec<u32>,
    members: Vec<Vec<PeerId>>,
}

impl PeerTable {
    /// A table for peers `0..types.len()`, peer `p` of type `types[p]` (an index into `names`).
    pub fn new(names: Vec<String>, types: &[u16]) -> PeerTable {
        let mut members = vec![Vec::new(); names.len()];
        let mut local = Vec::with_capacity(types.len());
        for (p, &t) in types.iter().enumerate() {
            local.push(members[t as usize].len() as u32);
            members[t as usize].push(PeerId(p as u32));
        }
        PeerTable { names, type_of: types.to_vec(), local, members }
    }

    /// Number of peers.
    pub fn len(&self) -> usize {
        self.type_of.len()
    }

    /// True if there are no peers.
    pub fn is_empty(&self) -> bool {
        self.type_of.is_empty()
    }

    /// The type of `p`.
    #[inline]
    pub fn type_of(&self, p: PeerId) -> u16 {
        self.type_of[p.index()]
    }

    /// The name of type `t`.
    pub fn type_name(&self, t: u16) -> &str {
        &self.names[t as usize]
    }

    /// All type names, by index.
    pub fn type_names(&self) -> &[String] {
        &self.names
    }

    /// The index of a type name.
    pub fn type_id(&self, name: &str) -> Option<u16> {
        self.names.iter().position(|n| n == name).map(|i| i as u16)
    }

    /// Position of `p` among the peers of its type.
    #[inline]
    pub fn local(&self, p: PeerId) -> u32 {
        self.local[p.index()]
    }

    /// The peers of type `t`, in id order.
    pub fn members(&self, t: u16) -> &[PeerId] {
        &self.members[t as usize]
    }

    /// Length of P2PSimpy's repr of a peer, `Peer_<id>:<type>` (for `PeerList` sizes).
    pub fn repr_len(&self, p: PeerId) -> u32 {
        5 + crate::message::digits(p.0) + 1 + self.type_name(self.type_of(p)).len() as u32
    }
}
