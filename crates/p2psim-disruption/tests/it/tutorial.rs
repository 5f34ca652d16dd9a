//! The tutorial's observation ("Faults and Disruptions"): with random downtime,
//! push gossip loses messages; pull gossip with clients linked to 5 peers delivers them all
//! eventually.

#![allow(clippy::print_stderr, reason = "the test reports the delivery ratios")]

use p2psim_disruption::{FaultSpec, RunModel, Selector, Timing};
use p2psim_kernel::{Dist, Kernel, Param, Seed, SimTime, StreamKey};
use p2psim_net::{Locations, MBIT, NetConfig, PeerId, Topology};
use p2psim_services::{
    Bootstrap, ConnectionManagerConfig, LocationChoice, PeerTypeSpec, Physical, ProducerConfig, PullGossipConfig,
    PushGossipConfig, RangedPullGossipConfig, ServiceSpec, World,
};

fn run(seed: u64, pull: bool, until_ms: u64) -> (f64, usize) {
    let bw = Param::Dist(Dist::norm(50.0 * MBIT, 10.0 * MBIT).unwrap());
    let aws = LocationChoice::Sample { values: vec!["Ohio".into(), "Ireland".into(), "Tokyo".into()], weights: None };
    let physical = Physical { location: aws, upload: bw.clone(), download: bw };
    let cm = || ServiceSpec::from(ConnectionManagerConfig::default());
    let gossip = if pull {
        ServiceSpec::from(RangedPullGossipConfig(PullGossipConfig {
            exclude_types: vec!["client".into()],
            ..Default::default()
        }))
    } else {
        ServiceSpec::from(PushGossipConfig { exclude_types: vec!["client".into()], ..Default::default() })
    };
    let types = [
        PeerTypeSpec {
            name: "peer".into(),
            physical: physical.clone(),
            services: vec![("cm".into(), cm()), ("gossip".into(), gossip)],
        },
        PeerTypeSpec {
            name: "client".into(),
            physical,
            services: vec![
                ("cm".into(), cm()),
                (
                    "producer".into(),
                    ServiceSpec::from(ProducerConfig { times: Some(Param::Const(20.0)), ..Default::default() }),
                ),
            ],
        },
    ];
    // Notebook 02's topology: G(25, 0.4) and one client linked to one peer; the faults notebook then
    // links the client to 5 more for the pull run.
    let mut rng = Seed(seed).stream(StreamKey::new("topology"));
    let mut topology = Topology::erdos_renyi(25, 0.4, &mut rng).unwrap();
    let peers: Vec<PeerId> = (0..25).map(PeerId).collect();
    let clients = topology.attach_clients(1, 1, &peers, &mut rng).unwrap();
    if pull {
        topology.add_random_links(&clients, 5, &peers, &mut rng).unwrap();
    }
    let mut kinds = vec![0u16; 25];
    kinds.push(1);
    let types = p2psim_services::CheckedTypes::new(types.to_vec(), &Locations::aws()).unwrap();
    let world =
        World::new(Seed(seed), Locations::aws(), NetConfig::default(), &types, &kinds, topology, Bootstrap::Hello);
    let d = |m, s| Param::DistAttr(Dist::norm(m, s).unwrap());
    let downtime = FaultSpec::Downtime {
        peers: Selector::Type("peer".into()),
        timing: Timing::Random { start: d(1500.0, 200.0), up: d(800.0, 200.0), down: d(200.0, 100.0) },
    };
    let mut f = RunModel::new(world, &[downtime]);
    let mut k = Kernel::new();
    f.start(&mut k);
    k.run_until(SimTime::from_millis(until_ms), &mut f).unwrap();
    let g = f.world.service("peer", "gossip").unwrap();
    let m = f.world.messages().len();
    let reached: usize = f.world.messages().all().map(|i| f.world.spread(g, i).reached).sum();
    (reached as f64 / (25 * m) as f64, m)
}

#[test]
fn push_loses_messages_under_downtime_and_ranged_pull_delivers_them_all() {
    let mut push_ratios = Vec::new();
    for seed in 0..6 {
        let (ratio, produced) = run(seed, false, 6000);
        assert_eq!(produced, 20);
        push_ratios.push(ratio);
        let (pull_ratio, produced) = run(seed, true, 20_000);
        assert_eq!(produced, 20);
        assert_eq!(pull_ratio, 1.0, "seed {seed}: pull delivers every message to every peer");
    }
    let mean = push_ratios.iter().sum::<f64>() / push_ratios.len() as f64;
    eprintln!("push delivery ratios under downtime: {push_ratios:?}; ranged pull: 1.0 for every seed");
    assert!(
        mean < 1.0 && push_ratios.iter().filter(|&&r| r < 1.0).count() >= 4,
        "push delivery ratios {push_ratios:?}"
    );
}
