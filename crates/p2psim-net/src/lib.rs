//! The network model of p2psim.
//!
//! What it is: peers with a location, upload and download bandwidths and an online state
//! ([`Network`], [`PeerSpec`], [`PeerState`]); the latency between locations ([`Locations`],
//! [`LatencyModel`]); transmission delays ([`TransmissionModel`]); one FIFO download queue per peer
//! with an optional admission (validation) step ([`Admission`]); bilateral links in a flat adjacency;
//! per-peer, per-second traffic monitors ([`Monitors`]); drop counting ([`DropReason`]); and initial
//! topologies ([`Topology`]).
//!
//! What it knows nothing about: what messages mean. A message is any [`Payload`] (it has a size);
//! protocols, storages and faults live in the crates above, which call [`Network::send`] and get
//! [`Delivery`]s back from [`Network::handle`].
//!
//! The model reproduces P2PSimpy's (fresh latency per message, half of each round-trip draw applied,
//! FIFO downloads, parallel uploads) with explicit switches where P2PSimpy's choice is not the only
//! sensible one: [`LatencyMode::FixedPerLink`], [`UploadModel::Serialised`], and
//! [`BandwidthUnit::P2psimpyCompat`] for P2PSimpy's bytes-per-millisecond slip.

mod bandwidth;
mod ids;
mod links;
mod location;
mod monitor;
mod network;
mod topology;

pub use bandwidth::{BandwidthUnit, KBIT, MBIT, TransmissionModel, UploadModel};
pub use ids::{LocationId, PeerId};
pub use location::{Delay, LatencyMode, LatencyModel, LocationError, Locations, NoLookahead};
pub use monitor::{KindTotal, Monitors, Traffic};
pub use network::{
    Admission, Admit, Delivery, DropReason, NetConfig, NetCounters, NetError, NetEvent, Network, Payload, PeerSpec,
    PeerState, SendPlan,
};
pub use topology::{Topology, TopologyError};
