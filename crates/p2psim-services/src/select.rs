//! Choosing gossip targets: candidates in a stable order, then a sample without replacement drawn
//! from the peer's own stream (P2PSimpy's `random.sample` over a set whose order varied run to run,
//! oddity R2, is replaced by the neighbour order, which is deterministic).

use p2psim_kernel::SimRng;
use p2psim_net::PeerId;
use rand::RngExt;

/// Moves a uniform sample of `min(k, len)` elements to the front of `v` and returns them.
pub(crate) fn sample<'a>(rng: &mut SimRng, v: &'a mut [PeerId], k: usize) -> &'a [PeerId] {
    let k = k.min(v.len());
    for i in 0..k {
        let j = rng.random_range(i..v.len());
        v.swap(i, j);
    }
    &v[..k]
}

/// Whom a periodic protocol talks to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Selection {
    /// Among the peer's neighbours (P2PSimpy).
    #[default]
    Neighbours,
    /// Uniformly among all peers running the same service (the complete-graph model of the
    /// analyses), linked or not.
    Uniform,
}
