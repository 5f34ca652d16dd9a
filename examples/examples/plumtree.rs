//! A protocol none of the built-ins covers: Plumtree's epidemic broadcast tree (Leitão, Pereira,
//! Rodrigues, "Epidemic Broadcast Trees", SRDS 2007), written against the protocol API.
//!
//! Every peer starts with all its neighbours as *eager* partners. A message's first copy is pushed
//! to the eager partners and announced (`IHave`) to the *lazy* ones; a duplicate copy tells its
//! receiver that the link is redundant: the sender moves to the lazy set and is told so
//! (`Prune`). What remains of the eager links after the first broadcasts is a spanning tree:
//! later messages reach everyone with one copy each (relative message redundancy near 0) instead
//! of one copy per link. A peer that hears of a message by `IHave` and does not get it in time
//! asks for it (`Graft`), which heals the tree when a link is lost.
//!
//! ```text
//! cargo run --release -p examples --example plumtree -- experiment examples/experiments/plumtree.ron
//! cargo run --release -p examples --example plumtree -- experiment examples/experiments/plumtree.ron --set 'peer.broadcast.prune=false'
//! ```
//!
//! The second run is plain eager push (flooding): compare their `relative_message_redundancy`.

use p2psim::protocol::{
    BuildCx, CheckCx, ConfigError, Context, Injected, MsgIdx, PeerId, PeerInit, Protocol, ServiceConfig, SimDuration,
    UserMessage,
};
use p2psim::serde::{Deserialize, Serialize};

/// Plumtree's messages.
#[derive(Clone, Debug, PartialEq)]
pub enum Plum {
    /// The payload, pushed eagerly.
    Gossip {
        /// Which message.
        msg: MsgIdx,
        /// The hops it made to get here.
        hops: u8,
    },
    /// "I have this message" (lazy push).
    IHave {
        /// Which message.
        msg: MsgIdx,
        /// The hops it made to the announcer, plus one.
        hops: u8,
    },
    /// "Stop pushing to me eagerly."
    Prune,
    /// "Send me this message, and push to me eagerly from now on."
    Graft {
        /// The message asked for.
        msg: MsgIdx,
    },
}

impl UserMessage for Plum {
    const KINDS: &'static [&'static str] = &["PlumGossip", "IHave", "Prune", "Graft"];

    fn kind(&self) -> usize {
        match self {
            Plum::Gossip { .. } => 0,
            Plum::IHave { .. } => 1,
            Plum::Prune => 2,
            Plum::Graft { .. } => 3,
        }
    }

    fn size(&self) -> u32 {
        match self {
            Plum::Gossip { .. } => 1024,
            Plum::IHave { .. } | Plum::Graft { .. } => 32,
            Plum::Prune => 24,
        }
    }

    fn updates(&self) -> u32 {
        u32::from(matches!(self, Plum::Gossip { .. }))
    }
}

/// Plumtree's settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(crate = "p2psim::serde", default)]
pub struct PlumtreeConfig {
    /// Prune redundant links (Plumtree); `false` is eager push to every neighbour (flooding).
    pub prune: bool,
    /// Wait after an `IHave` before asking for the message, ms.
    pub timeout: f64,
}

impl Default for PlumtreeConfig {
    fn default() -> Self {
        PlumtreeConfig { prune: true, timeout: 200.0 }
    }
}

impl ServiceConfig for PlumtreeConfig {
    type Protocol = Plumtree;

    fn check(&self, _: &CheckCx<'_>) -> Result<(), ConfigError> {
        if !(self.timeout.is_finite() && self.timeout >= 1e-6) {
            return Err(ConfigError::field(
                "timeout",
                format!("must be a number of ms, at least 1 ns, got {}", self.timeout),
            ));
        }
        Ok(())
    }

    fn build(&self, _: &mut BuildCx<'_>) -> Plumtree {
        Plumtree { config: self.clone() }
    }
}

/// The protocol.
pub struct Plumtree {
    config: PlumtreeConfig,
}

/// One peer's tree: its eager and lazy partners, and the messages it heard of but lacks.
#[derive(Debug, Default)]
pub struct Tree {
    eager: Vec<PeerId>,
    lazy: Vec<PeerId>,
    /// Announced but not received: the message, who announced it (in order), a timer running.
    missing: Vec<(MsgIdx, Vec<PeerId>, bool)>,
}

fn move_to(from: &mut Vec<PeerId>, to: &mut Vec<PeerId>, q: PeerId) {
    from.retain(|&p| p != q);
    if !to.contains(&q) {
        to.push(q);
    }
}

impl Plumtree {
    /// A first copy: deliver it, push it on eagerly, announce it lazily.
    fn forward(&self, t: &mut Tree, cx: &mut Context<'_, Plum>, msg: MsgIdx, hops: u8, from: Option<PeerId>) {
        t.missing.retain(|m| m.0 != msg);
        for &q in t.eager.iter().filter(|&&q| Some(q) != from) {
            cx.send(q, Plum::Gossip { msg, hops: hops.saturating_add(1) });
        }
        for &q in t.lazy.iter().filter(|&&q| Some(q) != from) {
            cx.send(q, Plum::IHave { msg, hops: hops.saturating_add(1) });
        }
    }
}

impl Protocol for Plumtree {
    type Message = Plum;
    type State = Tree;

    fn init(&self, _: &mut PeerInit<'_>) -> Tree {
        Tree::default()
    }

    fn on_start(&self, t: &mut Tree, cx: &mut Context<'_, Plum>) {
        t.eager = cx.neighbours().to_vec();
    }

    /// The experiment's workload broadcasts from this peer.
    fn on_inject(&self, t: &mut Tree, cx: &mut Context<'_, Plum>, injected: Injected) {
        cx.store(injected.msg, 0);
        self.forward(t, cx, injected.msg, 0, None);
    }

    fn on_message(&self, t: &mut Tree, cx: &mut Context<'_, Plum>, from: PeerId, m: &Plum) {
        match *m {
            Plum::Gossip { msg, hops } => {
                if cx.store(msg, hops) {
                    move_to(&mut t.lazy, &mut t.eager, from);
                    self.forward(t, cx, msg, hops, Some(from));
                } else if self.config.prune {
                    move_to(&mut t.eager, &mut t.lazy, from);
                    cx.send(from, Plum::Prune);
                }
            }
            Plum::Prune => move_to(&mut t.eager, &mut t.lazy, from),
            Plum::IHave { msg, .. } => {
                if cx.has(msg) {
                    return;
                }
                match t.missing.iter_mut().find(|e| e.0 == msg) {
                    Some(e) => e.1.push(from),
                    None => t.missing.push((msg, vec![from], false)),
                }
                let e = t.missing.iter_mut().find(|e| e.0 == msg).expect("just added");
                if !e.2 {
                    e.2 = true;
                    cx.set_timer(SimDuration::from_millis_f64(self.config.timeout), msg.0);
                }
            }
            Plum::Graft { msg } => {
                move_to(&mut t.lazy, &mut t.eager, from);
                if cx.has(msg) {
                    let hops = cx.record(msg).map_or(0, |r| r.hops);
                    cx.send(from, Plum::Gossip { msg, hops: hops.saturating_add(1) });
                }
            }
        }
    }

    /// The timer of a message heard of (its tag is the message's index): if it is still
    /// missing, ask the first who announced it, and wait again.
    fn on_timer(&self, t: &mut Tree, cx: &mut Context<'_, Plum>, tag: u32) {
        let msg = MsgIdx(tag);
        if cx.has(msg) {
            return;
        }
        let Some(e) = t.missing.iter_mut().find(|e| e.0 == msg) else { return };
        if e.1.is_empty() {
            e.2 = false;
            return;
        }
        let q = e.1.remove(0);
        move_to(&mut t.lazy, &mut t.eager, q);
        cx.send(q, Plum::Graft { msg });
        cx.set_timer(SimDuration::from_millis_f64(self.config.timeout), tag);
    }
}

fn main() {
    let mut protocols = p2psim::Protocols::new();
    protocols.register::<PlumtreeConfig>("Plumtree");
    p2psim_cli::main(&protocols);
}

#[cfg(test)]
mod tests {
    use p2psim::protocol::Harness;

    use super::*;

    fn sends(e: &[p2psim::services::Effect]) -> Vec<(PeerId, Plum)> {
        Harness::<Plumtree>::sends(e).into_iter().map(|(_, to, m)| (to, m.clone())).collect()
    }

    #[test]
    fn a_duplicate_prunes_its_link_and_a_lost_message_is_grafted() {
        let mut h =
            Harness::from_config(&PlumtreeConfig::default(), 4, &[(0, 1), (0, 2), (0, 3)], p2psim::kernel::Seed(1));
        h.start(PeerId(0));
        let m = h.produce(PeerId(1));
        // First copy from 1: pushed on to 2 and 3 (eager), not back to 1.
        let out = sends(&h.deliver(PeerId(0), PeerId(1), Plum::Gossip { msg: m, hops: 1 }));
        assert_eq!(
            out,
            vec![(PeerId(2), Plum::Gossip { msg: m, hops: 2 }), (PeerId(3), Plum::Gossip { msg: m, hops: 2 })]
        );
        // A duplicate from 2: prune 2, which becomes lazy and is only told of the next message.
        assert_eq!(
            sends(&h.deliver(PeerId(0), PeerId(2), Plum::Gossip { msg: m, hops: 3 })),
            vec![(PeerId(2), Plum::Prune)]
        );
        let n = h.produce(PeerId(1));
        let out = sends(&h.deliver(PeerId(0), PeerId(1), Plum::Gossip { msg: n, hops: 1 }));
        assert_eq!(
            out,
            vec![(PeerId(3), Plum::Gossip { msg: n, hops: 2 }), (PeerId(2), Plum::IHave { msg: n, hops: 2 })]
        );
        // Heard of a message by IHave, never got it: when the timer fires, graft the announcer.
        let lost = h.produce(PeerId(3));
        assert!(sends(&h.deliver(PeerId(0), PeerId(3), Plum::IHave { msg: lost, hops: 1 })).is_empty());
        let out = sends(&h.timer(PeerId(0), lost.0));
        assert_eq!(out, vec![(PeerId(3), Plum::Graft { msg: lost })]);
    }

    /// Mean copies each peer received of the last `last` messages of a run of the example's
    /// experiment, with pruning or without.
    fn copies_of_late_messages(prune: bool, last: usize) -> f64 {
        let mut protocols = p2psim::Protocols::new();
        protocols.register::<PlumtreeConfig>("Plumtree");
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/plumtree.ron");
        let text = std::fs::read_to_string(path).unwrap();
        let text = text.replace("Plumtree(timeout: 200)", &format!("Plumtree(timeout: 200, prune: {prune})"));
        let scenario = p2psim::Scenario::from_ron(&text, path, &protocols).unwrap();
        let mut sim = p2psim::Simulation::new(scenario);
        sim.run().unwrap();
        let (world, service) = (sim.world(), sim.gossip_service().unwrap());
        let messages: Vec<MsgIdx> = world.messages().all().collect();
        assert_eq!(messages.len(), 50);
        let (mut copies, mut cells) = (0u64, 0u64);
        for &m in &messages[messages.len() - last..] {
            for p in 1..500 {
                let r = world.record(service, PeerId(p), m).expect("every peer gets every message");
                copies += u64::from(r.copies);
                cells += 1;
            }
        }
        copies as f64 / cells as f64
    }

    #[test]
    fn once_the_tree_is_pruned_each_peer_gets_about_one_copy_where_flooding_gives_five() {
        // Flooding a 6-regular graph: every peer but the source relays to its 5 other
        // neighbours, so the 499 receivers get 6 + 499 · 5 = 2501 copies, 5.01 each.
        let flood = copies_of_late_messages(false, 10);
        assert!((flood - 2501.0 / 499.0).abs() < 1e-9, "flooding: {flood}");
        // A spanning tree gives exactly one copy each; a few lazy links are grafted back into
        // the eager set when an IHave beats a slow eager copy, so a little more than one.
        let tree = copies_of_late_messages(true, 10);
        assert!((1.0..1.25).contains(&tree), "plumtree: {tree}");
    }
}
