//! The live connections: a flat adjacency arena (CSR-like) that can change during a run.
//!
//! Each peer owns a range of slots in shared arrays (its `NeighbourRange`: start, length, room). The initial
//! topology is laid out exactly like CSR; a peer whose list outgrows its range moves it to the end of
//! the arena with twice the room, and the arena is compacted when more than half of it is holes.
//! Neighbours stay in the order they were connected, which is deterministic.
//!
//! Per-link metadata (connected-since and last-seen times, for connection managers; a fixed latency,
//! for [`LatencyMode::FixedPerLink`](crate::LatencyMode)) lives in parallel arrays that are empty when
//! not used, so a million-peer flood pays 4 bytes per link direction.

use p2psim_kernel::{SimDuration, SimTime};

use crate::PeerId;

/// The last-seen time of a link on which nothing was ever received.
pub(crate) const NEVER: SimTime = SimTime::MAX;

#[derive(Clone, Copy, Debug)]
pub(crate) struct LinkMeta {
    pub(crate) since: SimTime,
    pub(crate) last_seen: SimTime,
}

/// A peer's range of slots in the arena: `nbr[start .. start + len]` are its neighbours, and the
/// range has room for `cap`.
#[derive(Clone, Copy, Debug, Default)]
struct NeighbourRange {
    start: u32,
    len: u32,
    cap: u32,
}

#[derive(Debug, Default)]
pub(crate) struct Links {
    /// Per peer, where its list is: one record, so that finding a peer's list is one memory
    /// access.
    ranges: Vec<NeighbourRange>,
    nbr: Vec<PeerId>,
    meta: Vec<LinkMeta>,
    latency: Vec<SimDuration>,
    track_meta: bool,
    fixed_latency: bool,
    holes: usize,
    links: usize,
}

impl Links {
    /// Asks the CPU to bring where `p`'s links are into the cache.
    #[inline]
    pub(crate) fn prefetch(&self, p: PeerId) {
        prefetch_index::prefetch_index(&self.ranges, p.index());
    }

    /// Asks the CPU to bring `p`'s neighbours into the cache (both ends of the list: it may cross
    /// a cache line). Reads where they are.
    #[inline]
    pub(crate) fn prefetch_neighbours(&self, p: PeerId) {
        let NeighbourRange { start, len, .. } = self.ranges[p.index()];
        let (s, n) = (start as usize, len as usize);
        prefetch_index::prefetch_index(&self.nbr, s);
        prefetch_index::prefetch_index(&self.nbr, s + n.saturating_sub(1));
    }

    pub(crate) fn new(peers: usize, track_meta: bool, fixed_latency: bool) -> Links {
        Links { ranges: vec![NeighbourRange::default(); peers], track_meta, fixed_latency, ..Links::default() }
    }

    /// Reserves exact room per peer for a known list of degrees (the initial topology).
    pub(crate) fn reserve_degrees(&mut self, degrees: &[u32]) {
        debug_assert!(self.nbr.is_empty(), "reserve before any link");
        let mut offset = 0u32;
        for (p, &d) in degrees.iter().enumerate() {
            self.ranges[p].start = offset;
            self.ranges[p].cap = d;
            offset += d;
        }
        let total = offset as usize;
        self.nbr.resize(total, PeerId(u32::MAX));
        if self.track_meta {
            self.meta.resize(total, LinkMeta { since: SimTime::ZERO, last_seen: NEVER });
        }
        if self.fixed_latency {
            self.latency.resize(total, SimDuration::ZERO);
        }
        self.holes = 0;
    }

    #[inline]
    pub(crate) fn neighbours(&self, p: PeerId) -> &[PeerId] {
        let NeighbourRange { start, len, .. } = self.ranges[p.index()];
        &self.nbr[start as usize..(start + len) as usize]
    }

    #[inline]
    pub(crate) fn degree(&self, p: PeerId) -> usize {
        self.ranges[p.index()].len as usize
    }

    /// Arena index of the link `p → q`, if connected.
    #[inline]
    pub(crate) fn find(&self, p: PeerId, q: PeerId) -> Option<usize> {
        let s = self.ranges[p.index()].start as usize;
        self.neighbours(p).iter().position(|&x| x == q).map(|i| s + i)
    }

    pub(crate) fn link_count(&self) -> usize {
        self.links
    }

    pub(crate) fn meta(&self, idx: usize) -> Option<&LinkMeta> {
        self.meta.get(idx)
    }

    pub(crate) fn meta_mut(&mut self, idx: usize) -> Option<&mut LinkMeta> {
        self.meta.get_mut(idx)
    }

    pub(crate) fn fixed_latency(&self, idx: usize) -> Option<SimDuration> {
        self.latency.get(idx).copied()
    }

    fn push_entry(&mut self, p: PeerId, q: PeerId, meta: LinkMeta, latency: SimDuration) {
        let pi = p.index();
        if self.ranges[pi].len == self.ranges[pi].cap {
            self.relocate(pi);
        }
        let idx = (self.ranges[pi].start + self.ranges[pi].len) as usize;
        self.nbr[idx] = q;
        if self.track_meta {
            self.meta[idx] = meta;
        }
        if self.fixed_latency {
            self.latency[idx] = latency;
        }
        self.ranges[pi].len += 1;
    }

    /// Moves peer `pi`'s range to the end of the arena with twice the room.
    fn relocate(&mut self, pi: usize) {
        if self.holes > self.nbr.len() / 2 && self.holes > 1024 {
            self.compact();
            if self.ranges[pi].len < self.ranges[pi].cap {
                return;
            }
        }
        let (s, l) = (self.ranges[pi].start as usize, self.ranges[pi].len as usize);
        let new_cap = (self.ranges[pi].cap * 2).max(4);
        let new_start = self.nbr.len();
        self.nbr.extend_from_within(s..s + l);
        self.nbr.resize(new_start + new_cap as usize, PeerId(u32::MAX));
        if self.track_meta {
            self.meta.extend_from_within(s..s + l);
            self.meta.resize(new_start + new_cap as usize, LinkMeta { since: SimTime::ZERO, last_seen: NEVER });
        }
        if self.fixed_latency {
            self.latency.extend_from_within(s..s + l);
            self.latency.resize(new_start + new_cap as usize, SimDuration::ZERO);
        }
        self.holes += self.ranges[pi].cap as usize;
        self.ranges[pi].start = u32::try_from(new_start).expect("adjacency arena beyond 2^32 entries");
        self.ranges[pi].cap = new_cap;
    }

    /// Rewrites the arena without holes, each peer keeping room for its current degree plus a quarter.
    fn compact(&mut self) {
        let mut nbr = Vec::with_capacity(self.nbr.len() - self.holes);
        let mut meta = Vec::new();
        let mut latency = Vec::new();
        for pi in 0..self.ranges.len() {
            let (s, l) = (self.ranges[pi].start as usize, self.ranges[pi].len as usize);
            let cap = l + l / 4 + 1;
            self.ranges[pi].start = nbr.len() as u32;
            self.ranges[pi].cap = cap as u32;
            nbr.extend_from_slice(&self.nbr[s..s + l]);
            nbr.resize(nbr.len() + cap - l, PeerId(u32::MAX));
            if self.track_meta {
                meta.extend_from_slice(&self.meta[s..s + l]);
                meta.resize(nbr.len(), LinkMeta { since: SimTime::ZERO, last_seen: NEVER });
            }
            if self.fixed_latency {
                latency.extend_from_slice(&self.latency[s..s + l]);
                latency.resize(nbr.len(), SimDuration::ZERO);
            }
        }
        self.nbr = nbr;
        self.meta = meta;
        self.latency = latency;
        self.holes = 0;
    }

    /// Adds the link in both directions. False if already connected or `p == q`.
    pub(crate) fn connect(&mut self, p: PeerId, q: PeerId, now: SimTime, latency: SimDuration) -> bool {
        if p == q || self.find(p, q).is_some() {
            return false;
        }
        let meta = LinkMeta { since: now, last_seen: NEVER };
        self.push_entry(p, q, meta, latency);
        self.push_entry(q, p, meta, latency);
        self.links += 1;
        true
    }

    fn remove_entry(&mut self, p: PeerId, q: PeerId) -> bool {
        let Some(idx) = self.find(p, q) else {
            return false;
        };
        let pi = p.index();
        let end = (self.ranges[pi].start + self.ranges[pi].len) as usize;
        // Shift left to keep the connection order.
        self.nbr.copy_within(idx + 1..end, idx);
        if self.track_meta {
            self.meta.copy_within(idx + 1..end, idx);
        }
        if self.fixed_latency {
            self.latency.copy_within(idx + 1..end, idx);
        }
        self.ranges[pi].len -= 1;
        true
    }

    /// Removes the link in both directions. False if there was none.
    pub(crate) fn disconnect(&mut self, p: PeerId, q: PeerId) -> bool {
        let a = self.remove_entry(p, q);
        let b = self.remove_entry(q, p);
        debug_assert_eq!(a, b, "links are kept symmetric");
        if a {
            self.links -= 1;
        }
        a
    }

    pub(crate) fn memory_bytes(&self) -> usize {
        self.ranges.capacity() * std::mem::size_of::<NeighbourRange>()
            + self.nbr.capacity() * 4
            + self.meta.capacity() * std::mem::size_of::<LinkMeta>()
            + self.latency.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_disconnect_keep_order_and_symmetry_through_growth_and_compaction() {
        let n = 3000;
        let mut links = Links::new(n, true, false);
        links.reserve_degrees(&vec![1; n]);
        let hub = PeerId(0);
        for q in 1..n as u32 {
            assert!(links.connect(hub, PeerId(q), SimTime::ZERO, SimDuration::ZERO));
        }
        assert!(!links.connect(hub, PeerId(5), SimTime::ZERO, SimDuration::ZERO), "already connected");
        assert!(!links.connect(hub, hub, SimTime::ZERO, SimDuration::ZERO), "no self-links");
        assert_eq!(links.degree(hub), n - 1);
        for q in (1..n as u32).step_by(2) {
            assert!(links.disconnect(PeerId(q), hub));
        }
        assert!(!links.disconnect(PeerId(1), hub));
        let expected: Vec<PeerId> = (2..n as u32).step_by(2).map(PeerId).collect();
        assert_eq!(links.neighbours(hub), &expected[..]);
        for q in (2..n as u32).step_by(2) {
            assert_eq!(links.neighbours(PeerId(q)), &[hub]);
        }
        assert_eq!(links.link_count(), expected.len());
        // Grow many small lists to force compaction, then check every list again.
        for q in (2..n as u32).step_by(2) {
            for r in (3..40u32).step_by(2) {
                links.connect(PeerId(q), PeerId(r), SimTime::ZERO, SimDuration::ZERO);
            }
        }
        assert_eq!(links.neighbours(hub), &expected[..]);
        assert_eq!(links.neighbours(PeerId(2))[0], hub);
        assert_eq!(links.degree(PeerId(3)), (n - 1) / 2);
    }
}
