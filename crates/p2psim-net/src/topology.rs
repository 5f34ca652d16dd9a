//! Initial topologies: generators and explicit edge lists.
//!
//! Every generator draws from the random stream it is given, so a topology is a pure function of the
//! seed and the parameters. Edges are undirected, without self-loops or duplicates, and kept in the
//! order they were generated (which is also the order links are made). [`Topology::to_graph`] gives a
//! petgraph graph for analysis and [`Topology::to_dot`] a DOT text; the running network uses its own
//! flat adjacency.

use petgraph::graph::UnGraph;
use rand::RngExt;
use rand::seq::index;
use rustc_hash::FxHashSet;

use p2psim_kernel::SimRng;

use crate::PeerId;

/// Why a topology was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum TopologyError {
    /// An edge names a peer past the end.
    #[error("edge ({0}, {1}) names a peer outside 0..{2}")]
    UnknownPeer(u32, u32, u32),
    /// An edge from a peer to itself.
    #[error("edge ({0}, {0}) is a self-loop")]
    SelfLoop(u32),
    /// Parameters no graph satisfies.
    #[error("{0}")]
    Impossible(String),
}

/// An undirected graph over peers `0..peer_count`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topology {
    peers: u32,
    edges: Vec<(PeerId, PeerId)>,
}

fn key(a: u32, b: u32) -> (u32, u32) {
    if a < b { (a, b) } else { (b, a) }
}

impl Topology {
    /// `peers` isolated peers.
    pub fn empty(peers: u32) -> Topology {
        Topology { peers, edges: Vec::new() }
    }

    /// An explicit edge list. Duplicates (in either direction) are kept once; self-loops and unknown
    /// peers are errors.
    pub fn from_edges(peers: u32, edges: &[(u32, u32)]) -> Result<Topology, TopologyError> {
        let mut seen = FxHashSet::default();
        let mut out = Vec::with_capacity(edges.len());
        for &(a, b) in edges {
            if a >= peers || b >= peers {
                return Err(TopologyError::UnknownPeer(a, b, peers));
            }
            if a == b {
                return Err(TopologyError::SelfLoop(a));
            }
            if seen.insert(key(a, b)) {
                out.push((PeerId(a), PeerId(b)));
            }
        }
        Ok(Topology { peers, edges: out })
    }

    /// Every pair linked.
    pub fn complete(peers: u32) -> Topology {
        let mut edges = Vec::new();
        for a in 0..peers {
            for b in a + 1..peers {
                edges.push((PeerId(a), PeerId(b)));
            }
        }
        Topology { peers, edges }
    }

    /// Erdős–Rényi G(n, p): each pair linked independently with probability `p`. O(n + m) by
    /// skipping geometrically over absent pairs (Batagelj and Brandes, 2005).
    pub fn erdos_renyi(peers: u32, p: f64, rng: &mut SimRng) -> Result<Topology, TopologyError> {
        if !(0.0..=1.0).contains(&p) {
            return Err(TopologyError::Impossible(format!("erdos_renyi: p must be in [0, 1], got {p}")));
        }
        if p == 1.0 {
            return Ok(Topology::complete(peers));
        }
        let mut edges = Vec::new();
        if p > 0.0 {
            let lp = (1.0 - p).ln();
            let (n, mut v, mut w) = (i64::from(peers), 1i64, -1i64);
            while v < n {
                let r: f64 = 1.0 - rng.random::<f64>(); // in (0, 1]
                w += 1 + (r.ln() / lp).floor() as i64;
                while w >= v && v < n {
                    w -= v;
                    v += 1;
                }
                if v < n {
                    edges.push((PeerId(w as u32), PeerId(v as u32)));
                }
            }
        }
        Ok(Topology { peers, edges })
    }

    /// A random `d`-regular graph: a random pairing of stubs, then random edge switches that remove
    /// self-loops and duplicate edges (each switch keeps every degree at `d`). Dense graphs
    /// (`d > (n - 1) / 2`) are made as the complement of a sparse one, where switching converges
    /// fast. Fails only when no such graph exists (`d >= n`, or `n · d` odd).
    pub fn random_regular(peers: u32, d: u32, rng: &mut SimRng) -> Result<Topology, TopologyError> {
        if d >= peers.max(1) || (u64::from(peers) * u64::from(d)) % 2 == 1 {
            return Err(TopologyError::Impossible(format!(
                "random_regular: need d < n and n·d even, got n = {peers}, d = {d}"
            )));
        }
        if peers == 0 {
            return Ok(Topology::empty(0));
        }
        if u64::from(d) * 2 > u64::from(peers - 1) {
            let sparse = Topology::random_regular(peers, peers - 1 - d, rng)?;
            let present: FxHashSet<(u32, u32)> = sparse.edges.iter().map(|&(a, b)| key(a.0, b.0)).collect();
            let mut edges = Vec::with_capacity(peers as usize * d as usize / 2);
            for a in 0..peers {
                for b in a + 1..peers {
                    if !present.contains(&(a, b)) {
                        edges.push((PeerId(a), PeerId(b)));
                    }
                }
            }
            return Ok(Topology { peers, edges });
        }
        // A pairing whose defects the switches cannot remove (rare, and only in small dense
        // graphs) is drawn again.
        loop {
            if let Some(edges) = Self::pair_and_switch(peers, d, rng) {
                return Ok(Topology { peers, edges: edges.into_iter().map(|(a, b)| (PeerId(a), PeerId(b))).collect() });
            }
        }
    }

    fn pair_and_switch(peers: u32, d: u32, rng: &mut SimRng) -> Option<Vec<(u32, u32)>> {
        let mut stubs: Vec<u32> = (0..peers).flat_map(|p| std::iter::repeat_n(p, d as usize)).collect();
        // Fisher–Yates with our stream (rand's shuffle algorithm may change between versions).
        for i in (1..stubs.len()).rev() {
            let j = rng.random_range(0..=i);
            stubs.swap(i, j);
        }
        let mut edges: Vec<(u32, u32)> = stubs.chunks_exact(2).map(|c| key(c[0], c[1])).collect();
        let mut count: rustc_hash::FxHashMap<(u32, u32), u32> = Default::default();
        for &e in &edges {
            *count.entry(e).or_default() += 1;
        }
        let is_bad = |e: (u32, u32), count: &rustc_hash::FxHashMap<(u32, u32), u32>| e.0 == e.1 || count[&e] > 1;
        let mut bad: Vec<usize> = (0..edges.len()).filter(|&i| is_bad(edges[i], &count)).collect();
        let mut attempts = 0u64;
        while let Some(&i) = bad.last() {
            if !is_bad(edges[i], &count) {
                bad.pop();
                continue;
            }
            attempts += 1;
            if attempts > 1000 * edges.len() as u64 + 10_000 {
                return None;
            }
            let j = rng.random_range(0..edges.len());
            let ((a, b), (c, e)) = (edges[i], edges[j]);
            // Switch (a,b),(c,e) into (a,c),(b,e) or (a,e),(b,c), whichever the coin picks.
            let (x, y) = if rng.random_bool(0.5) { (key(a, c), key(b, e)) } else { (key(a, e), key(b, c)) };
            if x.0 == x.1 || y.0 == y.1 || count.contains_key(&x) || count.contains_key(&y) || x == y {
                continue;
            }
            for old in [edges[i], edges[j]] {
                let c = count.get_mut(&old).expect("counted");
                *c -= 1;
                if *c == 0 {
                    count.remove(&old);
                }
            }
            count.insert(x, 1);
            count.insert(y, 1);
            edges[i] = x;
            edges[j] = y;
        }
        Some(edges)
    }

    /// Barabási–Albert preferential attachment: a star on the first `m + 1` peers, then each new peer
    /// links to `m` distinct peers chosen with probability proportional to their degree.
    pub fn barabasi_albert(peers: u32, m: u32, rng: &mut SimRng) -> Result<Topology, TopologyError> {
        if m < 1 || m >= peers {
            return Err(TopologyError::Impossible(format!(
                "barabasi_albert: need 1 <= m < n, got n = {peers}, m = {m}"
            )));
        }
        let mut edges = Vec::new();
        let mut ends: Vec<u32> = Vec::new();
        for leaf in 1..=m {
            edges.push((PeerId(0), PeerId(leaf)));
            ends.extend([0, leaf]);
        }
        let mut targets: Vec<u32> = Vec::with_capacity(m as usize);
        for new in m + 1..peers {
            targets.clear();
            while targets.len() < m as usize {
                let t = ends[rng.random_range(0..ends.len())];
                if !targets.contains(&t) {
                    targets.push(t);
                }
            }
            for &t in &targets {
                edges.push((PeerId(t), PeerId(new)));
                ends.extend([t, new]);
            }
        }
        Ok(Topology { peers, edges })
    }

    /// Watts–Strogatz small world: a ring where each peer links to its `k / 2` nearest peers on each
    /// side, then each ring link `(u, u + j)` is rewired with probability `p` to `(u, w)`, `w` uniform
    /// among peers not yet linked to `u`.
    pub fn watts_strogatz(peers: u32, k: u32, p: f64, rng: &mut SimRng) -> Result<Topology, TopologyError> {
        if k % 2 == 1 || k >= peers || !(0.0..=1.0).contains(&p) {
            return Err(TopologyError::Impossible(format!(
                "watts_strogatz: need even k < n and p in [0, 1], got n = {peers}, k = {k}, p = {p}"
            )));
        }
        let mut set: FxHashSet<(u32, u32)> = Default::default();
        let mut edges = Vec::new();
        let mut degree = vec![k; peers as usize];
        for j in 1..=k / 2 {
            for u in 0..peers {
                let v = (u + j) % peers;
                set.insert(key(u, v));
                edges.push((u, v));
            }
        }
        for e in edges.iter_mut() {
            if !rng.random_bool(p) {
                continue;
            }
            let (u, v) = *e;
            if degree[u as usize] >= peers - 1 {
                continue;
            }
            let w = loop {
                let w = rng.random_range(0..peers);
                if w != u && !set.contains(&key(u, w)) {
                    break w;
                }
            };
            set.remove(&key(u, v));
            set.insert(key(u, w));
            degree[v as usize] -= 1;
            degree[w as usize] += 1;
            *e = (u, w);
        }
        Ok(Topology { peers, edges: edges.into_iter().map(|(a, b)| (PeerId(a), PeerId(b))).collect() })
    }

    /// Adds `clients` new peers (ids `peer_count()..`), each linked to `k` distinct peers drawn
    /// uniformly from `among`. Returns the new ids.
    pub fn attach_clients(
        &mut self,
        clients: u32,
        k: u32,
        among: &[PeerId],
        rng: &mut SimRng,
    ) -> Result<Vec<PeerId>, TopologyError> {
        if k as usize > among.len() {
            return Err(TopologyError::Impossible(format!(
                "attach_clients: cannot link to {k} distinct peers out of {}",
                among.len()
            )));
        }
        let first = self.peers;
        self.peers += clients;
        let mut out = Vec::new();
        for c in first..first + clients {
            for i in index::sample(rng, among.len(), k as usize).into_iter() {
                self.edges.push((PeerId(c), among[i]));
            }
            out.push(PeerId(c));
        }
        Ok(out)
    }

    /// Adds more links to existing peers (the tutorial's "more client connections"): each of
    /// `clients` gets `k` more distinct peers from `among`, skipping those it already has.
    pub fn add_random_links(
        &mut self,
        clients: &[PeerId],
        k: u32,
        among: &[PeerId],
        rng: &mut SimRng,
    ) -> Result<(), TopologyError> {
        if k as usize > among.len() {
            return Err(TopologyError::Impossible(format!(
                "add_random_links: cannot pick {k} distinct peers out of {}",
                among.len()
            )));
        }
        let mut set: FxHashSet<(u32, u32)> = self.edges.iter().map(|&(a, b)| key(a.0, b.0)).collect();
        for &c in clients {
            for i in index::sample(rng, among.len(), k as usize).into_iter() {
                let p = among[i];
                if p != c && set.insert(key(c.0, p.0)) {
                    self.edges.push((c, p));
                }
            }
        }
        Ok(())
    }

    /// Number of peers.
    pub fn peer_count(&self) -> usize {
        self.peers as usize
    }

    /// The edges, in generation order.
    pub fn edges(&self) -> &[(PeerId, PeerId)] {
        &self.edges
    }

    /// The degree of every peer.
    pub fn degrees(&self) -> Vec<u32> {
        let mut d = vec![0u32; self.peers as usize];
        for &(a, b) in &self.edges {
            d[a.index()] += 1;
            d[b.index()] += 1;
        }
        d
    }

    /// A petgraph graph (node `i` is peer `i`, weighted by its id).
    pub fn to_graph(&self) -> UnGraph<u32, ()> {
        let mut g = UnGraph::with_capacity(self.peers as usize, self.edges.len());
        for p in 0..self.peers {
            g.add_node(p);
        }
        for &(a, b) in &self.edges {
            g.add_edge(a.0.into(), b.0.into(), ());
        }
        g
    }

    /// The graph in Graphviz DOT.
    pub fn to_dot(&self) -> String {
        format!("{:?}", petgraph::dot::Dot::with_config(&self.to_graph(), &[petgraph::dot::Config::EdgeNoLabel]))
    }

    /// True if every peer can reach every other (an empty topology is connected).
    pub fn is_connected(&self) -> bool {
        petgraph::algo::connected_components(&self.to_graph()) <= 1
    }
}
