//! Integration tests of the fault layer.

mod exact;
mod statistics;
mod tutorial;

use p2psim_disruption::{Event, FaultCheckCx, FaultSpec, RunModel};
use p2psim_kernel::{Kernel, Param, Seed, SimTime};
use p2psim_net::{Delay, Locations, NetConfig, PeerId, PeerState, Topology};
use p2psim_services::{
    Bootstrap, CheckedTypes, ConnectionManagerConfig, LocationChoice, PeerTypeSpec, Physical, ServiceSpec, World,
};

/// Two locations, A and B; every message takes 1 ms.
pub(crate) fn locations() -> Locations {
    let s = |x: &str| x.to_owned();
    Locations::new(
        vec![s("A"), s("B")],
        vec![
            (s("A"), s("A"), Delay::Const(2.0)),
            (s("A"), s("B"), Delay::Const(2.0)),
            (s("B"), s("B"), Delay::Const(2.0)),
        ],
    )
    .unwrap()
}

/// `n` peers of type `peer` with a connection manager, spread A, B, A, B, …
pub(crate) fn cm_world(seed: u64, n: u32, edges: &[(u32, u32)], faults: &[FaultSpec]) -> (Kernel<Event>, RunModel) {
    let types = vec![PeerTypeSpec {
        name: "peer".into(),
        physical: Physical {
            location: LocationChoice::Cycle(vec!["A".into(), "B".into()]),
            upload: Param::Const(1e6),
            download: Param::Const(1e6),
        },
        services: vec![("cm".into(), ServiceSpec::from(ConnectionManagerConfig::default()))],
    }];
    let types = CheckedTypes::new(types, &locations()).unwrap();
    let cx = FaultCheckCx { peers: n, type_names: &["peer".to_owned()], locations: &locations() };
    for fault in faults {
        fault.check(&cx).unwrap();
    }
    let world = World::new(
        Seed(seed),
        locations(),
        NetConfig::default(),
        &types,
        &vec![0; n as usize],
        Topology::from_edges(n, edges).unwrap(),
        Bootstrap::Instant,
    );
    let mut f = RunModel::new(world, faults);
    let mut k = Kernel::new();
    f.start(&mut k);
    (k, f)
}

pub(crate) fn state_at(k: &mut Kernel<Event>, f: &mut RunModel, ms: f64, p: u32) -> PeerState {
    k.run_until(SimTime::from_millis_f64(ms), f).unwrap();
    f.world.net().state(PeerId(p))
}
