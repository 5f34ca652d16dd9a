//! Fault descriptions, as written in experiment files.

use p2psim_kernel::{Dist, Param};
use serde::{Deserialize, Serialize};

/// Which peers a fault hits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Selector {
    /// Every peer.
    All,
    /// Every peer of this type.
    Type(String),
    /// These peers.
    Peers(Vec<u32>),
    /// Every peer at this location (a correlated failure when used with [`Timing::Once`]).
    Location(String),
}

/// When a downtime or slowdown happens, for each selected peer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[allow(clippy::large_enum_variant, reason = "configuration read once per run; boxing would only add noise to files")]
pub enum Timing {
    /// P2PSimpy's `ScheduledDisruption`: durations in ms, each relative to the previous change.
    /// `[100, 200, 100, 300]`: disrupted at 100, restored at 300, disrupted at 400, restored at 700.
    Scheduled(Vec<f64>),
    /// P2PSimpy's `RandomDisruption`: wait `start`, then alternate `up` (time between disruptions)
    /// and `down` (length of a disruption). Each is `Const`, `Dist` (one value per peer) or
    /// `DistAttr` (a fresh draw every time); the absolute value of every draw is used.
    ///
    /// P2PSimpy names these `start_time`, `disruption_time` and `disruption_intervals`, and its
    /// `disruption_time` is in fact the up-time and `disruption_intervals` the down-time (its oddity
    /// D1). Those names are accepted here with that real meaning.
    Random {
        /// Wait before the first up period, ms.
        #[serde(alias = "start_time")]
        start: Param,
        /// Time between disruptions, ms.
        #[serde(alias = "disruption_time")]
        up: Param,
        /// Length of each disruption, ms.
        #[serde(alias = "disruption_intervals")]
        down: Param,
    },
    /// The model the tutorial's text describes (P2PSimpy's early `BaseDisruption`): every `interval`
    /// ms a peer that is up fails with probability `interval / (availability · mtbf)` and a peer that
    /// is down recovers with probability `interval / ((1 − availability) · mtbf)`. So a failure cycle
    /// lasts `mtbf` on average and the peer is up `availability` of the time, as configured.
    ///
    /// P2PSimpy's formulas (fail with `interval / mtbf`, recover with
    /// `interval / (mtbf · (1 − availability))`) give an availability of `1 / (2 − availability)`
    /// instead; `p2psimpy_formula: true` reproduces them.
    Availability {
        /// Time between checks, ms.
        interval: f64,
        /// Mean time from one failure's start to the next, ms.
        mtbf: f64,
        /// Fraction of time up.
        availability: f64,
        /// Use P2PSimpy's formulas.
        #[serde(default)]
        p2psimpy_formula: bool,
    },
    /// Once, for every selected peer at the same time (a correlated failure).
    Once {
        /// Start, ms.
        at: f64,
        /// Length, ms.
        duration: f64,
    },
}

/// How a partition splits the peers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Groups {
    /// One group per location.
    ByLocation,
    /// Explicit groups; peers not listed form one more group.
    Lists(Vec<Vec<u32>>),
}

/// One fault of an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FaultSpec {
    /// Peers go offline (P2PSimpy's `Downtime`): they send nothing, drop what they receive, and on
    /// return say `Hello` to every neighbour they had when they went down.
    Downtime {
        /// Who.
        peers: Selector,
        /// When.
        timing: Timing,
    },
    /// Bandwidth throttled to `factor` of its configured value (P2PSimpy's early `Slowdown`),
    /// restored exactly afterwards.
    Slowdown {
        /// Who.
        peers: Selector,
        /// When.
        timing: Timing,
        /// Factor in [0, 1] applied to both bandwidths.
        factor: f64,
    },
    /// Churn: sessions online and times offline drawn from distributions (measurement studies
    /// report exponential, Weibull and lognormal); after each session a peer leaves for good with
    /// probability `leave`.
    Churn {
        /// Who.
        peers: Selector,
        /// Length of a session online, ms, drawn every session.
        session: Dist,
        /// Time offline between sessions, ms, drawn every time.
        offtime: Dist,
        /// Probability of leaving for good after a session.
        #[serde(default)]
        leave: f64,
    },
    /// Peers that are not in the network at the start join at a drawn time and say `Hello` to
    /// `links` random online peers of the types named in `to`.
    Join {
        /// Who joins (absent until then).
        peers: Selector,
        /// When each joins, ms (`Dist`: one draw per peer).
        at: Param,
        /// Links each makes on joining.
        links: u32,
        /// Types it may link to.
        to: Vec<String>,
    },
    /// Every message sent between `from` and `until` is lost with this probability.
    Loss {
        /// Probability in [0, 1].
        probability: f64,
        /// Start, ms.
        from: f64,
        /// End, ms (never, if absent).
        #[serde(default)]
        until: Option<f64>,
    },
    /// The network splits into groups that cannot reach each other from `from`, healed at `until`.
    Partition {
        /// The groups.
        groups: Groups,
        /// Start, ms.
        from: f64,
        /// Heal, ms (never, if absent).
        #[serde(default)]
        until: Option<f64>,
    },
}
