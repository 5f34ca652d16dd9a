//! Integration tests of the protocol layer: exact behaviour on small hand-checked scenarios, and
//! agreement with the theory of epidemics over many seeds.

mod exact;
mod theory;

use p2psim_kernel::{Kernel, Seed, SimTime};
use p2psim_net::{Delay, LocationId, Locations, NetConfig, PeerId, PeerSpec, Topology};
use p2psim_services::{Bootstrap, Event, PeerTypeSpec, ServiceSpec, World};

/// One location; the round trip is 2 ms, so every message takes exactly 1 ms.
pub(crate) fn one_ms() -> Locations {
    Locations::new(vec!["L".into()], vec![("L".into(), "L".into(), Delay::Const(2.0))]).unwrap()
}

pub(crate) fn ty(name: &str, services: Vec<(&str, ServiceSpec)>) -> PeerTypeSpec {
    PeerTypeSpec { name: name.into(), services: services.into_iter().map(|(n, s)| (n.into(), s)).collect() }
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
    let physical: Vec<PeerSpec> =
        (0..n).map(|_| PeerSpec { location: LocationId(0), upload: f64::INFINITY, download: f64::INFINITY }).collect();
    let topology = Topology::from_edges(n, edges).unwrap();
    let mut w =
        World::new(Seed(seed), one_ms(), NetConfig::default(), &types, &peer_type, &physical, topology, bootstrap)
            .unwrap();
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
