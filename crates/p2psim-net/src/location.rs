//! Locations and the latency between them.
//!
//! P2PSimpy's model, kept as the default: the latency of each message is a fresh draw from the
//! distribution of its (sender location, receiver location) pair, clamped at zero, and only half of
//! the draw is applied, because the tutorial's matrix (AWS pings) is a round-trip time. So two
//! messages on one link can overtake each other. [`LatencyMode::FixedPerLink`] draws one latency per
//! link instead. A missing `(a, b)` entry falls back to `(b, a)`.

use p2psim_kernel::{Dist, Seed, SimDuration, StreamKey};
use serde::{Deserialize, Serialize};

use crate::LocationId;

/// A latency entry in milliseconds: the same for every message, or drawn.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Delay {
    /// Always this many milliseconds.
    Const(f64),
    /// Drawn from this distribution (per message, or per link with [`LatencyMode::FixedPerLink`]).
    Dist(Dist),
}

impl Delay {
    /// The least value a draw can take, ms.
    fn lower_bound(&self) -> f64 {
        match self {
            Delay::Const(v) => *v,
            Delay::Dist(d) => d.lower_bound(),
        }
    }

    fn draw<R: rand::Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Delay::Const(v) => *v,
            Delay::Dist(d) => d.draw(rng),
        }
    }
}

/// When latencies are drawn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LatencyMode {
    /// A fresh draw for every message (P2PSimpy). Messages on one link may overtake each other.
    #[default]
    PerMessage,
    /// One draw per link (per unordered pair of peers), the same for every message and both directions.
    FixedPerLink,
}

/// How drawn latencies become delays.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LatencyModel {
    /// When to draw.
    #[serde(default)]
    pub mode: LatencyMode,
    /// Apply half of each draw, reading the matrix as round-trip times (P2PSimpy does; default true).
    #[serde(default = "yes")]
    pub halve: bool,
}

fn yes() -> bool {
    true
}

impl Default for LatencyModel {
    fn default() -> Self {
        LatencyModel { mode: LatencyMode::PerMessage, halve: true }
    }
}

/// Why a location table was refused.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum LocationError {
    /// A latency names a location that is not listed.
    #[error("latency from `{from}` to `{to}`: unknown location `{unknown}`")]
    UnknownLocation {
        /// Source of the entry.
        from: String,
        /// Destination of the entry.
        to: String,
        /// The name that is not a location.
        unknown: String,
    },
    /// Neither `(a, b)` nor `(b, a)` has a latency.
    #[error("no latency between `{0}` and `{1}` (give it in either direction)")]
    MissingPair(String, String),
    /// The same name twice.
    #[error("location `{0}` is listed twice")]
    Duplicate(String),
    /// No location at all.
    #[error("at least one location is needed")]
    Empty,
    /// More than 65,535 locations.
    #[error("too many locations ({0}); at most 65535")]
    TooMany(usize),
}

/// The locations of a network and the latency between each pair.
#[derive(Clone, Debug)]
pub struct Locations {
    names: Vec<String>,
    /// `n × n`, resolved: `entry[a][b]` is the index into `delays` of (a, b) or else (b, a).
    entry: Vec<usize>,
    delays: Vec<Delay>,
}

impl Locations {
    /// Builds the table from names and `(from, to, delay)` entries; each unordered pair needs one
    /// entry (in either direction), each location one with itself. If both directions are given,
    /// each direction uses its own.
    pub fn new(names: Vec<String>, latencies: Vec<(String, String, Delay)>) -> Result<Locations, LocationError> {
        if names.is_empty() {
            return Err(LocationError::Empty);
        }
        if names.len() > usize::from(u16::MAX) {
            return Err(LocationError::TooMany(names.len()));
        }
        for (i, n) in names.iter().enumerate() {
            if names[..i].contains(n) {
                return Err(LocationError::Duplicate(n.clone()));
            }
        }
        let n = names.len();
        let index = |s: &str| names.iter().position(|x| x == s);
        let mut given: Vec<Option<usize>> = vec![None; n * n];
        let mut delays = Vec::new();
        for (from, to, delay) in latencies {
            let (Some(a), Some(b)) = (index(&from), index(&to)) else {
                let unknown = if index(&from).is_none() { from.clone() } else { to.clone() };
                return Err(LocationError::UnknownLocation { from, to, unknown });
            };
            given[a * n + b] = Some(delays.len());
            delays.push(delay);
        }
        let mut entry = vec![0; n * n];
        for a in 0..n {
            for b in 0..n {
                entry[a * n + b] = given[a * n + b]
                    .or(given[b * n + a])
                    .ok_or_else(|| LocationError::MissingPair(names[a].clone(), names[b].clone()))?;
            }
        }
        Ok(Locations { names, entry, delays })
    }

    /// The tutorial's AWS matrix (notebooks 02 and 03): Ohio, Ireland, Tokyo, round-trip times in ms.
    pub fn aws() -> Locations {
        let d = |name: &str, p: &[f64]| Delay::Dist(Dist::scipy(name, p).expect("valid AWS parameters"));
        let s = |x: &str| x.to_owned();
        Locations::new(
            vec![s("Ohio"), s("Ireland"), s("Tokyo")],
            vec![
                (s("Ohio"), s("Ohio"), d("invgamma", &[5.5409, 0.3333, 0.9872])),
                (s("Ohio"), s("Ireland"), d("norm", &[73.70, 1.196])),
                (s("Ohio"), s("Tokyo"), d("norm", &[156.01, 0.0947])),
                (s("Ireland"), s("Ireland"), d("invgamma", &[6.436, 0.8313, 1.0862])),
                (s("Ireland"), s("Tokyo"), d("norm", &[131.03, 0.2583])),
                (s("Tokyo"), s("Tokyo"), d("invgamma", &[11.1045, 0.3372, 2.0259])),
            ],
        )
        .expect("the AWS matrix is complete")
    }

    /// Number of locations.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// True if there are no locations (never, once built).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The location's name.
    pub fn name(&self, l: LocationId) -> &str {
        &self.names[l.index()]
    }

    /// All names, in id order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The id of a named location.
    pub fn id(&self, name: &str) -> Option<LocationId> {
        self.names.iter().position(|x| x == name).map(|i| LocationId(i as u16))
    }

    /// The delay entry that applies from `a` to `b` (after the symmetric fallback).
    pub fn delay(&self, a: LocationId, b: LocationId) -> &Delay {
        &self.delays[self.entry[a.index() * self.names.len() + b.index()]]
    }
}

/// Why a run cannot be split between logical processes: the latency between two locations that
/// hold peers can be zero (or is unbounded below and clamped at zero), so no time passes in which
/// two processes could run apart.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error(
    "the latency from {from} to {to} can be as small as {bound_ms} ms, so one run cannot be split into \
     logical processes (they need a least latency above zero); it runs as one"
)]
pub struct NoLookahead {
    /// The sender's location.
    pub from: String,
    /// The receiver's location.
    pub to: String,
    /// The least latency a message between them can have, ms (after clamping and halving).
    pub bound_ms: f64,
}

impl Locations {
    /// The least latency any message can have between peers at the given locations (`peers[l]`
    /// peers at location `l`): the lookahead of a split run. Pairs no two peers occupy do not
    /// count. Transmission and upload queues only add to it.
    pub fn lookahead(&self, model: LatencyModel, peers: &[u32]) -> Result<SimDuration, NoLookahead> {
        let n = self.names.len();
        let mut least: Option<(usize, usize, f64)> = None;
        for a in 0..n {
            for b in 0..n {
                let used = if a == b { peers[a] >= 2 } else { peers[a] >= 1 && peers[b] >= 1 };
                if !used {
                    continue;
                }
                let mut ms = self.delays[self.entry[a * n + b]].lower_bound().max(0.0);
                if model.halve {
                    ms *= 0.5;
                }
                if least.is_none_or(|(_, _, m)| ms < m) {
                    least = Some((a, b, ms));
                }
            }
        }
        let Some((a, b, ms)) = least else { return Ok(SimDuration::MAX) };
        // Floor, so that no draw at the bound rounds below it.
        let bound = SimDuration::from_nanos((ms * 1e6).floor() as u64);
        if bound == SimDuration::ZERO {
            return Err(NoLookahead { from: self.names[a].clone(), to: self.names[b].clone(), bound_ms: ms });
        }
        Ok(bound)
    }
}

/// The latency part of a running network: the table and how it is applied. Per-message draws
/// come from the sender's own stream (the network's, per peer), never from one shared by the
/// senders, so what a peer draws does not depend on what the others sent before.
#[derive(Debug)]
pub(crate) struct LatencySampler {
    locations: Locations,
    model: LatencyModel,
    seed: Seed,
}

impl LatencySampler {
    pub(crate) fn new(locations: Locations, model: LatencyModel, seed: Seed) -> Self {
        LatencySampler { locations, model, seed }
    }

    pub(crate) fn locations(&self) -> &Locations {
        &self.locations
    }

    fn to_delay(&self, ms: f64) -> SimDuration {
        // max(draw, 0), then half of it for a round-trip matrix.
        let ms = if self.model.halve { ms.max(0.0) * 0.5 } else { ms };
        SimDuration::from_millis_f64(ms)
    }

    /// A fresh per-message draw from `a` to `b`, from the sender's stream `rng`.
    #[inline]
    pub(crate) fn per_message<R: rand::Rng + ?Sized>(&self, a: LocationId, b: LocationId, rng: &mut R) -> SimDuration {
        let ms = self.locations.delay(a, b).draw(rng);
        self.to_delay(ms)
    }

    /// The fixed latency of the link between peers `p` and `q` (symmetric, the same every time the
    /// link is made), drawn from a stream of its own.
    pub(crate) fn per_link(&self, p: u32, q: u32, a: LocationId, b: LocationId) -> SimDuration {
        let (lo, hi) = if p <= q { (p, q) } else { (q, p) };
        let mut rng = self.seed.stream(StreamKey::new("link-latency").with(lo.into()).with(hi.into()));
        let ms = self.locations.delay(a, b).draw(&mut rng);
        self.to_delay(ms)
    }
}
