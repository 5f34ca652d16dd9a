//! Slowdown: each member's bandwidth is multiplied by a factor while its clock says so, and
//! restored exactly after. Overlapping slowdowns multiply (the run model keeps each fault's
//! factor per peer).

use p2psim_kernel::{PeerRng, SimDuration};

use crate::clock::{Clock, PerPeer};
use crate::fault::{Action, Fault, Member, View};
use crate::model::Step;

/// A slowdown in its runtime form.
#[derive(Debug)]
pub(crate) struct Slowdown {
    pub(crate) clock: Clock,
    pub(crate) factor: PerPeer,
}

impl Fault for Slowdown {
    fn first(&self, i: usize, rng: &mut PeerRng) -> Vec<(SimDuration, Step)> {
        self.clock.first(i, rng)
    }

    fn step(&self, m: Member<'_>, step: Step, _: &View<'_>, out: &mut Vec<Action>) {
        let Step::Disrupt { on, index } = step else { return debug_assert!(false, "{step:?} is not a slowdown's") };
        let on = self.clock.starts(on, *m.disrupted);
        // The factor is drawn before the wait, at every change (a `Dist` factor varies by change).
        let factor = self.factor.get(m.i, m.rng);
        let next = self.clock.next(m.i, index, on, m.rng);
        *m.disrupted = on;
        out.push(Action::Slow(m.peer, on.then_some(factor)));
        if let Some(wait) = next {
            out.push(Action::After(wait, Step::Disrupt { on: !on, index: index + 1 }));
        }
    }
}
