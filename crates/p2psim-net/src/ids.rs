//! Dense identifiers. Everything per peer lives in vectors indexed by [`PeerId`].

use std::fmt;

/// A peer: an index into the network's per-peer tables. Id 0 is a valid peer (P2PSimpy's T1 is not
/// reproduced).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct PeerId(pub u32);

impl PeerId {
    /// The index into per-peer tables.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A location: an index into [`Locations`](crate::Locations).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocationId(pub u16);

impl LocationId {
    /// The index into the location table.
    #[inline]
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}
