//! Peer types and the dense local index of each peer within its type.

use p2psim_net::PeerId;

/// Which type each peer has, and its position among the peers of that type.
#[derive(Clone, Debug, Default)]
pub struct PeerTable {
    names: Vec<String>,
    /// When each type's peers are one run of ids (peers given type by type, the usual case): the
    /// first id of each run, with its type, in order. Finding a peer's type and local index is then
    /// a scan of a few values held in cache, not two lookups in peer-sized arrays.
    runs: Vec<(u32, u16)>,
    /// Otherwise, per peer.
    type_of: Vec<u16>,
    local: Vec<u32>,
    members: Vec<Vec<PeerId>>,
    len: usize,
}

/// Up to this many runs of ids are scanned; beyond, per-peer arrays are used.
const MAX_RUNS: usize = 8;

impl PeerTable {
    /// A table for peers `0..types.len()`, peer `p` of type `types[p]` (an index into `names`).
    pub fn new(names: Vec<String>, types: &[u16]) -> PeerTable {
        let mut members = vec![Vec::new(); names.len()];
        let mut local = Vec::with_capacity(types.len());
        for (p, &t) in types.iter().enumerate() {
            local.push(members[t as usize].len() as u32);
            members[t as usize].push(PeerId(p as u32));
        }
        let mut runs: Vec<(u32, u16)> = Vec::new();
        for (p, &t) in types.iter().enumerate() {
            if runs.last().is_none_or(|&(_, last)| last != t) {
                runs.push((p as u32, t));
            }
        }
        let contiguous = runs.len() <= MAX_RUNS && runs.len() == members.iter().filter(|m| !m.is_empty()).count();
        if contiguous {
            PeerTable { names, runs, type_of: Vec::new(), local: Vec::new(), members, len: types.len() }
        } else {
            PeerTable { names, runs: Vec::new(), type_of: types.to_vec(), local, members, len: types.len() }
        }
    }

    /// Number of peers.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if there are no peers.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The run of ids holding `p`, when types are runs of ids.
    #[inline]
    fn run(&self, p: PeerId) -> (u32, u16) {
        let mut found = self.runs[0];
        for &r in &self.runs[1..] {
            if r.0 > p.0 {
                break;
            }
            found = r;
        }
        found
    }

    /// The type of `p`.
    #[inline]
    pub fn type_of(&self, p: PeerId) -> u16 {
        if self.runs.is_empty() { self.type_of[p.index()] } else { self.run(p).1 }
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
        if self.runs.is_empty() { self.local[p.index()] } else { p.0 - self.run(p).0 }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Types in runs of ids (looked up by scanning the runs) and types interleaved (looked up in
    /// per-peer arrays) give the same answers.
    #[test]
    fn runs_and_per_peer_arrays_agree() {
        let names = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        for types in [vec![0, 0, 0, 2, 2, 1], vec![0, 1, 0, 2, 1, 1, 0], vec![1; 5], vec![2, 0]] {
            let table = PeerTable::new(names.clone(), &types);
            for (p, &t) in types.iter().enumerate() {
                let id = PeerId(p as u32);
                assert_eq!(table.type_of(id), t);
                let local = types[..p].iter().filter(|&&u| u == t).count() as u32;
                assert_eq!(table.local(id), local, "{types:?} peer {p}");
                assert_eq!(table.members(t)[local as usize], id);
            }
            assert_eq!(table.len(), types.len());
        }
        assert!(!PeerTable::new(names.clone(), &[0, 0, 1]).runs.is_empty());
        assert!(PeerTable::new(names, &[0, 1, 0]).runs.is_empty());
    }
}
