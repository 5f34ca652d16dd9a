//! Fault descriptions, as experiment files write them, and their checks.
//!
//! Every number that applies to one peer is a [`Param`]: a constant, a value drawn once per peer
//! (`Dist`), or a fresh draw at every use (`DistAttr`), as P2PSimpy allows. Network-wide windows
//! (loss, partitions) are plain numbers of ms.

use p2psim_kernel::{ConfigError, Dist, Param, check_duration_ms, check_probability};
use p2psim_net::Locations;
use p2psim_services::check_type_name;
use serde::{Deserialize, Serialize};

/// Which peers a fault hits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
#[serde(deny_unknown_fields)]
#[allow(clippy::large_enum_variant, reason = "configuration read once per run; boxing would only add noise to files")]
pub enum Timing {
    /// P2PSimpy's `ScheduledDisruption`: durations in ms, each relative to the previous change.
    /// `[100, 200, 100, 300]`: disrupted at 100, restored at 300, disrupted at 400, restored at 700.
    Scheduled(Vec<f64>),
    /// P2PSimpy's `RandomDisruption`: wait `start`, then alternate `up` (time between disruptions)
    /// and `down` (length of a disruption). The absolute value of every draw is used.
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
        interval: Param,
        /// Mean time from one failure's start to the next, ms.
        mtbf: Param,
        /// Fraction of time up.
        availability: Param,
        /// Use P2PSimpy's formulas.
        #[serde(default)]
        p2psimpy_formula: bool,
    },
    /// Once per selected peer: at `at` for `duration` (with constants, every peer at the same
    /// time: a correlated failure).
    Once {
        /// Start, ms.
        at: Param,
        /// Length, ms.
        duration: Param,
    },
}

/// How a partition splits the peers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Groups {
    /// One group per location.
    ByLocation,
    /// Explicit groups; peers not listed form one more group.
    Lists(Vec<Vec<u32>>),
}

/// One fault of an experiment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// restored exactly afterwards. Slowdowns stack: two at once multiply.
    Slowdown {
        /// Who.
        peers: Selector,
        /// When.
        timing: Timing,
        /// Factor in [0, 1] applied to both bandwidths.
        factor: Param,
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
        #[serde(default = "never")]
        leave: Param,
    },
    /// Peers that are not in the network at the start join at a drawn time and say `Hello` to
    /// `links` random online peers of the types named in `to`.
    Join {
        /// Who joins (absent until then).
        peers: Selector,
        /// When each joins, ms (`Dist`: one draw per peer).
        at: Param,
        /// Links each makes on joining.
        links: Param,
        /// Types it may link to.
        to: Vec<String>,
    },
    /// Every message sent between `from` and `until` is lost with this probability. Losses
    /// stack: with two windows at once a message survives both independently.
    Loss {
        /// Probability in [0, 1].
        probability: f64,
        /// Start, ms.
        from: f64,
        /// End, ms (never, if absent).
        #[serde(default)]
        until: Option<f64>,
    },
    /// The network splits into groups that cannot reach each other from `from`, healed at
    /// `until`. Partitions stack: healing one leaves the others in force.
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

fn never() -> Param {
    Param::Const(0.0)
}

/// What the checks of the faults need to know of the experiment.
#[derive(Clone, Copy, Debug)]
pub struct FaultCheckCx<'a> {
    /// Number of peers.
    pub peers: u32,
    /// The peer types.
    pub type_names: &'a [String],
    /// The locations.
    pub locations: &'a Locations,
}

impl Selector {
    pub(crate) fn check(&self, cx: &FaultCheckCx<'_>) -> Result<(), ConfigError> {
        match self {
            Selector::All => Ok(()),
            Selector::Type(name) => check_type_name(cx.type_names, name).map(|_| ()).map_err(|e| e.at("Type")),
            Selector::Peers(ids) => check_ids(ids, cx.peers).map_err(|e| e.at("Peers")),
            Selector::Location(name) if cx.locations.id(name).is_none() => Err(ConfigError::field(
                "Location",
                format!("unknown location `{name}` (locations: {})", cx.locations.names().join(", ")),
            )),
            _ => Ok(()),
        }
    }
}

fn check_ids(ids: &[u32], peers: u32) -> Result<(), ConfigError> {
    match ids.iter().position(|&p| p >= peers) {
        Some(i) => Err(ConfigError::here(format!(
            "peer {} does not exist: the experiment has {peers} peers (0 to {})",
            ids[i],
            peers.saturating_sub(1)
        ))
        .at_index(i)),
        None => Ok(()),
    }
}

impl Timing {
    fn check(&self) -> Result<(), ConfigError> {
        self.check_fields().map_err(|e| e.at("timing"))
    }

    fn check_fields(&self) -> Result<(), ConfigError> {
        let finite = |x: f64| x.is_finite();
        match self {
            Timing::Scheduled(d) => match d.iter().position(|x| !x.is_finite()) {
                Some(i) => Err(ConfigError::here("durations must be finite numbers of ms").at_index(i).at("Scheduled")),
                None => Ok(()),
            },
            Timing::Random { start, up, down } => {
                start.check("start", "a finite number of ms", finite)?;
                up.check_period("up")?;
                down.check_period("down")
            }
            Timing::Availability { interval, mtbf, availability, .. } => {
                interval.check_period("interval")?;
                mtbf.check("mtbf", "a number of ms, at least the interval", |x| x > 0.0 && x.is_finite())?;
                if let (Param::Const(i), Param::Const(m)) = (interval, mtbf)
                    && m < i
                {
                    return Err(ConfigError::field("mtbf", format!("must be at least the interval ({i} ms), got {m}")));
                }
                availability.check("availability", "in (0, 1)", |a| a > 0.0 && a < 1.0)
            }
            Timing::Once { at, duration } => {
                at.check("at", "a finite number of ms", finite)?;
                duration.check("duration", "a finite number of ms, at least 0", |x| x >= 0.0 && x.is_finite())
            }
        }
    }
}

impl FaultSpec {
    /// The checks of one fault; errors name the field inside it.
    pub fn check(&self, cx: &FaultCheckCx<'_>) -> Result<(), ConfigError> {
        let peers = |s: &Selector| s.check(cx).map_err(|e| e.at("peers"));
        match self {
            FaultSpec::Downtime { peers: s, timing } => {
                peers(s)?;
                timing.check()
            }
            FaultSpec::Slowdown { peers: s, timing, factor } => {
                peers(s)?;
                timing.check()?;
                factor.check("factor", "in [0, 1]", |f| (0.0..=1.0).contains(&f))
            }
            FaultSpec::Churn { peers: s, session, offtime, leave } => {
                peers(s)?;
                for (field, d) in [("session", session), ("offtime", offtime)] {
                    Param::DistAttr(d.clone()).check_period(field)?;
                }
                leave.check("leave", "a probability, in [0, 1]", |p| (0.0..=1.0).contains(&p))
            }
            FaultSpec::Join { peers: s, at, links, to } => {
                peers(s)?;
                at.check("at", "a finite number of ms", f64::is_finite)?;
                links.check("links", "a whole number, at least 0", |x| x.round() >= 0.0 && x.is_finite())?;
                for (i, name) in to.iter().enumerate() {
                    check_type_name(cx.type_names, name).map_err(|e| e.at_index(i).at("to"))?;
                }
                Ok(())
            }
            FaultSpec::Loss { probability, from, until } => {
                check_probability("probability", *probability)?;
                check_window(*from, *until)
            }
            FaultSpec::Partition { groups, from, until } => {
                if let Groups::Lists(lists) = groups {
                    for (i, list) in lists.iter().enumerate() {
                        check_ids(list, cx.peers).map_err(|e| e.at_index(i).at("Lists").at("groups"))?;
                    }
                    if lists.len() >= usize::from(u16::MAX) {
                        return Err(ConfigError::field("groups", "at most 65534 groups"));
                    }
                }
                check_window(*from, *until)
            }
        }
    }

    /// True if the fault can change a peer, its links or the partitions during the run.
    pub fn changes_peers(&self) -> bool {
        !matches!(self, FaultSpec::Loss { .. })
    }
}

fn check_window(from: f64, until: Option<f64>) -> Result<(), ConfigError> {
    check_duration_ms("from", from)?;
    if let Some(u) = until {
        check_duration_ms("until", u)?;
        if u < from {
            return Err(ConfigError::field("until", format!("ends ({u} ms) before it starts ({from} ms)")));
        }
    }
    Ok(())
}
