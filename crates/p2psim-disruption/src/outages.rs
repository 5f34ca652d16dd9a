//! What faults did to each peer, and the four ways they change one: a cause of downtime gained
//! or lost, a slowdown set or cleared, a departure. Causes and slowdowns stack per peer, so that
//! overlapping faults compose; the records give each peer's outages, downtime and availability.
//!
//! Not here: when a fault acts (the kinds' modules) or network-wide changes (`model.rs`).

use p2psim_kernel::{EventQueue, Kernel, SimDuration, SimTime};
use p2psim_net::{PeerId, PeerState};
use p2psim_services::World;

use crate::model::Event;

/// Per-peer records of the faults' effects. Each vector has an entry per peer when the run has
/// faults and none otherwise (nothing then takes a peer down; 78 bytes a peer, 780 MB at ten
/// million peers, saved), and the queries read zeros.
#[derive(Debug, Default)]
pub(crate) struct Outages {
    /// Active causes of downtime.
    causes: Vec<u16>,
    /// Active slowdowns (fault, factor).
    slow: Vec<Vec<(u16, f64)>>,
    /// Neighbours at the moment each peer went down.
    neighbours_at_down: Vec<Vec<PeerId>>,
    since: Vec<Option<SimTime>>,
    total: Vec<SimDuration>,
    count: Vec<u32>,
}

impl Outages {
    /// Records for `n` peers.
    pub(crate) fn new(n: usize) -> Outages {
        Outages {
            causes: vec![0; n],
            slow: vec![Vec::new(); n],
            neighbours_at_down: vec![Vec::new(); n],
            since: vec![None; n],
            total: vec![SimDuration::ZERO; n],
            count: vec![0; n],
        }
    }

    /// `p` gains a cause of downtime; at the first it goes offline.
    pub(crate) fn go_down<Q: EventQueue<Event>>(&mut self, world: &mut World, k: &mut Kernel<Event, Q>, p: PeerId) {
        let c = &mut self.causes[p.index()];
        *c += 1;
        if *c == 1 && world.net().state(p) == PeerState::Online {
            self.neighbours_at_down[p.index()] = world.net().neighbours(p).to_vec();
            world.control(k).take_offline(p);
            self.since[p.index()] = Some(k.now());
            self.count[p.index()] += 1;
            tracing::warn!(t = %k.now(), peer = p.0, "offline");
        }
    }

    /// `p` loses a cause of downtime; with none left it comes back and says Hello.
    pub(crate) fn go_up<Q: EventQueue<Event>>(&mut self, world: &mut World, k: &mut Kernel<Event, Q>, p: PeerId) {
        let c = &mut self.causes[p.index()];
        *c = c.saturating_sub(1);
        if *c > 0 || !world.control(k).bring_online(p) {
            return;
        }
        let now = k.now();
        if let Some(since) = self.since[p.index()].take() {
            self.total[p.index()] = self.total[p.index()] + (now - since);
        }
        tracing::info!(t = %now, peer = p.0, "online");
        // Say Hello to every neighbour it had when it went down (P2PSimpy's restore, but from a
        // snapshot: links dropped during the outage come back too).
        for q in std::mem::take(&mut self.neighbours_at_down[p.index()]) {
            world.control(k).say_hello(p, q);
        }
    }

    /// Fault `fault`'s slowdown of `p` becomes `factor`, or goes; the bandwidth is the product.
    pub(crate) fn set_slow<Q: EventQueue<Event>>(
        &mut self,
        world: &mut World,
        k: &mut Kernel<Event, Q>,
        p: PeerId,
        fault: u16,
        factor: Option<f64>,
    ) {
        let list = &mut self.slow[p.index()];
        list.retain(|e| e.0 != fault);
        if let Some(f) = factor {
            list.push((fault, f));
        }
        let product = list.iter().map(|e| e.1).product::<f64>().clamp(0.0, 1.0);
        world.control(k).set_slowdown(p, product).expect("a product of factors in [0, 1]");
    }

    /// `p` leaves for good.
    pub(crate) fn leave<Q: EventQueue<Event>>(&mut self, world: &mut World, k: &mut Kernel<Event, Q>, p: PeerId) {
        if let Some(since) = self.since[p.index()].take() {
            self.total[p.index()] = self.total[p.index()] + (k.now() - since);
        }
        let mut control = world.control(k);
        control.unlink_all(p);
        control.make_absent(p);
        tracing::warn!(t = %k.now(), peer = p.0, "left");
    }

    /// Since when `p` is offline, if it is.
    pub(crate) fn since(&self, p: PeerId) -> Option<SimTime> {
        self.since.get(p.index()).copied().flatten()
    }

    /// Number of outages of `p` so far.
    pub(crate) fn count(&self, p: PeerId) -> u32 {
        self.count.get(p.index()).copied().unwrap_or(0)
    }

    /// Time `p` spent offline in outages that ended.
    pub(crate) fn total(&self, p: PeerId) -> SimDuration {
        self.total.get(p.index()).copied().unwrap_or(SimDuration::ZERO)
    }
}
