//! The tutorial "Faults and Disruptions", written in Rust: push gossip under random downtime, then
//! ranged pull gossip with the client linked to 5 peers, and the tutorial's three ratios.
//!
//! Run with `cargo run -p examples --example faults`.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use p2psim::Attach;
use p2psim::prelude::*;
use p2psim::services::{PullGossipConfig, RangedPullGossipConfig};

fn main() -> Result<(), Error> {
    // Start from the gossip notebook's experiment.
    let mut push = Experiment::from_ron(include_str!("../experiments/gossip.ron"), "gossip.ron", &Protocols::new())?;
    push.name = "push under downtime".into();
    push.until_ms = 6000;

    // Adding random crashes: DistAttr draws a fresh value at every use (P2PSimpy's DowntimeConfig).
    let norm = |m, s| Param::DistAttr(Dist::norm(m, s).expect("valid"));
    push.faults.push(FaultSpec::Downtime {
        peers: Selector::Type("peer".into()),
        timing: Timing::Random { start: norm(1500.0, 200.0), up: norm(800.0, 200.0), down: norm(200.0, 100.0) },
    });

    // More client connections, and gossip with periodical synchronisation.
    let mut pull = push.clone();
    pull.name = "ranged pull, 5 links".into();
    pull.until_ms = 5000;
    pull.topology.attach.push(Attach { peer_type: "client".into(), links: 5, to: vec!["peer".into()] });
    for t in &mut pull.peer_types {
        for (name, service) in &mut t.services {
            if name == "gossip" {
                let config = PullGossipConfig { exclude_types: vec!["client".into()], ..Default::default() };
                *service = ServiceSpec::new("RangedPullGossip", RangedPullGossipConfig(config));
            }
        }
    }

    let mut results = Vec::new();
    for exp in [&push, &pull] {
        let mut sim = Simulation::new(Scenario::new(exp)?);
        sim.run()?;
        let (s, _) = p2psim::report(&sim);
        println!(
            "{}: delivered {:.1}%, mean delay {:.1} ms, {:.0} bytes/s per peer",
            s.experiment,
            100.0 * s.delivery_ratio,
            s.tutorial_mean_delay_ms,
            s.bytes_per_s_per_peer.0
        );
        results.push(s);
    }
    let (p, q) = (&results[0], &results[1]);
    println!(
        "pull / push: delay {:.2}, bandwidth {:.2}, message count {:.2}",
        q.tutorial_mean_delay_ms / p.tutorial_mean_delay_ms,
        q.bytes_per_s_per_peer.0 / p.bytes_per_s_per_peer.0,
        q.msgs_per_s_per_peer.0 / p.msgs_per_s_per_peer.0
    );
    Ok(())
}
