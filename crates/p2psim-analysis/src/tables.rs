//! Tables over (message, peer), materialised for heatmaps and the per-peer CSV files, and the
//! elementary statistics (mean, median, quantiles as pandas computes them).

use p2psim_net::PeerId;
use p2psim_services::MsgIdx;

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

/// The `q`-quantile of sorted values, interpolated linearly between the two nearest ranks (the
/// default of pandas' and numpy's `quantile`, so that a user recomputing it from `delays.csv`
/// gets the same number); NaN when empty.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    quantile_ranks(sorted.len(), q).map_or(f64::NAN, |(lo, hi, frac)| lerp(sorted[lo], sorted[hi], frac))
}

/// `a` moved the fraction `frac` of the way to `b`, as the quantiles interpolate.
pub fn lerp(a: f64, b: f64, frac: f64) -> f64 {
    a + (b - a) * frac
}

/// The two ranks the `q`-quantile of `n` values interpolates between, and the weight of the
/// upper one; `None` when `n` is 0.
pub fn quantile_ranks(n: usize, q: f64) -> Option<(usize, usize, f64)> {
    (n > 0).then(|| {
        let pos = q.clamp(0.0, 1.0) * (n - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        (lo, hi, pos - lo as f64)
    })
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
