//! Service configurations, with P2PSimpy's names, defaults and units (milliseconds).
//!
//! Every struct rejects unknown fields and fills missing ones with P2PSimpy's defaults (the course
//! variant, ../shared/P2PSIMPY.md §7). Durations are milliseconds. Where P2PSimpy lets a value be a
//! distribution, the field is a [`Param`]: `Const(x)`, `Dist(…)` drawn once per peer, or `DistAttr(…)`
//! drawn at every use.

use p2psim_kernel::{Dist, Param};
use serde::{Deserialize, Serialize};

use crate::select::Selection;

fn c(x: f64) -> Param {
    Param::Const(x)
}

/// Ping/pong liveness (`BaseConnectionManager`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ConnectionManagerConfig {
    /// Ping a neighbour not heard from for this long; also the period of the checks (500 ms).
    pub ping_interval: f64,
    /// Disconnect a neighbour not heard from for longer than this (3000 ms).
    pub max_silence: f64,
    /// Links younger than this are never dropped for being slow (3000 ms; P2P manager only).
    pub min_keep_time: f64,
}

impl Default for ConnectionManagerConfig {
    fn default() -> Self {
        ConnectionManagerConfig { ping_interval: 500.0, max_silence: 3000.0, min_keep_time: 3000.0 }
    }
}

/// Peer discovery on top of liveness (`P2PConnectionManager`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct P2pConnectionManagerConfig {
    /// Liveness settings.
    pub ping_interval: f64,
    /// Disconnect after this much silence.
    pub max_silence: f64,
    /// Keep links at least this long before dropping them as slow.
    pub min_keep_time: f64,
    /// Peers sent in answer to `RequestPeers` (1).
    pub peer_list_number: u32,
    /// Look for more peers below this many links (15).
    pub min_peers: u32,
    /// Drop the slowest links above this many (25).
    pub max_peers: u32,
    /// Neighbours asked for peers at once (5).
    pub peer_batch_request: u32,
}

impl Default for P2pConnectionManagerConfig {
    fn default() -> Self {
        P2pConnectionManagerConfig {
            ping_interval: 500.0,
            max_silence: 3000.0,
            min_keep_time: 3000.0,
            peer_list_number: 1,
            min_peers: 15,
            max_peers: 25,
            peer_batch_request: 5,
        }
    }
}

/// A validation step the producer attaches to its messages (P2PSimpy's `pre_task`): each receiver
/// spends a drawn time on it, then accepts or rejects the message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidationConfig {
    /// Time spent validating, in ms, drawn at every message (the tutorials use N(1, 0.2)).
    pub delay: Dist,
    /// Reject messages whose data was altered (the Byzantine tutorial's check).
    #[serde(default = "yes")]
    pub reject_tampered: bool,
}

fn yes() -> bool {
    true
}

/// A message source (`MessageProducer`, and `LimitedMessageProducer` with `times`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ProducerConfig {
    /// Wait before the first message, ms (1000).
    pub init_timeout: Param,
    /// Messages per second (5, so one every 200 ms).
    pub msg_rate: f64,
    /// Neighbours each message is first sent to, capped by the degree (5).
    pub init_fanout: u32,
    /// TTL of each message (4).
    pub init_ttl: u8,
    /// Letters of random payload (20, so 310-byte messages).
    pub data_letters: u32,
    /// Stop after this many messages (P2PSimpy's `LimitedMessageProducer`, whose `times` is broken
    /// there, oddity M1). `None`: never stop.
    pub times: Option<u32>,
    /// Peer types never sent to.
    pub exclude_types: Vec<String>,
    /// Validation attached to every message.
    pub validation: Option<ValidationConfig>,
}

impl Default for ProducerConfig {
    fn default() -> Self {
        ProducerConfig {
            init_timeout: c(1000.0),
            msg_rate: 5.0,
            init_fanout: 5,
            init_ttl: 4,
            data_letters: 20,
            times: None,
            exclude_types: Vec::new(),
            validation: None,
        }
    }
}

/// When a push relay forwards.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Relay {
    /// On every copy received with TTL left (P2PSimpy's `GossipService`, oddity G3).
    #[default]
    EveryCopy,
    /// On the first copy only.
    FirstCopy,
}

/// Push gossip with a TTL (`GossipService`), also the push half of push-pull and the malicious variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PushGossipConfig {
    /// Neighbours each relay goes to (3).
    pub fanout: u32,
    /// Peers never sent to (by id).
    pub exclude_peers: Vec<u32>,
    /// Peer types never sent to (the tutorial excludes `client`).
    pub exclude_types: Vec<String>,
    /// Relay every copy (P2PSimpy) or the first only.
    pub relay: Relay,
}

impl Default for PushGossipConfig {
    fn default() -> Self {
        PushGossipConfig { fanout: 3, exclude_peers: Vec::new(), exclude_types: Vec::new(), relay: Relay::EveryCopy }
    }
}

/// When a periodic protocol acts.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Rounds {
    /// P2PSimpy's runner: wait `|init_timeout|` (drawn per peer), then act every `round_time`.
    #[default]
    P2psimpy,
    /// Every peer acts at the same instants `offset + k · round_time`, k = 1, 2, … (the classic
    /// analyses; PeerSim's cycle-driven mode).
    Synchronous {
        /// First round at `offset + round_time`, ms.
        #[serde(default)]
        offset: f64,
    },
    /// Each peer every `round_time`, with a phase drawn uniformly in `[0, round_time)`.
    RandomPhase,
    /// Each peer at the events of a Poisson process of mean gap `round_time`.
    Poisson,
}

/// Pull gossip (anti-entropy by index exchange): `PullGossipService` and `RangedPullGossipService`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PullGossipConfig {
    /// Neighbours synced with each round (3).
    pub fanout: u32,
    /// Period of the rounds, ms (500).
    pub round_time: f64,
    /// Wait before the first round, ms (N(200, 100), absolute value taken).
    pub init_timeout: Param,
    /// Peers never synced with.
    pub exclude_peers: Vec<u32>,
    /// Peer types never synced with.
    pub exclude_types: Vec<String>,
    /// Timing of the rounds.
    pub rounds: Rounds,
    /// Whom to sync with.
    pub selection: Selection,
}

impl Default for PullGossipConfig {
    fn default() -> Self {
        PullGossipConfig {
            fanout: 3,
            round_time: 500.0,
            init_timeout: Param::Dist(Dist::norm(200.0, 100.0).expect("valid")),
            exclude_peers: Vec::new(),
            exclude_types: Vec::new(),
            rounds: Rounds::P2psimpy,
            selection: Selection::Neighbours,
        }
    }
}

/// Which way anti-entropy moves updates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Direction {
    /// I send what I have.
    Push,
    /// I ask, the partner sends what I lack.
    Pull,
    /// Both.
    #[default]
    PushPull,
}

/// Demers et al.'s anti-entropy: each round, one random partner, whole-state exchange.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AntiEntropyConfig {
    /// Push, pull or push-pull.
    pub direction: Direction,
    /// Period of the rounds, ms.
    pub round_time: f64,
    /// Timing of the rounds (default synchronous).
    pub rounds: Rounds,
    /// Whom to pick (default uniformly among all peers).
    pub selection: Selection,
}

impl Default for AntiEntropyConfig {
    fn default() -> Self {
        AntiEntropyConfig {
            direction: Direction::PushPull,
            round_time: 1000.0,
            rounds: Rounds::Synchronous { offset: 0.0 },
            selection: Selection::Uniform,
        }
    }
}

/// How a rumor monger loses interest.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossOfInterest {
    /// With probability `1/k` after each unnecessary contact.
    #[default]
    Coin,
    /// After `k` unnecessary contacts.
    Counter,
}

/// Demers et al.'s rumor mongering (push): hot peers push each hot rumor to one random partner per
/// round until they lose interest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RumorMongeringConfig {
    /// The parameter k.
    pub k: u32,
    /// With feedback, only contacts with a peer that already knew count; blind, every contact does.
    pub feedback: bool,
    /// Coin or counter.
    pub loss: LossOfInterest,
    /// Period of the rounds, ms.
    pub round_time: f64,
    /// Timing of the rounds (default synchronous).
    pub rounds: Rounds,
    /// Whom to pick (default uniformly among all peers).
    pub selection: Selection,
}

impl Default for RumorMongeringConfig {
    fn default() -> Self {
        RumorMongeringConfig {
            k: 2,
            feedback: true,
            loss: LossOfInterest::Coin,
            round_time: 1000.0,
            rounds: Rounds::Synchronous { offset: 0.0 },
            selection: Selection::Uniform,
        }
    }
}

/// Infect-and-die: on the first copy, forward once to `fanout` random peers, then stay silent.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InfectAndDieConfig {
    /// Peers each new holder forwards to.
    pub fanout: u32,
    /// Whom to pick (default uniformly among all peers).
    pub selection: Selection,
}

impl Default for InfectAndDieConfig {
    fn default() -> Self {
        InfectAndDieConfig { fanout: 3, selection: Selection::Uniform }
    }
}

/// One service of a peer type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ServiceSpec {
    /// `BaseConnectionManager`.
    ConnectionManager(#[serde(default)] ConnectionManagerConfig),
    /// `P2PConnectionManager`.
    P2pConnectionManager(#[serde(default)] P2pConnectionManagerConfig),
    /// `MessageProducer` / `LimitedMessageProducer`.
    Producer(#[serde(default)] ProducerConfig),
    /// `GossipService`.
    PushGossip(#[serde(default)] PushGossipConfig),
    /// `MaliciousGossipService` (notebook 04): the original to half the fanout, altered data to the
    /// other half.
    MaliciousGossip(#[serde(default)] PushGossipConfig),
    /// `PullGossipService`.
    PullGossip(#[serde(default)] PullGossipConfig),
    /// `RangedPullGossipService`.
    RangedPullGossip(#[serde(default)] PullGossipConfig),
    /// `PushPullGossipService`, with separate push and pull parameters (oddity X3 fixed).
    PushPullGossip {
        /// The push half.
        #[serde(default)]
        push: PushGossipConfig,
        /// The pull half.
        #[serde(default)]
        pull: PullGossipConfig,
    },
    /// Demers' anti-entropy.
    AntiEntropy(#[serde(default)] AntiEntropyConfig),
    /// Demers' rumor mongering.
    RumorMongering(#[serde(default)] RumorMongeringConfig),
    /// Infect-and-die.
    InfectAndDie(#[serde(default)] InfectAndDieConfig),
}

impl ServiceSpec {
    /// A short name for reports and random stream keys.
    pub fn kind_name(&self) -> &'static str {
        match self {
            ServiceSpec::ConnectionManager(_) => "connection-manager",
            ServiceSpec::P2pConnectionManager(_) => "p2p-connection-manager",
            ServiceSpec::Producer(_) => "producer",
            ServiceSpec::PushGossip(_) => "push-gossip",
            ServiceSpec::MaliciousGossip(_) => "malicious-gossip",
            ServiceSpec::PullGossip(_) => "pull-gossip",
            ServiceSpec::RangedPullGossip(_) => "ranged-pull-gossip",
            ServiceSpec::PushPullGossip { .. } => "push-pull-gossip",
            ServiceSpec::AntiEntropy(_) => "anti-entropy",
            ServiceSpec::RumorMongering(_) => "rumor-mongering",
            ServiceSpec::InfectAndDie(_) => "infect-and-die",
        }
    }
}
