//! Traffic over time: bytes and messages per second per peer, silent seconds as zeros, read in
//! place from the network's monitors.

use std::borrow::Cow;

use p2psim_kernel::SimTime;
use p2psim_net::{Monitors, PeerId, Traffic};

/// Received traffic per second (rows) and peer (columns), as P2PSimpy's `bytes_load` and
/// `msg_count_load` count it: accepted messages of every kind, by whole second, but with every
/// second present (zeros included, P2PSimpy's oddity M2 resolved). A view of the monitors: a
/// million peers over ten seconds are read where they are, not copied.
#[derive(Clone, Debug)]
pub struct TrafficTable<'w> {
    monitors: &'w Monitors,
    peers: Cow<'w, [PeerId]>,
    seconds: u64,
}

impl<'w> TrafficTable<'w> {
    /// The monitors of `peers` for every whole second of `[0, until)`.
    pub fn new(monitors: &'w Monitors, peers: impl Into<Cow<'w, [PeerId]>>, until: SimTime) -> TrafficTable<'w> {
        TrafficTable { monitors, peers: peers.into(), seconds: until.as_nanos().div_ceil(1_000_000_000) }
    }

    /// The peers (columns).
    pub fn peers(&self) -> &[PeerId] {
        &self.peers
    }

    /// Whole seconds (rows).
    pub fn seconds(&self) -> u64 {
        self.seconds
    }

    /// What the peer of column `col` received in second `s`.
    pub fn at(&self, s: u64, col: usize) -> Traffic {
        self.monitors.at(self.peers[col], s)
    }

    /// Bytes received, per second and peer.
    pub fn bytes(&self) -> Series<'_> {
        Series { table: self, value: |t| t.bytes_in as f64 }
    }

    /// Messages received, per second and peer.
    pub fn msgs(&self) -> Series<'_> {
        Series { table: self, value: |t| f64::from(t.msgs_in) }
    }
}

/// One count of a [`TrafficTable`] (bytes or messages) and the statistics the summary and the
/// plots take of it.
#[derive(Clone, Copy, Debug)]
pub struct Series<'a> {
    table: &'a TrafficTable<'a>,
    value: fn(&Traffic) -> f64,
}

impl Series<'_> {
    /// Second `s` over the peers, into `row`.
    fn row(&self, s: u64, row: &mut Vec<f64>) {
        row.clear();
        row.extend((0..self.table.peers.len()).map(|col| (self.value)(&self.table.at(s, col))));
    }

    /// Per second: (median, mean, standard deviation) over peers.
    pub fn per_second(&self) -> Vec<(f64, f64, f64)> {
        let mut row = Vec::new();
        (0..self.table.seconds)
            .map(|s| {
                self.row(s, &mut row);
                let m = crate::tables::mean(&row);
                let sd = if row.len() > 1 {
                    (row.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (row.len() - 1) as f64).sqrt()
                } else {
                    0.0
                };
                (crate::tables::median(&row), m, sd)
            })
            .collect()
    }

    /// The tutorial's `table.mean(axis=1).mean()`: mean over peers per second, then over seconds.
    pub fn mean_of_means(&self) -> f64 {
        let mut row = Vec::new();
        let per_second: Vec<f64> = (0..self.table.seconds)
            .map(|s| {
                self.row(s, &mut row);
                crate::tables::mean(&row)
            })
            .collect();
        crate::tables::mean(&per_second)
    }

    /// Median over peers of each peer's mean per second.
    pub fn median_of_peer_means(&self) -> f64 {
        let mut sums = vec![0f64; self.table.peers.len()];
        let mut row = Vec::new();
        for s in 0..self.table.seconds {
            self.row(s, &mut row);
            for (sum, x) in sums.iter_mut().zip(&row) {
                *sum += x;
            }
        }
        let seconds = self.table.seconds as f64;
        // Without a second, no peer has a mean (as pandas: the mean of nothing is NaN).
        let per_peer: Vec<f64> =
            if self.table.seconds == 0 { Vec::new() } else { sums.iter().map(|s| s / seconds).collect() };
        crate::tables::median(&per_peer)
    }
}
