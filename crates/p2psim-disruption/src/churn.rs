//! Churn: each member's sessions and off-times are drawn from their distributions; at the end
//! of a session it leaves for good with probability `leave`, or comes back after an off-time.

use p2psim_kernel::{Dist, PeerRng, SimDuration};
use rand::RngExt;

use crate::clock::PerPeer;
use crate::fault::{Action, Fault, Member, View, ms};
use crate::model::Step;

/// A churn in its runtime form.
#[derive(Debug)]
pub(crate) struct Churn {
    pub(crate) session: Dist,
    pub(crate) offtime: Dist,
    pub(crate) leave: PerPeer,
}

impl Fault for Churn {
    fn first(&self, _: usize, rng: &mut PeerRng) -> Vec<(SimDuration, Step)> {
        vec![(ms(self.session.draw(rng)), Step::SessionEnd)]
    }

    fn step(&self, m: Member<'_>, step: Step, _: &View<'_>, out: &mut Vec<Action>) {
        match step {
            Step::SessionEnd => {
                let leave = self.leave.get(m.i, m.rng).clamp(0.0, 1.0);
                let leaves = m.rng.random_bool(leave);
                let back = (!leaves).then(|| ms(self.offtime.draw(m.rng)));
                out.push(Action::Down(m.peer));
                out.push(match back {
                    None => Action::Leave(m.peer),
                    Some(wait) => Action::After(wait, Step::Return),
                });
            }
            Step::Return => {
                let wait = ms(self.session.draw(m.rng));
                out.push(Action::Up(m.peer));
                out.push(Action::After(wait, Step::SessionEnd));
            }
            _ => debug_assert!(false, "{step:?} is not a churn's"),
        }
    }
}
