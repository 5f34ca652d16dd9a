//! Notebook 02, "Gossip Services", with its own services: P2PSimpy's tutorial writes its own
//! `GossipMessage`, `GossipService` and `MessageProducer`; here they are, as a protocol of your
//! own, registered by name and run by the whole p2psim command line.
//!
//! ```text
//! cargo run --release -p examples --example nb02_gossip -- experiment examples/experiments/nb02.ron --seed 3 --out out/nb02
//! cargo run --release -p examples --example nb02_gossip -- sweep examples/sweeps/nb02-fanout.ron --jobs 2
//! ```
//!
//! It uses only the `p2psim` facade, and builds as a crate of its own with one path dependency
//! on `crates/p2psim`.

use p2psim::protocol::{
    BuildCx, CheckCx, ConfigError, Context, Exclusions, MsgIdx, PeerId, PeerInit, Protocol, Role, ServiceConfig,
    SimDuration, UserMessage,
};
use p2psim::serde::{Deserialize, Serialize};

/// The notebook's message: 1024 bytes, whatever it carries, and a time to live.
#[derive(Clone, Debug, PartialEq)]
pub struct GossipMessage {
    /// Which message it is (its id is the producer and the producer's counter).
    pub msg: MsgIdx,
    /// Relays left.
    pub ttl: u32,
    /// Hops made from the producer.
    pub hops: u8,
}

impl UserMessage for GossipMessage {
    const KINDS: &'static [&'static str] = &["GossipMessage"];

    fn size(&self) -> u32 {
        1024
    }

    fn updates(&self) -> u32 {
        1
    }
}

/// `GossipService(fanout=3)`: remember when a message was first seen and how many copies came;
/// while the TTL lasts, relay every copy to `fanout` neighbours other than its sender.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(crate = "p2psim::serde", default)]
pub struct GossipConfig {
    /// Neighbours each copy is relayed to.
    pub fanout: u32,
    /// Peer types never relayed to (the notebook excludes its clients).
    pub exclude_types: Vec<String>,
}

impl Default for GossipConfig {
    fn default() -> Self {
        GossipConfig { fanout: 3, exclude_types: Vec::new() }
    }
}

impl ServiceConfig for GossipConfig {
    type Protocol = GossipService;

    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        cx.check_type_names("exclude_types", &self.exclude_types)
    }

    fn build(&self, cx: &mut BuildCx<'_>) -> GossipService {
        GossipService { fanout: self.fanout as usize, exclude: cx.exclusions(&[], &self.exclude_types) }
    }
}

/// The gossip service of notebook 02.
pub struct GossipService {
    fanout: usize,
    exclude: Exclusions,
}

impl Protocol for GossipService {
    type Message = GossipMessage;
    type State = ();

    fn init(&self, _: &mut PeerInit<'_>) {}

    fn on_message(&self, _: &mut (), cx: &mut Context<'_, GossipMessage>, from: PeerId, m: &GossipMessage) {
        // `msg_time`: the first time seen, and every copy counted.
        cx.store(m.msg, m.hops);
        if m.ttl > 0 {
            for q in cx.choose_neighbours(self.fanout, Some(from), &self.exclude) {
                cx.send(q, GossipMessage { msg: m.msg, ttl: m.ttl - 1, hops: m.hops.saturating_add(1) });
            }
        }
    }
}

/// `MessageProducer(init_timeout=1000, msg_rate=5, init_ttl=3, init_fanout=10)`: from
/// `init_timeout` ms on, `msg_rate` messages a second, each sent to `init_fanout` neighbours (as
/// many as there are).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(crate = "p2psim::serde", default)]
pub struct ProducerConfig {
    /// Wait before the first message, ms.
    pub init_timeout: f64,
    /// Messages per second.
    pub msg_rate: f64,
    /// TTL of each message.
    pub init_ttl: u32,
    /// Neighbours each message is first sent to.
    pub init_fanout: u32,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig { init_timeout: 1000.0, msg_rate: 5.0, init_ttl: 3, init_fanout: 10 }
    }
}

impl ServiceConfig for ProducerConfig {
    type Protocol = MessageProducer;

    fn role(&self) -> Role {
        Role::Source
    }

    fn check(&self, _: &CheckCx<'_>) -> Result<(), ConfigError> {
        if !(self.init_timeout >= 0.0 && self.init_timeout.is_finite()) {
            return Err(ConfigError::field("init_timeout", "must be a number of ms, at least 0"));
        }
        if !(self.msg_rate > 0.0 && 1000.0 / self.msg_rate >= 1e-6) {
            return Err(ConfigError::field("msg_rate", "must be more than 0, and at most one message a ns"));
        }
        Ok(())
    }

    fn build(&self, _: &mut BuildCx<'_>) -> MessageProducer {
        MessageProducer {
            first: SimDuration::from_millis_f64(self.init_timeout),
            every: SimDuration::from_millis_f64(1000.0 / self.msg_rate),
            ttl: self.init_ttl,
            fanout: self.init_fanout as usize,
        }
    }
}

/// The producer of notebook 02.
pub struct MessageProducer {
    first: SimDuration,
    every: SimDuration,
    ttl: u32,
    fanout: usize,
}

impl Protocol for MessageProducer {
    type Message = GossipMessage;
    type State = ();

    fn init(&self, _: &mut PeerInit<'_>) {}

    fn on_start(&self, _: &mut (), cx: &mut Context<'_, GossipMessage>) {
        cx.set_timer(self.first, 0);
    }

    fn on_timer(&self, _: &mut (), cx: &mut Context<'_, GossipMessage>, _: u32) {
        let msg = cx.produce(1024);
        cx.store(msg, 0);
        for q in cx.choose_neighbours(self.fanout, None, &Exclusions::none()) {
            cx.send(q, GossipMessage { msg, ttl: self.ttl, hops: 1 });
        }
        cx.set_timer(self.every, 0);
    }

    fn on_message(&self, _: &mut (), _: &mut Context<'_, GossipMessage>, _: PeerId, _: &GossipMessage) {}
}

/// The protocols of this program, by the names experiment files give them.
pub fn protocols() -> p2psim::Protocols {
    let mut protocols = p2psim::Protocols::new();
    protocols.register::<GossipConfig>("GossipService");
    protocols.register::<ProducerConfig>("MessageProducer");
    protocols
}

fn main() {
    p2psim_cli::main(&protocols());
}

#[cfg(test)]
mod tests {
    use p2psim::protocol::Harness;

    use super::*;

    #[test]
    fn a_copy_is_stored_and_relayed_to_fanout_neighbours_but_its_sender() {
        let config = GossipConfig { fanout: 2, exclude_types: Vec::new() };
        let mut h = Harness::from_config(&config, 4, &[(0, 1), (0, 2), (0, 3)], p2psim::kernel::Seed(1));
        let m = h.produce(PeerId(1));
        let effects = h.deliver(PeerId(0), PeerId(1), GossipMessage { msg: m, ttl: 1, hops: 1 });
        let sends = Harness::<GossipService>::sends(&effects);
        assert_eq!(sends.len(), 2);
        assert!(sends.iter().all(|(_, to, msg)| *to != PeerId(1) && msg.ttl == 0 && msg.hops == 2));
        assert!(h.deliver(PeerId(0), PeerId(2), GossipMessage { msg: m, ttl: 0, hops: 3 }).is_empty());
        assert_eq!(h.record(PeerId(0), m).map(|r| (r.copies, r.hops)), Some((2, 1)));
    }

    #[test]
    fn the_notebook_run_produces_21_messages_and_each_is_received_at_most_40_times() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/experiments/nb02.ron");
        let text = std::fs::read_to_string(path).unwrap();
        let scenario = p2psim::Scenario::from_ron(&text, path, &protocols()).unwrap();
        let mut sim = p2psim::Simulation::new(scenario);
        sim.run().unwrap();
        let (world, gossip) = (sim.world(), sim.gossip_service().unwrap());
        let messages = world.messages();
        // The client produces at 1000, 1200, ..., 5000 ms, as in the notebook's recorded output.
        let times: Vec<f64> = messages.all().map(|m| messages.produced_at(m).as_millis_f64()).collect();
        assert_eq!(times, (0..21).map(|i| 1000.0 + 200.0 * f64::from(i)).collect::<Vec<_>>());
        let peers = sim.peers_of_type("peer");
        for m in messages.all() {
            // One copy from the client, then at most 3 relays per copy while the TTL lasts:
            // 1 + 3 + 9 + 27 receptions, the first copy of each at most 4 hops out.
            let records: Vec<_> = peers.iter().filter_map(|&p| world.record(gossip, p, m)).collect();
            let copies: u32 = records.iter().map(|r| r.copies).sum();
            assert!(copies <= 40, "message {m:?}: {copies} copies");
            assert!(records.iter().all(|r| (1..=4).contains(&r.hops)));
            if messages.produced_at(m).as_millis_f64() <= 4600.0 {
                assert!(copies >= 13, "a finished message reached past the first relays: {copies}");
            }
        }
    }

    #[test]
    fn the_command_line_sweeps_the_notebook_protocol_on_two_threads() {
        let out = std::env::temp_dir().join(format!("nb02-sweep-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&out);
        let sweep = concat!(env!("CARGO_MANIFEST_DIR"), "/sweeps/nb02-fanout.ron");
        let args = ["nb02_gossip", "sweep", sweep, "--jobs", "2", "--out", out.to_str().unwrap()];
        assert_eq!(p2psim_cli::run(&protocols(), args), 0);
        let points = std::fs::read_to_string(out.join("points.csv")).unwrap();
        let delivery: Vec<f64> = points
            .lines()
            .filter(|l| l.contains(",delivery_ratio,"))
            .map(|l| l.split(',').nth(3).unwrap().parse().unwrap())
            .collect();
        // Fanout 1 to 5: a relay tree of 1 + f + f² + f³ receptions reaches more peers as f grows.
        assert_eq!(delivery.len(), 5);
        assert!(delivery.windows(2).all(|w| w[1] > w[0]), "{delivery:?}");
        std::fs::remove_dir_all(&out).unwrap();
    }
}
