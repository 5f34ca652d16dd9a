//! The yardstick: a minimal hand-written flood loop, everything inlined, nothing general.
//!
//! 24-byte events `{time, seq, dst, from, msg}`, a timing wheel (slots of 2^17 ns, a vector per slot,
//! the current slot sorted once), a CSR adjacency, one latency per link, a bitset of "seen". This is
//! the loop p2psim's kernel and network model are measured against.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use p2psim_kernel::{Seed, SimDuration, StreamKey};
use p2psim_net::{Delay, LocationId, Locations, Topology};

/// An event of a hand-written loop: ordered by its fields, time first, then a sequence number
/// unique to it, so that the derived order is the kernel's `(time, seq)` order.
pub(crate) trait WheelEvent: Copy + Ord {
    /// When it happens, in ns.
    fn time(&self) -> u64;
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Ev {
    time: u64,
    seq: u32,
    dst: u32,
    from: u32,
    msg: u32,
}

impl WheelEvent for Ev {
    fn time(&self) -> u64 {
        self.time
    }
}

const SHIFT: u32 = 17;
const SLOTS: usize = 1 << 14;

/// A timing wheel of slots of 2^17 ns, a vector per slot, the current slot sorted once.
pub(crate) struct Wheel<T> {
    slots: Vec<Vec<T>>,
    current: Vec<T>,
    cur: u64,
    overflow: BinaryHeap<Reverse<T>>,
    on_wheel: usize,
}

impl<T: WheelEvent> Wheel<T> {
    pub(crate) fn new() -> Wheel<T> {
        Wheel { slots: vec![Vec::new(); SLOTS], current: Vec::new(), cur: 0, overflow: BinaryHeap::new(), on_wheel: 0 }
    }

    #[inline]
    pub(crate) fn push(&mut self, e: T) {
        let s = e.time() >> SHIFT;
        if s <= self.cur {
            let pos = self.current.partition_point(|x| *x > e);
            self.current.insert(pos, e);
        } else if s < self.cur + SLOTS as u64 {
            self.slots[s as usize % SLOTS].push(e);
            self.on_wheel += 1;
        } else {
            self.overflow.push(Reverse(e));
        }
    }

    /// The `k`-th event after the next one, when it is in the current slot: what a loop may
    /// prefetch for.
    #[inline]
    pub(crate) fn ahead(&self, k: usize) -> Option<&T> {
        self.current.len().checked_sub(1 + k).map(|i| &self.current[i])
    }

    #[inline]
    pub(crate) fn pop(&mut self) -> Option<T> {
        while self.current.is_empty() {
            if self.on_wheel == 0 {
                let Reverse(first) = *self.overflow.peek()?;
                self.cur = (first.time() >> SHIFT) - 1;
            }
            self.cur += 1;
            while let Some(Reverse(e)) = self.overflow.peek().copied() {
                if e.time() >> SHIFT >= self.cur + SLOTS as u64 {
                    break;
                }
                self.overflow.pop();
                self.slots[(e.time() >> SHIFT) as usize % SLOTS].push(e);
                self.on_wheel += 1;
            }
            let slot = &mut self.slots[self.cur as usize % SLOTS];
            self.on_wheel -= slot.len();
            std::mem::swap(&mut self.current, slot);
            self.current.sort_unstable_by(|a, b| b.cmp(a));
        }
        self.current.pop()
    }
}

/// The yardstick flood, ready to run.
pub struct Yardstick {
    offsets: Vec<u32>,
    targets: Vec<u32>,
    latency: Vec<u64>,
    seen: Vec<u64>,
    messages: u32,
}

impl Yardstick {
    /// The same graph and latency distributions as [`Flood::new`](crate::flood::Flood::new).
    pub fn new(peers: u32, seed: u64, messages: u32) -> Yardstick {
        let topology = Topology::random_regular(peers, 8, &mut Seed(seed).stream(StreamKey::new("topology")))
            .expect("valid regular graph parameters");
        let locations = Locations::aws();
        let mut rng = Seed(seed).stream(StreamKey::new("yardstick-latency"));
        let degrees = topology.degrees();
        let mut offsets = vec![0u32; peers as usize + 1];
        for p in 0..peers as usize {
            offsets[p + 1] = offsets[p] + degrees[p];
        }
        let mut fill = offsets.clone();
        let mut targets = vec![0u32; offsets[peers as usize] as usize];
        let mut latency = vec![0u64; targets.len()];
        for &(a, b) in topology.edges() {
            let ms = match locations.delay(LocationId((a.0 % 3) as u16), LocationId((b.0 % 3) as u16)) {
                Delay::Const(v) => *v,
                Delay::Dist(d) => d.draw(&mut rng),
            };
            let ns = SimDuration::from_millis_f64(ms.max(0.0) * 0.5).as_nanos();
            for (x, y) in [(a.0, b.0), (b.0, a.0)] {
                let i = fill[x as usize] as usize;
                targets[i] = y;
                latency[i] = ns;
                fill[x as usize] += 1;
            }
        }
        let words = (peers as usize * messages as usize).div_ceil(64);
        Yardstick { offsets, targets, latency, seen: vec![0; words], messages }
    }

    #[inline]
    fn mark(&mut self, p: u32, m: u32) -> bool {
        let bit = p as usize * self.messages as usize + m as usize;
        let (w, b) = (bit / 64, bit % 64);
        let was = self.seen[w] >> b & 1 == 1;
        self.seen[w] |= 1 << b;
        !was
    }

    /// Floods `messages` messages from peer 0, injected `spacing_ns` apart; returns (events, copies).
    pub fn run(&mut self, messages: u32, spacing_ns: u64) -> (u64, u64) {
        let mut wheel = Wheel::new();
        let mut seq = 0u32;
        for m in 0..messages {
            let t = u64::from(m) * spacing_ns;
            wheel.push(Ev { time: t, seq, dst: 0, from: u32::MAX, msg: m });
            seq += 1;
        }
        let (mut events, mut copies) = (0u64, 0u64);
        while let Some(e) = wheel.pop() {
            events += 1;
            if e.from != u32::MAX {
                copies += 1;
            }
            if self.mark(e.dst, e.msg) {
                let (s, t) = (self.offsets[e.dst as usize] as usize, self.offsets[e.dst as usize + 1] as usize);
                for i in s..t {
                    let q = self.targets[i];
                    if q != e.from {
                        wheel.push(Ev { time: e.time + self.latency[i], seq, dst: q, from: e.dst, msg: e.msg });
                        seq = seq.wrapping_add(1);
                    }
                }
            }
        }
        (events - u64::from(messages), copies)
    }
}
