//! The round drivers: when a periodic protocol acts.
//!
//! A protocol that acts in rounds says so in [`Protocol::rounds`](crate::Protocol::rounds); the
//! world then calls its `on_round` for each of its peers: all at the same instants
//! ([`Rounds::Synchronous`], one event for the whole service, peers in id order), or each peer on
//! its own clock (P2PSimpy's runner, a random phase, or a Poisson clock).

use p2psim_kernel::{Param, PeerRng, SimDuration};
use rand::RngExt;
use serde::{Deserialize, Serialize};

/// The reference entry of [`Rounds`] (`docs/experiments.md`).
pub(crate) const REFERENCE: &str = "### `Rounds`

- `P2psimpy`: P2PSimpy's runner: each peer waits its `init_timeout`, then acts every `round_time`.
- `Synchronous(offset: 0)`: every peer acts at the same instants, `offset` + k · `round_time` for
  k = 1, 2, … (the classic analyses; PeerSim's cycles); `offset` in ms, default 0.
- `RandomPhase`: each peer every `round_time`, with a phase drawn uniformly in a round.
- `Poisson`: each peer at the events of a Poisson process of mean gap `round_time`.
";

/// When a periodic protocol acts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Rounds {
    /// P2PSimpy's runner: wait `|init_timeout|` (drawn per peer), then act every `round_time`.
    #[default]
    P2psimpy,
    /// Every peer acts at the same instants `offset + k · round_time`, k = 1, 2, … (the classic
    /// analyses; PeerSim's cycle-driven mode).
    Synchronous {
        /// First round at `offset + round_time`, ms.
        #[serde(default)]
        offset: f64,
    },
    /// Each peer every `round_time`, with a phase drawn uniformly in `[0, round_time)`.
    RandomPhase,
    /// Each peer at the events of a Poisson process of mean gap `round_time`.
    Poisson,
}

/// A periodic protocol's rounds: their timing, their period, and for P2PSimpy's timing the wait
/// before the first one.
#[derive(Clone, Debug, PartialEq)]
pub struct RoundSchedule {
    /// The timing.
    pub rounds: Rounds,
    /// The period in ms (the mean gap, for Poisson rounds): a constant, a value per peer (`Dist`),
    /// or drawn at every round (`DistAttr`). Synchronous rounds need a constant.
    pub period: Param,
    /// With [`Rounds::P2psimpy`]: the wait before the first round, in ms (its absolute value is
    /// taken), drawn per peer as its `Param` says.
    pub init: Param,
}

impl RoundSchedule {
    /// Rounds every `period_ms` with the given timing, starting without a wait.
    pub fn new(rounds: Rounds, period_ms: f64) -> RoundSchedule {
        RoundSchedule { rounds, period: Param::Const(period_ms), init: Param::Const(0.0) }
    }

    fn period(&self, own: f64, rng: &mut PeerRng) -> SimDuration {
        SimDuration::from_millis_abs(self.period.value(own, rng))
    }

    /// For per-peer timings: the wait before a peer's first round. `init` and `period` are the
    /// peer's own values of those parameters, `rng` its stream.
    pub(crate) fn first(&self, init: f64, period: f64, rng: &mut PeerRng) -> SimDuration {
        match self.rounds {
            Rounds::P2psimpy => {
                let wait = SimDuration::from_millis_abs(self.init.value(init, rng));
                wait + self.period(period, rng)
            }
            Rounds::RandomPhase => {
                let p = self.period(period, rng);
                SimDuration::from_nanos(rng.random_range(0..p.as_nanos().max(1)))
            }
            Rounds::Poisson => {
                let p = self.period(period, rng);
                next_poisson(rng, p)
            }
            Rounds::Synchronous { offset } => SimDuration::from_millis_abs(offset) + self.period(period, rng),
        }
    }

    /// The gap to a peer's next round after one just ran.
    pub(crate) fn next(&self, period: f64, rng: &mut PeerRng) -> SimDuration {
        let p = self.period(period, rng);
        match self.rounds {
            Rounds::Poisson => next_poisson(rng, p),
            _ => p,
        }
    }
}

fn next_poisson(rng: &mut PeerRng, mean: SimDuration) -> SimDuration {
    let u: f64 = 1.0 - rng.random::<f64>();
    SimDuration::from_millis_f64(-u.ln() * mean.as_millis_f64())
}
