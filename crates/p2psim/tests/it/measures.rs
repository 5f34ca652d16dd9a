//! The measures papers report, checked against what they must be on a run whose answer is known:
//! a flood (relay the first copy to every neighbour) over a random regular graph with one
//! constant latency and no transmission time, from one injected message.

use std::collections::VecDeque;

use p2psim::{Simulation, report};
use p2psim_net::PeerId;

const N: u32 = 300;
const D: u32 = 6;

fn flood(seed: u64) -> Simulation {
    let text = format!(
        r#"Experiment(
    name: "flood",
    seed: {seed},
    until_ms: 5000,
    locations: Custom(names: ["A"], latencies: [("A", "A", Const(10))]),
    peer_types: [(
        name: "peer",
        physical: (location: Fixed("A"), upload: 1e15, download: 1e15),
        services: [("gossip", PushGossip(fanout: {D}, relay: FirstCopy))],
    )],
    peers: [(peer_type: "peer", count: {N})],
    topology: (graph: RandomRegular(degree: {D})),
    workload: [Inject(peers: Peers([0]), at: 100, ttl: 255)],
    analysis: (plots: false),
)"#
    );
    let exp = crate::read(&text, "flood.ron").unwrap();
    let mut sim = crate::sim(&exp);
    sim.run().unwrap();
    sim
}

/// Hop distances from peer 0 over the links.
fn bfs(sim: &Simulation) -> Vec<u32> {
    let net = sim.world().net();
    let mut dist = vec![u32::MAX; N as usize];
    dist[0] = 0;
    let mut queue = VecDeque::from([PeerId(0)]);
    while let Some(p) = queue.pop_front() {
        for &q in net.neighbours(p) {
            if dist[q.index()] == u32::MAX {
                dist[q.index()] = dist[p.index()] + 1;
                queue.push_back(q);
            }
        }
    }
    dist
}

#[test]
fn a_flood_has_the_redundancy_traffic_and_hops_its_graph_implies() {
    for seed in 1..=5 {
        let sim = flood(seed);
        let (s, _) = report(&sim);
        let dist = bfs(&sim);
        assert!(dist.iter().all(|&d| d != u32::MAX), "a random regular graph is connected");
        assert_eq!(s.delivery_ratio, 1.0);
        // The source sends D copies; every other peer relays its first copy to its D − 1 other
        // neighbours: D + (N − 1)(D − 1) copies received by N − 1 receivers.
        let received = f64::from(D + (N - 1) * (D - 1));
        let rmr = received / f64::from(N - 1) - 1.0;
        assert!((s.rmr - rmr).abs() < 1e-9, "seed {seed}: rmr {} vs {rmr}", s.rmr);
        // Every copy sent is an update: Demers' m is the copies sent per peer.
        assert!((s.sent_per_peer.1 - received / f64::from(N)).abs() < 1e-9);
        assert_eq!(s.sent_per_peer.0, s.sent_per_peer.1, "a flood sends nothing but updates");
        // One latency per hop and no transmission time: the first copy comes by a shortest path.
        let mean_hops = dist.iter().skip(1).map(|&d| f64::from(d)).sum::<f64>() / f64::from(N - 1);
        let farthest = f64::from(*dist.iter().max().unwrap());
        assert!((s.hops.0 - mean_hops).abs() < 1e-9, "seed {seed}: hops {} vs {mean_hops}", s.hops.0);
        assert_eq!((s.hops.1, s.hops.2), (farthest, farthest));
        // And its delay is 5 ms a hop (half the round trip of 10 ms).
        assert!((s.delay_ms.last - 5.0 * farthest).abs() < 1e-6, "last delay {}", s.delay_ms.last);
        let by_kind = s.sent_by_kind.get("GossipMessage").copied().unwrap();
        assert_eq!(by_kind.0 as f64, received);
    }
}
