//! Integration tests of the protocol layer: exact behaviour on small hand-checked scenarios, and
//! agreement with the theory of epidemics over many seeds.

mod build;
mod counter;
mod exact;
mod harness;
mod theory;

use p2psim_kernel::{Kernel, Param, Seed, SimTime};
use p2psim_net::{Delay, Locations, NetConfig, PeerId, Topology};
use p2psim_services::{Bootstrap, CheckedTypes, Event, LocationChoice, PeerTypeSpec, Physical, ServiceSpec, World};

/// One location; the round trip is 2 ms, so every message takes exactly 1 ms.
pub(crate) fn one_ms() -> Locations {
    Locations::new(vec!["L".into()], vec![("L".into(), "L".into(), Delay::Const(2.0))]).unwrap()
}

/// A type at the one location, with no bandwidth limit.
pub(crate) fn ty(name: &str, services: Vec<(&str, ServiceSpec)>) -> PeerTypeSpec {
    PeerTypeSpec {
        name: name.into(),
        physical: Physical {
            location: LocationChoice::Fixed("L".into()),
            upload: Param::Const(f64::INFINITY),
            download: Param::Const(f64::INFINITY),
        },
        services: services.into_iter().map(|(n, s)| (n.into(), s)).collect(),
    }
}

/// A world over `types`, peer `p` of type `peer_type[p]`, linked by `edges`, no bandwidth limit.
pub(crate) fn world(
    seed: u64,
    types: Vec<PeerTypeSpec>,
    peer_type: Vec<u16>,
    edges: &[(u32, u32)],
    bootstrap: Bootstrap,
) -> (Kernel<Event>, World) {
    let n = peer_type.len() as u32;
    let topology = Topology::from_edges(n, edges).unwrap();
    let types = CheckedTypes::new(types, &one_ms()).unwrap();
    let mut w = World::new(Seed(seed), one_ms(), NetConfig::default(), &types, &peer_type, topology, bootstrap);
    let mut k = Kernel::new();
    w.start(&mut k);
    (k, w)
}

pub(crate) fn ms(x: f64) -> SimTime {
    SimTime::from_millis_f64(x)
}

pub(crate) fn p(i: u32) -> PeerId {
    PeerId(i)
}
