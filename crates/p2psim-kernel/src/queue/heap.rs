//! The reference queue: a binary heap of entries ordered by `(time, seq)`. Slower than the
//! calendar queue at scale, and simple enough to be obviously right: tests check that both queues
//! give the same order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;

use super::{Entry, EventQueue};

/// The reference queue: a binary heap over `(time, seq)`.
///
/// Fast while the pending set fits in cache (up to about 10^4 peers), then several times slower than
/// [`CalendarQueue`](super::CalendarQueue). Kept to check that the calendar queue's order is exact.
#[derive(Debug)]
pub struct HeapQueue<E> {
    heap: BinaryHeap<Reverse<Entry<E>>>,
}

impl<E> Default for HeapQueue<E> {
    fn default() -> Self {
        HeapQueue { heap: BinaryHeap::new() }
    }
}

impl<E> HeapQueue<E> {
    /// An empty heap.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<E> EventQueue<E> for HeapQueue<E> {
    #[inline]
    fn push(&mut self, entry: Entry<E>) {
        self.heap.push(Reverse(entry));
    }

    #[inline]
    fn pop_before(&mut self, limit: u64) -> Option<Entry<E>> {
        if self.heap.peek()?.0.time < limit { self.heap.pop().map(|r| r.0) } else { None }
    }

    fn peek_time(&mut self) -> Option<u64> {
        self.heap.peek().map(|r| r.0.time)
    }

    fn len(&self) -> usize {
        self.heap.len()
    }

    fn memory_bytes(&self) -> usize {
        self.heap.capacity() * std::mem::size_of::<Entry<E>>()
    }
}
