//! Gossip scenarios for the benches: n peers on a random 8-regular graph over the AWS locations,
//! no bandwidth limit, one message injected at peer 0, run for a fixed simulated time.

use p2psim_kernel::{Kernel, Param, Seed, SimTime, StreamKey};
use p2psim_net::{Locations, NetConfig, PeerId, Topology};
use p2psim_services::{
    AntiEntropyConfig, Bootstrap, CheckedTypes, Event, InfectAndDieConfig, LocationChoice, PeerTypeSpec, Physical,
    PullGossipConfig, PushGossipConfig, RangedPullGossipConfig, Relay, Rounds, RumorMongeringConfig, Selection,
    ServiceSpec, World,
};

/// The variants benchmarked, by name.
pub fn variants() -> Vec<(&'static str, ServiceSpec)> {
    let pull = PullGossipConfig { rounds: Rounds::RandomPhase, ..Default::default() };
    vec![
        ("push-every-copy", ServiceSpec::from(PushGossipConfig::default())),
        ("push-first-copy", ServiceSpec::from(PushGossipConfig { relay: Relay::FirstCopy, ..Default::default() })),
        ("pull", ServiceSpec::from(pull.clone())),
        ("ranged-pull", ServiceSpec::from(RangedPullGossipConfig(pull))),
        (
            "anti-entropy",
            ServiceSpec::from(AntiEntropyConfig {
                round_time: Param::Const(200.0),
                selection: Selection::Neighbours,
                ..Default::default()
            }),
        ),
        (
            "rumor-mongering",
            ServiceSpec::from(RumorMongeringConfig {
                round_time: Param::Const(200.0),
                selection: Selection::Neighbours,
                ..Default::default()
            }),
        ),
        (
            "infect-and-die",
            ServiceSpec::from(InfectAndDieConfig { fanout: Param::Const(4.0), selection: Selection::Neighbours }),
        ),
    ]
}

/// Builds the world for `spec` over `n` peers.
pub fn build(n: u32, spec: &ServiceSpec) -> (Kernel<Event>, World) {
    let topology = Topology::random_regular(n, 8, &mut Seed(1).stream(StreamKey::new("topology"))).expect("valid");
    let types = vec![PeerTypeSpec {
        name: "peer".into(),
        physical: Physical {
            location: LocationChoice::Cycle(vec!["Ohio".into(), "Ireland".into(), "Tokyo".into()]),
            upload: Param::Const(f64::INFINITY),
            download: Param::Const(f64::INFINITY),
        },
        services: vec![("gossip".into(), spec.clone())],
    }];
    let config = NetConfig { monitors: false, ..NetConfig::default() };
    let types = CheckedTypes::new(types, &Locations::aws()).expect("valid types");
    let mut w =
        World::new(Seed(1), Locations::aws(), config, &types, &vec![0; n as usize], topology, Bootstrap::Instant);
    let mut k = Kernel::new();
    w.start(&mut k);
    (k, w)
}

/// Injects one message (TTL 6) at peer 0 and runs 3 simulated seconds; returns events handled.
pub fn run(k: &mut Kernel<Event>, w: &mut World) -> u64 {
    w.inject(k, PeerId(0), 6);
    k.run_until(SimTime::from_millis(3000), w).expect("forward");
    k.events_processed()
}
