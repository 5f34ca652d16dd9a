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
//! (one growable vector per slot needed 7 times the memory in our measurements, see PERFORMANCE.md).
//!
//! The slot width adapts: if slots hold too many events the width halves, if the wheel mostly scans
//! empty slots it doubles. A resize rebuilds the wheel from the stored `(time, seq)` keys, so it never
//! changes the order of events, only the speed.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Entry, EventQueue};

const CHUNK: usize = 128;
const NIL: u32 = u32::MAX;
const MIN_SHIFT: u32 = 8;
const MAX_SHIFT: u32 = 44;
/// Drains between two looks at the statistics.
const WINDOW: u32 = 32;
/// Above this many events per drained slot on average, slots are made narrower.
const DENSE: u64 = 256;
/// Below this many events per drained slot, with many empty slots scanned, slots are made wider.
const SPARSE: u64 = 16;

/// Tuning of a [`CalendarQueue`]. The defaults suit latencies of micro- to milliseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CalendarConfig {
    /// Width of a slot is `2^slot_width_log2` nanoseconds (default 2^17 ns, about 131 µs).
    pub slot_width_log2: u32,
    /// Number of slots on the wheel is `2^slots_log2` (default 2^14).
    pub slots_log2: u32,
    /// Let the queue adapt the slot width to the density of events (default true).
    pub adaptive: bool,
}

impl Default for CalendarConfig {
    fn default() -> Self {
        CalendarConfig {
            slot_width_log2: 17,
            slots_log2: 14,
            adaptive: true,
        }
    }
}

#[derive(Debug)]
struct Chunk<E> {
    items: Vec<Entry<E>>,
    next: u32,
}

#[derive(Clone, Copy, Debug)]
struct Slot {
    head: u32,
    tail: u32,
    len: u32,
}

impl Slot {
    const EMPTY: Slot = Slot {
        head: NIL,
        tail: NIL,
        len: 0,
    };
}

/// The default event queue: a timing wheel with chunked slots and an overflow heap.
#[derive(Debug)]
pub struct CalendarQueue<E> {
    shift: u32,
    nslots: u64,
    mask: u64,
    adaptive: bool,
    slots: Vec<Slot>,
    chunks: Vec<Chunk<E>>,
    free_chunks: Vec<u32>,
    /// Absolute index (`time >> shift`) of the slot being consumed.
    cur: u64,
    /// Every pending entry whose slot is `<= cur`, sorted by descending key (pop from the end).
    current: Vec<Entry<E>>,
    /// Entries whose slot is `>= cur + nslots`.
    overflow: BinaryHeap<Reverse<Entry<E>>>,
    wheel_len: usize,
    len: usize,
    drains: u32,
    drained: u64,
    scanned: u64,
}

impl<E> Default for CalendarQueue<E> {
    fn default() -> Self {
        Self::with_config(CalendarConfig::default())
    }
}

impl<E> CalendarQueue<E> {
    /// An empty queue with the default configuration.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty queue with the given configuration. Out-of-range widths are clamped.
    pub fn with_config(config: CalendarConfig) -> Self {
        let nslots = 1u64 << config.slots_log2.clamp(4, 20);
        CalendarQueue {
            shift: config.slot_width_log2.clamp(MIN_SHIFT, MAX_SHIFT),
            nslots,
            mask: nslots - 1,
            adaptive: config.adaptive,
            slots: vec![Slot::EMPTY; nslots as usize],
            chunks: Vec::new(),
            free_chunks: Vec::new(),
            cur: 0,
            current: Vec::new(),
            overflow: BinaryHeap::new(),
            wheel_len: 0,
            len: 0,
            drains: 0,
            drained: 0,
            scanned: 0,
        }
    }

    /// The current slot width as a power of two of nanoseconds (changes when the queue adapts).
    pub fn slot_width_log2(&self) -> u32 {
        self.shift
    }

    #[inline]
    fn append_to_slot(&mut self, slot: u64, entry: Entry<E>) {
        let idx = (slot & self.mask) as usize;
        let s = self.slots[idx];
        let tail_full = s.tail == NIL || self.chunks[s.tail as usize].items.len() == CHUNK;
        if tail_full {
            let c = self.take_chunk();
            if s.tail == NIL {
                self.slots[idx].head = c;
            } else {
                self.chunks[s.tail as usize].next = c;
            }
            self.slots[idx].tail = c;
        }
        let tail = self.slots[idx].tail as usize;
        self.chunks[tail].items.push(entry);
        self.slots[idx].len += 1;
        self.wheel_len += 1;
    }

    fn take_chunk(&mut self) -> u32 {
        if let Some(c) = self.free_chunks.pop() {
            self.chunks[c as usize].next = NIL;
            c
        } else {
            let c =
                u32::try_from(self.chunks.len()).expect("more than 2^32 chunks of pending events");
            self.chunks.push(Chunk {
                items: Vec::with_capacity(CHUNK),
                next: NIL,
            });
            c
        }
    }

    /// Places an entry whose slot is beyond `cur` on the wheel or in the overflow heap.
    #[inline]
    fn place_ahead(&mut self, slot: u64, entry: Entry<E>) {
        if slot < self.cur + self.nslots {
            self.append_to_slot(slot, entry);
        } else {
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
        let mut c = slot.head;
        while c != NIL {
            let chunk = &mut self.chunks[c as usize];
            self.current.append(&mut chunk.items);
            let next = chunk.next;
            self.free_chunks.push(c);
            c = next;
        }
        self.wheel_len -= slot.len as usize;
        // Keys are unique (seq is), so an unstable sort gives one exact order.
        self.current.sort_unstable_by_key(|e| Reverse(e.key()));
        self.drains += 1;
        self.drained += u64::from(slot.len);
    }

    /// Loads the next non-empty slot into `current`. Requires `current` empty and `len > 0`.
    fn advance(&mut self) {
        // Look at the statistics every WINDOW drains, or at once when slots are very dense.
        if self.adaptive && (self.drains >= WINDOW || self.drained >= u64::from(WINDOW) * DENSE) {
            self.maybe_resize();
            if !self.current.is_empty() {
                return;
            }
        }
        loop {
            if self.wheel_len == 0 {
                // Nothing on the wheel: jump straight to the earliest far-future event.
                let t = self
                    .overflow
                    .peek()
                    .expect("pending events are on the wheel or in overflow")
                    .0
                    .time;
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
        let scans = self.scanned / u64::from(self.drains.max(1));
        let mut shift = self.shift;
        if avg > DENSE {
            // Aim for about DENSE/4 events per slot.
            let factor = (avg / (DENSE / 4)).max(2);
            shift = shift
                .saturating_sub(63 - factor.leading_zeros())
                .max(MIN_SHIFT);
        } else if avg < SPARSE && scans > 8 {
            shift = (shift + 1).min(MAX_SHIFT);
        }
        self.drains = 0;
        self.drained = 0;
        self.scanned = 0;
        if shift != self.shift {
            self.rebuild(shift);
        }
    }

    /// Re-files every pending entry under a new slot width. Order is kept by the stored keys.
    fn rebuild(&mut self, shift: u32) {
        let mut all: Vec<Entry<E>> = Vec::with_capacity(self.len);
        all.append(&mut self.current);
        for idx in 0..self.slots.len() {
            let slot = std::mem::replace(&mut self.slots[idx], Slot::EMPTY);
            let mut c = slot.head;
            while c != NIL {
                let chunk = &mut self.chunks[c as usize];
                all.append(&mut chunk.items);
                let next = chunk.next;
                self.free_chunks.push(c);
                c = next;
            }
        }
        all.extend(
            std::mem::take(&mut self.overflow)
                .into_vec()
                .into_iter()
                .map(|r| r.0),
        );
        self.wheel_len = 0;
        self.shift = shift;
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
        if self.current.is_empty() && self.len > 0 {
            self.advance();
        }
    }
}

impl<E> EventQueue<E> for CalendarQueue<E> {
    #[inline]
    fn push(&mut self, entry: Entry<E>) {
        self.len += 1;
        let slot = entry.time >> self.shift;
        if slot <= self.cur {
            // Due in the slot being consumed (or earlier, after a run stopped mid-slot): keep `current`
            // sorted. The new entry has the largest seq, so it goes after every entry at its time.
            let key = entry.key();
            let pos = self.current.partition_point(|e| e.key() > key);
            self.current.insert(pos, entry);
        } else {
            self.place_ahead(slot, entry);
        }
    }

    #[inline]
    fn pop_before(&mut self, limit: u64) -> Option<Entry<E>> {
        self.ensure_current();
        if self.current.last()?.time < limit {
            self.len -= 1;
            self.current.pop()
        } else {
            None
        }
    }

    fn peek_time(&mut self) -> Option<u64> {
        self.ensure_current();
        self.current.last().map(|e| e.time)
    }

    fn len(&self) -> usize {
        self.len
    }

    fn memory_bytes(&self) -> usize {
        let entry = std::mem::size_of::<Entry<E>>();
        self.chunks.len() * (CHUNK * entry + std::mem::size_of::<Chunk<E>>())
            + self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.current.capacity() * entry
            + self.overflow.capacity() * entry
            + self.free_chunks.capacity() * 4
    }
}
