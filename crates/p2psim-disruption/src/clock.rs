//! How a per-peer fault is timed at run time: its parameters as each member holds them
//! ([`PerPeer`]), and its clock ([`Clock`]): scheduled, random, by an availability model, or once.
//! The clock says when each member's next change comes; the fault layer makes the change.

use p2psim_kernel::{Param, PeerRng, SimDuration};
use rand::RngExt;

use crate::model::Step;

/// A per-peer parameter: the constant, or each member's own draw, or the distribution.
#[derive(Debug)]
pub(crate) struct PerPeer {
    pub(crate) param: Param,
    pub(crate) own: Vec<f64>,
}

impl PerPeer {
    /// Member `i`'s value for this use.
    pub(crate) fn get(&self, i: usize, rng: &mut PeerRng) -> f64 {
        self.param.value(self.own.get(i).copied().unwrap_or(f64::NAN), rng)
    }

    pub(crate) fn ms(&self, i: usize, rng: &mut PeerRng) -> SimDuration {
        SimDuration::from_millis_abs(self.get(i, rng))
    }
}

/// How a disruption is timed, in its runtime form.
#[derive(Debug)]
pub(crate) enum Clock {
    Scheduled(Vec<SimDuration>),
    Random { start: PerPeer, up: PerPeer, down: PerPeer },
    Availability { interval: PerPeer, mtbf: PerPeer, availability: PerPeer, p2psimpy_formula: bool },
    Once { at: PerPeer, duration: PerPeer },
}

impl Clock {
    /// Member `i`'s first steps, each after its wait from the start.
    pub(crate) fn first(&self, i: usize, rng: &mut PeerRng) -> Vec<(SimDuration, Step)> {
        let start = Step::Disrupt { on: true, index: 0 };
        match self {
            Clock::Scheduled(d) => d.first().map(|&w| (w, start)).into_iter().collect(),
            Clock::Random { start: wait, up, .. } => {
                let wait = wait.ms(i, rng);
                vec![(wait + up.ms(i, rng), start)]
            }
            Clock::Availability { .. } => vec![(self.availability_wait(i, false, rng), start)],
            Clock::Once { at, duration } => {
                let (at, duration) = (at.get(i, rng), duration.get(i, rng));
                vec![
                    (SimDuration::from_millis_abs(at), start),
                    (SimDuration::from_millis_abs(at + duration), Step::Disrupt { on: false, index: 1 }),
                ]
            }
        }
    }

    /// Whether step `on` of a clock that alternates (scheduled, random, availability) starts or
    /// ends a disruption follows from the state; a once-clock's steps say it themselves.
    pub(crate) fn starts(&self, on: bool, disrupted: bool) -> bool {
        match self {
            Clock::Once { .. } => on,
            _ => !disrupted,
        }
    }

    /// The wait after change number `index`, which left the member `disrupted` or not.
    pub(crate) fn next(&self, i: usize, index: u32, disrupted: bool, rng: &mut PeerRng) -> Option<SimDuration> {
        match self {
            Clock::Scheduled(d) => d.get(index as usize + 1).copied(),
            Clock::Random { up, down, .. } => Some(if disrupted { down.ms(i, rng) } else { up.ms(i, rng) }),
            Clock::Availability { .. } => Some(self.availability_wait(i, disrupted, rng)),
            Clock::Once { .. } => None,
        }
    }

    /// The availability model's wait until the next change: a whole number of check intervals,
    /// geometric with the per-check probability (drawn directly rather than checking every
    /// interval).
    fn availability_wait(&self, i: usize, disrupted: bool, rng: &mut PeerRng) -> SimDuration {
        let Clock::Availability { interval, mtbf, availability, p2psimpy_formula } = self else {
            return SimDuration::ZERO;
        };
        let (interval, mtbf, availability) = (interval.get(i, rng), mtbf.get(i, rng), availability.get(i, rng));
        let p = match (disrupted, *p2psimpy_formula) {
            (false, false) => interval / (availability * mtbf),
            (true, false) => interval / ((1.0 - availability) * mtbf),
            (false, true) => interval / mtbf,
            (true, true) => interval / (mtbf * (1.0 - availability)),
        }
        .clamp(0.0, 1.0);
        let u: f64 = 1.0 - rng.random::<f64>();
        let checks = if p >= 1.0 { 1.0 } else { (u.ln() / (1.0 - p).ln()).ceil().max(1.0) };
        SimDuration::from_millis_f64(checks * interval)
    }
}
