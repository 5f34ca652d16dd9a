//! Experiments as RON files: the plain data (parsed with unknown fields rejected), then checked.

use std::path::Path;

use p2psim_disruption::FaultSpec;
use p2psim_net::{Delay, LatencyModel, TransmissionModel};
use p2psim_services::{Physical, ServiceSpec};
use serde::{Deserialize, Serialize};

use crate::error::Error;

fn default_seed() -> u64 {
    42
}

fn yes() -> bool {
    true
}

/// Where the peers can be, and the latency between places.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum LocationsSpec {
    /// The tutorial's AWS matrix: Ohio, Ireland, Tokyo (round-trip times, ms).
    #[default]
    Aws,
    /// Your own: names, and a latency per pair (either direction), ms.
    Custom {
        /// The names.
        names: Vec<String>,
        /// `(from, to, latency)`.
        latencies: Vec<(String, String, Delay)>,
    },
}

/// The network model's options.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NetworkSpec {
    /// Latency per message or per link; halve round-trip draws or not.
    pub latency: LatencyModel,
    /// Bandwidth unit and upload sharing.
    pub transmission: TransmissionModel,
    /// Probability that a message is lost, for the whole run.
    pub loss: f64,
    /// Record traffic per peer and second.
    pub monitors: bool,
    /// Count a gossip copy to a peer that already has it when it is sent, instead of as an arrival
    /// event, where its outcome is known then (no faults, no connection manager, a push service
    /// relaying first copies only, an idle receiver with unlimited download). The results are
    /// the same, the events fewer; `false` makes every copy an event, for comparison.
    pub account_known_copies: bool,
}

impl Default for NetworkSpec {
    fn default() -> Self {
        NetworkSpec {
            latency: LatencyModel::default(),
            transmission: TransmissionModel::default(),
            loss: 0.0,
            monitors: true,
            account_known_copies: true,
        }
    }
}

/// A peer type: its physical description and its services.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerTypeDef {
    /// The type's name.
    pub name: String,
    /// Location and bandwidths.
    pub physical: Physical,
    /// `(name, service)`, in order.
    pub services: Vec<(String, ServiceSpec)>,
}

/// `count` peers of a type; ids are given in the order of the groups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerGroup {
    /// The type.
    pub peer_type: String,
    /// How many.
    pub count: u32,
}

/// A random graph over some of the peers.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub enum Graph {
    /// No generated links.
    #[default]
    None,
    /// Every pair linked.
    Complete,
    /// Each pair linked with probability `p`.
    ErdosRenyi {
        /// The probability.
        p: f64,
    },
    /// Every peer has `degree` links.
    RandomRegular {
        /// The degree.
        degree: u32,
    },
    /// Preferential attachment, `m` links per new peer.
    BarabasiAlbert {
        /// Links per new peer.
        m: u32,
    },
    /// Ring of `k` nearest, rewired with probability `p`.
    WattsStrogatz {
        /// Ring degree (even).
        k: u32,
        /// Rewiring probability.
        p: f64,
    },
}

/// Links each peer of a type to `links` random peers of the types `to`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attach {
    /// Who gets the links.
    pub peer_type: String,
    /// How many each.
    pub links: u32,
    /// Among which types.
    pub to: Vec<String>,
}

/// The initial links.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TopologySpec {
    /// A generated graph…
    pub graph: Graph,
    /// …over the peers of these types (all types if empty).
    pub among: Vec<String>,
    /// Then links from the peers of a type to random others (clients to peers).
    pub attach: Vec<Attach>,
    /// Then explicit links.
    pub edges: Vec<(u32, u32)>,
    /// Links come up at time 0 (`false`), or by P2PSimpy's `Hello` exchange (`true`).
    pub hello: bool,
}

/// A service of a peer type.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceRef {
    /// The type.
    pub peer_type: String,
    /// The service's name within the type.
    pub service: String,
}

/// The most live-graph snapshots one run may take (each becomes a frame of `graph.gif`).
pub const MAX_SNAPSHOTS: u64 = 10_000;

/// What to analyse and record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AnalysisSpec {
    /// The service whose storage the tables are read from; default: the first gossip-like service.
    pub gossip: Option<ServiceRef>,
    /// Record the live graph every this many ms (for animations), at most [`MAX_SNAPSHOTS`]
    /// times in a run.
    pub snapshot_every_ms: Option<f64>,
    /// Draw the plots.
    #[serde(default = "yes")]
    pub plots: bool,
    /// Whether to write the tables with one row per (message, peer) (`delays.csv`, `copies.csv`)
    /// and per (second, peer) (`traffic.csv`), and their heatmaps.
    pub peer_tables: PeerTables,
}

impl Default for AnalysisSpec {
    fn default() -> Self {
        AnalysisSpec { gossip: None, snapshot_every_ms: None, plots: true, peer_tables: PeerTables::Auto }
    }
}

/// Whether a run writes its per-peer tables.
///
/// At a million peers and 100 messages they are 10^8 rows, several GB of CSV that take longer to
/// write than the run takes, while the summary, the per-message convergence and the per-second
/// traffic say what such a run has to say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PeerTables {
    /// When the run has at most [`PeerTables::AUTO_MAX_CELLS`] (message, peer) cells.
    #[default]
    Auto,
    /// Always, however large.
    Always,
    /// Never.
    Never,
}

impl PeerTables {
    /// The most (message, peer) cells for which [`PeerTables::Auto`] writes the tables: 10^7,
    /// about 450 MB of `delays.csv`.
    pub const AUTO_MAX_CELLS: u64 = 10_000_000;

    /// Whether a run with `peers` peers (of the analysed service) and `messages` messages writes them.
    pub fn wanted(self, peers: u64, messages: u64) -> bool {
        match self {
            PeerTables::Auto => peers.saturating_mul(messages) <= Self::AUTO_MAX_CELLS,
            PeerTables::Always => true,
            PeerTables::Never => false,
        }
    }
}

/// One experiment: everything a run needs, and nothing else.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Experiment {
    /// A name for reports.
    pub name: String,
    /// The master seed.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Run until this time, ms (events at exactly this time are not processed).
    pub until_ms: u64,
    /// Locations and latencies.
    #[serde(default)]
    pub locations: LocationsSpec,
    /// Network options.
    #[serde(default)]
    pub network: NetworkSpec,
    /// The peer types.
    pub peer_types: Vec<PeerTypeDef>,
    /// How many peers of each type.
    pub peers: Vec<PeerGroup>,
    /// The initial links.
    #[serde(default)]
    pub topology: TopologySpec,
    /// Faults.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// Analysis options.
    #[serde(default)]
    pub analysis: AnalysisSpec,
}

pub(crate) fn options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES)
}

/// Line and column (from 1) of the first occurrence of `needle` in `text`.
pub(crate) fn position_of(text: &str, needle: &str) -> Option<(usize, usize)> {
    let at = text.find(needle)?;
    let line = text[..at].matches('\n').count() + 1;
    let col = at - text[..at].rfind('\n').map_or(0, |i| i + 1) + 1;
    Some((line, col))
}

impl Experiment {
    /// Parses RON text; `file` names it in errors. The result is checked (see [`Experiment::check`]).
    pub fn from_ron(text: &str, file: &str) -> Result<Experiment, Error> {
        let exp: Experiment = options().from_str(text).map_err(|e| Error::Parse {
            file: file.to_owned(),
            line: e.span.start.line,
            col: e.span.start.col,
            message: e.code.to_string(),
        })?;
        exp.check().map_err(|e| e.locate(file, text))?;
        Ok(exp)
    }

    /// Reads and parses a file.
    pub fn load(path: &Path) -> Result<Experiment, Error> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Io { file: path.display().to_string(), message: e.to_string() })?;
        Experiment::from_ron(&text, &path.display().to_string())
    }

    /// The experiment as RON text that [`Experiment::from_ron`] reads back to the same value.
    pub fn to_ron(&self) -> String {
        let pretty = ron::ser::PrettyConfig::default().extensions(ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES);
        options().to_string_pretty(self, pretty).expect("plain data serialises") + "\n"
    }

    /// The checks serde cannot make: names that must exist, numbers in range.
    pub fn check(&self) -> Result<(), Error> {
        let invalid = |field: String, message: String, near: Option<String>| Error::Invalid {
            file: String::new(),
            field,
            message,
            near,
            position: None,
        };
        if self.until_ms == 0 {
            return Err(invalid("until_ms".into(), "must be > 0".into(), None));
        }
        let types: Vec<&str> = self.peer_types.iter().map(|t| t.name.as_str()).collect();
        if types.is_empty() {
            return Err(invalid("peer_types".into(), "at least one peer type is needed".into(), None));
        }
        for (i, t) in types.iter().enumerate() {
            if types[..i].contains(t) {
                return Err(invalid(
                    format!("peer_types[{i}].name"),
                    format!("type `{t}` is defined twice"),
                    Some(format!("\"{t}\"")),
                ));
            }
        }
        let known = |name: &str, field: String| -> Result<(), Error> {
            if types.contains(&name) {
                Ok(())
            } else {
                Err(invalid(
                    field,
                    format!("unknown peer type `{name}` (defined: {})", types.join(", ")),
                    Some(format!("\"{name}\"")),
                ))
            }
        };
        if self.peers.is_empty() {
            return Err(invalid("peers".into(), "at least one group of peers is needed".into(), None));
        }
        let mut total = 0u64;
        for (i, g) in self.peers.iter().enumerate() {
            known(&g.peer_type, format!("peers[{i}].peer_type"))?;
            total += u64::from(g.count);
        }
        if total >= u64::from(u32::MAX) {
            return Err(invalid("peers".into(), format!("{total} peers is more than p2psim can number"), None));
        }
        let places: Vec<&str> = match &self.locations {
            LocationsSpec::Aws => vec!["Ohio", "Ireland", "Tokyo"],
            LocationsSpec::Custom { names, .. } => names.iter().map(String::as_str).collect(),
        };
        for (i, t) in self.peer_types.iter().enumerate() {
            let named: Vec<&String> = match &t.physical.location {
                p2psim_services::LocationChoice::Fixed(n) => vec![n],
                p2psim_services::LocationChoice::Sample { values, .. }
                | p2psim_services::LocationChoice::Cycle(values) => values.iter().collect(),
            };
            for n in named {
                if !places.contains(&n.as_str()) {
                    return Err(invalid(
                        format!("peer_types[{i}].physical.location"),
                        format!("unknown location `{n}` (locations: {})", places.join(", ")),
                        Some(format!("\"{n}\"")),
                    ));
                }
            }
        }
        for (i, name) in self.topology.among.iter().enumerate() {
            known(name, format!("topology.among[{i}]"))?;
        }
        for (i, a) in self.topology.attach.iter().enumerate() {
            known(&a.peer_type, format!("topology.attach[{i}].peer_type"))?;
            for (j, to) in a.to.iter().enumerate() {
                known(to, format!("topology.attach[{i}].to[{j}]"))?;
            }
        }
        let unit = |x: f64| (0.0..=1.0).contains(&x);
        match self.topology.graph {
            Graph::ErdosRenyi { p } | Graph::WattsStrogatz { p, .. } if !unit(p) => {
                return Err(invalid(
                    "topology.graph.p".into(),
                    format!("a probability must be in [0, 1], got {p}"),
                    None,
                ));
            }
            _ => {}
        }
        if !unit(self.network.loss) {
            return Err(invalid(
                "network.loss".into(),
                format!("a probability must be in [0, 1], got {}", self.network.loss),
                None,
            ));
        }
        if let Some(every) = self.analysis.snapshot_every_ms {
            if !(every > 0.0 && every.is_finite()) {
                return Err(invalid(
                    "analysis.snapshot_every_ms".into(),
                    format!("must be a positive number of ms, got {every}"),
                    None,
                ));
            }
            // Snapshots at 0, every, 2 every, … up to until_ms. Each holds the live graph and
            // becomes a PNG frame: one every microsecond of a 6 s run would be six million frames.
            let intervals = self.until_ms as f64 / every;
            if intervals >= MAX_SNAPSHOTS as f64 {
                return Err(invalid(
                    "analysis.snapshot_every_ms".into(),
                    format!(
                        "{every} ms over until_ms {} would take {:.0} snapshots, each a frame of the graph \
                         animation; at most {MAX_SNAPSHOTS} are allowed, so take one every {} ms or more",
                        self.until_ms,
                        intervals.floor() + 1.0,
                        self.until_ms.div_ceil(MAX_SNAPSHOTS - 1)
                    ),
                    None,
                ));
            }
        }
        if let Some(g) = &self.analysis.gossip {
            known(&g.peer_type, "analysis.gossip.peer_type".into())?;
        }
        Ok(())
    }
}
