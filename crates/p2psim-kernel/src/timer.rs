//! Cancellable timers.
//!
//! A timer is an ordinary event that carries a [`TimerId`]. [`Timers`] remembers which ids are still
//! live: cancelling bumps the slot's generation, so the event, when it comes out of the queue, is
//! recognised as stale and ignored. Nothing is removed from the queue, which keeps cancel O(1).
//!
//! A periodic timer keeps its id: on each firing the model checks [`Timers::is_live`] and schedules
//! the next firing with the same id; [`Timers::cancel`] stops it.

/// Identifies one timer. Stale after the timer fired (one-shot) or was cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TimerId {
    index: u32,
    generation: u32,
}

/// The table of live timers.
#[derive(Clone, Debug, Default)]
pub struct Timers {
    generations: Vec<u32>,
    free: Vec<u32>,
    live: usize,
}

impl Timers {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a new live timer and returns its id; schedule an event carrying it.
    pub fn insert(&mut self) -> TimerId {
        self.live += 1;
        if let Some(index) = self.free.pop() {
            TimerId { index, generation: self.generations[index as usize] }
        } else {
            let index = u32::try_from(self.generations.len()).expect("more than 2^32 live timers");
            self.generations.push(0);
            TimerId { index, generation: 0 }
        }
    }

    /// True if the timer was neither cancelled nor fired.
    #[inline]
    pub fn is_live(&self, id: TimerId) -> bool {
        self.generations.get(id.index as usize) == Some(&id.generation)
    }

    fn release(&mut self, id: TimerId) -> bool {
        if !self.is_live(id) {
            return false;
        }
        let g = &mut self.generations[id.index as usize];
        *g = g.wrapping_add(1);
        self.free.push(id.index);
        self.live -= 1;
        true
    }

    /// Cancels the timer. Returns false if it had already fired or been cancelled.
    pub fn cancel(&mut self, id: TimerId) -> bool {
        self.release(id)
    }

    /// Call when a one-shot timer's event comes out of the queue: true means act on it (and the id is
    /// now stale), false means it was cancelled and the event must be ignored.
    #[inline]
    pub fn fire(&mut self, id: TimerId) -> bool {
        self.release(id)
    }

    /// Number of live timers.
    pub fn live(&self) -> usize {
        self.live
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cancelled_timer_is_stale_and_slot_reuse_does_not_revive_it() {
        let mut t = Timers::new();
        let a = t.insert();
        assert!(t.cancel(a));
        assert!(!t.cancel(a), "second cancel is a no-op");
        let b = t.insert();
        assert_ne!(a, b, "reused slot has a new generation");
        assert!(!t.is_live(a));
        assert!(!t.fire(a), "the cancelled timer's event is ignored");
        assert!(t.fire(b));
        assert!(!t.fire(b), "a one-shot fires once");
        assert_eq!(t.live(), 0);
    }
}
