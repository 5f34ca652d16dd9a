//! The floor: the model of `scale-1m-push.ron` written as a hand-made loop, the way the yardstick
//! is, to measure what the model itself costs with no generality at all.
//!
//! What the model asks for and the yardstick does not do: a latency drawn for every copy from its
//! pair of locations' ChaCha8 stream (the AWS matrix, halved, rounded to ns); a random order of
//! the neighbours at every relay (here from an 8-byte SplitMix64 per peer, cheaper than any
//! ChaCha8 stream); and for every (message, peer) the first-seen time, the copies and the hops.
//! Copies whose outcome is known when they are sent (the receiver has the message, or an earlier
//! copy is on its way) are counted then, with no event, as p2psim's known copies are. Everything
//! else is the yardstick's: its timing wheel, a CSR adjacency, 24-byte events; and, as p2psim
//! does, what the next events will read is prefetched while this one is handled.
//!
//! This is not p2psim and gives other draws; it answers "how fast could any implementation of
//! this model be", which is what a target set against the yardstick has to be read against.

use p2psim_kernel::{Seed, SimDuration, SimRng, StreamKey};
use p2psim_net::{Delay, LocationId, Locations, Topology};
use prefetch_index::prefetch_index;
use rand::Rng;

use crate::yardstick::{Wheel, WheelEvent};

/// A copy on its way: 24 bytes, ordered by time then `seq`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Copy {
    time: u64,
    seq: u32,
    to: u32,
    from: u32,
    msg: u16,
    ttl: u8,
    hops: u8,
}

impl WheelEvent for Copy {
    fn time(&self) -> u64 {
        self.time
    }
}

/// A (message, peer) cell: first-seen (or earliest pending) time in ns in the low 40 bits, then
/// stored, pending, 14 bits of copies and 8 of hops.
const TIME: u64 = (1 << 40) - 1;
const STORED: u64 = 1 << 40;
const PENDING: u64 = 1 << 41;
const COPY: u64 = 1 << 42;
const COPIES: u64 = ((1 << 14) - 1) << 42;
const HOPS_SHIFT: u32 = 56;

/// The floor's run, ready to go.
pub struct Floor {
    offsets: Vec<u32>,
    targets: Vec<u32>,
    peer_rng: Vec<u64>,
    pair: Vec<Delay>,
    pair_rng: Vec<SimRng>,
    cells: Vec<u64>,
    peers: usize,
}

/// What a floor run did.
#[derive(Clone, Copy, Debug, Default)]
pub struct FloorRun {
    /// Copies that were events.
    pub events: u64,
    /// Copies sent.
    pub copies: u64,
    /// Copies counted at send.
    pub accounted: u64,
    /// Cells stored, over all messages.
    pub stored: u64,
}

impl Floor {
    /// `peers` peers on a random 8-regular graph over the AWS locations (peer `p` in location
    /// `p mod 3`) and one source (the last peer, in Ohio) linked to 8 of them.
    pub fn new(peers: u32, seed: u64, messages: u32) -> Floor {
        let seed = Seed(seed);
        let topology = Topology::random_regular(peers, 8, &mut seed.stream(StreamKey::new("topology")))
            .expect("valid regular graph parameters");
        let n = peers as usize + 1;
        let mut edges: Vec<(u32, u32)> = topology.edges().iter().map(|&(a, b)| (a.0, b.0)).collect();
        let mut pick = seed.stream(StreamKey::new("attach"));
        let mut attached: Vec<u32> = Vec::new();
        while attached.len() < 8 {
            let q = (pick.next_u64() % u64::from(peers)) as u32;
            if !attached.contains(&q) {
                attached.push(q);
                edges.push((peers, q));
            }
        }
        let mut offsets = vec![0u32; n + 1];
        for &(a, b) in &edges {
            offsets[a as usize + 1] += 1;
            offsets[b as usize + 1] += 1;
        }
        for p in 0..n {
            offsets[p + 1] += offsets[p];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; offsets[n] as usize];
        for &(a, b) in &edges {
            for (x, y) in [(a, b), (b, a)] {
                targets[fill[x as usize] as usize] = y;
                fill[x as usize] += 1;
            }
        }
        let mut seeds = seed.stream(StreamKey::new("floor-peer"));
        let peer_rng = (0..n).map(|_| seeds.next_u64()).collect();
        let locations = Locations::aws();
        let mut pair = Vec::new();
        let mut pair_rng = Vec::new();
        for a in 0..3u16 {
            for b in 0..3u16 {
                pair.push(locations.delay(LocationId(a), LocationId(b)).clone());
                pair_rng.push(seed.stream(StreamKey::new("latency").with(a.into()).with(b.into())));
            }
        }
        Floor { offsets, targets, peer_rng, pair, pair_rng, cells: vec![0; n * messages as usize], peers: n }
    }

    fn location(&self, p: u32) -> usize {
        if p as usize == self.peers - 1 { 0 } else { p as usize % 3 }
    }

    /// A copy of `msg` from `from` to `to` at `now`: counted now if its outcome is known, else
    /// on the wheel.
    #[inline]
    #[allow(clippy::too_many_arguments, reason = "one hand-written loop, its state spelled out")]
    fn send(&mut self, wheel: &mut Wheel<Copy>, run: &mut FloorRun, seq: &mut u32, now: u64, c: Copy) {
        let e = self.location(c.from) * 3 + self.location(c.to);
        let ms = match &self.pair[e] {
            Delay::Const(v) => *v,
            Delay::Dist(d) => d.draw(&mut self.pair_rng[e]),
        };
        let arrival = now + SimDuration::from_millis_f64(ms.max(0.0) * 0.5).as_nanos();
        run.copies += 1;
        let cell = &mut self.cells[c.msg as usize * self.peers + c.to as usize];
        if *cell & STORED != 0 || (*cell & PENDING != 0 && *cell & TIME <= arrival) {
            if *cell & COPIES != COPIES {
                *cell += COPY;
            }
            run.accounted += 1;
            return;
        }
        *cell = (*cell & !TIME) | PENDING | arrival;
        wheel.push(Copy { time: arrival, seq: *seq, ..c });
        *seq = seq.wrapping_add(1);
    }

    /// `msg` arrives at (or is made by) `at` from `from` at `now`; relays it on the first copy.
    #[inline]
    #[allow(clippy::too_many_arguments, reason = "one hand-written loop, its state spelled out")]
    fn relay(&mut self, wheel: &mut Wheel<Copy>, run: &mut FloorRun, seq: &mut u32, now: u64, c: Copy) {
        let (s, t) = (self.offsets[c.to as usize] as usize, self.offsets[c.to as usize + 1] as usize);
        // Degrees are 8, or 9 for the source's neighbours: the candidates fit on the stack.
        assert!(t - s <= 16, "the floor's graph has degrees of at most 9");
        let mut pool = [0u32; 16];
        let mut len = 0;
        for &q in &self.targets[s..t] {
            if q != c.from {
                pool[len] = q;
                len += 1;
            }
        }
        // A random order of every candidate (fanout 8 ≥ candidates), from the peer's SplitMix64.
        let state = &mut self.peer_rng[c.to as usize];
        for i in 0..len {
            *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = *state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            let j = i + (((z >> 32) * (len - i) as u64) >> 32) as usize;
            pool.swap(i, j);
        }
        for &q in &pool[..len] {
            let copy = Copy { time: now, seq: 0, to: q, from: c.to, msg: c.msg, ttl: c.ttl - 1, hops: c.hops + 1 };
            self.send(wheel, run, seq, now, copy);
        }
    }

    /// Floods `messages` messages from the source, `spacing_ns` apart, until every copy arrived.
    pub fn run(&mut self, messages: u32, spacing_ns: u64) -> FloorRun {
        let mut wheel = Wheel::new();
        let mut run = FloorRun::default();
        let mut seq = 0u32;
        let source = (self.peers - 1) as u32;
        for m in 0..messages {
            let t = u64::from(m) * spacing_ns;
            wheel.push(Copy { time: t, seq, to: source, from: u32::MAX, msg: m as u16, ttl: 65, hops: 0 });
            seq += 1;
        }
        while let Some(c) = wheel.pop() {
            // What the event after this one will read, asked for now (as p2psim's kernel does).
            // In three stages, each reading only what the one before fetched: the adjacency
            // offsets three events ahead, the adjacency two ahead, and one ahead the cells of the
            // receiver and of every neighbour it may relay to.
            if let Some(e) = wheel.ahead(3) {
                prefetch_index(&self.offsets, e.to as usize);
            }
            if let Some(e) = wheel.ahead(2) {
                prefetch_index(&self.targets, self.offsets[e.to as usize] as usize);
            }
            if let Some(e) = wheel.ahead(1) {
                let column = e.msg as usize * self.peers;
                prefetch_index(&self.cells, column + e.to as usize);
                let (s, t) = (self.offsets[e.to as usize] as usize, self.offsets[e.to as usize + 1] as usize);
                for &q in &self.targets[s..t] {
                    prefetch_index(&self.cells, column + q as usize);
                }
            }
            let cell = &mut self.cells[c.msg as usize * self.peers + c.to as usize];
            let first = *cell & STORED == 0;
            if first {
                *cell = STORED | COPY | (u64::from(c.hops) << HOPS_SHIFT) | c.time;
                run.stored += 1;
            } else if *cell & COPIES != COPIES {
                *cell += COPY;
            }
            if c.from != u32::MAX {
                run.events += 1;
            }
            if first && c.ttl > 0 {
                self.relay(&mut wheel, &mut run, &mut seq, c.time, c);
            }
        }
        run
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every peer relays its first copy to every neighbour but the sender, so each message makes
    /// exactly `8 + 7 N + 8` copies (the source's 8; 7 from each peer; one more from each of the 8
    /// peers linked to the source, which have 8 others besides whoever sent them the first copy),
    /// each either an event or counted at send, and reaches everyone.
    #[test]
    fn the_floor_floods_every_copy_and_counts_each_once() {
        for (peers, messages) in [(1000u32, 3u32), (3000, 5)] {
            let run = Floor::new(peers, 7, messages).run(messages, 10_000_000);
            let per_message = 16 + 7 * u64::from(peers);
            assert_eq!(run.copies, u64::from(messages) * per_message);
            assert_eq!(run.events + run.accounted, run.copies);
            assert_eq!(run.stored, u64::from(messages) * (u64::from(peers) + 1));
            assert!(run.accounted > run.events, "most copies find their message stored: {run:?}");
        }
    }
}
