//! A message flooded over the tutorial's AWS network, using the kernel and the network model only.
//!
//! Run with `cargo run -p examples --example network_flood`.

#![allow(clippy::print_stdout, reason = "an example prints its result")]

use p2psim_kernel::{EventQueue, Kernel, Model, Seed, SimTime, StreamKey};
use p2psim_net::{LocationId, Locations, MBIT, NetConfig, NetEvent, Network, Payload, PeerId, PeerSpec, Topology};

/// A gossip message: 310 bytes, as P2PSimpy's with a 20-letter payload.
#[derive(Clone, Copy)]
struct Rumor;

impl Payload for Rumor {
    fn size(&self) -> u32 {
        310
    }
}

/// Relays the first copy to every neighbour but the sender, and remembers when each peer got it.
struct Flood {
    net: Network<Rumor>,
    first_seen: Vec<Option<SimTime>>,
}

impl Model<NetEvent<Rumor>> for Flood {
    fn handle<Q: EventQueue<NetEvent<Rumor>>>(&mut self, k: &mut Kernel<NetEvent<Rumor>, Q>, ev: NetEvent<Rumor>) {
        let Some(d) = self.net.handle(k, ev, &mut ()) else { return };
        if self.first_seen[d.to.index()].is_none() {
            self.first_seen[d.to.index()] = Some(k.now());
            for q in self.net.neighbours(d.to).to_vec() {
                if q != d.from {
                    let _ = self.net.send(k, d.to, q, Rumor);
                }
            }
        }
    }
}

fn main() {
    let seed = Seed(42);
    let n = 1000;
    let topology = Topology::random_regular(n, 8, &mut seed.stream(StreamKey::new("topology"))).unwrap();
    let peers: Vec<PeerSpec> = (0..n)
        .map(|i| PeerSpec { location: LocationId((i % 3) as u16), upload: 50.0 * MBIT, download: 50.0 * MBIT })
        .collect();
    let mut net = Network::new(seed, Locations::aws(), &peers, NetConfig::default()).unwrap();
    net.connect_topology(&topology, SimTime::ZERO).unwrap();
    let mut flood = Flood { net, first_seen: vec![None; n as usize] };
    let mut kernel = Kernel::new();
    flood.first_seen[0] = Some(SimTime::ZERO);
    for q in flood.net.neighbours(PeerId(0)).to_vec() {
        flood.net.send(&mut kernel, PeerId(0), q, Rumor).unwrap();
    }
    kernel.run_until(SimTime::from_millis(2000), &mut flood).unwrap();
    let last = flood.first_seen.iter().flatten().max().unwrap();
    let reached = flood.first_seen.iter().flatten().count();
    println!("{reached} of {n} peers reached; the last at {last}; {} events", kernel.events_processed());
}
