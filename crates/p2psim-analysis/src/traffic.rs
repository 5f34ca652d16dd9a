//! Traffic over time: bytes and messages per second per peer, silent seconds as zeros.

use p2psim_kernel::SimTime;
use p2psim_net::{Monitors, PeerId};

/// Received traffic per second (rows) and peer (columns), as P2PSimpy's `bytes_load` and
/// `msg_count_load` count it: accepted messages of every kind, by whole second, but with every
/// second present (zeros included, P2PSimpy's oddity M2 resolved).
#[derive(Clone, Debug, PartialEq)]
pub struct TrafficTable {
    /// The peers.
    pub peers: Vec<PeerId>,
    /// `bytes[second][col]`.
    pub bytes: Vec<Vec<u64>>,
    /// `msgs[second][col]`.
    pub msgs: Vec<Vec<u32>>,
}

impl TrafficTable {
    /// Reads the monitors of `peers` for every whole second of `[0, until)`.
    pub fn new(monitors: &Monitors, peers: &[PeerId], until: SimTime) -> TrafficTable {
        let seconds = until.as_nanos().div_ceil(1_000_000_000);
        let mut bytes = Vec::new();
        let mut msgs = Vec::new();
        for s in 0..seconds {
            bytes.push(peers.iter().map(|&p| monitors.at(p, s).bytes_in).collect());
            msgs.push(peers.iter().map(|&p| monitors.at(p, s).msgs_in).collect());
        }
        TrafficTable { peers: peers.to_vec(), bytes, msgs }
    }

    /// Per second: (median, mean, standard deviation) over peers.
    pub fn per_second(values: &[Vec<f64>]) -> Vec<(f64, f64, f64)> {
        values
            .iter()
            .map(|row| {
                let m = crate::tables::mean(row);
                let sd = if row.len() > 1 {
                    (row.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (row.len() - 1) as f64).sqrt()
                } else {
                    0.0
                };
                (crate::tables::median(row), m, sd)
            })
            .collect()
    }

    /// Bytes as floats, for statistics and plots.
    pub fn bytes_f64(&self) -> Vec<Vec<f64>> {
        self.bytes.iter().map(|r| r.iter().map(|&x| x as f64).collect()).collect()
    }

    /// Messages as floats.
    pub fn msgs_f64(&self) -> Vec<Vec<f64>> {
        self.msgs.iter().map(|r| r.iter().map(|&x| f64::from(x)).collect()).collect()
    }

    /// The tutorial's `table.mean(axis=1).mean()`: mean over peers per second, then over seconds.
    pub fn mean_of_means(values: &[Vec<f64>]) -> f64 {
        crate::tables::mean(&values.iter().map(|r| crate::tables::mean(r)).collect::<Vec<_>>())
    }

    /// Median over peers of each peer's mean per second.
    pub fn median_of_peer_means(values: &[Vec<f64>]) -> f64 {
        let cols = values.first().map_or(0, Vec::len);
        let per_peer: Vec<f64> =
            (0..cols).map(|c| crate::tables::mean(&values.iter().map(|r| r[c]).collect::<Vec<_>>())).collect();
        crate::tables::median(&per_peer)
    }
}
