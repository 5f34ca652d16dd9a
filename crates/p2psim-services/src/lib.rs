//! The protocols of p2psim, and the API to write your own.
//!
//! # Writing a protocol
//!
//! A protocol is a sans-IO state machine ([`Protocol`]): for each peer it runs on it keeps a
//! state, and reacts to the peer starting, to a message of its type arriving, to one of its
//! timers firing, and to its rounds, through a [`Context`] that gives it the time, its peer, the
//! neighbours, the peer's own random stream and storage, and takes its effects (send, set or
//! cancel a timer, connect, disconnect).
//!
//! 1. Define its messages: any type that implements [`UserMessage`] (kind names and a size in
//!    bytes; traffic tables count them by those names).
//! 2. Implement [`Protocol`]: `init` makes a peer's state, `on_message` reacts. Record what the
//!    peer received with [`Context::store`]: the delay, copies, hops and convergence tables read
//!    that storage, for your protocol as for the built-in ones.
//! 3. Give it a configuration type ([`ServiceConfig`]: serde, checks that name the field, a
//!    `build` that cannot fail) and register it under a name in [`Protocols`]. Experiment files
//!    then use it like a built-in: `("gossip", MyGossip(fanout: 3))`.
//! 4. Test it as a state machine, without a simulation: [`testing::Harness`].
//!
//! The facade (`p2psim`) runs it under every fault, analysis and sweep, and turns a program that
//! registers protocols into the whole command line. Its guide, `docs/protocols.md`, walks through
//! an example.
//!
//! # The built-in protocols
//!
//! Every service P2PSimpy has, with the same meaning: connection managers (ping/pong liveness;
//! peer discovery), message producers, push gossip with a TTL, pull and ranged-pull gossip
//! (anti-entropy by index exchange), push-pull, validation before acceptance (P2PSimpy's
//! `pre_task`), a malicious relay; and the epidemic family of Demers et al. (anti-entropy, rumor
//! mongering, infect-and-die) with synchronous or independent rounds, `f` partners per round,
//! picked among neighbours or uniformly. Each is written against [`Protocol`] and configured by a
//! [`ServiceConfig`] and registered in [`Protocols`] by one line of a table; [`ServiceSpec`] is
//! a service as an experiment holds it.
//!
//! # The world
//!
//! [`World`] binds the protocols to the kernel and the network: it builds them from checked peer
//! types ([`CheckedTypes`]), routes each delivered message to the services that handle its kind,
//! applies their effects, and offers the layers above a narrow [`Control`] interface.
//!
//! What it knows nothing about: faults and churn (the disruption layer drives the world through
//! [`Control`]), experiment files, analysis and plots.

mod builtin;
mod config;
mod context;
mod instance;
mod kinds;
mod message;
mod peers;
mod protocol;
mod protocols;
mod registry;
mod rounds;
mod select;
mod storage;
pub mod testing;

/// The serde adapter [`Protocols::register_with`] reads configurations through.
pub use erased_serde;
mod validation;
mod world;

pub use builtin::*;
pub use config::{BuildCx, CheckCx, EstimateCx, Load, Role, ServiceConfig, check_type_name};
pub use context::{Context, Effect, Targets};
pub use kinds::{KindId, Kinds, UserMessage, Wire};
pub use message::{Body, Kind, Message, MsgId, MsgIdx, StoredCopy, UserBody, gossip_size};
pub use peers::PeerTable;
pub use protocol::{Injected, PeerInit, PeerParam, Protocol, StorageNeeds};
pub use protocols::{Protocols, SERVICE_TOKEN, ServiceSpec};
pub use registry::Messages;
pub use rounds::{RoundSchedule, Rounds};
pub use select::{Exclusions, Selection};
pub use storage::{Range, Record, Storage};
#[cfg(feature = "test-stats")]
pub use world::SpreadStats;
pub use world::{Bootstrap, CheckedTypes, Control, Event, LocationChoice, PeerTypeSpec, Physical, ServiceId, World};
