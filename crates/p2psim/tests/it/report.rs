//! The report reads the cells in place and keeps no copy of them; these tests check that every
//! figure it gives equals the straightforward computation over the materialised tables (sort
//! every delay, take pandas' quantiles, and so on), on runs where some cells stay empty, some
//! columns stay sparse (services of more than 4096 peers start sparse) and delays tie.

use p2psim::analysis::{CONVERGENCE_FRACTIONS, mean, quantile};
use p2psim::{Simulation, report};

/// Push gossip over `peers` peers with loss, so that some cells stay empty; messages from several
/// producers, some reaching few peers (sparse columns).
fn lossy(peers: u32, seed: u64, ttl: u32) -> Simulation {
    let text = format!(
        r#"Experiment(
    name: "lossy",
    seed: {seed},
    until_ms: 3000,
    network: (loss: 0.3),
    peer_types: [(
        name: "peer",
        physical: (location: Cycle(["Ohio", "Tokyo"]), upload: Const(inf), download: Const(inf)),
        services: [("gossip", PushGossip(fanout: 4, relay: FirstCopy))],
    )],
    peers: [(peer_type: "peer", count: {peers})],
    topology: (graph: RandomRegular(degree: 6)),
    workload: [Inject(peers: All, pick: Random, messages: 6, at: 100, every: 150, ttl: {ttl})],
    analysis: (plots: false),
)"#
    );
    let exp = crate::read(&text, "lossy.ron").unwrap();
    let mut sim = crate::sim(&exp);
    sim.run().unwrap();
    sim
}

#[test]
fn the_summary_read_in_place_equals_the_straightforward_one() {
    for (peers, seed, ttl) in [(300, 1, 64), (6000, 2, 64), (6000, 3, 3), (9000, 4, 2)] {
        let sim = lossy(peers, seed, ttl);
        let (s, t) = report(&sim);
        let delays = t.cells.table(|c| c.delay_ms());
        let copies = t.cells.table(|c| c.copies);
        let mut all: Vec<f64> = delays.values().collect();
        assert!(
            !all.is_empty() && all.len() < delays.cell_count(),
            "{peers} peers, ttl {ttl}: some cells reached, some not"
        );
        let what = format!("{peers} peers, seed {seed}, ttl {ttl}");
        all.sort_by(f64::total_cmp);
        for (got, q) in [(s.delay_ms.p50, 0.5), (s.delay_ms.p90, 0.9), (s.delay_ms.p99, 0.99)] {
            assert_eq!(got, quantile(&all, q), "{what}: quantile {q}");
        }
        assert_eq!(s.delay_ms.max, *all.last().unwrap(), "{what}");
        // The mean is summed exactly in integer nanoseconds; the float sum differs in the last bits.
        assert!((s.delay_ms.mean - mean(&all)).abs() <= 1e-9 * s.delay_ms.mean, "{what}");
        assert_eq!(s.delivery_ratio, all.len() as f64 / delays.cell_count() as f64, "{what}");
        let counts: Vec<f64> = copies.values().map(f64::from).collect();
        assert_eq!(s.copies, (mean(&counts), copies.values().max().unwrap()), "{what}");
        let per_peer: Vec<f64> = (0..delays.peers.len())
            .filter_map(|c| {
                let v: Vec<f64> = delays.cells.iter().filter_map(|row| row[c]).collect();
                (!v.is_empty()).then(|| mean(&v))
            })
            .collect();
        assert_eq!(s.tutorial_mean_delay_ms, mean(&per_peer), "{what}");
        for (row, times) in t.scan.convergence.iter().enumerate() {
            let mut got: Vec<f64> = delays.cells[row].iter().flatten().copied().collect();
            got.sort_by(f64::total_cmp);
            for (f, &time) in CONVERGENCE_FRACTIONS.iter().zip(times) {
                let need = ((f * delays.peers.len() as f64).ceil() as usize).max(1);
                assert_eq!(time, got.get(need - 1).copied(), "{what}: message {row}, fraction {f}");
            }
        }
        let histogram: u64 = t.scan.copies_count.iter().sum();
        assert_eq!(histogram, all.len() as u64, "{what}: every reached cell is in the histogram once");
    }
}
