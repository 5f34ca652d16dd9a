//! The scheduler and the event loop.

use std::marker::PhantomData;

use crate::queue::{CalendarQueue, Entry, EventQueue};
use crate::time::{SimDuration, SimTime};

/// What a simulation model does with its events. Implemented by the layers above the kernel.
///
/// The kernel hands each event to [`Model::handle`] in `(time, seq)` order, with the clock already set
/// to the event's time and the current actor set to [`Model::actor`] of the event; the model
/// schedules follow-up events through the kernel it is given.
pub trait Model<E> {
    /// Reacts to one event. `kernel.now()` is the event's time.
    fn handle<Q: EventQueue<E>>(&mut self, kernel: &mut Kernel<E, Q>, event: E);

    /// The actor whose state `event` changes (a peer, or a component acting for many, such as a
    /// synchronous round): what it schedules while handled is ordered under this actor's own
    /// count (see [`Kernel`]). Below the number given to [`Kernel::declare_actors`]. The default,
    /// actor 0 for everything, orders same-time events in the order they were scheduled.
    #[inline]
    fn actor(&self, event: &E) -> u32 {
        let _ = event;
        0
    }

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
    /// In a partitioned run, an event for another process's actor was due sooner than the
    /// lookahead: the processes could not have exchanged it in time.
    #[error("an event for actor {actor} was scheduled {delay} ahead, inside the lookahead of a partitioned run")]
    InsideLookahead {
        /// The actor it was for.
        actor: u32,
        /// How far ahead it was due.
        delay: SimDuration,
    },
    /// One actor scheduled more events than its part of the ordering key can count
    /// (2^(64 − bits of the actor count)): the order of its later events is no longer exact.
    #[error(
        "actor {actor} scheduled more than 2^{bits} events, more than the event order can count; \
         split the run into fewer events per peer"
    )]
    OrderExhausted {
        /// The actor.
        actor: u32,
        /// Bits of its count.
        bits: u32,
    },
}

/// The discrete-event kernel: a clock, a queue of typed events and one schedule counter per actor.
///
/// Events are totally ordered by `(time, actor, count)`: the actor that scheduled the event (the
/// [`Model::actor`] of the event being handled, or the one [`Kernel::set_actor`] named) and how
/// many events that actor had scheduled before. The order of same-time events therefore depends
/// only on who scheduled them and on each one's own history, never on a count shared by all:
/// a model whose actors only change their own state gets the same order however its actors are
/// split between kernels (the condition of a partitioned run). With one actor (the default) it
/// is the order of scheduling. `E` is the model's own event type, stored inline in the queue: no
/// allocation per event and static dispatch in the loop.
#[derive(Debug)]
pub struct Kernel<E, Q = CalendarQueue<E>> {
    now: SimTime,
    order: ActorOrder,
    processed: u64,
    queue: Q,
    /// When this kernel is one logical process of a partitioned run: whose actors are whose,
    /// and what leaves for the others.
    part: Option<Part<E>>,
    _event: PhantomData<fn(E)>,
}

/// A kernel's share of a partitioned run ([`crate::Windows`]).
///
/// Invariant: an entry in `outbox` is for an actor of another logical process and is due at
/// least `lookahead` after the instant it was scheduled at; else `inside` records the first
/// that was not, and the run reports it.
#[derive(Debug)]
pub(crate) struct Part<E> {
    /// This process's number.
    pub(crate) me: u32,
    /// The first actor of each process, in order, then the number of routed actors: process `i`
    /// owns actors `starts[i]..starts[i + 1]`. Actors from the last bound on are everyone's (a
    /// component each process runs a replica of) and are never routed.
    pub(crate) starts: std::sync::Arc<[u32]>,
    pub(crate) lookahead: u64,
    pub(crate) outbox: Vec<(u32, Entry<E>)>,
    pub(crate) inside: Option<(u32, SimDuration)>,
}

impl<E> Part<E> {
    /// The process that owns `actor`, or `None` for an actor every process runs.
    #[inline]
    fn owner(&self, actor: u32) -> Option<u32> {
        let routed = *self.starts.last().expect("at least one bound");
        if actor >= routed {
            return None;
        }
        // starts[0] = 0 <= actor < routed: the last start at or below it.
        Some(self.starts.partition_point(|&s| s <= actor) as u32 - 1)
    }
}

/// The tie-break part of the event key, `seq = actor << count_bits | count`.
///
/// Invariant: `counts[a] < 2^count_bits` for every actor while `exhausted` is `None`, so the
/// packed keys of different (actor, count) pairs differ and compare as the pairs do.
#[derive(Debug)]
struct ActorOrder {
    actor: u32,
    count_bits: u32,
    counts: Vec<u64>,
    scheduled: u64,
    exhausted: Option<u32>,
}

impl ActorOrder {
    fn new(actors: u32) -> ActorOrder {
        let actors = actors.max(1);
        // At least one bit for the actor, so that the shift stays below 64.
        let actor_bits = (32 - (actors - 1).leading_zeros()).max(1);
        ActorOrder {
            actor: 0,
            count_bits: 64 - actor_bits,
            counts: vec![0; actors as usize],
            scheduled: 0,
            exhausted: None,
        }
    }

    #[inline]
    fn next(&mut self) -> u64 {
        let count = &mut self.counts[self.actor as usize];
        if *count >> self.count_bits != 0 {
            // Out of counts: keep the key inside the actor's range, and say so at the end of the run.
            self.exhausted.get_or_insert(self.actor);
            *count = 0;
        }
        let seq = (u64::from(self.actor) << self.count_bits) | *count;
        *count += 1;
        self.scheduled += 1;
        seq
    }
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
        Kernel { now: SimTime::ZERO, order: ActorOrder::new(1), processed: 0, queue, part: None, _event: PhantomData }
    }

    /// Declares at least `actors` actors (numbered from 0), whose counts order the events each
    /// schedules. A kernel starts with one. Raising the number must come before anything is
    /// scheduled; more actors leave fewer bits to count each one's events (2^44 each with a
    /// million actors).
    pub fn declare_actors(&mut self, actors: u32) {
        if (actors as usize) <= self.order.counts.len() {
            return;
        }
        debug_assert_eq!(self.order.scheduled, 0, "actors are declared before anything is scheduled");
        self.order = ActorOrder::new(actors);
    }

    /// How many actors are declared.
    pub fn actors(&self) -> u32 {
        self.order.counts.len() as u32
    }

    /// Makes `actor` the one whose count orders what is scheduled next: for what a model
    /// schedules outside [`Model::handle`] (its start), or on behalf of several actors inside one
    /// event (a round of all peers). The kernel sets it to [`Model::actor`] before each event.
    #[inline]
    pub fn set_actor(&mut self, actor: u32) {
        debug_assert!(
            (actor as usize) < self.order.counts.len(),
            "actor {actor} (from Model::actor or set_actor) was not declared (Kernel::declare_actors)"
        );
        self.order.actor = actor;
        crate::rng::acting::set(actor);
    }

    /// The actor whose count orders what is scheduled next.
    #[inline]
    pub fn actor(&self) -> u32 {
        self.order.actor
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

    /// Schedules `event`, an event for actor `to` (the one whose state it changes), after `delay`.
    ///
    /// The same as [`Kernel::schedule_in`] in a run of one process. In a partitioned run
    /// ([`crate::Windows`]) an event for an actor of another process leaves through this call, and
    /// only through it: it must be due at least the run's lookahead from now (a message's latency
    /// is at least that), or the run ends with [`ScheduleError::InsideLookahead`].
    #[inline]
    pub fn schedule_to(&mut self, to: u32, delay: SimDuration, event: E) {
        if self.part.is_some() {
            return self.schedule_routed(to, delay, event);
        }
        self.schedule_in(delay, event);
    }

    /// [`Kernel::schedule_to`] in a partitioned run: kept out of line, so that a run of one
    /// process pays one test of a field for it.
    #[inline(never)]
    fn schedule_routed(&mut self, to: u32, delay: SimDuration, event: E) {
        let time = (self.now + delay).as_nanos();
        if let Some(part) = &mut self.part
            && let Some(lp) = part.owner(to)
            && lp != part.me
        {
            if delay.as_nanos() < part.lookahead {
                part.inside.get_or_insert((to, delay));
            }
            let seq = self.order.next();
            part.outbox.push((lp, Entry { time, seq, event }));
            return;
        }
        self.push(time, event);
    }

    /// Takes an entry another process scheduled for one of this one's actors.
    pub(crate) fn accept(&mut self, entry: Entry<E>) {
        self.queue.push(entry);
    }

    pub(crate) fn part_mut(&mut self) -> Option<&mut Part<E>> {
        self.part.as_mut()
    }

    pub(crate) fn set_part(&mut self, part: Part<E>) {
        self.part = Some(part);
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
        let seq = self.order.next();
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
        self.order.scheduled
    }

    fn order_error(&self) -> Result<(), ScheduleError> {
        if let Some((actor, delay)) = self.part.as_ref().and_then(|p| p.inside) {
            return Err(ScheduleError::InsideLookahead { actor, delay });
        }
        match self.order.exhausted {
            None => Ok(()),
            Some(actor) => Err(ScheduleError::OrderExhausted { actor, bits: self.order.count_bits }),
        }
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
                crate::rng::acting::clear();
                self.order_error()?;
                return Ok(handled);
            };
            self.now = SimTime::from_nanos(entry.time);
            self.processed += 1;
            handled += 1;
            self.hint(model);
            self.set_actor(model.actor(&entry.event));
            model.handle(self, entry.event);
        }
        if self.queue.peek_time().is_none_or(|t| t >= limit) {
            self.now = until;
        }
        crate::rng::acting::clear();
        self.order_error()?;
        Ok(handled)
    }

    /// Handles every pending event, however far in the future, and leaves the clock at the last one.
    pub fn run_to_completion<M: Model<E>>(&mut self, model: &mut M) -> u64 {
        let before = self.processed;
        while let Some(entry) = self.queue.pop_before(u64::MAX) {
            self.now = SimTime::from_nanos(entry.time);
            self.processed += 1;
            self.hint(model);
            self.set_actor(model.actor(&entry.event));
            model.handle(self, entry.event);
        }
        crate::rng::acting::clear();
        self.processed - before
    }

    /// Gives the model its two prefetch hints (see [`Model::prefetch`]).
    #[inline]
    fn hint<M: Model<E>>(&self, model: &M) {
        if let Some(far) = self.queue.ahead(PREFETCH_AHEAD + 1) {
            model.prefetch(far, Ahead::Far);
            // The count its actor will schedule under: one word at random among a million peers.
            prefetch_index::prefetch_index(&self.order.counts, model.actor(far) as usize);
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
        self.set_actor(model.actor(&entry.event));
        model.handle(self, entry.event);
        crate::rng::acting::clear();
        Some(self.now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_actor_that_runs_out_of_counts_is_reported_not_reordered_silently() {
        let mut order = ActorOrder::new(1 << 20);
        assert_eq!(order.count_bits, 44);
        order.actor = 7;
        order.counts[7] = (1 << 44) - 2;
        let a = order.next();
        let b = order.next();
        assert_eq!((a >> 44, b >> 44), (7, 7));
        assert!(a < b && order.exhausted.is_none());
        order.next();
        assert_eq!(order.exhausted, Some(7));
        let mut kernel: Kernel<u8> = Kernel::new();
        kernel.order = order;
        assert_eq!(kernel.order_error(), Err(ScheduleError::OrderExhausted { actor: 7, bits: 44 }));
    }

    #[test]
    fn one_actor_keeps_63_bits_for_its_count() {
        let order = ActorOrder::new(1);
        assert_eq!(order.count_bits, 63);
        assert_eq!(ActorOrder::new(2).count_bits, 63);
        assert_eq!(ActorOrder::new(3).count_bits, 62);
    }
}
