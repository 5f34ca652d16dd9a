//! A service's storage: per (peer, message), the first time seen, the number of copies received,
//! the hops the first copy had made, and which data version was kept; and for ranged pull gossip,
//! per (peer, producer), the highest counter seen and the holes below it.
//!
//! Storages belong to one service (P2PSimpy's oddity S1, two services overwriting each other's
//! storage by name, is not reproduced). Each message has a column over the service's peers, sparse
//! (a hash map, iterated only through sorted keys) while few peers have it and dense once an eighth
//! do, so memory grows with what is stored. A dense column holds 8-byte cells ([`Narrow`]) while
//! its values fit them, and 12-byte cells from the first that does not.

use std::collections::BTreeSet;

use p2psim_kernel::SimTime;
use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::message::MsgIdx;

/// What a peer knows of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// When the first copy was stored.
    pub first_seen: SimTime,
    /// Copies received (every store counts, as P2PSimpy's `times_seen`; saturates at 2^22 - 1).
    pub copies: u32,
    /// Hops the first copy had made from the producer (0 at the producer; saturates at 255).
    pub hops: u8,
    /// The kept data (the first copy's) was altered.
    pub tampered: bool,
}

/// One (peer, message) cell in 12 bytes: the first time seen in nanoseconds (low and high
/// halves, so that the cell aligns to 4 bytes), then one word: the tampered flag in the top bit,
/// the pending flag, 8 bits of hops and 22 bits of copies. All zeros is "never stored" (a stored
/// cell has at least one copy), so a dense column is allocated zeroed and its untouched pages cost
/// no memory.
///
/// A cell can also be *pending* (flag `PENDING`): not stored yet, but a copy is on its way that
/// will be, arriving at the time the cell holds, and the copies counted in it arrive no earlier
/// (see [`Storage::count_known_copy`]).
type Cell = [u32; 3];

const EMPTY: Cell = [0; 3];
const TAMPERED: u32 = 1 << 31;
const PENDING: u32 = 1 << 30;
const HOPS_SHIFT: u32 = 22;
const HOPS: u32 = 0xff << HOPS_SHIFT;
const COPIES: u32 = (1 << HOPS_SHIFT) - 1;

#[inline]
fn copies(c: &Cell) -> u32 {
    c[2] & COPIES
}

#[inline]
fn hops(c: &Cell) -> u8 {
    ((c[2] & HOPS) >> HOPS_SHIFT) as u8
}

#[inline]
fn stored(c: &Cell) -> bool {
    c[2] != 0 && c[2] & PENDING == 0
}

#[inline]
fn set_first(c: &mut Cell, t: u64) {
    c[0] = t as u32;
    c[1] = (t >> 32) as u32;
}

#[inline]
fn first_ns(c: &Cell) -> u64 {
    u64::from(c[1]) << 32 | u64::from(c[0])
}

/// The record a stored cell holds.
#[inline]
fn record(c: &Cell) -> Record {
    Record {
        first_seen: SimTime::from_nanos(first_ns(c)),
        copies: copies(c),
        hops: hops(c),
        tampered: c[2] & TAMPERED != 0,
    }
}

/// A dense column's cells in 8 bytes each, relative to the column's `base` time: bits 0–39 the
/// first time seen (or the pending arrival) minus `base` in nanoseconds (up to 18.3 minutes),
/// bits 40–53 the copies (up to 16,383), bits 54–61 the hops, bit 62 pending, bit 63 tampered;
/// 0 is "never stored", as for [`Cell`].
///
/// Invariant: a narrow cell decodes to exactly the [`Cell`] that was encoded, and `base` is no
/// later than any time the column will hold (the time the column was made, or its earliest
/// value). A value that does not fit (a copy past 16,383, a time past `base` + 18.3 min) turns
/// the column into 12-byte cells before it is written, so results never depend on the width. A
/// million peers × 100 messages take 800 MB instead of 1.2 GB.
#[derive(Clone, Debug)]
struct Narrow {
    base: u64,
    cells: Vec<u64>,
}

const OFFSET_BITS: u32 = 40;
const NARROW_COPIES: u32 = (1 << 14) - 1;

impl Narrow {
    #[inline]
    fn decode(&self, x: u64) -> Cell {
        if x == 0 {
            return EMPTY;
        }
        let mut c = EMPTY;
        set_first(&mut c, self.base + (x & ((1 << OFFSET_BITS) - 1)));
        let copies = (x >> OFFSET_BITS) as u32 & NARROW_COPIES;
        let hops = (x >> 54) as u32 & 0xff;
        let flag = |shift: u32, bit: u32| if x >> shift & 1 == 1 { bit } else { 0 };
        c[2] = copies | (hops << HOPS_SHIFT) | flag(62, PENDING) | flag(63, TAMPERED);
        c
    }

    /// The narrow form of `c`, if it fits.
    #[inline]
    fn encode(&self, c: &Cell) -> Option<u64> {
        if *c == EMPTY {
            return Some(0);
        }
        let offset = first_ns(c).checked_sub(self.base)?;
        if offset >> OFFSET_BITS != 0 || copies(c) > NARROW_COPIES {
            return None;
        }
        let flag = |bit: u32| u64::from(c[2] & bit != 0);
        Some(
            offset
                | u64::from(copies(c)) << OFFSET_BITS
                | u64::from(hops(c)) << 54
                | flag(PENDING) << 62
                | flag(TAMPERED) << 63,
        )
    }

    /// `cells` in 8 bytes each from `base`, if every one fits.
    fn pack(cells: &[Cell], base: u64) -> Option<Narrow> {
        let mut n = Narrow { base, cells: Vec::with_capacity(cells.len()) };
        for c in cells {
            let x = n.encode(c)?;
            n.cells.push(x);
        }
        Some(n)
    }

    /// The column in 12-byte cells.
    fn widen(&self) -> Vec<Cell> {
        self.cells.iter().map(|&x| self.decode(x)).collect()
    }
}

/// Services with at most this many peers keep every message column dense.
const DENSE_FROM_START: usize = 4096;

#[derive(Clone, Debug)]
enum Column {
    Sparse(FxHashMap<u32, Cell>),
    Narrow(Narrow),
    Dense(Vec<Cell>),
}

/// Per producer, ranged pull gossip's counters: the highest seen and the holes below it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Range {
    /// Highest counter stored (0 = none).
    pub last: u32,
    /// Counters known to exist but not stored, in order.
    pub holes: BTreeSet<u32>,
    /// Highest counter ever marked as a hole. Everything above `last` up to here is a hole already
    /// (storing anything above `last` raises it), so marking again can start above this.
    marked: u32,
}

/// A peer's ranged counters by producer, the first in place.
type PeerRanges = SmallVec<[(u32, Range); 1]>;

/// One service's storage over its peers (addressed by local index).
#[derive(Clone, Debug)]
pub struct Storage {
    members: usize,
    columns: Vec<Column>,
    known: Option<Vec<Vec<MsgIdx>>>,
    /// Per peer, its counters by producer, sorted by producer. A peer hears of few producers,
    /// often one: the first is kept in the peer's own entry, so that reading it is one memory
    /// access at a known address (which an arrival can prefetch), not a pointer to follow.
    ranges: Option<Vec<PeerRanges>>,
    records: u64,
}

impl Storage {
    /// A storage over `members` peers. `track_known` keeps a per-peer list of stored messages
    /// (pull gossip's index); `ranged` keeps per-producer counters (ranged pull gossip).
    pub fn new(members: usize, track_known: bool, ranged: bool) -> Storage {
        Storage {
            members,
            columns: Vec::new(),
            known: track_known.then(|| vec![Vec::new(); members]),
            ranges: ranged.then(|| vec![PeerRanges::new(); members]),
            records: 0,
        }
    }

    fn cell(&self, local: u32, m: MsgIdx) -> Cell {
        match self.columns.get(m.index()) {
            None => EMPTY,
            Some(Column::Sparse(map)) => map.get(&local).copied().unwrap_or(EMPTY),
            Some(Column::Narrow(n)) => n.decode(n.cells[local as usize]),
            Some(Column::Dense(v)) => v[local as usize],
        }
    }

    /// Stores a copy of `m` at peer `local`, a copy that made `hops` hops from its producer;
    /// returns true if it was the first (whose time, hops and data version are kept).
    pub fn add(&mut self, local: u32, m: MsgIdx, now: SimTime, hops: u8, tampered: bool) -> bool {
        let first = self.update(local, m, now, |cell| {
            let first = !stored(cell);
            cell[2] &= !PENDING;
            if copies(cell) < COPIES {
                cell[2] += 1;
            }
            if first {
                set_first(cell, now.as_nanos());
                cell[2] = (cell[2] & !HOPS) | (u32::from(hops) << HOPS_SHIFT);
                if tampered {
                    cell[2] |= TAMPERED;
                }
            }
            first
        });
        if first {
            self.records += 1;
            if let Some(k) = &mut self.known {
                k[local as usize].push(m);
            }
        }
        first
    }

    /// For a copy of `m` sent at `now` that will arrive at peer `local` at `arrival`, from a
    /// sender that knows every copy on its way will be stored on arrival if it is the first: if
    /// the copy will find `m` stored (it is, or a copy arriving no later is on its way), counts it
    /// now and returns true; otherwise notes this copy as the earliest on its way and returns
    /// false.
    pub fn count_known_copy(&mut self, local: u32, m: MsgIdx, now: SimTime, arrival: SimTime) -> bool {
        let t = arrival.as_nanos();
        self.update(local, m, now, |cell| {
            if stored(cell) || (cell[2] & PENDING != 0 && first_ns(cell) <= t) {
                if copies(cell) < COPIES {
                    cell[2] += 1;
                }
                return true;
            }
            cell[2] |= PENDING;
            set_first(cell, t);
            false
        })
    }

    /// Asks the CPU to bring the cell of (`local`, `m`) into the cache, without waiting for it:
    /// several cells prefetched in a row are fetched at once, where reading each as it is needed
    /// waits for each in turn.
    #[inline]
    pub fn prefetch(&self, local: u32, m: MsgIdx) {
        match self.columns.get(m.index()) {
            Some(Column::Narrow(n)) => prefetch_index::prefetch_index(&n.cells, local as usize),
            Some(Column::Dense(v)) => prefetch_index::prefetch_index(v, local as usize),
            _ => {}
        }
    }

    /// Asks the CPU to bring peer `local`'s lists (known messages, ranged counters) into the
    /// cache: what a pull message's arrival reads first.
    #[inline]
    pub fn prefetch_peer(&self, local: u32) {
        if let Some(k) = &self.known {
            prefetch_index::prefetch_index(k, local as usize);
        }
        if let Some(r) = &self.ranges {
            // An entry may straddle two cache lines; the next entry starts in the line where this
            // one ends.
            prefetch_index::prefetch_index(r, local as usize);
            prefetch_index::prefetch_index(r, local as usize + 1);
        }
    }

    /// Applies `f` to the cell of (`local`, `m`) at time `now` (no later than any time `f` writes),
    /// making the column if there is none and changing its form where needed: dense once an
    /// eighth of a sparse column is stored, 12-byte cells once a value does not fit 8 bytes.
    #[inline]
    fn update<R>(&mut self, local: u32, m: MsgIdx, now: SimTime, f: impl FnOnce(&mut Cell) -> R) -> R {
        let base = now.as_nanos();
        while self.columns.len() <= m.index() {
            // Small services start dense: a column of 4096 cells is 32 KB, cheaper than hashing.
            self.columns.push(if self.members <= DENSE_FROM_START {
                Column::Narrow(Narrow { base, cells: vec![0; self.members] })
            } else {
                Column::Sparse(FxHashMap::default())
            });
        }
        let members = self.members;
        let column = &mut self.columns[m.index()];
        if let Column::Sparse(map) = column
            && map.len() * 8 >= members
            && !map.contains_key(&local)
        {
            let mut v = vec![EMPTY; members];
            for (&k, &c) in map.iter() {
                v[k as usize] = c;
            }
            // Every time the column holds or will hold is at least its earliest or now.
            let earliest = map.values().map(first_ns).min().unwrap_or(base).min(base);
            *column = match Narrow::pack(&v, earliest) {
                Some(n) => Column::Narrow(n),
                None => Column::Dense(v),
            };
        }
        match column {
            Column::Dense(v) => f(&mut v[local as usize]),
            Column::Sparse(map) => f(map.entry(local).or_insert(EMPTY)),
            Column::Narrow(n) => {
                let mut cell = n.decode(n.cells[local as usize]);
                let r = f(&mut cell);
                match n.encode(&cell) {
                    Some(x) => n.cells[local as usize] = x,
                    None => {
                        let mut v = n.widen();
                        v[local as usize] = cell;
                        *column = Column::Dense(v);
                    }
                }
                r
            }
        }
    }

    /// True if peer `local` stored `m`.
    #[inline]
    pub fn has(&self, local: u32, m: MsgIdx) -> bool {
        stored(&self.cell(local, m))
    }

    /// What peer `local` knows of `m`.
    pub fn get(&self, local: u32, m: MsgIdx) -> Option<Record> {
        let c = self.cell(local, m);
        stored(&c).then(|| record(&c))
    }

    /// Calls `f` with every peer that stored `m` and what it knows of it, in local order: one
    /// sequential read of the message's column, for analyses over every (message, peer) cell.
    pub fn for_each_stored(&self, m: MsgIdx, mut f: impl FnMut(u32, Record)) {
        match self.columns.get(m.index()) {
            None => {}
            Some(Column::Narrow(n)) => {
                for (local, &x) in n.cells.iter().enumerate() {
                    let c = n.decode(x);
                    if stored(&c) {
                        f(local as u32, record(&c));
                    }
                }
            }
            Some(Column::Dense(v)) => {
                for (local, c) in v.iter().enumerate() {
                    if stored(c) {
                        f(local as u32, record(c));
                    }
                }
            }
            Some(Column::Sparse(map)) => {
                let mut locals: Vec<u32> = map.iter().filter(|(_, c)| stored(c)).map(|(&k, _)| k).collect();
                locals.sort_unstable();
                for local in locals {
                    f(local, record(&map[&local]));
                }
            }
        }
    }

    /// The messages peer `local` stored, in the order it stored them (needs `track_known`).
    pub fn known(&self, local: u32) -> &[MsgIdx] {
        self.known.as_ref().map_or(&[], |k| &k[local as usize])
    }

    /// Ranged counters of peer `local` for `producer` (needs `ranged`).
    pub fn range(&self, local: u32, producer: u32) -> Option<&Range> {
        let r = &self.ranges.as_ref()?[local as usize];
        r.binary_search_by_key(&producer, |e| e.0).ok().map(|i| &r[i].1)
    }

    /// All ranged counters of peer `local`, sorted by producer.
    pub fn ranges(&self, local: u32) -> &[(u32, Range)] {
        self.ranges.as_ref().map_or(&[], |r| &r[local as usize])
    }

    /// The counters of `producer` at peer `local`, made empty if there are none.
    fn range_mut(&mut self, local: u32, producer: u32) -> Option<&mut Range> {
        let r = &mut self.ranges.as_mut()?[local as usize];
        let i = match r.binary_search_by_key(&producer, |e| e.0) {
            Ok(i) => i,
            Err(i) => {
                r.insert(i, (producer, Range::default()));
                i
            }
        };
        Some(&mut r[i].1)
    }

    /// `pre_add`: marks `last + 1 ..= c` of `producer` as holes at peer `local`, without raising `last`.
    pub fn pre_add(&mut self, local: u32, producer: u32, c: u32) {
        if let Some(range) = self.range_mut(local, producer) {
            for x in range.last.max(range.marked) + 1..=c {
                range.holes.insert(x);
            }
            range.marked = range.marked.max(c);
        }
    }

    /// Ranged bookkeeping of a stored `(producer, c)`: `pre_add`, raise `last`, fill the hole.
    pub fn ranged_add(&mut self, local: u32, producer: u32, c: u32) {
        self.pre_add(local, producer, c);
        if let Some(range) = self.range_mut(local, producer) {
            range.last = range.last.max(c);
            range.holes.remove(&c);
        }
    }

    /// Number of peers this storage covers.
    pub fn members(&self) -> usize {
        self.members
    }

    /// Number of (peer, message) records stored.
    pub fn records(&self) -> u64 {
        self.records
    }

    /// Bytes held, roughly.
    pub fn memory_bytes(&self) -> usize {
        let cell = std::mem::size_of::<Cell>();
        let cols: usize = self
            .columns
            .iter()
            .map(|c| match c {
                Column::Sparse(m) => m.capacity() * (cell + 8),
                Column::Narrow(n) => n.cells.capacity() * 8,
                Column::Dense(v) => v.capacity() * cell,
            })
            .sum();
        cols + self.known.as_ref().map_or(0, |k| k.iter().map(|v| v.capacity() * 4 + 24).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_copies_are_counted_from_the_earliest_copy_on_its_way() {
        for members in [16, 5000] {
            let mut s = Storage::new(members, false, false);
            let (t, m) = (SimTime::from_millis, MsgIdx(1));
            // Nothing stored or on its way: this copy is the earliest, not known.
            assert!(!s.count_known_copy(7, m, t(0), t(50)));
            assert!(!s.has(7, m) && s.get(7, m).is_none(), "on its way is not stored");
            // Arriving later than the earliest: known, counted. Earlier: the new earliest.
            assert!(s.count_known_copy(7, m, t(0), t(60)));
            assert!(s.count_known_copy(7, m, t(0), t(50)), "a tie arrives after the copy sent first");
            assert!(!s.count_known_copy(7, m, t(0), t(40)));
            assert!(s.count_known_copy(7, m, t(0), t(45)));
            assert_eq!(s.records(), 0);
            // The earliest arrives and is stored: the first copy, with the three counted early.
            assert!(s.add(7, m, t(40), 3, true));
            assert_eq!(s.get(7, m), Some(Record { first_seen: t(40), copies: 4, hops: 3, tampered: true }));
            // The copy once noted at 50 arrives as an event: a duplicate.
            assert!(!s.add(7, m, t(50), 1, false));
            assert_eq!(s.get(7, m).unwrap().hops, 3, "the first copy's hops are kept");
            assert!(s.count_known_copy(7, m, t(0), t(70)));
            assert_eq!(s.get(7, m).unwrap().copies, 6);
            assert_eq!(s.records(), 1);
        }
    }

    #[test]
    fn first_seen_is_kept_copies_are_counted_and_columns_densify() {
        let mut s = Storage::new(5000, true, false);
        let t = SimTime::from_millis;
        assert!(s.add(3, MsgIdx(2), t(5), 255, false));
        assert!(!s.add(3, MsgIdx(2), t(9), 0, true));
        assert_eq!(s.get(3, MsgIdx(2)), Some(Record { first_seen: t(5), copies: 2, hops: 255, tampered: false }));
        assert_eq!(s.get(4, MsgIdx(2)), None);
        assert!(!s.has(3, MsgIdx(0)));
        assert!(matches!(s.columns[2], Column::Sparse(_)), "a big service starts sparse");
        for p in 0..1000 {
            s.add(p, MsgIdx(2), t(10 + u64::from(p)), 1, false);
        }
        assert!(matches!(s.columns[2], Column::Narrow(_)), "and turns dense at an eighth");
        assert_eq!(s.get(3, MsgIdx(2)).unwrap().copies, 3);
        assert_eq!(s.get(999, MsgIdx(2)).unwrap().first_seen, t(1009));
        assert_eq!(s.known(3), &[MsgIdx(2)]);
        assert_eq!(s.records(), 1000);
        let mut small = Storage::new(16, false, false);
        small.add(1, MsgIdx(0), t(1), 0, false);
        assert!(matches!(small.columns[0], Column::Narrow(_)), "a small service is dense from the start");
    }

    /// A dense column keeps 8-byte cells while its values fit and turns to 12-byte cells, with
    /// every value kept, at the first that does not: a time 18.3 minutes past the column's start,
    /// a 16,384th copy.
    #[test]
    fn narrow_columns_widen_without_losing_a_value() {
        let t = SimTime::from_nanos;
        for members in [1000, 5000] {
            let mut s = Storage::new(members, false, false);
            let start = 3_000_000_000;
            // Enough peers to make a big service's column dense, each with its own time and hops.
            for p in 0..700u32 {
                assert!(s.add(p, MsgIdx(0), t(start + u64::from(p) * 7), (p % 256) as u8, p % 3 == 0));
            }
            assert!(!s.count_known_copy(700, MsgIdx(0), t(start), t(start + 5)), "pending");
            assert!(matches!(s.columns[0], Column::Narrow(_)));
            let before: Vec<Option<Record>> = (0..701).map(|p| s.get(p, MsgIdx(0))).collect();
            assert_eq!(before[5], Some(Record { first_seen: t(start + 35), copies: 1, hops: 5, tampered: false }));
            assert_eq!(before[255], Some(Record { first_seen: t(start + 1785), copies: 1, hops: 255, tampered: true }));
            assert_eq!(before[700], None, "pending is not stored");
            // Copies up to the narrow limit fit; one more widens.
            for _ in 1..NARROW_COPIES {
                s.add(1, MsgIdx(0), t(start + 10_000), 0, false);
            }
            assert!(matches!(s.columns[0], Column::Narrow(_)));
            assert_eq!(s.get(1, MsgIdx(0)).unwrap().copies, NARROW_COPIES);
            s.add(1, MsgIdx(0), t(start + 10_000), 0, false);
            assert!(matches!(s.columns[0], Column::Dense(_)), "widened by a copy");
            assert_eq!(s.get(1, MsgIdx(0)).unwrap().copies, NARROW_COPIES + 1);
            for p in (0..701).filter(|&p| p != 1) {
                assert_eq!(s.get(p, MsgIdx(0)), before[p as usize], "peer {p}");
            }
            // A first receipt 18.3 minutes after the column's start widens it too.
            let late = start + (1 << OFFSET_BITS);
            let mut s2 = Storage::new(16, false, false);
            s2.add(0, MsgIdx(0), t(start), 2, false);
            s2.add(1, MsgIdx(0), t(late - 1), 3, false);
            assert!(matches!(s2.columns[0], Column::Narrow(_)));
            s2.add(2, MsgIdx(0), t(late), 4, true);
            assert!(matches!(s2.columns[0], Column::Dense(_)), "widened by a time");
            let got: Vec<u64> = (0..3).map(|p| s2.get(p, MsgIdx(0)).unwrap().first_seen.as_nanos()).collect();
            assert_eq!(got, [start, late - 1, late]);
            assert_eq!(s2.get(2, MsgIdx(0)).unwrap().hops, 4);
        }
    }

    #[test]
    fn ranged_counters_follow_p2psimpy() {
        let mut s = Storage::new(1, false, true);
        s.ranged_add(0, 26, 3);
        let r = s.range(0, 26).unwrap();
        assert_eq!((r.last, &r.holes), (3, &[1, 2].into()));
        s.pre_add(0, 26, 5);
        assert_eq!(s.range(0, 26).unwrap().last, 3, "pre_add does not raise last");
        assert_eq!(s.range(0, 26).unwrap().holes, [1, 2, 4, 5].into());
        s.ranged_add(0, 26, 4);
        let r = s.range(0, 26).unwrap();
        assert_eq!((r.last, &r.holes), (4, &[1, 2, 5].into()));
        s.pre_add(0, 26, 6);
        assert_eq!(s.range(0, 26).unwrap().holes, [1, 2, 5, 6].into(), "filled holes stay filled");
    }
}
