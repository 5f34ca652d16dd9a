//! Experiments as files: the plain data of an experiment (read from RON with every unknown field
//! refused), and writing it back.
//!
//! What it is not: the checks an experiment must pass before it runs ([`Scenario`](crate::Scenario)).

use std::path::Path;

use p2psim_disruption::{FaultSpec, Inject};
use p2psim_net::{Delay, LatencyModel, TransmissionModel};
use p2psim_services::{Physical, Protocols, ServiceSpec};
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::ron::{Services, Source};

fn default_seed() -> u64 {
    42
}

fn yes() -> bool {
    true
}

/// Where the peers can be, and the latency between places.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
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
    /// Loss between two locations, either way, on top of `loss` (a message survives both apart):
    /// `[("Ohio", "Tokyo", 0.05)]`.
    pub loss_between: Vec<(String, String, f64)>,
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
            loss_between: Vec::new(),
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
#[serde(deny_unknown_fields)]
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
    /// Then explicit links, between peers named by number (`(0, 5)`) or by type and index
    /// within the type (`(("client", 0), ("peer", 3))`, which stays right when another group's
    /// size changes).
    pub edges: Vec<(PeerRef, PeerRef)>,
    /// Links come up at time 0 (`false`), or by P2PSimpy's `Hello` exchange (`true`).
    pub hello: bool,
}

/// A peer in an experiment file: its number (peers are numbered group by group, in the order of
/// `peers`), or its type and its index among that type's peers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PeerRef {
    /// `5`: peer number 5.
    Id(u32),
    /// `("client", 0)`: the first peer of type `client`.
    Typed(String, u32),
}

impl From<u32> for PeerRef {
    fn from(id: u32) -> PeerRef {
        PeerRef::Id(id)
    }
}

impl std::fmt::Display for PeerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PeerRef::Id(id) => write!(f, "{id}"),
            PeerRef::Typed(t, i) => write!(f, "(\"{t}\", {i})"),
        }
    }
}

impl Serialize for PeerRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PeerRef::Id(id) => s.serialize_u32(*id),
            PeerRef::Typed(t, i) => (t, i).serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for PeerRef {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<PeerRef, D::Error> {
        use serde::de::{Error, SeqAccess, Visitor};
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = PeerRef;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a peer number, or a peer type and an index: (\"client\", 0)")
            }
            fn visit_u64<E: Error>(self, v: u64) -> Result<PeerRef, E> {
                u32::try_from(v).map(PeerRef::Id).map_err(|_| E::custom(format!("peer {v} is beyond 2^32")))
            }
            fn visit_i64<E: Error>(self, v: i64) -> Result<PeerRef, E> {
                u64::try_from(v).map_err(|_| E::custom(format!("peer {v} is negative"))).and_then(|v| self.visit_u64(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut a: A) -> Result<PeerRef, A::Error> {
                let t: String = a.next_element()?.ok_or_else(|| A::Error::invalid_length(0, &self))?;
                let i: u32 = a.next_element()?.ok_or_else(|| A::Error::invalid_length(1, &self))?;
                if a.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    return Err(A::Error::invalid_length(3, &self));
                }
                Ok(PeerRef::Typed(t, i))
            }
        }
        d.deserialize_any(V)
    }
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
    /// The service whose storage the tables are read from; default: the first service that
    /// spreads messages.
    pub gossip: Option<ServiceRef>,
    /// Record the live graph every this many ms (for animations), at most [`MAX_SNAPSHOTS`]
    /// times in a run.
    pub snapshot_every_ms: Option<f64>,
    /// Draw the plots.
    #[serde(default = "yes")]
    pub plots: bool,
    /// Draw `graph.gif` and its frames from the snapshots (one image per snapshot: seconds of
    /// work and most of a folder's size, so only on request; `--animation` on the command line).
    pub animation: bool,
    /// Whether to write the tables with one row per (message, peer) (`delays.csv`, `copies.csv`)
    /// and per (second, peer) (`traffic.csv`), and their heatmaps.
    pub peer_tables: PeerTables,
}

impl Default for AnalysisSpec {
    fn default() -> Self {
        AnalysisSpec {
            gossip: None,
            snapshot_every_ms: None,
            plots: true,
            animation: false,
            peer_tables: PeerTables::Auto,
        }
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
    /// A name for reports (letters, digits, `-`, `_`, `.`; it names no file).
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
    /// Messages injected at peers at given times, without a producer.
    #[serde(default)]
    pub workload: Vec<Inject>,
    /// Analysis options.
    #[serde(default)]
    pub analysis: AnalysisSpec,
}

fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES)
}

/// Text as RON that p2psim reads back to the same value.
pub(crate) fn to_ron<T: Serialize>(value: &T) -> String {
    let pretty = ron::ser::PrettyConfig::default().extensions(ron::extensions::Extensions::UNWRAP_VARIANT_NEWTYPES);
    ron_options().to_string_pretty(value, pretty).expect("plain data serialises") + "\n"
}

/// Reads a whole file as UTF-8 text; an error names the file (and, for bad UTF-8, where).
pub fn read_text(path: &Path) -> Result<String, Error> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::Input {
        file: file.clone(),
        position: None,
        field: String::new(),
        message: match e.kind() {
            std::io::ErrorKind::IsADirectory => "is a folder, not a file".into(),
            std::io::ErrorKind::NotFound => "no such file".into(),
            _ => e.to_string(),
        },
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let text = String::from_utf8_lossy(good);
        let line = text.matches('\n').count() + 1;
        let col = text.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Error::Input { file, position: Some((line, col)), field: String::new(), message: "not UTF-8 text".into() }
    })
}

impl Services for Experiment {
    fn services_mut(&mut self) -> Vec<&mut ServiceSpec> {
        self.peer_types.iter_mut().flat_map(|t| t.services.iter_mut().map(|(_, s)| s)).collect()
    }
}

impl Experiment {
    /// Reads RON text, whose services may name `protocols`; `file` names it in errors, each of
    /// which names the file, the line and column, and the field. What serde cannot check (names
    /// that must exist, numbers in range) is checked by [`Scenario::new`](crate::Scenario::new),
    /// or [`Scenario::from_ron`](crate::Scenario::from_ron) for both at once.
    pub fn from_ron(text: &str, file: &str, protocols: &Protocols) -> Result<Experiment, Error> {
        let source = Source::parse(text).map_err(|e| Error::at(file, e.pos, "", e.message))?;
        Experiment::read(&source, file, protocols)
    }

    /// Reads an experiment file (see [`Experiment::from_ron`]).
    pub fn load(path: &Path, protocols: &Protocols) -> Result<Experiment, Error> {
        let text = read_text(path)?;
        Experiment::from_ron(&text, &path.display().to_string(), protocols)
    }

    pub(crate) fn read(source: &Source, file: &str, protocols: &Protocols) -> Result<Experiment, Error> {
        source.read(protocols).map_err(|e| Error::at(file, e.pos, &source.path_at(e.pos), e.message))
    }

    /// The experiment as RON text that [`Experiment::from_ron`] reads back to the same value.
    pub fn to_ron(&self) -> String {
        to_ron(self)
    }

    /// The experiment as JSON text, in the shapes serde gives values (a variant is an object of
    /// one entry, `{"PushGossip": {"fanout": 3}}`), infinite numbers written `Infinity` as
    /// Python's `json` module writes them: what [`Experiment::from_json`] reads back.
    pub fn to_json(&self) -> String {
        Source::parse(&self.to_ron()).expect("an experiment's RON reads back").to_json()
    }

    /// Reads the JSON form of an experiment (see [`Experiment::to_json`]); errors name `file`,
    /// the line and column of the text, and the field.
    pub fn from_json(text: &str, file: &str, protocols: &Protocols) -> Result<Experiment, Error> {
        let source = Source::parse_json(text).map_err(|e| Error::at(file, e.pos, "", e.message))?;
        Experiment::read(&source, file, protocols)
    }
}
