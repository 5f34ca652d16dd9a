//! The workload (messages injected at peers, without producers) and edges named by type and
//! index.

use p2psim::{Error, Simulation};
use p2psim_kernel::SimTime;
use p2psim_net::PeerId;

/// Ten peers on a ring running push gossip (fanout 2, TTL 10), a `source` type of two peers
/// linked to the ring by type-and-index edges, and the workload given.
fn experiment(workload: &str, extra: &str) -> String {
    format!(
        r#"Experiment(
    name: "workload",
    until_ms: 3000,
    peer_types: [
        (name: "peer", physical: (location: Fixed("Ohio"), upload: 6553600, download: 6553600), services: [("gossip", PushGossip(fanout: 2))]),
        (name: "source", physical: (location: Fixed("Ohio"), upload: 6553600, download: 6553600), services: [("gossip", PushGossip(fanout: 2))]),
    ],
    peers: [(peer_type: "peer", count: 4), (peer_type: "source", count: 2), (peer_type: "peer", count: 6)],
    topology: (
        graph: WattsStrogatz(k: 2, p: 0),
        among: ["peer"],
        edges: [(("source", 0), ("peer", 0)), (("source", 1), ("peer", 9))],
    ),
    workload: [{workload}],
    {extra}
)"#
    )
}

fn run(text: &str) -> Simulation {
    let exp = crate::read(text, "w.ron").unwrap();
    let mut sim = crate::sim(&exp);
    sim.run().unwrap();
    sim
}

/// (producer, time in ms) of every message, in order.
fn produced(sim: &Simulation) -> Vec<(u32, f64)> {
    let m = sim.world().messages();
    m.all().map(|i| (m.id(i).producer.0, m.produced_at(i).as_millis_f64())).collect()
}

#[test]
fn each_selected_peer_injects_at_the_given_times_and_the_gossip_spreads_it() {
    let sim = run(&experiment("Inject(peers: Type(\"source\"), messages: 3, at: 100, every: 250, ttl: 10)", ""));
    // The sources are peers 4 and 5 (the second group); each injects at 100, 350, 600 ms.
    let mut got = produced(&sim);
    got.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let want: Vec<(u32, f64)> = [4, 5].iter().flat_map(|&p| [100.0, 350.0, 600.0].map(|t| (p, t))).collect();
    assert_eq!(got, want);
    // Edges by type and index: source 0 is peer 4, linked to the first peer (0); source 1 is
    // peer 5, linked to the tenth peer of type `peer`, which is peer 11 (groups of 4, 2, 6).
    assert!(sim.world().net().is_connected(PeerId(4), PeerId(0)));
    assert!(sim.world().net().is_connected(PeerId(5), PeerId(11)));
    assert_eq!(sim.world().net().degree(PeerId(4)), 1);
    // Push gossip took each message from its source to every peer of the ring.
    let gossip = sim.gossip_service().unwrap();
    for i in sim.world().messages().all() {
        let reached = (0..12).filter(|&p| sim.world().record(gossip, PeerId(p), i).is_some()).count();
        assert!(reached >= 10, "message {i:?} reached {reached} peers");
    }
}

#[test]
fn a_random_pick_spreads_messages_evenly_over_the_online_peers() {
    // 1200 messages at random among the 10 ring peers, with peer 0 down from 0 to 3000 ms: peer
    // 0 never injects; the others get 1200 / 9 each, binomial: sd = sqrt(1200 · 1/9 · 8/9) ≈ 10.9.
    let sim = run(&experiment(
        "Inject(peers: Type(\"peer\"), pick: Random, messages: 1200, at: 0, every: 2)",
        r#"faults: [Downtime(peers: Peers([0]), timing: Once(at: 0, duration: 3000))],"#,
    ));
    let got = produced(&sim);
    assert_eq!(got.len(), 1200);
    let mut per_peer = [0u32; 12];
    for (p, _) in &got {
        per_peer[*p as usize] += 1;
    }
    assert_eq!(per_peer[0], 0, "an offline peer injects nothing");
    assert_eq!(per_peer[4] + per_peer[5], 0, "only the selected type injects");
    let expected = 1200.0 / 9.0;
    let sd = (1200.0_f64 * (1.0 / 9.0) * (8.0 / 9.0)).sqrt();
    // Chi-square with 8 degrees of freedom: 26.1 is its 0.999 quantile.
    let chi2: f64 =
        [1, 2, 3, 6, 7, 8, 9, 10, 11].iter().map(|&p| (f64::from(per_peer[p]) - expected).powi(2) / expected).sum();
    assert!(chi2 < 26.1, "per peer {per_peer:?}, chi-square {chi2}");
    assert!(per_peer.iter().all(|&c| c == 0 || (f64::from(c) - expected).abs() < 5.0 * sd));
}

#[test]
fn poisson_injections_have_exponential_gaps() {
    // DistAttr draws every gap: a Poisson process of rate 1 per 10 ms. Over 2000 gaps the mean is
    // 10 ms with a standard error of 10 / sqrt(2000) ≈ 0.22 ms.
    let text =
        experiment("Inject(peers: Peers([2]), messages: 2000, at: 0, every: DistAttr(Expon(loc: 0, scale: 10)))", "")
            .replace("until_ms: 3000", "until_ms: 100000");
    let sim = run(&text);
    let times: Vec<f64> = produced(&sim).into_iter().map(|(_, t)| t).collect();
    assert_eq!(times.len(), 2000);
    let gaps: Vec<f64> = times.windows(2).map(|w| w[1] - w[0]).collect();
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    assert!((mean - 10.0).abs() < 5.0 * 10.0 / (gaps.len() as f64).sqrt(), "mean gap {mean}");
    // An exponential's sd equals its mean (a constant gap's would be 0).
    let sd = (gaps.iter().map(|g| (g - mean).powi(2)).sum::<f64>() / (gaps.len() - 1) as f64).sqrt();
    assert!((sd / mean - 1.0).abs() < 0.15, "sd {sd} vs mean {mean}");
    assert!(sim.now() <= SimTime::from_millis(100_000));
}

fn error(text: &str) -> Error {
    crate::read(text, "w.ron").unwrap_err()
}

#[test]
fn bad_workloads_and_edges_are_refused_with_their_field_and_place() {
    let e = error(&experiment("Inject(peers: Type(\"nobody\"), messages: 3)", ""));
    let s = e.to_string();
    assert!(s.starts_with("w.ron:14:"), "{s}");
    assert!(s.contains("workload[0].peers.Type") && s.contains("unknown peer type `nobody`"), "{s}");
    let e = error(&experiment("Inject(peers: All, messages: 3, every: 0)", ""));
    assert!(e.to_string().contains("workload[0].every"), "{e}");
    let e = error(&experiment("Inject(peers: All, color: 3)", ""));
    assert!(e.to_string().contains("unknown field `color`"), "{e}");
    let text = experiment("", "").replace("((\"source\", 1), (\"peer\", 9))", "((\"source\", 1), (\"peer\", 10))");
    let s = error(&text).to_string();
    assert!(
        s.contains("topology.edges[1][1]") && s.contains("names peer 10 of type `peer`, which has 10 peers"),
        "{s}"
    );
    assert!(s.starts_with("w.ron:12:"), "{s}");
    let text = experiment("", "").replace("((\"source\", 1), (\"peer\", 9))", "((\"client\", 0), 3)");
    assert!(error(&text).to_string().contains("unknown peer type `client`"));
    let text = experiment("", "").replace("((\"source\", 1), (\"peer\", 9))", "(5, (\"source\", 1))");
    assert!(error(&text).to_string().contains("links peer 5 to itself"));
}
