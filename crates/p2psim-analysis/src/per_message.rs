//! What each message did: how many analysed peers it reached, how fast (delays) and how far
//! (hops), and how many redundant copies it cost; the figures papers report per broadcast.
//!
//! Receipts are the cells of the tables, with one exception: a message's producer, when it is an
//! analysed peer, holds its own copy at delay 0 and hop 0 without having received it, so it is
//! left out of the hops and of the redundancy (and kept in the delays, where it counts as reached
//! at once, as in the delay table).

use p2psim_services::Messages;

use crate::summary::Tables;
use crate::tables::mean;

/// The figures of one message.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageStats {
    /// Analysed peers that have it, the producer included if it is one.
    pub reached: usize,
    /// Analysed peers that received it (`reached` without the producer).
    pub receivers: usize,
    /// Mean first-receipt delay over the peers that have it, ms.
    pub delay_mean: f64,
    /// The last first receipt, ms after production: the time to reach every peer it reached.
    pub delay_last: f64,
    /// Mean hops of the first copies received.
    pub hops_mean: f64,
    /// Hops of the farthest first copy: the dissemination latency in hops.
    pub hops_last: f64,
    /// Copies received by the analysed peers (the producer's own copy not counted).
    pub received: u64,
    /// Relative message redundancy (Leitão, Pereira, Rodrigues, "Epidemic Broadcast Trees",
    /// 2007): `received / receivers − 1`, that is `m / (n − 1) − 1` with `n` the peers reached
    /// counting the source. 0 when every receiver got exactly one copy; NaN when none received it.
    pub rmr: f64,
}

/// The figures of every message of the tables, in production order.
pub fn per_message(t: &Tables, messages: &Messages) -> Vec<MessageStats> {
    t.delays
        .messages
        .iter()
        .enumerate()
        .map(|(row, &m)| {
            let producer = messages.id(m).producer;
            let (mut delays, mut hops) = (Vec::new(), Vec::new());
            let mut received = 0u64;
            for (col, &p) in t.delays.peers.iter().enumerate() {
                let Some(d) = t.delays.cells[row][col] else { continue };
                delays.push(d);
                let copies = u64::from(t.copies.cells[row][col].unwrap_or(0));
                if p == producer {
                    received += copies.saturating_sub(1);
                } else {
                    received += copies;
                    hops.push(f64::from(t.hops.cells[row][col].unwrap_or(0)));
                }
            }
            let receivers = hops.len();
            MessageStats {
                reached: delays.len(),
                receivers,
                delay_mean: mean(&delays),
                delay_last: delays.iter().copied().reduce(f64::max).unwrap_or(f64::NAN),
                hops_mean: mean(&hops),
                hops_last: hops.iter().copied().reduce(f64::max).unwrap_or(f64::NAN),
                received,
                rmr: if receivers == 0 { f64::NAN } else { received as f64 / receivers as f64 - 1.0 },
            }
        })
        .collect()
}
