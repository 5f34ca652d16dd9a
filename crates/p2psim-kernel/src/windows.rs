//! A partitioned run: the actors split into logical processes (LPs), each a kernel and a model
//! of its own on a thread of its own, advanced together in time windows no longer than the
//! lookahead (conservative parallel simulation, with one barrier per window).
//!
//! Why the answer does not depend on the number of processes: an event's key is (time, the
//! actor that scheduled it, that actor's own count), so it is the same in every split; an
//! actor's events all sit in its own process's queue before the window that holds them starts,
//! because an event for another process is due at least the lookahead after it was scheduled
//! ([`Kernel::schedule_to`]) and is handed over when the window ends; and an actor changes only
//! its own state. So each actor handles the same events in the same order at any count. Actors
//! from the last bound on (components acting for everyone, such as a round of all peers) are run
//! by every process, each replica for its own actors.
//!
//! What it is not: the split of a model. The model decides what each process holds; this module
//! only runs the processes and moves what they send each other.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use crate::kernel::{Kernel, Model, Part, ScheduleError};
use crate::queue::{Entry, EventQueue};
use crate::time::{SimDuration, SimTime};

/// What a partitioned run did, for predicting how it scales. Wall times are measured, so they are
/// reported, never part of a result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct WindowStats {
    /// Windows run.
    pub windows: u64,
    /// Events handled, per process.
    pub events: Vec<u64>,
    /// Events one process scheduled for another's actors.
    pub crossed: u64,
    /// Events scheduled in all.
    pub scheduled: u64,
    /// Per process, the wall time it waited at the barriers for the others.
    pub waited: Vec<Duration>,
    /// Wall time of the whole run.
    pub wall: Duration,
}

impl WindowStats {
    /// Events handled per window, on average.
    pub fn events_per_window(&self) -> f64 {
        self.events.iter().sum::<u64>() as f64 / self.windows.max(1) as f64
    }

    /// The share of scheduled events that went to another process.
    pub fn crossed_share(&self) -> f64 {
        self.crossed as f64 / self.scheduled.max(1) as f64
    }
}

/// The logical processes of one run, each a kernel and its model.
pub struct Windows<E, M, Q> {
    lps: Vec<(Kernel<E, Q>, M)>,
    lookahead: SimDuration,
}

const DONE: u64 = u64::MAX;

impl<E: Send, M: Model<E> + Send, Q: EventQueue<E> + Send> Windows<E, M, Q> {
    /// Processes from `(kernel, model)` pairs, nothing scheduled yet; process `i` owns actors
    /// `starts[i]..starts[i + 1]` (so `starts` has one more bound than there are processes, and
    /// starts at 0); actors at or past the last bound are run by every process. `lookahead` is the
    /// least delay of any event from one process to another, and must not be zero.
    ///
    /// # Panics
    /// If the bounds do not fit the processes or the lookahead is zero: the caller decides both
    /// from a checked model.
    pub fn new(lps: Vec<(Kernel<E, Q>, M)>, starts: Vec<u32>, lookahead: SimDuration) -> Self {
        assert_eq!(starts.len(), lps.len() + 1, "one bound more than processes");
        assert!(starts[0] == 0 && starts.windows(2).all(|w| w[0] <= w[1]), "bounds from 0, in order");
        assert!(lookahead > SimDuration::ZERO, "a partitioned run needs a lookahead");
        let starts: Arc<[u32]> = starts.into();
        let mut lps = lps;
        for (i, (kernel, _)) in lps.iter_mut().enumerate() {
            kernel.set_part(Part {
                me: i as u32,
                starts: Arc::clone(&starts),
                lookahead: lookahead.as_nanos(),
                outbox: Vec::new(),
                inside: None,
            });
        }
        Windows { lps, lookahead }
    }

    /// The processes, to schedule their first events or read them after a run.
    pub fn processes(&mut self) -> &mut [(Kernel<E, Q>, M)] {
        &mut self.lps
    }

    /// Hands over what the processes scheduled for each other outside a run (at their start).
    fn deliver_outboxes(&mut self) -> u64 {
        let mut moved: Vec<(u32, Entry<E>)> = Vec::new();
        for (kernel, _) in &mut self.lps {
            moved.append(&mut kernel.part_mut().expect("a process of a partitioned run").outbox);
        }
        let n = moved.len() as u64;
        for (lp, entry) in moved {
            self.lps[lp as usize].0.accept(entry);
        }
        n
    }

    /// Runs every process to `until` (every event strictly before it), one thread per process.
    pub fn run_until(&mut self, until: SimTime) -> Result<WindowStats, ScheduleError> {
        let started = Instant::now();
        let mut crossed = self.deliver_outboxes();
        let p = self.lps.len();
        let lookahead = self.lookahead.as_nanos();
        let limit = until.as_nanos();
        let barrier = Barrier::new(p);
        let end = AtomicU64::new(DONE);
        let failed = AtomicBool::new(false);
        let next: Vec<AtomicU64> = (0..p).map(|_| AtomicU64::new(DONE)).collect();
        let mailboxes: Vec<Mutex<Vec<Entry<E>>>> = (0..p).map(|_| Mutex::new(Vec::new())).collect();
        let window_end =
            |earliest: u64| if earliest >= limit { DONE } else { earliest.saturating_add(lookahead).min(limit) };
        let first = self.lps.iter_mut().filter_map(|(k, _)| k.next_event_time()).min();
        end.store(window_end(first.map_or(DONE, SimTime::as_nanos)), Ordering::SeqCst);
        let before: Vec<(u64, u64)> =
            self.lps.iter().map(|(k, _)| (k.events_processed(), k.events_scheduled())).collect();
        let outcomes: Vec<(Result<(), ScheduleError>, u64, u64, Duration)> = std::thread::scope(|s| {
            let handles: Vec<_> = self
                .lps
                .iter_mut()
                .enumerate()
                .map(|(i, (kernel, model))| {
                    let (barrier, end, next, mailboxes, failed) = (&barrier, &end, &next, &mailboxes, &failed);
                    s.spawn(move || {
                        let (mut result, mut windows, mut sent, mut waited) = (Ok(()), 0u64, 0u64, Duration::ZERO);
                        let mut wait = |barrier: &Barrier| {
                            let t = Instant::now();
                            let leader = barrier.wait().is_leader();
                            waited += t.elapsed();
                            leader
                        };
                        loop {
                            let e = end.load(Ordering::SeqCst);
                            if e == DONE {
                                break;
                            }
                            result = kernel.run_until(SimTime::from_nanos(e), model).map(|_| ());
                            if result.is_err() {
                                failed.store(true, Ordering::SeqCst);
                            }
                            windows += 1;
                            let part = kernel.part_mut().expect("a process of a partitioned run");
                            sent += part.outbox.len() as u64;
                            for (lp, entry) in part.outbox.drain(..) {
                                mailboxes[lp as usize].lock().expect("no process panicked").push(entry);
                            }
                            wait(barrier);
                            for entry in std::mem::take(&mut *mailboxes[i].lock().expect("no process panicked")) {
                                kernel.accept(entry);
                            }
                            next[i].store(kernel.next_event_time().map_or(DONE, SimTime::as_nanos), Ordering::SeqCst);
                            if wait(barrier) {
                                // A failed process stops the run: no window after this one.
                                let earliest = next.iter().map(|n| n.load(Ordering::SeqCst)).min().unwrap_or(DONE);
                                let stop = failed.load(Ordering::SeqCst);
                                end.store(if stop { DONE } else { window_end(earliest) }, Ordering::SeqCst);
                            }
                            wait(barrier);
                        }
                        (result, windows, sent, waited)
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("a process of the run panicked")).collect()
        });
        let mut stats = WindowStats::default();
        for (outcome, ..) in &outcomes {
            (*outcome)?;
        }
        // No process has an event before `until` left: move the clocks that stopped early there.
        for (kernel, model) in &mut self.lps {
            if kernel.now() < until {
                kernel.run_until(until, model)?;
            }
        }
        for ((_, windows, sent, waited), ((kernel, _), (processed, scheduled))) in
            outcomes.into_iter().zip(self.lps.iter().zip(before))
        {
            stats.windows = stats.windows.max(windows);
            stats.events.push(kernel.events_processed() - processed);
            stats.scheduled += kernel.events_scheduled() - scheduled;
            crossed += sent;
            stats.waited.push(waited);
        }
        stats.crossed = crossed;
        stats.wall = started.elapsed();
        Ok(stats)
    }
}
