//! The protocols of p2psim.
//!
//! What it is: every service P2PSimpy has, with the same meaning — connection managers (ping/pong
//! liveness; peer discovery), message producers, push gossip with a TTL, pull and ranged-pull gossip
//! (anti-entropy by index exchange), push-pull, validation before acceptance (P2PSimpy's
//! `pre_task`), a malicious relay — and the epidemic family of Demers et al. (anti-entropy, rumor
//! mongering, infect-and-die) with synchronous or independent rounds and partners picked among
//! neighbours or uniformly. Each service keeps its own [`Storage`]: per (peer, message) the first
//! time seen and the number of copies.
//!
//! Services are sans-IO state machines: a call gets the time and an input through a [`Cx`] and emits
//! [`Effect`]s. The [`World`] is the thin adapter that binds them to the kernel and the network.
//!
//! What it knows nothing about: faults and churn (the disruption layer drives the network's online
//! state and links from above), experiment files, analysis and plots.

mod config;
mod cx;
mod message;
mod peers;
mod registry;
mod select;
mod services;
mod storage;
mod world;

pub use config::{
    AntiEntropyConfig, ConnectionManagerConfig, Direction, InfectAndDieConfig, LossOfInterest,
    P2pConnectionManagerConfig, ProducerConfig, PullGossipConfig, PushGossipConfig, Relay, Rounds,
    RumorMongeringConfig, ServiceSpec, ValidationConfig,
};
pub use cx::{Cx, Effect};
pub use message::{
    BASE_SIZE, Body, EMPTY_SIZE, GOSSIP_BASE_SIZE, Kind, Message, MsgId, MsgIdx, StoredCopy, TAMPERED_DATA,
    TAMPERED_SIZE, gossip_size,
};
pub use peers::PeerTable;
pub use registry::Messages;
pub use select::Selection;
pub use storage::{Range, Record, Storage};
pub use world::{
    Bootstrap, BuildError, Event, KindTraffic, LocationChoice, PeerTypeSpec, Physical, SpreadStats, World,
};
