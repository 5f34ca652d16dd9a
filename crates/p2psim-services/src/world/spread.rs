//! How far one message spread in one service, the quantities of the epidemic analyses
//! (residue, mean and last first-receipt times): what the theory tests check against the papers.
//! Behind the `test-stats` feature: reports compute these from the cells (`p2psim-analysis`), so
//! no user of the library needs a second definition.

use super::{ServiceId, World};
use crate::MsgIdx;

/// For one message and one service: how far it spread (the quantities of the epidemic analyses).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpreadStats {
    /// Peers running the service.
    pub peers: usize,
    /// Peers that stored the message.
    pub reached: usize,
    /// Fraction of peers never reached.
    pub residue: f64,
    /// Mean first-receipt time minus production time, over reached peers, in ms.
    pub t_ave_ms: f64,
    /// Last first-receipt time minus production time, in ms.
    pub t_last_ms: f64,
}

impl World {
    /// How far message `m` spread in service `id`.
    pub fn spread(&self, id: ServiceId, m: MsgIdx) -> SpreadStats {
        let c = &self.slot(id).state;
        let produced = self.messages.produced_at(m);
        let (mut reached, mut sum, mut last) = (0usize, 0.0, 0.0f64);
        for local in 0..c.members.len() as u32 {
            if let Some(r) = c.storage.get(local, m) {
                reached += 1;
                let d = (r.first_seen - produced).as_millis_f64();
                sum += d;
                last = last.max(d);
            }
        }
        let peers = c.members.len();
        SpreadStats {
            peers,
            reached,
            residue: if peers == 0 { 0.0 } else { (peers - reached) as f64 / peers as f64 },
            t_ave_ms: if reached == 0 { f64::NAN } else { sum / reached as f64 },
            t_last_ms: last,
        }
    }
}
