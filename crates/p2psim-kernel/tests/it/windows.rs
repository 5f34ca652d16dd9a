//! A partitioned run gives every actor the same history at any number of processes.

use p2psim_kernel::{
    CalendarQueue, EventQueue, Kernel, Model, ScheduleError, Seed, SimDuration, SimRng, SimTime, StreamKey, Windows,
};
use rand::RngExt;

/// `n` actors that change only their own trace and send each other jobs at least `LOOKAHEAD`
/// ahead (their own, at any delay, zero included), plus one component every process runs (actor
/// `n`): a round that, every 7 ms, has each actor of the process schedule itself a job.
struct Actors {
    n: u32,
    /// The actors this process owns.
    mine: std::ops::Range<u32>,
    rngs: Vec<SimRng>,
    traces: Traces,
}

/// Per actor, what it handled: (when, from whom, tag).
type Traces = Vec<Vec<(SimTime, u32, u32)>>;

const LOOKAHEAD: SimDuration = SimDuration::from_millis(1);

#[derive(Clone, Copy, Debug)]
enum Ev {
    Job { to: u32, from: u32, tag: u32 },
    Round,
}

impl Model<Ev> for Actors {
    fn handle<Q: EventQueue<Ev>>(&mut self, k: &mut Kernel<Ev, Q>, ev: Ev) {
        match ev {
            Ev::Round => {
                for a in self.mine.clone() {
                    k.set_actor(a);
                    k.schedule_to(a, SimDuration::ZERO, Ev::Job { to: a, from: self.n, tag: 0 });
                }
                k.set_actor(self.n);
                if k.now() < SimTime::from_millis(150) {
                    k.schedule_to(self.n, SimDuration::from_millis(7), Ev::Round);
                }
            }
            Ev::Job { to, from, tag } => {
                assert!(self.mine.contains(&to), "a job reached the process that owns its actor");
                let me = to as usize;
                self.traces[me].push((k.now(), from, tag));
                if self.traces[me].len() > 400 {
                    return;
                }
                let rng = &mut self.rngs[me];
                for i in 0..rng.random_range(1..3u32) {
                    let other = rng.random_range(0..self.n);
                    let delay = if other == to {
                        SimDuration::from_micros(rng.random_range(0..3) * 500)
                    } else {
                        LOOKAHEAD + SimDuration::from_micros(rng.random_range(0..3) * 500)
                    };
                    k.schedule_to(
                        other,
                        delay,
                        Ev::Job { to: other, from: to, tag: tag.wrapping_mul(3).wrapping_add(i) },
                    );
                }
            }
        }
    }

    fn actor(&self, ev: &Ev) -> u32 {
        match ev {
            Ev::Job { to, .. } => *to,
            Ev::Round => self.n,
        }
    }
}

fn starts(n: u32, p: u32) -> Vec<u32> {
    (0..=p).map(|i| i * n / p).collect()
}

/// Every actor's trace, from the process that owns it, after a run split `p` ways.
fn run(n: u32, p: u32, seed: u64) -> (Traces, p2psim_kernel::WindowStats) {
    let bounds = starts(n, p);
    let lps = (0..p as usize)
        .map(|i| {
            let mut k: Kernel<Ev, CalendarQueue<Ev>> = Kernel::new();
            k.declare_actors(n + 1);
            let m = Actors {
                n,
                mine: bounds[i]..bounds[i + 1],
                rngs: (0..n).map(|a| Seed(seed).stream(StreamKey::new("actor").with(a.into()))).collect(),
                traces: vec![Vec::new(); n as usize],
            };
            (k, m)
        })
        .collect();
    let mut w = Windows::new(lps, bounds.clone(), LOOKAHEAD);
    for (k, m) in w.processes() {
        for a in m.mine.clone() {
            k.set_actor(a);
            k.schedule_to((a + 1) % n, LOOKAHEAD, Ev::Job { to: (a + 1) % n, from: a, tag: 1 });
            k.schedule_to(a, SimDuration::ZERO, Ev::Job { to: a, from: a, tag: 2 });
        }
        k.set_actor(n);
        k.schedule_to(n, SimDuration::ZERO, Ev::Round);
    }
    let stats = w.run_until(SimTime::from_millis(200)).unwrap();
    let mut traces = vec![Vec::new(); n as usize];
    for (k, m) in w.processes() {
        assert_eq!(k.now(), SimTime::from_millis(200));
        for a in m.mine.clone() {
            traces[a as usize] = std::mem::take(&mut m.traces[a as usize]);
        }
    }
    (traces, stats)
}

#[test]
fn every_actor_has_the_same_history_at_1_2_3_and_7_processes() {
    for seed in 0..4 {
        let (one, stats) = run(40, 1, seed);
        let events: usize = one.iter().map(Vec::len).sum();
        assert!(events > 5_000, "the actors should be busy: {events}");
        assert_eq!(stats.crossed, 0, "one process sends nothing across");
        for p in [2, 3, 7] {
            let (split, stats) = run(40, p, seed);
            assert_eq!(split, one, "seed {seed}, {p} processes");
            assert!(stats.crossed > 0 && stats.windows > 10, "{stats:?}");
            assert_eq!(stats.events.len(), p as usize);
        }
    }
}

#[test]
fn an_event_for_another_process_inside_the_lookahead_ends_the_run_with_an_error() {
    struct Hasty;
    impl Model<u32> for Hasty {
        fn handle<Q: EventQueue<u32>>(&mut self, k: &mut Kernel<u32, Q>, to: u32) {
            k.schedule_to(1 - to, SimDuration::from_micros(10), 1 - to);
        }
        fn actor(&self, to: &u32) -> u32 {
            *to
        }
    }
    let lps = (0..2)
        .map(|_| {
            let mut k: Kernel<u32, CalendarQueue<u32>> = Kernel::new();
            k.declare_actors(2);
            (k, Hasty)
        })
        .collect();
    let mut w = Windows::new(lps, vec![0, 1, 2], LOOKAHEAD);
    w.processes()[0].0.schedule_to(0, SimDuration::ZERO, 0);
    let err = w.run_until(SimTime::from_millis(10)).unwrap_err();
    assert!(matches!(err, ScheduleError::InsideLookahead { actor: 1, .. }), "{err:?}");
}
