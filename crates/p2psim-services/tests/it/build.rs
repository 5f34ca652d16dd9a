//! Building worlds: physical draws, errors, determinism of whole runs.

use p2psim_kernel::{ConfigError, Dist, Kernel, Param, Seed, SimTime};
use p2psim_net::{Locations, MBIT, NetConfig, PeerId, Topology};
use p2psim_services::{
    Bootstrap, CheckedTypes, ConnectionManagerConfig, Event, LocationChoice, MsgIdx, PeerTypeSpec, Physical,
    ProducerConfig, PushGossipConfig, RangedPullGossipConfig, ServiceSpec, World,
};

/// Checks the types and builds the world.
fn build_world(seed: u64, types: Vec<PeerTypeSpec>, kinds: &[u16], topology: Topology, bootstrap: Bootstrap) -> World {
    let types = CheckedTypes::new(types, &Locations::aws()).unwrap();
    World::new(Seed(seed), Locations::aws(), NetConfig::default(), &types, kinds, topology, bootstrap)
}

fn tutorial_types(pull: bool) -> Vec<PeerTypeSpec> {
    let bw = Param::Dist(Dist::norm(50.0 * MBIT, 10.0 * MBIT).unwrap());
    let aws = LocationChoice::Sample { values: vec!["Ohio".into(), "Ireland".into(), "Tokyo".into()], weights: None };
    let physical = Physical { location: aws, upload: bw.clone(), download: bw };
    let gossip = if pull {
        ServiceSpec::from(RangedPullGossipConfig(p2psim_services::PullGossipConfig {
            exclude_types: vec!["client".into()],
            ..Default::default()
        }))
    } else {
        ServiceSpec::from(PushGossipConfig { exclude_types: vec!["client".into()], ..Default::default() })
    };
    vec![
        PeerTypeSpec {
            name: "peer".into(),
            physical: physical.clone(),
            services: vec![
                ("cm".into(), ServiceSpec::from(ConnectionManagerConfig::default())),
                ("gossip".into(), gossip),
            ],
        },
        PeerTypeSpec {
            name: "client".into(),
            physical,
            services: vec![
                ("cm".into(), ServiceSpec::from(ConnectionManagerConfig::default())),
                ("producer".into(), ServiceSpec::from(ProducerConfig::default())),
            ],
        },
    ]
}

/// The tutorial's network: 25 peers on G(25, 0.4), one client linked to 5 of them.
fn tutorial(seed: u64, pull: bool) -> (Kernel<Event>, World) {
    let mut rng = Seed(seed).stream(p2psim_kernel::StreamKey::new("topology"));
    let mut topology = Topology::erdos_renyi(25, 0.4, &mut rng).unwrap();
    let peers: Vec<PeerId> = (0..25).map(PeerId).collect();
    topology.attach_clients(1, 5, &peers, &mut rng).unwrap();
    let mut kinds = vec![0u16; 25];
    kinds.push(1);
    let mut w = build_world(seed, tutorial_types(pull), &kinds, topology, Bootstrap::Hello);
    let mut k = Kernel::new();
    w.start(&mut k);
    k.run_until(SimTime::from_millis(5000), &mut w).unwrap();
    (k, w)
}

/// One stored cell: (service, peer, message, (first seen ns, copies, tampered)).
type Cell = (u16, u32, u32, Option<(u64, u32, bool)>);

/// Everything a run stored, as comparable data.
fn fingerprint(w: &World) -> Vec<Cell> {
    let mut out = Vec::new();
    for slot in w.services() {
        for &p in w.service_members(slot) {
            for m in w.messages().all() {
                let r = w.record(slot, p, m).map(|r| (r.first_seen.as_nanos(), r.copies, r.tampered));
                out.push((slot.0, p.0, m.0, r));
            }
        }
    }
    out
}

#[test]
fn same_seed_same_run_different_seed_different_run() {
    for pull in [false, true] {
        let (ka, a) = tutorial(42, pull);
        let (kb, b) = tutorial(42, pull);
        assert_eq!(ka.events_processed(), kb.events_processed());
        assert_eq!(fingerprint(&a), fingerprint(&b));
        assert!(a.messages().len() == 20 && a.unhandled() == 0);
        let g = a.service("peer", "gossip").unwrap();
        assert!(a.spread(g, MsgIdx(0)).reached > 20, "the first message spreads: {:?}", a.spread(g, MsgIdx(0)));
        let (_, c) = tutorial(43, pull);
        assert_ne!(fingerprint(&a), fingerprint(&c));
    }
}

#[test]
fn physical_draws_are_per_peer_and_adding_peers_changes_no_one_else() {
    let build = |n: u32| {
        let mut kinds = vec![0u16; n as usize - 1];
        kinds.push(1);
        build_world(7, tutorial_types(false), &kinds, Topology::empty(n), Bootstrap::Instant)
    };
    let small = build(10);
    let big = build(30);
    for p in 0..9 {
        let p = PeerId(p);
        assert_eq!(small.net().nominal_bandwidth(p), big.net().nominal_bandwidth(p));
        assert_eq!(small.net().location(p), big.net().location(p));
    }
    let ups: Vec<f64> = (0..9).map(|p| small.net().nominal_bandwidth(PeerId(p)).0).collect();
    assert!(ups.windows(2).all(|w| w[0] != w[1]), "Dist: each peer draws its own value");
    // Cycle spreads exactly.
    let mut types = tutorial_types(false);
    types[0].physical.location = LocationChoice::Cycle(vec!["Ohio".into(), "Ireland".into(), "Tokyo".into()]);
    let w = build_world(1, types, &[0; 7], Topology::empty(7), Bootstrap::Instant);
    let locs: Vec<u16> = (0..7).map(|p| w.net().location(PeerId(p)).0).collect();
    assert_eq!(locs, vec![0, 1, 2, 0, 1, 2, 0]);
}

fn refused(types: Vec<PeerTypeSpec>) -> ConfigError {
    CheckedTypes::new(types, &Locations::aws()).unwrap_err()
}

#[test]
fn bad_specs_are_refused_with_the_path_of_the_field() {
    let mut types = tutorial_types(false);
    types[0].physical.location = LocationChoice::Fixed("Mars".into());
    let e = refused(types);
    assert_eq!(e.path_string(), "[0].physical.location");
    assert!(e.message().contains("unknown location `Mars`"), "{e}");
    let mut types = tutorial_types(false);
    types[0].services[1].1 =
        ServiceSpec::from(PushGossipConfig { exclude_types: vec!["klient".into()], ..Default::default() });
    let e = refused(types);
    assert_eq!(e.path_string(), "[0].services[1][1].exclude_types[0]");
    assert!(e.message().contains("unknown peer type `klient`"), "{e}");
    let mut types = tutorial_types(false);
    types[1].services[1].1 = ServiceSpec::from(ProducerConfig { msg_rate: Param::Const(-5.0), ..Default::default() });
    assert_eq!(refused(types).to_string(), "[1].services[1][1].msg_rate: must be more than 0, got -5");
    let mut types = tutorial_types(false);
    types[0].services[1].0 = "cm".into();
    assert_eq!(refused(types).path_string(), "[0].services[1][0]");
    let mut types = tutorial_types(false);
    types[0].physical.upload = Param::Dist(Dist::norm(0.0, 1.0).unwrap());
    let e = refused(types);
    assert_eq!(e.path_string(), "[0].physical.upload", "half the draws are not positive: {e}");
    let mut types = tutorial_types(false);
    types[0].services[0].1 =
        ServiceSpec::from(ConnectionManagerConfig { ping_interval: Param::Const(1e-9), ..Default::default() });
    assert_eq!(refused(types).path_string(), "[0].services[0][1].ping_interval", "a period of 0 ns repeats forever");
}
