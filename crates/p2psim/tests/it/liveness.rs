//! The connection manager around an outage: a returning peer pings the neighbours it has not
//! heard from lately (as P2PSimpy's does), and does not drop links for the silence its own outage
//! caused (P2PSimpy's oddity D2).

use p2psim::Simulation;
use p2psim_net::PeerId;
use p2psim_services::Kind;

/// Peer 0 pings every 500 ms and drops after 3000 ms of silence; peer 1 answers pings but never
/// pings or drops (its interval and silence are longer than the run). Peer 0 is down from 1100 ms
/// for `down` ms. One location, 2 ms round trip, no transmission time.
fn run(down: u32, until: u32) -> Simulation {
    let text = format!(
        r#"Experiment(
    name: "liveness",
    until_ms: {until},
    locations: Custom(names: ["A"], latencies: [("A", "A", Const(2))]),
    peer_types: [
        (name: "pinger", physical: (location: Fixed("A"), upload: 1e15, download: 1e15),
         services: [("cm", ConnectionManager(ping_interval: 500, max_silence: 3000))]),
        (name: "answerer", physical: (location: Fixed("A"), upload: 1e15, download: 1e15),
         services: [("cm", ConnectionManager(ping_interval: 1e9, max_silence: 1e9))]),
    ],
    peers: [(peer_type: "pinger", count: 1), (peer_type: "answerer", count: 1)],
    topology: (edges: [(0, 1)]),
    faults: [Downtime(peers: Peers([0]), timing: Once(at: 1100, duration: {down}))],
    analysis: (plots: false),
)"#
    );
    let exp = crate::read(&text, "liveness.ron").unwrap();
    let mut sim = crate::sim(&exp);
    sim.run().unwrap();
    sim
}

fn pings_sent_by(sim: &Simulation, p: u32) -> u32 {
    sim.world().sent_by_kind(PeerId(p), Kind::Ping.id()).msgs
}

#[test]
fn a_returning_peer_pings_the_quiet_and_keeps_links_its_outage_silenced() {
    // Ticks at 0, 500, 1000, …: at 1000 peer 0 has heard nothing since 0 and pings (the pong
    // comes back at 1002). Down from 1100 to 5100: no ticks act. At 5500 it last heard peer 1 at
    // 1002, 4498 ms ago: it pings, and does not drop the link, since it has been back only 400 ms.
    let sim = run(4000, 5600);
    assert_eq!(pings_sent_by(&sim, 0), 2, "pings at 1000 and at 5500");
    assert_eq!(pings_sent_by(&sim, 1), 0);
    assert!(sim.world().net().is_connected(PeerId(0), PeerId(1)), "the link survives the outage");
    // And silence after the return still counts: peer 1 goes on answering, so the link stays to
    // the end of a longer run, with a ping every 500 ms from 5500 (after each pong, 500 ms of
    // quiet is not more than 500: every other tick).
    let sim = run(4000, 9000);
    assert!(sim.world().net().is_connected(PeerId(0), PeerId(1)));
    assert!(pings_sent_by(&sim, 0) >= 4, "{}", pings_sent_by(&sim, 0));
}

#[test]
fn a_short_outage_leaves_the_last_heard_times_as_they_were() {
    // Down from 1100 to 2100. At 1500 the answerer would not ping anyway. Back at 2100, peer 0
    // last heard peer 1 at 1002; at its tick at 2500 that is more than 500 ms ago: it pings. Had
    // the return counted as hearing from every neighbour (p2psim before this change), it would
    // not ping until 3000.
    let sim = run(1000, 2600);
    assert_eq!(pings_sent_by(&sim, 0), 2, "pings at 1000 and at 2500");
}
