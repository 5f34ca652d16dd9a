//! The faults of p2psim.
//!
//! What it is: peers going down and coming back (scheduled, random, or by an availability model
//! whose measured availability equals the configured one), bandwidth slowdowns restored exactly,
//! churn with session and off-time distributions and permanent departures, peers joining during the
//! run, message loss over a time window, network partitions (by lists or by location) that heal,
//! correlated failures (every peer of a location at once), and snapshots of the live graph for
//! animations. [`FaultSpec`] describes a fault; [`Faulty`] runs a [`World`](p2psim_services::World)
//! with its faults.
//!
//! Semantics follow P2PSimpy's `services/disruption.py` (../shared/P2PSIMPY.md §7.5), with its
//! oddities D1 (swapped names) and D2 (lost neighbours) resolved as documented on each item.
//!
//! What it knows nothing about: experiment files, analysis, plots.

mod faults;
mod spec;

pub use faults::{Event, FaultError, Faulty, GraphSnapshot};
pub use spec::{FaultSpec, Groups, Selector, Timing};
