//! The push flood on the kernel's partitioned engine ([`p2psim_kernel::Windows`]), without the
//! network model: what the engine itself gives on this machine's cores.
//!
//! N peers on a random 8-regular graph; each link has a fixed latency of 20 ms plus up to 130 ms
//! (a hash of the link), so the lookahead is 20 ms; peer 0 produces `messages` messages
//! `spacing_ms` apart and every peer relays its first copy of each to all neighbours but the
//! sender. Every copy is one event. The peers are split into contiguous blocks, one logical
//! process each; every process holds the graph (shared) and a seen-bit per (peer, message) of
//! its own.

use std::sync::Arc;

use p2psim_kernel::{
    CalendarQueue, EventQueue, Kernel, Model, Seed, SimDuration, SimTime, StreamKey, WindowStats, Windows,
};
use p2psim_net::Topology;

/// The least latency of a link.
pub const LOOKAHEAD: SimDuration = SimDuration::from_millis(20);

/// A copy of message `msg` reaching `to` from `from` (`u32::MAX`: produced there).
#[derive(Clone, Copy, Debug)]
pub struct Copy {
    to: u32,
    from: u32,
    msg: u32,
}

/// The graph, shared by the processes: neighbour lists and each entry's latency.
struct Graph {
    start: Vec<u32>,
    neighbours: Vec<u32>,
    latency_us: Vec<u32>,
}

/// One process's model.
pub struct Part {
    graph: Arc<Graph>,
    messages: u32,
    seen: Vec<u64>,
    /// Copies this process's peers received.
    pub received: u64,
}

impl Model<Copy> for Part {
    #[inline]
    fn handle<Q: EventQueue<Copy>>(&mut self, k: &mut Kernel<Copy, Q>, c: Copy) {
        self.received += 1;
        let bit = c.to as usize * self.messages as usize + c.msg as usize;
        let (w, b) = (bit / 64, bit % 64);
        if self.seen[w] >> b & 1 == 1 {
            return;
        }
        self.seen[w] |= 1 << b;
        let g = &*self.graph;
        let (lo, hi) = (g.start[c.to as usize] as usize, g.start[c.to as usize + 1] as usize);
        for i in lo..hi {
            let q = g.neighbours[i];
            if q != c.from {
                let delay = SimDuration::from_micros(u64::from(g.latency_us[i]));
                k.schedule_to(q, delay, Copy { to: q, from: c.to, msg: c.msg });
            }
        }
    }

    #[inline]
    fn actor(&self, c: &Copy) -> u32 {
        c.to
    }
}

fn graph(peers: u32, seed: u64) -> Graph {
    let mut rng = Seed(seed).stream(StreamKey::new("topology"));
    let topology = Topology::random_regular(peers, 8, &mut rng).expect("an 8-regular graph of this size exists");
    let mut lists: Vec<Vec<u32>> = vec![Vec::new(); peers as usize];
    for &(a, b) in topology.edges() {
        lists[a.index()].push(b.0);
        lists[b.index()].push(a.0);
    }
    let mut g = Graph { start: vec![0], neighbours: Vec::new(), latency_us: Vec::new() };
    for (p, list) in lists.iter().enumerate() {
        for &q in list {
            let (lo, hi) = (p.min(q as usize) as u64, p.max(q as usize) as u64);
            let h = StreamKey::new("link").with(lo).with(hi).stream();
            g.neighbours.push(q);
            g.latency_us.push(20_000 + (h % 130_000) as u32);
        }
        g.start.push(g.neighbours.len() as u32);
    }
    g
}

/// Runs the flood split `lps` ways; returns (events, copies received, the engine's figures).
pub fn run(peers: u32, messages: u32, spacing_ms: u64, lps: u32) -> (u64, u64, WindowStats) {
    let g = Arc::new(graph(peers, 1));
    let bounds: Vec<u32> = (0..=lps).map(|i| (u64::from(i) * u64::from(peers) / u64::from(lps)) as u32).collect();
    let words = (peers as usize * messages as usize).div_ceil(64);
    let processes = (0..lps)
        .map(|_| {
            let mut k: Kernel<Copy, CalendarQueue<Copy>> = Kernel::new();
            k.declare_actors(peers);
            (k, Part { graph: Arc::clone(&g), messages, seen: vec![0; words], received: 0 })
        })
        .collect();
    let mut w = Windows::new(processes, bounds, LOOKAHEAD);
    let (k0, _) = &mut w.processes()[0];
    k0.set_actor(0);
    for m in 0..messages {
        k0.schedule_to(0, SimDuration::from_millis(u64::from(m) * spacing_ms), Copy { to: 0, from: u32::MAX, msg: m });
    }
    let stats = w
        .run_until(SimTime::from_millis(u64::from(messages) * spacing_ms + 60_000))
        .expect("links are slower than the lookahead");
    let received = w.processes().iter().map(|(_, m)| m.received).sum::<u64>() - u64::from(messages);
    (stats.events.iter().sum(), received, stats)
}
