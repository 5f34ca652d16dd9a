//! The faults of p2psim, and the workload: what happens to the world from outside.
//!
//! What it is: peers going down and coming back (scheduled, random, or by an availability model
//! whose measured availability equals the configured one), bandwidth slowdowns restored exactly,
//! churn with session and off-time distributions and permanent departures, peers joining during the
//! run, message loss over a time window, network partitions (by lists or by location) that heal,
//! correlated failures (every peer of a location at once), and snapshots of the live graph for
//! animations. [`FaultSpec`] describes a fault; [`Inject`] a message injected at peers at given
//! times (the workload); [`RunModel`] runs a [`World`](p2psim_services::World) with its faults and
//! its workload.
//!
//! Semantics follow P2PSimpy's `services/disruption.py`, with its oddities D1 (swapped names) and
//! D2 (lost neighbours) resolved as documented on each item. Every fault is checked once
//! ([`FaultSpec::check`], errors naming the field), then built into a runtime form whose events
//! carry typed [`Step`]s. Each kind is a module of its own implementing one trait: a state
//! machine per member that reads the world through a narrow view and answers with actions,
//! which the run model applies through the world's [`Control`](p2psim_services::Control)
//! interface only. Slowdowns, downtimes, loss windows and
//! partitions that overlap stack.
//!
//! What it knows nothing about: experiment files, analysis, plots.

mod churn;
mod clock;
mod downtime;
mod fault;
mod join;
mod loss;
mod model;
mod outages;
mod partition;
mod slowdown;
mod spec;
mod workload;

pub use model::{Event, GraphSnapshot, RunModel, Step};
pub use spec::{FaultCheckCx, FaultSpec, Groups, Selector, Timing};
pub use workload::{Inject, MAX_INJECTIONS, Pick};
