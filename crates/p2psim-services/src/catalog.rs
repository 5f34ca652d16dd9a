//! Protocols by name: how a configuration in an experiment file becomes a protocol.
//!
//! A [`ServiceConfig`] is the configuration type of one protocol, as experiment files write it
//! (`MyGossip(fanout: 3, ttl: 3)`): it is checked once, when the experiment is read
//! ([`ServiceConfig::check`], errors naming the field), and builds the protocol for the peers of
//! one type ([`ServiceConfig::build`], which cannot fail). Every built-in protocol's configuration
//! is one; a [`Catalog`] adds your own under a name of your choice, so that experiment files use
//! them exactly like the built-ins.
//!
//! What it is not: the file reader. Reading an experiment consults the catalog in force
//! ([`Catalog::scope`]) when it meets a service name that is not built in.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

use p2psim_kernel::{ConfigError, Dist, Param, Seed};
use p2psim_net::PeerId;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::kinds::Kinds;
use crate::peers::PeerTable;
use crate::protocol::{PeerInit, PeerParam, Protocol};
use crate::select::Exclusions;
use crate::slot::{Common, ErasedSlot, Slot};
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
            if !self.type_names.contains(n) {
                return Err(ConfigError::here(format!(
                    "unknown peer type `{n}` (defined: {})",
                    self.type_names.join(", ")
                ))
                .at_index(i)
                .at(field));
            }
        }
        Ok(())
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

/// A configuration whose type the caller does not know: how a catalog holds its entries' values.
pub(crate) trait ErasedConfig: fmt::Debug + Send + Sync {
    fn role(&self) -> Role;
    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError>;
    fn build(&self, cx: &mut BuildCx<'_>, type_id: u16, kinds: &mut Kinds) -> (Box<dyn ErasedSlot>, Common);
    fn as_serialize(&self) -> &dyn erased_serde::Serialize;
}

impl<C: ServiceConfig> ErasedConfig for C {
    fn role(&self) -> Role {
        ServiceConfig::role(self)
    }

    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        ServiceConfig::check(self, cx)
    }

    fn build(&self, cx: &mut BuildCx<'_>, type_id: u16, kinds: &mut Kinds) -> (Box<dyn ErasedSlot>, Common) {
        let protocol = ServiceConfig::build(self, cx);
        let (slot, common) =
            Slot::build(protocol, cx.seed, cx.type_name, type_id, cx.service, cx.members.to_vec(), kinds);
        (Box::new(slot), common)
    }

    fn as_serialize(&self) -> &dyn erased_serde::Serialize {
        self
    }
}

/// A service of a type registered in a [`Catalog`], as an experiment holds it: the name it was
/// registered under, and its configuration.
#[derive(Clone)]
pub struct CustomService {
    pub(crate) name: &'static str,
    pub(crate) config: Arc<dyn ErasedConfig>,
}

impl CustomService {
    /// A service of the protocol registered as `name`, with this configuration.
    pub fn new<C: ServiceConfig>(name: &str, config: C) -> CustomService {
        CustomService { name: leak(name), config: Arc::new(config) }
    }

    /// The name it was registered under.
    pub fn name(&self) -> &str {
        self.name
    }

    /// The configuration as JSON (for comparing and reporting).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.config.as_serialize()).expect("a configuration serialises")
    }
}

impl fmt::Debug for CustomService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:?})", self.name, self.config)
    }
}

impl PartialEq for CustomService {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.to_json() == other.to_json()
    }
}

/// Registered names live as long as the program: the serde data model names variants with
/// `&'static str`. A catalog is made once per program, so this is a few bytes, once.
fn leak(name: &str) -> &'static str {
    thread_local! {
        static NAMES: RefCell<Vec<&'static str>> = const { RefCell::new(Vec::new()) };
    }
    NAMES.with(|names| {
        let mut names = names.borrow_mut();
        if let Some(n) = names.iter().find(|n| **n == name) {
            return *n;
        }
        let n: &'static str = Box::leak(name.to_owned().into_boxed_str());
        names.push(n);
        n
    })
}

pub(crate) type Reader = Arc<
    dyn Fn(&mut dyn erased_serde::Deserializer<'_>) -> Result<Arc<dyn ErasedConfig>, erased_serde::Error> + Send + Sync,
>;

/// Your own protocols, by the names experiment files give them.
///
/// ```ignore
/// let mut protocols = Catalog::new();
/// protocols.register::<MyGossipConfig>("MyGossip");
/// // experiment files may now hold ("gossip", MyGossip(fanout: 3, ttl: 3))
/// ```
#[derive(Clone, Default)]
pub struct Catalog {
    entries: BTreeMap<&'static str, Reader>,
}

impl fmt::Debug for Catalog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.entries.keys()).finish()
    }
}

thread_local! {
    static IN_FORCE: RefCell<Option<Catalog>> = const { RefCell::new(None) };
}

impl Catalog {
    /// No protocols beyond the built-in ones.
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// Registers the protocol configured by `C` under `name`: an experiment's service written
    /// `name(...)` is read as a `C`.
    ///
    /// # Panics
    /// If `name` is a built-in service's name or was registered already: a programming mistake,
    /// found the first time the program runs.
    pub fn register<C: ServiceConfig>(&mut self, name: &str) -> &mut Catalog {
        self.register_with(name, |d| erased_serde::deserialize::<C>(d))
    }

    /// Registers the protocol configured by `C` under `name`, its configuration read by `read`
    /// instead of `C`'s own `Deserialize`: for a configuration that holds something no file can
    /// name (the Python package registers each Python protocol class this way, with the class in
    /// the closure). Unknown fields are still refused where the file has them.
    ///
    /// # Panics
    /// As [`Catalog::register`].
    pub fn register_with<C: ServiceConfig>(
        &mut self,
        name: &str,
        read: impl Fn(&mut dyn erased_serde::Deserializer<'_>) -> Result<C, erased_serde::Error> + Send + Sync + 'static,
    ) -> &mut Catalog {
        assert!(
            !crate::spec::BUILT_IN.contains(&name),
            "`{name}` is the name of a built-in service; register your protocol under another name"
        );
        let name = leak(name);
        let reader: Reader = Arc::new(move |d| Ok(Arc::new(read(d)?) as Arc<dyn ErasedConfig>));
        assert!(self.entries.insert(name, reader).is_none(), "a protocol is already registered as `{name}`");
        self
    }

    /// The registered names, in order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries.keys().copied()
    }

    /// Runs `f` with this catalog in force: experiments read during `f` (on this thread) may use
    /// its protocols.
    pub fn scope<T>(&self, f: impl FnOnce() -> T) -> T {
        let previous = IN_FORCE.with(|c| c.replace(Some(self.clone())));
        struct Restore(Option<Catalog>);
        impl Drop for Restore {
            fn drop(&mut self) {
                let previous = self.0.take();
                IN_FORCE.with(|c| *c.borrow_mut() = previous);
            }
        }
        let _restore = Restore(previous);
        f()
    }

    /// The catalog in force on this thread (empty if none): to carry it into other threads, as
    /// `in_force().scope(..)` there.
    pub fn in_force() -> Catalog {
        IN_FORCE.with(|c| c.borrow().clone()).unwrap_or_default()
    }

    /// The reader of the protocol registered as `name` in the catalog in force.
    pub(crate) fn reader_in_force(name: &str) -> Option<(&'static str, Reader)> {
        IN_FORCE
            .with(|c| c.borrow().as_ref().and_then(|cat| cat.entries.get_key_value(name).map(|(k, r)| (*k, r.clone()))))
    }

    /// The registered names of the catalog in force, for error messages.
    pub(crate) fn names_in_force() -> Vec<&'static str> {
        IN_FORCE.with(|c| c.borrow().as_ref().map(|cat| cat.names().collect()).unwrap_or_default())
    }
}
