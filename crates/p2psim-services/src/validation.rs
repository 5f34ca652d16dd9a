//! Validation before acceptance, P2PSimpy's `pre_task`, as the network's admission step: a
//! producer attaches a validation to its messages; every receiver spends a drawn time on it, during
//! which its download queue stays busy, then accepts or rejects the message.

use p2psim_kernel::{Dist, Seed, SimDuration, SimTime, StreamKey, Streams};
use p2psim_net::{Admission, Admit, PeerId};

use crate::message::Message;

/// A validation as the receivers apply it.
#[derive(Clone, Debug)]
pub(crate) struct Validation {
    pub(crate) delay: Dist,
    pub(crate) reject_tampered: bool,
}

/// The admission step of a world: every validation of the run, and each receiver's stream.
#[derive(Debug)]
pub(crate) struct Validator {
    pub(crate) specs: Vec<Validation>,
    rngs: Streams,
}

impl Validator {
    pub(crate) fn new(seed: Seed, specs: Vec<Validation>, peers: usize) -> Validator {
        let rngs = Streams::new(seed, if specs.is_empty() { 0 } else { peers });
        Validator { specs, rngs }
    }
}

impl Admission<Message> for Validator {
    #[inline]
    fn admit(&mut self, _: SimTime, to: PeerId, _: PeerId, msg: &Message) -> Admit {
        let Message::Gossip { validation, tampered, .. } = *msg else { return Admit::Now };
        if validation == 0 {
            return Admit::Now;
        }
        let spec = &self.specs[validation as usize - 1];
        let rng = self.rngs.get(to.index(), to.0, StreamKey::new("validation").with(to.0.into()));
        let delay = SimDuration::from_millis_abs(spec.delay.draw(rng));
        Admit::After { delay, accept: !(spec.reject_tampered && tampered) }
    }
}
