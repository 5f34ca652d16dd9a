//! The scheduler and the event loop.

use std::marker::PhantomData;

use crate::queue::{CalendarQueue, Entry, EventQueue};
use crate::time::{SimDuration, SimTime};

/// What a simulation model does with its events. Implemented by the layers above the kernel.
///
/// The kernel hands each event to [`Model::handle`] in `(time, seq)` order, with the clock already set
/// to the event's time; the model schedules follow-up events through the kernel it is given.
pub trait Model<E> {
    /// Reacts to one event. `kernel.now()` is the event's time.
    fn handle<Q: EventQueue<E>>(&mut self, kernel: &mut Kernel<E, Q>, event: E);

    /// A hint that `event` is due soon: bring what handling it will read into the cache, so that
    /// its memory is on its way while earlier events are handled. Must not change anything. The
    /// default does nothing.
    ///
    /// In a big model every event reads a few records at random addresses, each a wait on memory,
    /// and some of them are found through others (a peer's list through where it starts). So the
    /// kernel asks twice about each event: first [`Ahead::Far`], two events before it is
    /// handled, for what the event's own fields locate; then [`Ahead::Near`], one event before,
    /// when what was asked for the first time has most likely arrived and may be read to locate
    /// the rest.
    #[inline]
    fn prefetch(&self, event: &E, ahead: Ahead) {
        let _ = (event, ahead);
    }
}

/// Which of the two hints of [`Model::prefetch`] a call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ahead {
    /// The event is [`PREFETCH_AHEAD`] + 1 events away: ask for what its own fields locate.
    Far,
    /// The event is [`PREFETCH_AHEAD`] events away, and was announced as [`Ahead::Far`] the event
    /// before: what was asked for then may be read now, to ask for what it locates.
    Near,
}

/// How many events after the one being handled the [`Ahead::Near`] hint is about: far enough for
/// memory (a few hundred ns) to answer while the events before it are handled.
pub const PREFETCH_AHEAD: usize = 1;

/// A caller mistake when scheduling or running. Never fatal: the kernel's state is unchanged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ScheduleError {
    /// An event was scheduled before the current time.
    #[error("cannot schedule at {at}: the clock is already at {now}")]
    InPast {
        /// The requested time.
        at: SimTime,
        /// The kernel's current time.
        now: SimTime,
    },
    /// `run_until` was asked to run to a time before the current one.
    #[error("cannot run until {until}: the clock is already at {now}")]
    RunBackwards {
        /// The requested end.
        until: SimTime,
        /// The kernel's current time.
        now: SimTime,
    },
}

/// The discrete-event kernel: a clock, a queue of typed events and a sequence counter.
///
/// Events are totally ordered by `(time, seq)`, where `seq` counts schedule calls: events at the same
/// instant run in the order they were scheduled. `E` is the model's own event type, stored inline in
/// the queue: no allocation per event and static dispatch in the loop.
#[derive(Debug)]
pub struct Kernel<E, Q = CalendarQueue<E>> {
    now: SimTime,
    next_seq: u64,
    processed: u64,
    queue: Q,
    _event: PhantomData<fn(E)>,
}

impl<E: Clone> Default for Kernel<E, CalendarQueue<E>> {
    fn default() -> Self {
        Kernel::with_queue(CalendarQueue::new())
    }
}

impl<E: Clone> Kernel<E, CalendarQueue<E>> {
    /// A kernel at time zero with the default calendar queue.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<E, Q: EventQueue<E>> Kernel<E, Q> {
    /// A kernel at time zero using the given queue (for example a [`HeapQueue`](crate::HeapQueue)).
    pub fn with_queue(queue: Q) -> Self {
        Kernel { now: SimTime::ZERO, next_seq: 0, processed: 0, queue, _event: PhantomData }
    }

    /// The current simulated time.
    #[inline]
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// Schedules `event` after `delay` from now. Never fails: the result is never in the past.
    #[inline]
    pub fn schedule_in(&mut self, delay: SimDuration, event: E) {
        let time = (self.now + delay).as_nanos();
        self.push(time, event);
    }

    /// Schedules `event` at the instant `at`, which must not be before now.
    pub fn schedule_at(&mut self, at: SimTime, event: E) -> Result<(), ScheduleError> {
        if at < self.now {
            return Err(ScheduleError::InPast { at, now: self.now });
        }
        self.push(at.as_nanos(), event);
        Ok(())
    }

    #[inline]
    fn push(&mut self, time: u64, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.queue.push(Entry { time, seq, event });
    }

    /// Number of events waiting.
    pub fn pending(&self) -> usize {
        self.queue.len()
    }

    /// Number of events handled since the start.
    pub fn events_processed(&self) -> u64 {
        self.processed
    }

    /// Number of events scheduled since the start.
    pub fn events_scheduled(&self) -> u64 {
        self.next_seq
    }

    /// The time of the next pending event, if any.
    pub fn next_event_time(&mut self) -> Option<SimTime> {
        self.queue.peek_time().map(SimTime::from_nanos)
    }

    /// Bytes held by the event queue, spare capacity included.
    pub fn queue_memory_bytes(&self) -> usize {
        self.queue.memory_bytes()
    }

    /// Handles every event strictly before `until`, then sets the clock to `until`.
    ///
    /// Events at exactly `until` stay pending (P2PSimpy's rule). Calling again with a later time
    /// continues the run; a run split into chunks handles the same events in the same order as one
    /// call, as long as nothing is scheduled from outside in between.
    pub fn run_until<M: Model<E>>(&mut self, until: SimTime, model: &mut M) -> Result<u64, ScheduleError> {
        self.run_until_at_most(until, u64::MAX, model)
    }

    /// Like [`Kernel::run_until`], but handles at most `max_events` events.
    ///
    /// Returns the number handled. The clock moves to `until` only when every event before it was
    /// handled; when the budget runs out first it stays at the last event handled, and a later call
    /// continues exactly where this one stopped.
    pub fn run_until_at_most<M: Model<E>>(
        &mut self,
        until: SimTime,
        max_events: u64,
        model: &mut M,
    ) -> Result<u64, ScheduleError> {
        if until < self.now {
            return Err(ScheduleError::RunBackwards { until, now: self.now });
        }
        let limit = until.as_nanos();
        let mut handled = 0;
        while handled < max_events {
            let Some(entry) = self.queue.pop_before(limit) else {
                self.now = until;
                return Ok(handled);
            };
            self.now = SimTime::from_nanos(entry.time);
            self.processed += 1;
            handled += 1;
            self.hint(model);
            model.handle(self, entry.event);
        }
        if self.queue.peek_time().is_none_or(|t| t >= limit) {
            self.now = until;
        }
        Ok(handled)
    }

    /// Handles every pending event, however far in the future, and leaves the clock at the last one.
    pub fn run_to_completion<M: Model<E>>(&mut self, model: &mut M) -> u64 {
        let before = self.processed;
        while let Some(entry) = self.queue.pop_before(u64::MAX) {
            self.now = SimTime::from_nanos(entry.time);
            self.processed += 1;
            self.hint(model);
            model.handle(self, entry.event);
        }
        self.processed - before
    }

    /// Gives the model its two prefetch hints (see [`Model::prefetch`]).
    #[inline]
    fn hint<M: Model<E>>(&self, model: &M) {
        if let Some(far) = self.queue.ahead(PREFETCH_AHEAD + 1) {
            model.prefetch(far, Ahead::Far);
        }
        if let Some(near) = self.queue.ahead(PREFETCH_AHEAD) {
            model.prefetch(near, Ahead::Near);
        }
    }

    /// Handles the next event, if any, and returns its time.
    pub fn step<M: Model<E>>(&mut self, model: &mut M) -> Option<SimTime> {
        let entry = self.queue.pop_before(u64::MAX)?;
        self.now = SimTime::from_nanos(entry.time);
        self.processed += 1;
        model.handle(self, entry.event);
        Some(self.now)
    }
}
