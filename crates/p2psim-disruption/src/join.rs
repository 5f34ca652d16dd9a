//! Join: each member is absent from the start and joins at its time, linking to a number of
//! online peers of the given types drawn without replacement.

use p2psim_kernel::{PeerRng, SimDuration};
use p2psim_net::PeerId;

use crate::clock::PerPeer;
use crate::fault::{Action, Fault, Member, View};
use crate::model::Step;

/// A join in its runtime form.
#[derive(Debug)]
pub(crate) struct Join {
    pub(crate) at: PerPeer,
    pub(crate) links: PerPeer,
    /// The peer types it links to.
    pub(crate) to: Vec<u16>,
}

impl Fault for Join {
    fn first(&self, i: usize, rng: &mut PeerRng) -> Vec<(SimDuration, Step)> {
        vec![(self.at.ms(i, rng), Step::Join)]
    }

    fn members_start_absent(&self) -> bool {
        true
    }

    fn step(&self, m: Member<'_>, step: Step, view: &View<'_>, out: &mut Vec<Action>) {
        debug_assert_eq!(step, Step::Join, "{step:?} is not a join's");
        let links = self.links.get(m.i, m.rng);
        let mut candidates: Vec<PeerId> = Vec::new();
        for &t in &self.to {
            candidates.extend(view.members(t).iter().copied().filter(|&q| q != m.peer && view.is_online(q)));
        }
        candidates.sort_unstable();
        let want = if links > 0.0 { (links.round() as usize).min(candidates.len()) } else { 0 };
        let chosen = rand::seq::index::sample(m.rng, candidates.len(), want);
        out.push(Action::Join(m.peer, chosen.into_iter().map(|j| candidates[j]).collect()));
    }
}
