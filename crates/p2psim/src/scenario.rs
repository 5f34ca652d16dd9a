//! The build phase's first half: an experiment checked in one place, into a [`Scenario`] that
//! builds a run without a way to fail on its input.
//!
//! Every check of every layer runs here (the layers say what is wrong and in which field; this
//! module adds where the field sits in the experiment), so that an experiment that passes is one
//! that builds: numbers in range, names that exist, graphs that can be drawn, periods that move
//! the clock.

use std::path::Path;

use p2psim_disruption::FaultCheckCx;
use p2psim_kernel::{ConfigError, check_probability};
use p2psim_net::Locations;
use p2psim_services::{CheckedTypes, PeerTypeSpec, Protocols, check_type_name};

use crate::error::Error;
use crate::experiment::{Experiment, Graph, LocationsSpec, MAX_SNAPSHOTS, PeerRef, read_text};
use crate::ron::Source;

/// An experiment that passed every check, with what the checks resolved: the location table, the
/// checked peer types, and how many peers each type has. Checking allocates nothing per peer.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub(crate) experiment: Experiment,
    pub(crate) locations: Locations,
    pub(crate) types: CheckedTypes,
    /// Peers of each type, by index into the types.
    pub(crate) counts: Vec<u64>,
    /// The explicit edges, by peer number.
    pub(crate) edges: Vec<(u32, u32)>,
}

impl Scenario {
    /// Checks `exp`; errors name the field (see [`Scenario::from_ron`] for errors that also name
    /// the file, line and column).
    pub fn new(exp: &Experiment) -> Result<Scenario, Error> {
        Scenario::validate(exp).map_err(|e| Error::field(&e))
    }

    /// Reads RON text, whose services may name `protocols`, and checks it: every error names
    /// `file`, the line and column, and the field.
    pub fn from_ron(text: &str, file: &str, protocols: &Protocols) -> Result<Scenario, Error> {
        let source = Source::parse(text).map_err(|e| Error::at(file, e.pos, "", e.message))?;
        let exp = Experiment::read(&source, file, protocols)?;
        Scenario::validate(&exp).map_err(|e| Error::located(file, &source, &e))
    }

    /// Reads and checks an experiment file (see [`Scenario::from_ron`]).
    pub fn load(path: &Path, protocols: &Protocols) -> Result<Scenario, Error> {
        let text = read_text(path)?;
        Scenario::from_ron(&text, &path.display().to_string(), protocols)
    }

    /// The experiment.
    pub fn experiment(&self) -> &Experiment {
        &self.experiment
    }

    /// The same scenario with another master seed (the seed takes no checks).
    pub fn with_seed(&self, seed: u64) -> Scenario {
        let mut s = self.clone();
        s.experiment.seed = seed;
        s
    }

    /// The same run reporting numbers only: no plots, no snapshots of the live graph (what takes
    /// no check away).
    pub fn numbers_only(mut self) -> Scenario {
        self.experiment.analysis.plots = false;
        self.experiment.analysis.snapshot_every_ms = None;
        self
    }

    /// Number of peers.
    pub fn peer_count(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The type of each peer, by index into the types (peers are numbered group by group).
    pub(crate) fn kinds(&self) -> Vec<u16> {
        let names: Vec<&str> = self.experiment.peer_types.iter().map(|t| t.name.as_str()).collect();
        let mut kinds = Vec::with_capacity(self.peer_count() as usize);
        for g in &self.experiment.peers {
            let t = names.iter().position(|n| *n == g.peer_type).expect("checked") as u16;
            kinds.extend(std::iter::repeat_n(t, g.count as usize));
        }
        kinds
    }

    pub(crate) fn validate(exp: &Experiment) -> Result<Scenario, ConfigError> {
        check_name(&exp.name).map_err(|e| e.at("name"))?;
        if exp.until_ms == 0 {
            return Err(ConfigError::field("until_ms", "must be more than 0"));
        }
        let locations = match &exp.locations {
            LocationsSpec::Aws => Locations::aws(),
            LocationsSpec::Custom { names, latencies } => Locations::new(names.clone(), latencies.clone())
                .map_err(|e| ConfigError::field("locations", e.to_string()))?,
        };
        let types = CheckedTypes::new(
            exp.peer_types
                .iter()
                .map(|t| PeerTypeSpec {
                    name: t.name.clone(),
                    physical: t.physical.clone(),
                    services: t.services.clone(),
                })
                .collect(),
            &locations,
        )
        .map_err(|e| e.at("peer_types"))?;
        let names: Vec<String> = exp.peer_types.iter().map(|t| t.name.clone()).collect();
        if exp.peers.is_empty() {
            return Err(ConfigError::field("peers", "at least one group of peers is needed"));
        }
        let mut total = 0u64;
        for (i, g) in exp.peers.iter().enumerate() {
            check_type_name(&names, &g.peer_type).map_err(|e| e.at("peer_type").at_index(i).at("peers"))?;
            total += u64::from(g.count);
        }
        if total >= u64::from(u32::MAX) {
            return Err(ConfigError::field("peers", format!("{total} peers is more than p2psim can number")));
        }
        let mut counts = vec![0u64; names.len()];
        for g in &exp.peers {
            counts[names.iter().position(|n| *n == g.peer_type).expect("checked")] += u64::from(g.count);
        }
        check_probability("loss", exp.network.loss).map_err(|e| e.at("network"))?;
        for (i, (a, b, p)) in exp.network.loss_between.iter().enumerate() {
            let at = |e: ConfigError| e.at_index(i).at("loss_between").at("network");
            for (j, name) in [a, b].into_iter().enumerate() {
                if locations.id(name).is_none() {
                    return Err(at(ConfigError::here(format!(
                        "unknown location `{name}` (locations: {})",
                        locations.names().join(", ")
                    ))
                    .at_index(j)));
                }
            }
            if !(0.0..=1.0).contains(p) {
                return Err(at(ConfigError::here(format!("a probability must be in [0, 1], got {p}")).at_index(2)));
            }
        }
        let edges = check_topology(exp, &names, &counts).map_err(|e| e.at("topology"))?;
        let cx = FaultCheckCx { peers: total as u32, type_names: &names, locations: &locations };
        for (i, f) in exp.faults.iter().enumerate() {
            f.check(&cx).map_err(|e| e.at_index(i).at("faults"))?;
        }
        for (i, w) in exp.workload.iter().enumerate() {
            w.check(&cx).map_err(|e| e.at_index(i).at("workload"))?;
        }
        check_analysis(exp, &names).map_err(|e| e.at("analysis"))?;
        Ok(Scenario { experiment: exp.clone(), locations, types, counts, edges })
    }
}

/// A name names: not empty, no path separators, not `.` or `..`, no control characters.
fn check_name(name: &str) -> Result<(), ConfigError> {
    let bad = if name.is_empty() {
        Some("is empty")
    } else if name == "." || name == ".." {
        Some("is `.` or `..`")
    } else if name.contains(['/', '\\']) {
        Some("holds a path separator")
    } else if name.chars().any(char::is_control) {
        Some("holds a control character")
    } else {
        None
    };
    match bad {
        Some(why) => Err(ConfigError::here(format!(
            "{why}: a name names the experiment in reports (letters, digits, `-`, `_`, `.`, spaces); it is not a path"
        ))),
        None => Ok(()),
    }
}

/// Checks the topology so that generating it cannot fail; returns the explicit edges by peer
/// number.
fn check_topology(exp: &Experiment, names: &[String], counts: &[u64]) -> Result<Vec<(u32, u32)>, ConfigError> {
    let t = &exp.topology;
    let known = |name: &str| check_type_name(names, name);
    let mut among_types = Vec::new();
    for (i, name) in t.among.iter().enumerate() {
        among_types.push(known(name).map_err(|e| e.at_index(i).at("among"))?);
    }
    let count_of = |types: &[u16]| -> u64 {
        counts
            .iter()
            .enumerate()
            .filter(|(t, _)| types.is_empty() || types.contains(&(*t as u16)))
            .map(|(_, c)| c)
            .sum()
    };
    let m = count_of(&among_types);
    let graph = |e: ConfigError| e.at("graph");
    match t.graph {
        Graph::None | Graph::Complete => {}
        Graph::ErdosRenyi { p } => check_probability("p", p).map_err(graph)?,
        Graph::RandomRegular { degree } => {
            if u64::from(degree) >= m.max(1) || (m * u64::from(degree)) % 2 == 1 {
                return Err(graph(ConfigError::field(
                    "degree",
                    format!(
                        "a {degree}-regular graph over {m} peers does not exist: it needs degree < peers and peers × degree even"
                    ),
                )));
            }
        }
        Graph::BarabasiAlbert { m: links } => {
            if links < 1 || u64::from(links) >= m {
                return Err(graph(ConfigError::field("m", format!("needs 1 <= m < peers ({m}), got {links}"))));
            }
        }
        Graph::WattsStrogatz { k, p } => {
            if k % 2 == 1 || u64::from(k) >= m {
                return Err(graph(ConfigError::field("k", format!("needs an even k below the peers ({m}), got {k}"))));
            }
            check_probability("p", p).map_err(graph)?;
        }
    }
    if matches!(t.graph, Graph::Complete) && m > 100_000 {
        return Err(graph(ConfigError::here(format!(
            "a complete graph over {m} peers has {} links; at most 100000 peers",
            m * (m - 1) / 2
        ))));
    }
    for (i, a) in t.attach.iter().enumerate() {
        let at = |e: ConfigError| e.at_index(i).at("attach");
        known(&a.peer_type).map_err(|e| at(e.at("peer_type")))?;
        let mut to = Vec::new();
        for (j, name) in a.to.iter().enumerate() {
            to.push(known(name).map_err(|e| at(e.at_index(j).at("to")))?);
        }
        let available = count_of(&to);
        if u64::from(a.links) > available {
            return Err(at(ConfigError::field(
                "links",
                format!("{} links each, but the types in `to` have {available} peers", a.links),
            )));
        }
    }
    let n: u64 = counts.iter().sum();
    // The first peer of each type in each group, to number peers named by type and index.
    let resolve = |r: &PeerRef| -> Result<u32, String> {
        match r {
            PeerRef::Id(id) if u64::from(*id) < n => Ok(*id),
            PeerRef::Id(id) => Err(format!(
                "names peer {id}, which does not exist: the experiment has {n} peers (0 to {})",
                n.saturating_sub(1)
            )),
            PeerRef::Typed(name, index) => {
                let t = known(name).map_err(|e| format!("names {}", e.message()))?;
                let mut first = 0u64;
                let mut left = u64::from(*index);
                for g in &exp.peers {
                    let c = u64::from(g.count);
                    if known(&g.peer_type).ok() == Some(t) {
                        if left < c {
                            return Ok((first + left) as u32);
                        }
                        left -= c;
                    }
                    first += c;
                }
                Err(format!("names peer {index} of type `{name}`, which has {} peers", counts[usize::from(t)]))
            }
        }
    };
    let mut edges = Vec::with_capacity(t.edges.len());
    for (i, (a, b)) in t.edges.iter().enumerate() {
        let at = |e: ConfigError| e.at_index(i).at("edges");
        let pair = (resolve(a), resolve(b));
        let (a, b) = match pair {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) => return Err(at(ConfigError::here(e).at_index(0))),
            (_, Err(e)) => return Err(at(ConfigError::here(e).at_index(1))),
        };
        if a == b {
            return Err(at(ConfigError::here(format!("links peer {a} to itself"))));
        }
        edges.push((a, b));
    }
    Ok(edges)
}

fn check_analysis(exp: &Experiment, names: &[String]) -> Result<(), ConfigError> {
    if let Some(every) = exp.analysis.snapshot_every_ms {
        if !(every > 0.0 && every.is_finite()) {
            return Err(ConfigError::field(
                "snapshot_every_ms",
                format!("must be a positive number of ms, got {every}"),
            ));
        }
        // Snapshots at 0, every, 2 every, … up to until_ms. Each holds the live graph and
        // becomes a PNG frame: one every microsecond of a 6 s run would be six million frames.
        let intervals = exp.until_ms as f64 / every;
        if intervals >= MAX_SNAPSHOTS as f64 {
            return Err(ConfigError::field(
                "snapshot_every_ms",
                format!(
                    "{every} ms over until_ms {} would take {:.0} snapshots, each a frame of the graph \
                     animation; at most {MAX_SNAPSHOTS} are allowed, so take one every {} ms or more",
                    exp.until_ms,
                    intervals.floor() + 1.0,
                    exp.until_ms.div_ceil(MAX_SNAPSHOTS - 1)
                ),
            ));
        }
    }
    if let Some(g) = &exp.analysis.gossip {
        let t = &exp.peer_types
            [usize::from(check_type_name(names, &g.peer_type).map_err(|e| e.at("peer_type").at("gossip"))?)];
        if !t.services.iter().any(|(n, _)| *n == g.service) {
            let services: Vec<&str> = t.services.iter().map(|(n, _)| n.as_str()).collect();
            return Err(ConfigError::field(
                "service",
                format!(
                    "type `{}` has no service named `{}` (it has: {})",
                    g.peer_type,
                    g.service,
                    services.join(", ")
                ),
            )
            .at("gossip"));
        }
    }
    Ok(())
}
