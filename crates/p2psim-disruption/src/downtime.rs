//! Downtime: each member goes offline and comes back as its clock says (scheduled, random, by
//! an availability model, or once). Overlapping downtimes stack: a peer is back when no cause is
//! left (the run model counts causes).

use p2psim_kernel::{PeerRng, SimDuration};

use crate::clock::Clock;
use crate::fault::{Action, Fault, Member, View};
use crate::model::Step;

/// A downtime in its runtime form.
#[derive(Debug)]
pub(crate) struct Downtime {
    pub(crate) clock: Clock,
}

impl Fault for Downtime {
    fn first(&self, i: usize, rng: &mut PeerRng) -> Vec<(SimDuration, Step)> {
        self.clock.first(i, rng)
    }

    fn step(&self, m: Member<'_>, step: Step, _: &View<'_>, out: &mut Vec<Action>) {
        let Step::Disrupt { on, index } = step else { return debug_assert!(false, "{step:?} is not a downtime's") };
        let on = self.clock.starts(on, *m.disrupted);
        let next = self.clock.next(m.i, index, on, m.rng);
        *m.disrupted = on;
        out.push(if on { Action::Down(m.peer) } else { Action::Up(m.peer) });
        if let Some(wait) = next {
            out.push(Action::After(wait, Step::Disrupt { on: !on, index: index + 1 }));
        }
    }
}
