//! Pending events, totally ordered by `(time, seq)`.
//!
//! `seq` is assigned by the [`Kernel`](crate::Kernel): the actor that scheduled the event and its
//! own count, so no two pending entries share a key (it does not grow with every push: an actor
//! may schedule an event at the current instant that sorts before one already popped). Two queues are provided:
//! [`CalendarQueue`], the default, which stays fast when millions of events are pending, and
//! [`HeapQueue`], a plain binary heap kept as the reference: both must produce exactly the same order.

mod calendar;
mod heap;

pub use calendar::{CalendarConfig, CalendarQueue};
pub use heap::HeapQueue;

use std::cmp::Ordering;

/// One pending event with its ordering key.
#[derive(Clone, Debug)]
pub struct Entry<E> {
    /// When the event happens, in nanoseconds.
    pub time: u64,
    /// Tie-break between events at the same time: the scheduling actor and its own count.
    pub seq: u64,
    /// The event itself.
    pub event: E,
}

impl<E> Entry<E> {
    /// The `(time, seq)` key as one comparable value.
    #[inline]
    pub fn key(&self) -> (u64, u64) {
        (self.time, self.seq)
    }
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key() == other.key()
    }
}
impl<E> Eq for Entry<E> {}
impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl<E> Ord for Entry<E> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key().cmp(&other.key())
    }
}

/// A priority queue of events keyed by `(time, seq)`, smallest first.
///
/// Implementations may assume that no two pending entries have the same `(time, seq)` (the kernel
/// guarantees it) and must return entries in exact `(time, seq)` order; they may not assume that
/// keys grow from push to push.
pub trait EventQueue<E> {
    /// Adds an event.
    fn push(&mut self, entry: Entry<E>);
    /// Removes and returns the smallest entry if its time is strictly before `limit`.
    fn pop_before(&mut self, limit: u64) -> Option<Entry<E>>;
    /// The time of the smallest entry, if any.
    fn peek_time(&mut self) -> Option<u64>;
    /// Number of pending entries.
    fn len(&self) -> usize;
    /// True when nothing is pending.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Bytes of memory held, including spare capacity (for reports of bytes per peer).
    fn memory_bytes(&self) -> usize;
    /// The event that the `k + 1`-th pop from now will return if nothing is pushed in between,
    /// as a hint for prefetching; `None` when the queue cannot tell cheaply.
    #[inline]
    fn ahead(&self, k: usize) -> Option<&E> {
        let _ = k;
        None
    }
}

/// A borrowed queue is a queue: lets a caller keep the queue and inspect it after a run.
impl<E, Q: EventQueue<E>> EventQueue<E> for &mut Q {
    fn push(&mut self, entry: Entry<E>) {
        (**self).push(entry)
    }
    fn pop_before(&mut self, limit: u64) -> Option<Entry<E>> {
        (**self).pop_before(limit)
    }
    fn peek_time(&mut self) -> Option<u64> {
        (**self).peek_time()
    }
    fn len(&self) -> usize {
        (**self).len()
    }
    fn memory_bytes(&self) -> usize {
        (**self).memory_bytes()
    }
    fn ahead(&self, k: usize) -> Option<&E> {
        (**self).ahead(k)
    }
}
