//! Exact order statistics of the delays without holding them: the k-th smallest of 10^8 values
//! in a few sequential passes and a fixed 512 KB of counters, instead of a sorted copy of all of
//! them (800 MB at a million peers and 100 messages).
//!
//! Each pass counts, for every interval still holding a wanted rank, how many values fall in each
//! of its 65,536 equal buckets, and narrows the interval to the bucket holding the rank. Delays
//! are integer nanoseconds, so after `⌈bits / 16⌉` passes (two for delays under 4.3 s, three
//! under 3.3 days) every interval is one value wide and the value is exact: the same number a
//! sort would give, not an estimate.

/// Buckets per interval and pass (a power of two).
const BUCKETS: u64 = 1 << 16;

/// The values at 0-based `ranks` among the values `each` yields (ranks below the count, whose
/// largest value is `max`). `each` is called once per pass with a sink for every value.
pub(crate) fn select(ranks: &[u64], max: u64, each: impl Fn(&mut dyn FnMut(u64))) -> Vec<u64> {
    // Every wanted value lies in [base, base + width); `rank` counts from base.
    #[derive(Clone, Copy)]
    struct Wanted {
        base: u64,
        width: u128,
        rank: u64,
    }
    let width = (u128::from(max) + 1).next_power_of_two();
    let mut wanted: Vec<Wanted> = ranks.iter().map(|&rank| Wanted { base: 0, width, rank }).collect();
    while wanted.iter().any(|w| w.width > 1) {
        // The distinct intervals being narrowed this pass (ranks close together share one).
        let mut intervals: Vec<(u64, u128)> =
            wanted.iter().filter(|w| w.width > 1).map(|w| (w.base, w.width)).collect();
        intervals.sort_unstable();
        intervals.dedup();
        // A bucket is a power of two wide: `width >> 16`, at least one value.
        let shift = |width: u128| (width.trailing_zeros()).saturating_sub(BUCKETS.trailing_zeros());
        let shifts: Vec<u32> = intervals.iter().map(|&(_, width)| shift(width)).collect();
        let mut counts = vec![vec![0u64; BUCKETS as usize]; intervals.len()];
        each(&mut |v| {
            for (i, &(base, width)) in intervals.iter().enumerate() {
                if v >= base && u128::from(v - base) < width {
                    counts[i][((v - base) >> shifts[i]) as usize] += 1;
                }
            }
        });
        for w in wanted.iter_mut().filter(|w| w.width > 1) {
            let i = intervals.binary_search(&(w.base, w.width)).expect("listed above");
            let mut below = 0;
            for (k, &c) in counts[i].iter().enumerate() {
                if below + c > w.rank {
                    w.base += (k as u64) << shifts[i];
                    w.width = 1u128 << shifts[i];
                    w.rank -= below;
                    break;
                }
                below += c;
            }
        }
    }
    wanted.iter().map(|w| w.base).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn check(values: &[u64]) {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        let max = *sorted.last().unwrap();
        let ranks: Vec<u64> = [0, 1, values.len() / 2, values.len() * 9 / 10, values.len() - 1]
            .iter()
            .map(|&r| r.min(values.len() - 1) as u64)
            .collect();
        let got = select(&ranks, max, |sink| values.iter().for_each(|&v| sink(v)));
        let want: Vec<u64> = ranks.iter().map(|&r| sorted[r as usize]).collect();
        assert_eq!(got, want, "{} values up to {max}", values.len());
    }

    #[test]
    fn selects_the_same_values_a_sort_would() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        check(&[5]);
        check(&[0, 0, 0]);
        check(&[3, 1, 2, 2, 9]);
        // Spread over nanoseconds to seconds, clustered, at the top of u64, and with many ties.
        check(&(0..20_000).map(|_| rng.random_range(0..2_000_000_000)).collect::<Vec<_>>());
        check(&(0..20_000).map(|_| 150_000_000 + rng.random_range(0..1000)).collect::<Vec<_>>());
        check(&(0..5_000).map(|_| u64::MAX - rng.random_range(0..1 << 40)).collect::<Vec<_>>());
        check(&(0..5_000).map(|i| (i % 3) * 1_000_000_007).collect::<Vec<_>>());
    }
}
