//! Choosing partners: candidates in a stable order, then a sample without replacement drawn from
//! the peer's own stream (P2PSimpy's `random.sample` over a set whose order varied run to run,
//! oddity R2, is replaced by the neighbour order, which is deterministic).

use p2psim_kernel::PeerRng;
use p2psim_net::PeerId;
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// Moves a uniform sample of `min(k, len)` elements to the front of `v` and returns them.
pub(crate) fn sample<'a>(rng: &mut PeerRng, v: &'a mut [PeerId], k: usize) -> &'a [PeerId] {
    let k = k.min(v.len());
    for i in 0..k {
        let j = rng.random_range(i..v.len());
        v.swap(i, j);
    }
    &v[..k]
}

/// The reference entry of [`Selection`] (`docs/experiments.md`).
pub(crate) const REFERENCE: &str = "### `Selection`

- `Neighbours`: among the peer's neighbours (P2PSimpy).
- `Uniform`: uniformly among all peers running the same service, linked or not (the complete
  graph of the analyses).
";

/// Whom a periodic protocol talks to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Selection {
    /// Among the peer's neighbours (P2PSimpy).
    #[default]
    Neighbours,
    /// Uniformly among all peers running the same service (the complete-graph model of the
    /// analyses), linked or not.
    Uniform,
}

/// Peers and peer types a protocol never sends to, resolved from the names in its configuration
/// (see [`BuildCx::exclusions`](crate::BuildCx::exclusions)).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Exclusions {
    pub(crate) peers: Vec<PeerId>,
    pub(crate) types: Vec<u16>,
}

impl Exclusions {
    /// Nobody excluded.
    pub fn none() -> Exclusions {
        Exclusions::default()
    }

    /// True if `q` may be sent to; `q_type` gives its type (asked only when types are excluded).
    #[inline]
    pub fn allows(&self, q: PeerId, q_type: impl FnOnce() -> u16) -> bool {
        (self.types.is_empty() || !self.types.contains(&q_type()))
            && (self.peers.is_empty() || !self.peers.contains(&q))
    }
}
