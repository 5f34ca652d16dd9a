//! Tables over (message, peer): delays, copies; and what they summarise to.

use p2psim_net::PeerId;
use p2psim_services::{MsgIdx, ServiceId, World};

/// One row per message, one column per peer: what the tutorial's `get_gossip_table` and
/// `get_overhead_table` show, with ids parsed structurally (P2PSimpy's K1 key-order mix-up cannot
/// happen).
#[derive(Clone, Debug, PartialEq)]
pub struct Table<T> {
    /// The messages, in production order.
    pub messages: Vec<MsgIdx>,
    /// The peers, in id order.
    pub peers: Vec<PeerId>,
    /// `cells[row][col]`; `None` where the peer never got the message.
    pub cells: Vec<Vec<Option<T>>>,
}

impl<T: Copy> Table<T> {
    /// Every present value, row by row.
    pub fn values(&self) -> impl Iterator<Item = T> + '_ {
        self.cells.iter().flatten().flatten().copied()
    }

    /// Number of cells.
    pub fn cell_count(&self) -> usize {
        self.messages.len() * self.peers.len()
    }

    /// Fraction of cells present.
    pub fn fill_ratio(&self) -> f64 {
        let n = self.cell_count();
        if n == 0 { 0.0 } else { self.values().count() as f64 / n as f64 }
    }
}

/// First-receipt time minus production time, in ms, for each message and each peer of `slot`.
pub fn delay_table(world: &World, slot: ServiceId) -> Table<f64> {
    let peers = world.service_members(slot).to_vec();
    let messages: Vec<MsgIdx> = world.messages().all().collect();
    let cells = messages
        .iter()
        .map(|&m| {
            let produced = world.messages().produced_at(m);
            peers.iter().map(|&p| world.record(slot, p, m).map(|r| (r.first_seen - produced).as_millis_f64())).collect()
        })
        .collect();
    Table { messages, peers, cells }
}

/// Copies received, for each message and each peer of `slot` (absent where never received).
pub fn copies_table(world: &World, slot: ServiceId) -> Table<u32> {
    let peers = world.service_members(slot).to_vec();
    let messages: Vec<MsgIdx> = world.messages().all().collect();
    let cells =
        messages.iter().map(|&m| peers.iter().map(|&p| world.record(slot, p, m).map(|r| r.copies)).collect()).collect();
    Table { messages, peers, cells }
}

/// Hops of the first copy, for each message and each peer of `slot` (absent where never
/// received).
pub fn hops_table(world: &World, slot: ServiceId) -> Table<u8> {
    let peers = world.service_members(slot).to_vec();
    let messages: Vec<MsgIdx> = world.messages().all().collect();
    let cells =
        messages.iter().map(|&m| peers.iter().map(|&p| world.record(slot, p, m).map(|r| r.hops)).collect()).collect();
    Table { messages, peers, cells }
}

/// The `q`-quantile of sorted values, interpolated linearly between the two nearest ranks (the
/// default of pandas' and numpy's `quantile`, so that a user recomputing it from `delays.csv`
/// gets the same number); NaN when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n => {
            let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
            let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
            sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
        }
    }
}

/// The median of values (mean of the middle two for an even count); NaN when empty.
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    match v.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

/// Mean of values; NaN when empty.
pub fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { f64::NAN } else { values.iter().sum::<f64>() / values.len() as f64 }
}

/// Convergence: for each message, the time (ms after production) by which each fraction of the
/// peers had it; `None` if that fraction was never reached.
pub fn time_to_fraction(delays: &Table<f64>, fraction: f64) -> Vec<Option<f64>> {
    let n = delays.peers.len();
    let need = ((fraction * n as f64).ceil() as usize).max(1);
    delays
        .cells
        .iter()
        .map(|row| {
            let mut got: Vec<f64> = row.iter().flatten().copied().collect();
            got.sort_by(f64::total_cmp);
            got.get(need - 1).copied()
        })
        .collect()
}

/// The tutorial's `df.mean().mean()`: for each peer the mean delay over the messages it got, then
/// the mean over peers that got any.
pub fn tutorial_mean_delay(delays: &Table<f64>) -> f64 {
    let per_peer: Vec<f64> = (0..delays.peers.len())
        .filter_map(|c| {
            let v: Vec<f64> = delays.cells.iter().filter_map(|row| row[c]).collect();
            (!v.is_empty()).then(|| mean(&v))
        })
        .collect();
    mean(&per_peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_interpolate_as_pandas_does() {
        // pandas.Series([1, 2, 3, 4]).quantile(q) for q = 0, 0.5, 0.9, 0.99, 1.
        let v = [1.0, 2.0, 3.0, 4.0];
        let got: Vec<f64> = [0.0, 0.5, 0.9, 0.99, 1.0].iter().map(|&q| quantile(&v, q)).collect();
        let want = [1.0, 2.5, 3.7, 3.97, 4.0];
        assert!(got.iter().zip(want).all(|(g, w)| (g - w).abs() < 1e-12), "{got:?}");
        assert_eq!(quantile(&[7.0], 0.99), 7.0);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
