//! Probabilistic flooding, GOSSIP1(p, k) of Haas, Halpern and Li ("Gossip-based ad hoc routing",
//! INFOCOM 2002): a peer that gets a message for the first time relays it to all its other
//! neighbours with probability p, and always while the message is within k hops of its source.
//! `docs/protocols.md` writes it step by step.
//!
//! ```text
//! cargo run --release -p examples --example gossip_p -- experiment examples/experiments/gossip-p.ron
//! cargo run --release -p examples --example gossip_p -- sweep examples/sweeps/gossip-p.ron
//! ```

use p2psim::protocol::{
    BuildCx, CheckCx, ConfigError, Context, Injected, MsgIdx, PeerId, PeerInit, Protocol, RngExt, ServiceConfig,
    UserMessage,
};
use p2psim::serde::{Deserialize, Serialize};

/// The message: which broadcast it carries, and the hops it made from the source.
#[derive(Clone, Debug, PartialEq)]
pub struct Rumor {
    /// The broadcast.
    pub msg: MsgIdx,
    /// Hops from the source.
    pub hops: u8,
}

impl UserMessage for Rumor {
    const KINDS: &'static [&'static str] = &["Rumor"];

    fn size(&self) -> u32 {
        512
    }

    fn updates(&self) -> u32 {
        1
    }
}

/// The configuration, as experiment files write it: `GossipP(p: 0.65, k: 1)`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(crate = "p2psim::serde", default)]
pub struct GossipPConfig {
    /// Probability that a peer relays a message it got for the first time.
    pub p: f64,
    /// Hops from the source within which every peer relays.
    pub k: u8,
}

impl Default for GossipPConfig {
    fn default() -> Self {
        GossipPConfig { p: 0.65, k: 1 }
    }
}

impl ServiceConfig for GossipPConfig {
    type Protocol = GossipP;

    fn check(&self, _: &CheckCx<'_>) -> Result<(), ConfigError> {
        if !(0.0..=1.0).contains(&self.p) {
            return Err(ConfigError::field("p", format!("must be a probability, in [0, 1], got {}", self.p)));
        }
        Ok(())
    }

    fn build(&self, _: &mut BuildCx<'_>) -> GossipP {
        GossipP { p: self.p, k: self.k }
    }
}

/// The protocol, built once from its configuration and shared by all its peers.
pub struct GossipP {
    p: f64,
    k: u8,
}

impl GossipP {
    /// Sends the message on to every neighbour but the one it came from.
    fn relay(&self, cx: &mut Context<'_, Rumor>, msg: MsgIdx, hops: u8, from: Option<PeerId>) {
        for q in cx.neighbours().to_vec() {
            if Some(q) != from {
                cx.send(q, Rumor { msg, hops: hops.saturating_add(1) });
            }
        }
    }
}

impl Protocol for GossipP {
    type Message = Rumor;
    type State = ();

    fn init(&self, _: &mut PeerInit<'_>) {}

    /// The workload starts a broadcast here: the source always relays.
    fn on_inject(&self, _: &mut (), cx: &mut Context<'_, Rumor>, injected: Injected) {
        cx.store(injected.msg, 0);
        self.relay(cx, injected.msg, 0, None);
    }

    fn on_message(&self, _: &mut (), cx: &mut Context<'_, Rumor>, from: PeerId, m: &Rumor) {
        // `store` records the copy (first-seen time, copies, hops) and says if it was the first.
        if cx.store(m.msg, m.hops) && (m.hops < self.k || cx.rng().random_bool(self.p)) {
            self.relay(cx, m.msg, m.hops, Some(from));
        }
    }
}

fn main() {
    let mut protocols = p2psim::Protocols::new();
    protocols.register::<GossipPConfig>("GossipP");
    p2psim_cli::main(&protocols);
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example's experiment with `p` and `k` set, run to its end.
    fn run(p: f64, k: u8) -> p2psim::Simulation {
        let mut protocols = p2psim::Protocols::new();
        protocols.register::<GossipPConfig>("GossipP");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/gossip-p.ron");
        let text = std::fs::read_to_string(path)
            .unwrap()
            .replace("GossipP(p: 0.65, k: 1)", &format!("GossipP(p: {p}, k: {k})"));
        let scenario = p2psim::Scenario::from_ron(&text, path, &protocols).unwrap();
        let mut sim = p2psim::Simulation::new(scenario);
        sim.run().unwrap();
        sim
    }

    #[test]
    fn a_first_copy_is_relayed_to_the_other_neighbours_a_second_is_not() {
        use p2psim::protocol::Harness;

        let mut h = Harness::from_config(
            &GossipPConfig { p: 1.0, k: 1 },
            4,
            &[(0, 1), (0, 2), (0, 3)],
            p2psim::kernel::Seed(1),
        );
        let m = h.produce(PeerId(1));
        let effects = h.deliver(PeerId(0), PeerId(1), Rumor { msg: m, hops: 1 });
        // Relayed to the two other neighbours, one hop further.
        let sends = Harness::<GossipP>::sends(&effects);
        assert_eq!(sends.len(), 2);
        assert!(sends.iter().all(|(_, to, r)| *to != PeerId(1) && r.hops == 2));
        // A second copy is counted, not relayed.
        assert!(h.deliver(PeerId(0), PeerId(2), Rumor { msg: m, hops: 3 }).is_empty());
        assert_eq!(h.record(PeerId(0), m).map(|r| (r.copies, r.hops)), Some((2, 1)));
    }

    #[test]
    fn p_1_floods_and_p_0_stops_at_k_hops() {
        // p = 1 is a flood of the 6-regular graph: every peer gets every broadcast, and the
        // source sends 6 copies and every other peer 5: (6 + 999 · 5) / 1000 per peer.
        let (s, _) = p2psim::report(&run(1.0, 1));
        assert_eq!(s.delivery_ratio, 1.0);
        assert!((s.sent_per_peer.1 - 5.001).abs() < 1e-9, "{}", s.sent_per_peer.1);
        // p = 0, k = 1: the source's 6 neighbours get it at hop 1 and stop there.
        let sim = run(0.0, 1);
        let stats = p2psim::report(&sim).1.per_message().to_vec();
        assert_eq!(stats.len(), 20);
        assert!(stats.iter().all(|m| m.receivers == 6 && m.hops_last == 1.0), "{stats:?}");
    }
}
