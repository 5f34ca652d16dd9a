//! Loss: over a time window every message is lost with a probability. Windows stack with each
//! other and with the network's own loss: a message survives each apart (the run model keeps
//! the open windows).

use crate::fault::{Action, Fault};

/// A loss window in its runtime form.
#[derive(Debug)]
pub(crate) struct Loss {
    pub(crate) probability: f64,
    pub(crate) from: f64,
    pub(crate) until: Option<f64>,
}

impl Fault for Loss {
    fn window(&self) -> Option<(f64, Option<f64>)> {
        Some((self.from, self.until))
    }

    fn toggle(&self, on: bool, out: &mut Vec<Action>) {
        out.push(Action::Loss(on.then_some(self.probability)));
    }
}
