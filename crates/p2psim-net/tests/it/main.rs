//! Integration tests of the network model through its public API.

mod delivery;
mod lookahead;
mod topology;

use p2psim_kernel::{EventQueue, Kernel, Model, Seed, SimDuration, SimTime};
use p2psim_net::{
    Admission, Admit, Delay, Locations, NetConfig, NetEvent, Network, Payload, PeerId, PeerSpec, Topology,
};

/// A test message: an id and a size.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Msg {
    pub(crate) id: u32,
    pub(crate) size: u32,
}

impl Payload for Msg {
    fn size(&self) -> u32 {
        self.size
    }
}

/// Validation for tests: a fixed delay, rejecting odd ids.
pub(crate) struct RejectOdd(pub(crate) SimDuration);

impl Admission<Msg> for RejectOdd {
    fn admit(&mut self, _: SimTime, _: PeerId, _: PeerId, msg: &Msg) -> Admit {
        Admit::After { delay: self.0, accept: msg.id.is_multiple_of(2) }
    }
}

/// Records every delivery; optionally floods first copies to all neighbours but the sender.
pub(crate) struct Harness<A> {
    pub(crate) net: Network<Msg>,
    pub(crate) admission: A,
    pub(crate) log: Vec<(SimTime, PeerId, PeerId, u32)>,
    pub(crate) flood: bool,
    pub(crate) seen: Vec<bool>,
}

impl<A: Admission<Msg>> Model<NetEvent<Msg>> for Harness<A> {
    fn handle<Q: EventQueue<NetEvent<Msg>>>(&mut self, k: &mut Kernel<NetEvent<Msg>, Q>, ev: NetEvent<Msg>) {
        let Some(d) = self.net.handle(k, ev, &mut self.admission) else {
            return;
        };
        self.log.push((k.now(), d.to, d.from, d.msg.id));
        if self.flood && !std::mem::replace(&mut self.seen[d.to.index()], true) {
            let targets: Vec<PeerId> = self.net.neighbours(d.to).iter().copied().filter(|&q| q != d.from).collect();
            for q in targets {
                let _ = self.net.send(k, d.to, q, d.msg.clone());
            }
        }
    }

    fn actor(&self, ev: &NetEvent<Msg>) -> u32 {
        ev.peer().0
    }
}

/// Two locations with constant round-trip latencies: A–A 2 ms, A–B 10 ms, B–B given B→B 1 ms.
pub(crate) fn const_locations() -> Locations {
    let s = |x: &str| x.to_owned();
    Locations::new(
        vec![s("A"), s("B")],
        vec![
            (s("A"), s("B"), Delay::Const(10.0)),
            (s("A"), s("A"), Delay::Const(2.0)),
            (s("B"), s("B"), Delay::Const(1.0)),
        ],
    )
    .unwrap()
}

pub(crate) fn harness<A>(
    seed: u64,
    locations: Locations,
    peers: &[PeerSpec],
    config: NetConfig,
    admission: A,
) -> (Kernel<NetEvent<Msg>>, Harness<A>) {
    let net = Network::new(Seed(seed), locations, peers, config).unwrap();
    let n = peers.len();
    let mut k = Kernel::new();
    k.declare_actors(n as u32);
    (k, Harness { net, admission, log: Vec::new(), flood: false, seen: vec![false; n] })
}

pub(crate) fn flood_run(seed: u64, n: u32) -> Vec<(SimTime, PeerId, PeerId, u32)> {
    let mut rng = Seed(seed).stream(p2psim_kernel::StreamKey::new("topology"));
    let topo = Topology::random_regular(n, 8, &mut rng).unwrap();
    let locations = Locations::aws();
    let peers: Vec<PeerSpec> = (0..n)
        .map(|i| PeerSpec { location: p2psim_net::LocationId((i % 3) as u16), upload: 6.5e6, download: 6.5e6 })
        .collect();
    let (mut k, mut h) = harness(seed, locations, &peers, NetConfig::default(), ());
    h.net.connect_topology(&topo, SimTime::ZERO).unwrap();
    h.flood = true;
    h.seen[0] = true;
    for &q in h.net.neighbours(PeerId(0)).to_vec().iter() {
        h.net.send(&mut k, PeerId(0), q, Msg { id: 1, size: 310 }).unwrap();
    }
    k.run_until(SimTime::from_millis(10_000), &mut h).unwrap();
    assert!(h.seen.iter().all(|&s| s), "the flood reaches every peer of a connected graph");
    h.log
}
