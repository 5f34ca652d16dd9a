//! A protocol's configuration, as experiment files write it ([`ServiceConfig`]), and what its
//! checks, its build and its estimate may look at ([`CheckCx`], [`BuildCx`], [`EstimateCx`]).
//!
//! A configuration (`MyGossip(fanout: 3, ttl: 3)`) is checked once, when the experiment is read
//! ([`ServiceConfig::check`], errors naming the field), builds the protocol for the peers of one
//! type ([`ServiceConfig::build`], which cannot fail), and says roughly what the run will cost
//! ([`ServiceConfig::estimate`]). Every built-in protocol's configuration is one, written the way
//! a protocol of your own is.
//!
//! What it is not: how configurations are named in files ([`Protocols`](crate::Protocols)).

use std::fmt;

use p2psim_kernel::{ConfigError, Dist, Param, Seed};
use p2psim_net::PeerId;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::peers::PeerTable;
use crate::protocol::{PeerInit, PeerParam, Protocol};
use crate::select::Exclusions;
use crate::validation::Validation;

/// What a service does in a run, for reports that need to tell services apart (which one the
/// analysis reads by default, which peers are drawn as clients).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Makes and keeps links (connection managers).
    Links,
    /// Produces messages (producers): its peers are clients.
    Source,
    /// Spreads messages (gossip, epidemics): what the analysis reads by default.
    Dissemination,
}

/// The configuration of a protocol, as experiment files write it.
///
/// Derive `Serialize`, `Deserialize`, `Clone` and `Debug`; give every field a default
/// (`#[serde(default)]`) where the file may leave it out. Unknown fields are refused when the file
/// is read, whatever the type's serde attributes say.
pub trait ServiceConfig: Serialize + DeserializeOwned + Clone + fmt::Debug + Send + Sync + 'static {
    /// The protocol it builds.
    type Protocol: Protocol;

    /// Its entry in the reference of experiment files (`docs/experiments.md`), in Markdown: a
    /// `###` heading with its name, what it does, and a table of its fields. The built-in
    /// protocols document themselves here; a protocol of your own may leave it empty.
    const REFERENCE: &'static str = "";

    /// What the service does (by default it spreads messages).
    fn role(&self) -> Role {
        Role::Dissemination
    }

    /// The checks serde cannot make, made once when the experiment is read: a number in range,
    /// a peer type that must exist. Name the field in the error ([`ConfigError::field`]).
    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        let _ = cx;
        Ok(())
    }

    /// The protocol for the peers of one type. Called once per run and type, after
    /// [`ServiceConfig::check`] accepted the configuration: it cannot fail.
    fn build(&self, cx: &mut BuildCx<'_>) -> Self::Protocol;

    /// Roughly what the service adds to a run, for refusing runs that cannot fit before they
    /// start: the messages it produces, the events it makes. By default it stores what reaches
    /// it and makes no events of its own (its messages are counted where they are made).
    fn estimate(&self, cx: &EstimateCx) -> Load {
        let _ = cx;
        Load::default()
    }

    /// True if the producer attaches a validation to its messages (at most 255 may in a run):
    /// the built-in producer's, which no protocol of your own can attach.
    #[doc(hidden)]
    fn attaches_validation(&self) -> bool {
        false
    }
}

/// What a check may look at besides the configuration itself.
#[derive(Clone, Copy, Debug)]
pub struct CheckCx<'a> {
    pub(crate) type_names: &'a [String],
    pub(crate) this_type: &'a str,
}

impl CheckCx<'_> {
    /// A context for checking a service of type `this_type` among `type_names`.
    pub fn new<'a>(type_names: &'a [String], this_type: &'a str) -> CheckCx<'a> {
        CheckCx { type_names, this_type }
    }

    /// The peer types of the experiment.
    pub fn type_names(&self) -> &[String] {
        self.type_names
    }

    /// The type the service runs on.
    pub fn this_type(&self) -> &str {
        self.this_type
    }

    /// Checks that every name in the list `field` is a peer type.
    pub fn check_type_names(&self, field: &'static str, names: &[String]) -> Result<(), ConfigError> {
        for (i, n) in names.iter().enumerate() {
            check_type_name(self.type_names, n).map_err(|e| e.at_index(i).at(field))?;
        }
        Ok(())
    }
}

/// The index of the peer type `name` among `type_names`; or the error every layer gives for a
/// name that is not a peer type, listing the types there are.
pub fn check_type_name(type_names: &[String], name: &str) -> Result<u16, ConfigError> {
    match type_names.iter().position(|n| n == name) {
        Some(i) => Ok(i as u16),
        None => Err(ConfigError::here(format!("unknown peer type `{name}` (defined: {})", type_names.join(", ")))),
    }
}

/// What building a protocol may use.
pub struct BuildCx<'a> {
    pub(crate) peers: &'a PeerTable,
    pub(crate) type_name: &'a str,
    pub(crate) service: &'a str,
    pub(crate) members: &'a [PeerId],
    pub(crate) seed: Seed,
    pub(crate) validations: &'a mut Vec<Validation>,
}

impl BuildCx<'_> {
    /// The peers the service runs on, in id order.
    pub fn members(&self) -> &[PeerId] {
        self.members
    }

    /// The type of every peer of the run, by peer id.
    pub fn peer_types(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.peers.len()).map(|p| self.peers.type_name(self.peers.type_of(PeerId(p as u32))))
    }

    /// The peers of the type named `name` (none if there is no such type).
    pub fn peers_of_type(&self, name: &str) -> &[PeerId] {
        self.peers.type_id(name).map_or(&[], |t| self.peers.members(t))
    }

    /// The run's master seed (derive your own streams from it with a
    /// [`StreamKey`](p2psim_kernel::StreamKey) of your own).
    pub fn seed(&self) -> Seed {
        self.seed
    }

    /// The type the service runs on.
    pub fn type_name(&self) -> &str {
        self.type_name
    }

    /// The service's name within its type.
    pub fn service_name(&self) -> &str {
        self.service
    }

    /// Peers and types never to send to: the ids in `peers`, the types named in `types` (checked
    /// to exist), and, as P2PSimpy adds it, a type named `bootstrap` if there is one.
    pub fn exclusions(&self, peers: &[u32], types: &[String]) -> Exclusions {
        let mut ids: Vec<u16> = types.iter().filter_map(|n| self.peers.type_id(n)).collect();
        ids.extend(self.peers.type_id("bootstrap"));
        Exclusions { peers: peers.iter().map(|&p| PeerId(p)).collect(), types: ids }
    }

    /// A parameter for every peer of the service: `Dist` drawn once per peer now, from a stream of
    /// its own for this type, service, field and peer.
    pub fn param(&self, field: &str, p: &Param) -> PeerParam {
        let own = match p {
            Param::Dist(_) => self
                .members
                .iter()
                .map(|&peer| {
                    PeerInit { peer, seed: self.seed, type_name: self.type_name, service: self.service }.param(field, p)
                })
                .collect(),
            _ => Vec::new(),
        };
        PeerParam::new(p.clone(), own)
    }

    /// Registers a validation that the producer attaches to its messages (P2PSimpy's
    /// `pre_task`); returns its number, which the messages carry.
    pub(crate) fn add_validation(&mut self, delay: Dist, reject_tampered: bool) -> u8 {
        self.validations.push(Validation { delay, reject_tampered });
        u8::try_from(self.validations.len()).expect("checked: at most 255 validations in a run")
    }
}

/// What an estimate may look at: the service's peers and the run around them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EstimateCx {
    /// Peers running the service.
    pub members: f64,
    /// The run's length, seconds.
    pub seconds: f64,
    /// Mean degree of the initial topology.
    pub degree: f64,
    /// Messages produced in the whole run (0 while the producers are being estimated).
    pub messages: f64,
    /// The largest TTL the producers give their messages (0 while they are being estimated).
    pub ttl: f64,
    /// Events per message received: 2 where downloads take time (an arrival, then the end of
    /// its download), else 1.
    pub per_arrival: f64,
}

/// What a service adds to a run, roughly (see [`ServiceConfig::estimate`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Load {
    /// Messages it produces over the run.
    pub produces: f64,
    /// The TTL it gives them, if it produces any.
    pub ttl: Option<f64>,
    /// Events it makes over the run.
    pub events: f64,
    /// The field that drives those events (`fanout`, `round_time`), for refusals.
    pub field: &'static str,
    /// What the events are, in words (`12000 rounds`), for refusals.
    pub what: String,
    /// True if its peers store the messages that reach them (a cell per message and peer).
    pub stores: bool,
}

impl Default for Load {
    fn default() -> Self {
        Load { produces: 0.0, ttl: None, events: 0.0, field: "", what: String::new(), stores: true }
    }
}

impl Load {
    /// `events` events driven by `field`, which are `what`.
    pub fn events(events: f64, field: &'static str, what: String) -> Load {
        Load { events, field, what, ..Load::default() }
    }
}

impl EstimateCx {
    /// Rounds of all the service's peers over the run, one every `round_time` ms (`default_ms`
    /// where it has no mean).
    pub fn rounds(&self, round_time: &Param, default_ms: f64) -> f64 {
        self.members * self.seconds * 1000.0 / mean(round_time, default_ms).max(1e-6)
    }
}

/// The mean of a parameter, or `default` where it has none.
pub(crate) fn mean(p: &Param, default: f64) -> f64 {
    p.mean().filter(|m| m.is_finite()).unwrap_or(default)
}

/// A count as estimates write it: in full while it is readable.
pub(crate) fn count(x: f64) -> String {
    if x >= 1e12 { format!("{x:.1e}") } else { format!("{x:.0}") }
}
