//! A calendar queue (timing wheel) over integer time, with slot storage in pooled fixed-size chunks.
//!
//! Time is cut into slots of `2^shift` nanoseconds. The wheel holds `nslots` consecutive slots starting
//! at the current one; an event further ahead waits in an overflow heap and moves onto the wheel when
//! its slot comes within reach. When the wheel reaches a slot, the slot's events are moved into
//! `current`, sorted once by `(time, seq)`, and popped from there. Pushing is O(1) for anything beyond
//! the current slot, which is the common case, and memory access stays sequential.
//!
//! Slots keep their events in chunks of `CHUNK` entries taken from a shared pool and returned to it
//! when the slot is drained, so a burst in one slot does not pin memory in that slot forever
//! (one growable vector per slot needed 7 times the memory in our measurements, see BENCHMARKS.md).
//!
//! The slot width adapts one way: if slots hold a million events on average, slots are made
//! narrower (and more numerous, keeping the wheel's reach); if many events land beyond the wheel, it
//! gets more slots. Slots are never made wider: skipping an empty slot costs one look at a 12-byte
//! header, and widening during the sparse start of a gossip wave made the dense middle slower.
//! A resize rebuilds the wheel from the stored `(time, seq)` keys, so it never changes the order of
//! events, only the speed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Entry, EventQueue};

const CHUNK: usize = 32;
const NIL: u32 = u32::MAX;
const MIN_SHIFT: u32 = 8;
const MAX_SHIFT: u32 = 44;
/// The wheel never has fewer or more slots than this (as powers of two).
const MIN_SLOTS_LOG2: u32 = 4;
const MAX_SLOTS_LOG2: u32 = 20;
/// Drains between two looks at the statistics.
const WINDOW: u32 = 32;
/// Default: above this many events per drained slot on average (32 MB of entries, the size of L3 here),
/// slots are made narrower. Below it, sorting a big slot once is cheaper than rebuilding: at the
/// peak of a million-peer flood slots hold ~70,000 events, and narrowing them made the run 20 %
/// slower (measured).
const DENSE: u64 = 1 << 20;

/// Tuning of a [`CalendarQueue`]. The defaults suit latencies of micro- to milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalendarConfig {
    /// Width of a slot is `2^slot_width_log2` nanoseconds (default 2^17 ns, about 131 µs).
    pub slot_width_log2: u32,
    /// Number of slots on the wheel is `2^slots_log2` (default 2^14). With the default width the
    /// wheel reaches about 2.1 s ahead; when slots are made narrower their number grows so that the
    /// reach stays the same (up to 2^20 slots), and it also grows when many events land beyond it.
    pub slots_log2: u32,
    /// Let the queue adapt the slot width to the density of events (default true).
    pub adaptive: bool,
    /// Make slots narrower when they hold more than this many events on average (default 2^20).
    pub narrow_above: u64,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        CalendarConfig { slot_width_log2: 17, slots_log2: 14, adaptive: true, narrow_above: DENSE }
    }
}

/// A slot's chain of chunks. Every chunk but the tail is full, so the tail's fill is `len % CHUNK`
/// (or `CHUNK` when `len` is a non-zero multiple).
#[derive(Clone, Copy, Debug)]
struct Slot {
    head: u32,
    tail: u32,
    len: u32,
}

impl Slot {
    const EMPTY: Slot = Slot { head: NIL, tail: NIL, len: 0 };
}

/// The default event queue: a timing wheel with chunked slots and an overflow heap.
#[derive(Debug)]
pub struct CalendarQueue<E> {
    shift: u32,
    nslots: u64,
    mask: u64,
    adaptive: bool,
    dense: u64,
    slots: Vec<Slot>,
    /// Chunk `c` is `pool[c * CHUNK .. (c + 1) * CHUNK]`; its successor in a slot is `next[c]`.
    /// A position holds an entry exactly while it is pending: draining moves entries out and leaves
    /// `None`, so a drained event (and whatever it owns, such as a shared message body) is neither
    /// copied nor kept alive by the pool.
    pool: Vec<Option<Entry<E>>>,
    next: Vec<u32>,
    free_chunks: Vec<u32>,
    /// Absolute index (`time >> shift`) of the slot being consumed.
    cur: u64,
    /// Entries of the slot being consumed as drained, sorted by descending key (pop from the end).
    current: Vec<Entry<E>>,
    /// Entries pushed while their slot was already being consumed (`slot <= cur`): a heap, so that
    /// a burst of same-slot pushes costs O(log n) each, not a shift of `current`.
    late: BinaryHeap<Reverse<Entry<E>>>,
    /// Entries whose slot is `>= cur + nslots`.
    overflow: BinaryHeap<Reverse<Entry<E>>>,
    wheel_len: usize,
    len: usize,
    drains: u32,
    drained: u64,
    scanned: u64,
    pushes: u64,
    overflowed: u64,
}

impl<E: Clone> Default for CalendarQueue<E> {
    fn default() -> Self {
        Self::with_config(CalendarConfig::default())
    }
}

impl<E: Clone> CalendarQueue<E> {
    /// An empty queue with the default configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty queue with the given configuration. Out-of-range widths are clamped.
    pub fn with_config(config: CalendarConfig) -> Self {
        let nslots = 1u64 << config.slots_log2.clamp(MIN_SLOTS_LOG2, MAX_SLOTS_LOG2);
        CalendarQueue {
            shift: config.slot_width_log2.clamp(MIN_SHIFT, MAX_SHIFT),
            nslots,
            mask: nslots - 1,
            adaptive: config.adaptive,
            dense: config.narrow_above.max(64),
            slots: vec![Slot::EMPTY; nslots as usize],
            pool: Vec::new(),
            next: Vec::new(),
            free_chunks: Vec::new(),
            cur: 0,
            current: Vec::new(),
            late: BinaryHeap::new(),
            overflow: BinaryHeap::new(),
            wheel_len: 0,
            len: 0,
            drains: 0,
            drained: 0,
            scanned: 0,
            pushes: 0,
            overflowed: 0,
        }
    }

    /// The current slot width as a power of two of nanoseconds (changes when the queue adapts).
    pub fn slot_width_log2(&self) -> u32 {
        self.shift
    }

    /// The current number of slots as a power of two (grows when the queue adapts).
    pub fn slots_log2(&self) -> u32 {
        self.nslots.trailing_zeros()
    }

    #[inline]
    fn append_to_slot(&mut self, slot: u64, entry: Entry<E>) {
        let idx = (slot & self.mask) as usize;
        let s = self.slots[idx];
        let fill = s.len as usize % CHUNK;
        if fill == 0 {
            // The tail is full (or there is none): chain a fresh chunk, written at its first position.
            let c = self.take_chunk(entry);
            if s.tail == NIL {
                self.slots[idx].head = c;
            } else {
                self.next[s.tail as usize] = c;
            }
            self.slots[idx].tail = c;
        } else {
            self.pool[s.tail as usize * CHUNK + fill] = Some(entry);
        }
        self.slots[idx].len += 1;
        self.wheel_len += 1;
    }

    /// A chunk from the free list (or a new one), with `first` stored at its start.
    fn take_chunk(&mut self, first: Entry<E>) -> u32 {
        if let Some(c) = self.free_chunks.pop() {
            self.next[c as usize] = NIL;
            self.pool[c as usize * CHUNK] = Some(first);
            c
        } else {
            let c = u32::try_from(self.next.len()).expect("more than 2^32 chunks of pending events");
            self.next.push(NIL);
            let start = self.pool.len();
            self.pool.resize_with(start + CHUNK, || None);
            self.pool[start] = Some(first);
            c
        }
    }

    /// Moves the entries of a slot's chain to `out` and frees the chunks.
    fn drain_chain(&mut self, slot: Slot, out: &mut Vec<Entry<E>>) {
        let mut c = slot.head;
        let mut left = slot.len as usize;
        while c != NIL {
            let n = left.min(CHUNK);
            let start = c as usize * CHUNK;
            out.extend(
                self.pool[start..start + n].iter_mut().map(|e| e.take().expect("pending positions hold entries")),
            );
            left -= n;
            self.free_chunks.push(c);
            c = self.next[c as usize];
        }
    }

    /// Places an entry whose slot is beyond `cur` on the wheel or in the overflow heap.
    #[inline]
    fn place_ahead(&mut self, slot: u64, entry: Entry<E>) {
        if slot < self.cur + self.nslots {
            self.append_to_slot(slot, entry);
        } else {
            self.overflowed += 1;
            self.overflow.push(Reverse(entry));
        }
    }

    /// Moves overflow entries that came within the wheel's reach onto the wheel.
    fn migrate(&mut self) {
        let end = self.cur + self.nslots;
        while let Some(top) = self.overflow.peek() {
            let slot = top.0.time >> self.shift;
            if slot >= end {
                break;
            }
            let Reverse(entry) = self.overflow.pop().expect("peeked entry exists");
            self.append_to_slot(slot, entry);
        }
    }

    fn drain_slot(&mut self, idx: usize) {
        let slot = std::mem::replace(&mut self.slots[idx], Slot::EMPTY);
        let mut current = std::mem::take(&mut self.current);
        self.drain_chain(slot, &mut current);
        self.current = current;
        self.wheel_len -= slot.len as usize;
        // Keys are unique (seq is), so an unstable sort gives one exact order.
        self.current.sort_unstable_by_key(|e| Reverse(e.key()));
        self.drains += 1;
        self.drained += u64::from(slot.len);
    }

    /// Loads the next non-empty slot into `current`. Requires `current` empty and `len > 0`.
    fn advance(&mut self) {
        // Look at the statistics every WINDOW drains, or at once when slots are very dense.
        if self.adaptive && (self.drains >= WINDOW || self.drained >= 4 * self.dense) {
            self.maybe_resize();
            if !self.current.is_empty() {
                return;
            }
        }
        loop {
            if self.wheel_len == 0 {
                // Nothing on the wheel: jump straight to the earliest far-future event.
                let t = self.overflow.peek().expect("pending events are on the wheel or in overflow").0.time;
                self.cur = t >> self.shift;
            } else {
                self.cur += 1;
            }
            self.migrate();
            let idx = (self.cur & self.mask) as usize;
            if self.slots[idx].len > 0 {
                self.drain_slot(idx);
                return;
            }
            self.scanned += 1;
        }
    }

    fn maybe_resize(&mut self) {
        let avg = self.drained / u64::from(self.drains.max(1));
        let slots_log2 = self.nslots.trailing_zeros();
        let (mut shift, mut slots) = (self.shift, slots_log2);
        if avg > self.dense {
            // Aim for about a quarter of the threshold per slot, keeping the wheel's reach in time.
            let factor = (avg / (self.dense / 4)).max(2);
            let narrower = shift.saturating_sub(63 - factor.leading_zeros()).max(MIN_SHIFT);
            slots = (slots + (shift - narrower)).min(MAX_SLOTS_LOG2);
            shift = narrower;
        }
        // Too much lands beyond the wheel: reach further with more slots.
        if self.overflowed * 8 > self.pushes && slots == slots_log2 && slots < MAX_SLOTS_LOG2 {
            slots += 1;
        }
        self.drains = 0;
        self.drained = 0;
        self.scanned = 0;
        self.pushes = 0;
        self.overflowed = 0;
        if shift != self.shift || slots != slots_log2 {
            self.rebuild(shift, slots);
        }
    }

    /// Re-files every pending entry under a new slot width and slot count. Order is kept by the
    /// stored keys.
    fn rebuild(&mut self, shift: u32, slots_log2: u32) {
        let mut all: Vec<Entry<E>> = Vec::with_capacity(self.len);
        all.append(&mut self.current);
        all.extend(std::mem::take(&mut self.late).into_vec().into_iter().map(|r| r.0));
        for idx in 0..self.slots.len() {
            let slot = std::mem::replace(&mut self.slots[idx], Slot::EMPTY);
            self.drain_chain(slot, &mut all);
        }
        all.extend(std::mem::take(&mut self.overflow).into_vec().into_iter().map(|r| r.0));
        self.wheel_len = 0;
        self.shift = shift;
        self.nslots = 1 << slots_log2;
        self.mask = self.nslots - 1;
        self.slots = vec![Slot::EMPTY; self.nslots as usize];
        let Some(min_time) = all.iter().map(|e| e.time).min() else {
            return;
        };
        self.cur = min_time >> shift;
        for entry in all {
            let slot = entry.time >> shift;
            if slot == self.cur {
                self.current.push(entry);
            } else {
                self.place_ahead(slot, entry);
            }
        }
        self.current.sort_unstable_by_key(|e| Reverse(e.key()));
    }

    #[inline]
    fn ensure_current(&mut self) {
        if self.current.is_empty() && self.late.is_empty() && self.len > 0 {
            self.advance();
        }
    }

    /// The smallest pending key's time, once `ensure_current` ran.
    #[inline]
    fn min_time(&self) -> Option<u64> {
        match (self.current.last(), self.late.peek()) {
            (Some(c), Some(l)) => Some(c.time.min(l.0.time)),
            (Some(c), None) => Some(c.time),
            (None, Some(l)) => Some(l.0.time),
            (None, None) => None,
        }
    }
}

impl<E: Clone> EventQueue<E> for CalendarQueue<E> {
    #[inline]
    fn push(&mut self, entry: Entry<E>) {
        self.len += 1;
        self.pushes += 1;
        let slot = entry.time >> self.shift;
        if slot <= self.cur {
            // Due in the slot being consumed (or earlier, after a run stopped mid-slot).
            self.late.push(Reverse(entry));
        } else {
            self.place_ahead(slot, entry);
        }
    }

    #[inline]
    fn pop_before(&mut self, limit: u64) -> Option<Entry<E>> {
        self.ensure_current();
        let from_late = match (self.current.last(), self.late.peek()) {
            (Some(c), Some(l)) => l.0.key() < c.key(),
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => return None,
        };
        let time = if from_late { self.late.peek()?.0.time } else { self.current.last()?.time };
        if time >= limit {
            return None;
        }
        self.len -= 1;
        if from_late { self.late.pop().map(|r| r.0) } else { self.current.pop() }
    }

    fn peek_time(&mut self) -> Option<u64> {
        self.ensure_current();
        self.min_time()
    }

    #[inline]
    fn ahead(&self, k: usize) -> Option<&E> {
        // The drained slot pops from its end. With late pushes pending, the order interleaves the
        // two and no cheap answer is exact: none then.
        if !self.late.is_empty() {
            return None;
        }
        let i = self.current.len().checked_sub(k + 1)?;
        Some(&self.current[i].event)
    }

    fn len(&self) -> usize {
        self.len
    }

    fn memory_bytes(&self) -> usize {
        let entry = std::mem::size_of::<Entry<E>>();
        self.pool.capacity() * std::mem::size_of::<Option<Entry<E>>>()
            + self.next.capacity() * 4
            + self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.current.capacity() * entry
            + self.late.capacity() * entry
            + self.overflow.capacity() * entry
            + self.free_chunks.capacity() * 4
    }
}
