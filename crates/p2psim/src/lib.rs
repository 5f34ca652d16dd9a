//! p2psim: a fast, deterministic discrete-event simulator of peer-to-peer networks.
//!
//! This is the facade users depend on. An [`Experiment`] (a RON file: locations, peer types with
//! their physical description and services, topology, faults, duration, seed) is read with the
//! [`Protocols`] its services may name and checked once into a [`Scenario`], which builds a
//! [`Simulation`]; [`write_results`] writes its tables, summary and plots. The layers are
//! re-exported under short names: [`kernel`], [`net`], [`services`], [`disruption`], [`analysis`].
//! A [`SweepSpec`] varies parameters of an experiment over values and seeds.
//!
//! What it is not: the command line, output folders, the sweep runner and Slurm, which are the
//! `p2psim-cli` crate's (a library too: `p2psim_cli::main(protocols)` is the whole command).
//!
//! ```
//! use p2psim::prelude::*;
//!
//! let scenario = Scenario::from_ron(p2psim::experiments::FAULTS_PUSH, "faults-push.ron", &Protocols::new()).unwrap();
//! let mut sim = Simulation::new(scenario);
//! sim.run_until(SimTime::from_millis(2000)).unwrap();
//! sim.run().unwrap(); // continues to the experiment's until_ms
//! let (summary, _tables) = p2psim::report(&sim);
//! assert_eq!(summary.messages_produced, 25); // one every 200 ms from 1000 to 5800
//! ```
//!
//! # Feature flags
//! None: plots and CSV are always built (pure Rust, with a shipped font).
//!
//! Determinism: same experiment and seed give byte-identical `summary.json`; every random draw
//! comes from a ChaCha8 stream of the run's seed.

mod error;
mod estimate;
mod experiment;
pub mod html;
mod output;
pub mod overrides;
mod ron;
mod scenario;
mod simulation;
mod sweep;

pub use p2psim_analysis as analysis;
pub use p2psim_disruption as disruption;
pub use p2psim_kernel as kernel;
pub use p2psim_net as net;
pub use p2psim_services as services;
/// The serde that configurations derive with: a protocol of your own can derive
/// `p2psim::serde::{Serialize, Deserialize}` with `#[serde(crate = "p2psim::serde")]` and need no
/// other dependency.
pub use serde;

pub use error::Error;
pub use estimate::{Estimate, Limits};
pub use experiment::{
    AnalysisSpec, Attach, Experiment, Graph, LocationsSpec, MAX_SNAPSHOTS, NetworkSpec, PeerGroup, PeerRef, PeerTables,
    PeerTypeDef, ServiceRef, TopologySpec, read_text,
};
pub use output::{Results, report, write_results};
pub use p2psim_analysis::Summary;
pub use p2psim_services::Protocols;
pub use scenario::Scenario;
pub use simulation::Simulation;
pub use sweep::{Base, MAX_RUNS, RunKey, SWEEP_FILE, Sweep, SweepParam, SweepSpec, Values};

/// The experiments shipped with p2psim (the tutorial series), as RON text.
pub mod experiments {
    /// The faults tutorial, push half: push gossip under random downtime.
    pub const FAULTS_PUSH: &str = include_str!("../experiments/faults-push.ron");
    /// The faults tutorial, pull half: ranged pull gossip, clients linked to 5 peers.
    pub const FAULTS_PULL: &str = include_str!("../experiments/faults-pull.ron");
}

/// The few types needed to write an experiment in Rust.
pub mod prelude {
    pub use crate::{Error, Experiment, Protocols, Scenario, Simulation};
    pub use p2psim_disruption::{FaultSpec, Inject, Pick, Selector, Timing};
    pub use p2psim_kernel::{Dist, Param, SimDuration, SimTime};
    pub use p2psim_net::PeerId;
    pub use p2psim_services::ServiceSpec;
}

/// What writing a protocol of your own takes: the protocol API of `p2psim-services`, gathered
/// (see `docs/protocols.md`).
pub mod protocol {
    pub use p2psim_kernel::{ConfigError, Param, PeerRng, SimDuration, SimRng, SimTime, TimerId};
    pub use p2psim_net::PeerId;
    pub use p2psim_services::testing::Harness;
    pub use p2psim_services::{
        BuildCx, CheckCx, Context, Exclusions, Injected, MsgId, MsgIdx, PeerInit, PeerParam, Protocol, Role,
        RoundSchedule, Rounds, ServiceConfig, StorageNeeds, UserMessage,
    };
    /// Drawing from a peer's stream (`cx.rng().random_bool(p)`, `random_range(..)`): rand's traits.
    pub use rand::{Rng, RngExt};
}
