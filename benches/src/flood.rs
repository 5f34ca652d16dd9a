//! The flood through p2psim's kernel and network model.

use p2psim_kernel::{EventQueue, Kernel, Model, Seed, SimTime, StreamKey};
use p2psim_net::{
    LatencyMode, LatencyModel, LocationId, Locations, NetConfig, NetEvent, Network, Payload, PeerId, PeerSpec, Topology,
};

/// The flooded message: its number.
#[derive(Clone, Copy, Debug)]
pub struct FloodMsg(pub u32);

impl Payload for FloodMsg {
    fn size(&self) -> u32 {
        0
    }
}

/// A ready-to-run flood: network built, topology connected.
pub struct Flood {
    /// The network.
    pub net: Network<FloodMsg>,
    /// One bit per (peer, message): has the peer seen it.
    seen: Vec<u64>,
    messages: u32,
    /// Copies received (first or not): a checksum that doing nothing cannot fake.
    pub received: u64,
}

impl Flood {
    /// Builds the network of `peers` peers (random 8-regular graph from `seed`) for `messages` messages.
    pub fn new(peers: u32, seed: u64, messages: u32) -> Flood {
        let topology = Topology::random_regular(peers, 8, &mut Seed(seed).stream(StreamKey::new("topology")))
            .expect("valid regular graph parameters");
        let specs: Vec<PeerSpec> = (0..peers)
            .map(|i| PeerSpec { location: LocationId((i % 3) as u16), upload: f64::INFINITY, download: f64::INFINITY })
            .collect();
        let config = NetConfig {
            latency: LatencyModel { mode: LatencyMode::FixedPerLink, halve: true },
            monitors: false,
            link_times: false,
            ..NetConfig::default()
        };
        let mut net = Network::new(Seed(seed), Locations::aws(), &specs, config).expect("valid network");
        net.connect_topology(&topology, SimTime::ZERO).expect("sizes match");
        let words = (peers as usize * messages as usize).div_ceil(64);
        Flood { net, seen: vec![0; words], messages, received: 0 }
    }

    /// Injects message `m` at peer 0.
    pub fn inject<Q: EventQueue<NetEvent<FloodMsg>>>(&mut self, k: &mut Kernel<NetEvent<FloodMsg>, Q>, m: u32) {
        self.mark(PeerId(0), m);
        k.set_actor(0);
        for i in 0..self.net.degree(PeerId(0)) {
            let q = self.net.neighbours(PeerId(0))[i];
            self.net.send(k, PeerId(0), q, FloodMsg(m)).expect("linked and online");
        }
    }

    #[inline]
    fn mark(&mut self, p: PeerId, m: u32) -> bool {
        let bit = p.index() * self.messages as usize + m as usize;
        let (w, b) = (bit / 64, bit % 64);
        let was = self.seen[w] >> b & 1 == 1;
        self.seen[w] |= 1 << b;
        !was
    }
}

impl Model<NetEvent<FloodMsg>> for Flood {
    #[inline]
    fn handle<Q: EventQueue<NetEvent<FloodMsg>>>(
        &mut self,
        k: &mut Kernel<NetEvent<FloodMsg>, Q>,
        ev: NetEvent<FloodMsg>,
    ) {
        let Some(d) = self.net.handle(k, ev, &mut ()) else { return };
        self.received += 1;
        if self.mark(d.to, d.msg.0) {
            for i in 0..self.net.degree(d.to) {
                let q = self.net.neighbours(d.to)[i];
                if q != d.from {
                    self.net.send(k, d.to, q, d.msg).expect("linked and online");
                }
            }
        }
    }

    #[inline]
    fn actor(&self, ev: &NetEvent<FloodMsg>) -> u32 {
        ev.peer().0
    }
}

/// Runs a one-message flood to completion; returns (events, copies received).
pub fn run_once(flood: &mut Flood) -> (u64, u64) {
    let mut k = Kernel::new();
    k.declare_actors(flood.net.peer_count() as u32);
    flood.inject(&mut k, 0);
    let events = k.run_to_completion(flood);
    (events, flood.received)
}

/// Runs `messages` messages injected `spacing_ms` apart; returns (events, copies, peak queue bytes).
pub fn run_many(flood: &mut Flood, messages: u32, spacing_ms: u64) -> (u64, u64, usize) {
    let mut k = Kernel::new();
    k.declare_actors(flood.net.peer_count() as u32);
    let mut peak_queue = 0;
    for m in 0..messages {
        k.run_until(SimTime::from_millis(spacing_ms * u64::from(m)), flood).expect("time moves forward");
        flood.inject(&mut k, m);
        peak_queue = peak_queue.max(k.queue_memory_bytes());
    }
    k.run_to_completion(flood);
    peak_queue = peak_queue.max(k.queue_memory_bytes());
    (k.events_processed(), flood.received, peak_queue)
}
