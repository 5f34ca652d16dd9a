//! One pass over the cells gathering what the summary, `messages.csv`, `convergence.csv` and the
//! redundancy histogram need. Its memory grows with the peers plus the messages, never with their
//! product: per message its figures, per peer a delay sum, and counts by number of copies.

use p2psim_services::Messages;

use crate::cells::{Cells, ms};
use crate::per_message::MessageStats;

/// The fractions of the analysed peers `convergence.csv` gives the time to reach.
pub const CONVERGENCE_FRACTIONS: [f64; 4] = [0.5, 0.9, 0.99, 1.0];

/// What one pass over the cells gathers.
#[derive(Clone, Debug, PartialEq)]
pub struct Scan {
    /// Each message's figures, in production order.
    pub messages: Vec<MessageStats>,
    /// Per message, ms after production by which each of [`CONVERGENCE_FRACTIONS`] of the
    /// analysed peers had it; `None` if that fraction was never reached.
    pub convergence: Vec<[Option<f64>; 4]>,
    /// Cells holding a value.
    pub reached: u64,
    /// Sum of their delays, ns (exact).
    pub delay_sum_ns: u128,
    /// The largest delay, ns.
    pub delay_max_ns: Option<u64>,
    /// `copies_count[c]`: cells holding `c` copies.
    pub copies_count: Vec<u64>,
    /// The tutorial's mean delay, ms: each peer's mean over the messages it got, then the mean
    /// over peers that got any (notebook 03's `df.mean().mean()`).
    pub tutorial_mean_delay_ms: f64,
}

impl Scan {
    /// Reads every cell once, row by row.
    pub fn new(cells: &Cells<'_>, messages: &Messages) -> Scan {
        let peers = cells.peers();
        let (mut peer_sum, mut peer_n) = (vec![0f64; peers.len()], vec![0u32; peers.len()]);
        let mut scan = Scan {
            messages: Vec::with_capacity(cells.messages().len()),
            convergence: Vec::with_capacity(cells.messages().len()),
            reached: 0,
            delay_sum_ns: 0,
            delay_max_ns: None,
            copies_count: Vec::new(),
            tutorial_mean_delay_ms: f64::NAN,
        };
        let mut row_delays: Vec<u64> = Vec::new();
        for (row, &m) in cells.messages().iter().enumerate() {
            let producer = messages.id(m).producer;
            row_delays.clear();
            let (mut delay_sum, mut delay_last) = (0f64, f64::NAN);
            let (mut hops_sum, mut hops_n, mut hops_last) = (0f64, 0usize, f64::NAN);
            let mut received = 0u64;
            cells.for_each_in_row(row, |c| {
                let d = c.delay_ms();
                row_delays.push(c.delay_ns);
                delay_sum += d;
                delay_last = if delay_last.is_nan() { d } else { delay_last.max(d) };
                peer_sum[c.col] += d;
                peer_n[c.col] += 1;
                scan.delay_sum_ns += u128::from(c.delay_ns);
                scan.delay_max_ns = Some(scan.delay_max_ns.map_or(c.delay_ns, |x| x.max(c.delay_ns)));
                let copies = c.copies as usize;
                if scan.copies_count.len() <= copies {
                    scan.copies_count.resize(copies + 1, 0);
                }
                scan.copies_count[copies] += 1;
                // The producer holds its own copy without having received it (see per_message).
                if peers[c.col] == producer {
                    received += u64::from(c.copies.saturating_sub(1));
                } else {
                    received += u64::from(c.copies);
                    let h = f64::from(c.hops);
                    hops_sum += h;
                    hops_n += 1;
                    hops_last = if hops_last.is_nan() { h } else { hops_last.max(h) };
                }
            });
            let reached = row_delays.len();
            scan.reached += reached as u64;
            let mean = |sum: f64, n: usize| if n == 0 { f64::NAN } else { sum / n as f64 };
            scan.messages.push(MessageStats {
                reached,
                receivers: hops_n,
                delay_mean: mean(delay_sum, reached),
                delay_last,
                hops_mean: mean(hops_sum, hops_n),
                hops_last,
                received,
                rmr: if hops_n == 0 { f64::NAN } else { received as f64 / hops_n as f64 - 1.0 },
            });
            scan.convergence.push(CONVERGENCE_FRACTIONS.map(|f| {
                let need = ((f * peers.len() as f64).ceil() as usize).max(1);
                (need <= reached).then(|| ms(*row_delays.select_nth_unstable(need - 1).1))
            }));
        }
        let per_peer: Vec<f64> =
            peer_sum.iter().zip(&peer_n).filter(|&(_, &n)| n > 0).map(|(&s, &n)| s / f64::from(n)).collect();
        scan.tutorial_mean_delay_ms = crate::tables::mean(&per_peer);
        scan
    }

    /// The largest number of copies a cell holds (0 without cells).
    pub fn copies_max(&self) -> u32 {
        self.copies_count.iter().rposition(|&n| n > 0).unwrap_or(0) as u32
    }

    /// Mean copies per cell holding a value; NaN without any.
    pub fn copies_mean(&self) -> f64 {
        let total: u64 = self.copies_count.iter().enumerate().map(|(c, &n)| c as u64 * n).sum();
        if self.reached == 0 { f64::NAN } else { total as f64 / self.reached as f64 }
    }
}
