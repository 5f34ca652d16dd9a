//! Protocols by name: the registry that turns `Name(field: value, …)` in an experiment file into a
//! configuration ([`Protocols`]), and a service as an experiment holds it ([`ServiceSpec`]).
//!
//! Built-in protocols and protocols of your own are registered the same way, under the name files
//! write them by; the registry is a value that whoever reads experiments is given, never a
//! setting in force somewhere.
//!
//! What it is not: the file reader (the facade's), or how a configuration builds and runs.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex};

use p2psim_kernel::ConfigError;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::builtin::{AnyInstance, BUILT_IN};
use crate::config::{BuildCx, CheckCx, EstimateCx, Load, Role, ServiceConfig};
use crate::instance::{Instance, ServiceState};
use crate::kinds::Kinds;

/// A configuration whose type the caller does not know: how a [`ServiceSpec`] holds it.
pub(crate) trait ErasedConfig: fmt::Debug + Send + Sync + 'static {
    fn role(&self) -> Role;
    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError>;
    fn estimate(&self, cx: &EstimateCx) -> Load;
    fn attaches_validation(&self) -> bool;
    fn build(&self, cx: &mut BuildCx<'_>, type_id: u16, kinds: &mut Kinds) -> (AnyInstance, ServiceState);
    fn as_serialize(&self) -> &dyn erased_serde::Serialize;
    fn as_any(&self) -> &dyn std::any::Any;
}

impl<C: ServiceConfig> ErasedConfig for C {
    fn role(&self) -> Role {
        ServiceConfig::role(self)
    }

    fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        ServiceConfig::check(self, cx)
    }

    fn estimate(&self, cx: &EstimateCx) -> Load {
        ServiceConfig::estimate(self, cx)
    }

    fn attaches_validation(&self) -> bool {
        ServiceConfig::attaches_validation(self)
    }

    fn build(&self, cx: &mut BuildCx<'_>, type_id: u16, kinds: &mut Kinds) -> (AnyInstance, ServiceState) {
        let protocol = ServiceConfig::build(self, cx);
        let (instance, state) =
            Instance::build(protocol, cx.seed, cx.type_name, type_id, cx.service, cx.members.to_vec(), kinds);
        (AnyInstance::new(instance), state)
    }

    fn as_serialize(&self) -> &dyn erased_serde::Serialize {
        self
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

/// One service of a peer type, as an experiment holds it: the name its protocol is registered
/// under, and its configuration. Written to files as `Name(field: value, …)`; read from them by
/// [`Protocols::read`].
#[derive(Clone)]
pub struct ServiceSpec {
    name: &'static str,
    config: Arc<dyn ErasedConfig>,
}

impl ServiceSpec {
    /// A service of the protocol registered as `name`, with this configuration.
    pub fn new<C: ServiceConfig>(name: &str, config: C) -> ServiceSpec {
        ServiceSpec { name: intern(name), config: Arc::new(config) }
    }

    /// The name its protocol is registered under, as files write it.
    pub fn name(&self) -> &str {
        self.name
    }

    /// The configuration, if it is a `C`.
    pub fn config<C: ServiceConfig>(&self) -> Option<&C> {
        self.config.as_any().downcast_ref()
    }

    /// What the service does in a run.
    pub fn role(&self) -> Role {
        self.config.role()
    }

    /// The checks of its configuration; errors name the field inside it.
    pub fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        self.config.check(cx)
    }

    /// Roughly what the service adds to a run (see [`ServiceConfig::estimate`]).
    pub fn estimate(&self, cx: &EstimateCx) -> Load {
        self.config.estimate(cx)
    }

    /// True if it attaches a validation to its messages (at most 255 in a run).
    pub(crate) fn attaches_validation(&self) -> bool {
        self.config.attaches_validation()
    }

    /// Builds the service for the peers of one type.
    pub(crate) fn build(&self, cx: &mut BuildCx<'_>, type_id: u16, kinds: &mut Kinds) -> (AnyInstance, ServiceState) {
        self.config.build(cx, type_id, kinds)
    }

    /// The configuration as JSON (for comparing and reporting).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self.config.as_serialize()).expect("a configuration serialises")
    }
}

impl fmt::Debug for ServiceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({:?})", self.name, self.config)
    }
}

impl PartialEq for ServiceSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.to_json() == other.to_json()
    }
}

/// As files write it: `Name(field: value, …)`.
impl Serialize for ServiceSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let index = BUILT_IN.iter().position(|n| *n == self.name).unwrap_or(BUILT_IN.len()) as u32;
        s.serialize_newtype_variant("ServiceSpec", index, self.name, self.config.as_serialize())
    }
}

/// The name under which a reader that knows the protocols (the facade's experiment reader) is
/// asked for a [`ServiceSpec`]: it reads the service with its [`Protocols`], keeps it, and answers
/// with the number it kept it under; [`ServiceSpec::placeholder_index`] gives the number back, and
/// the reader puts the service in its place before anyone sees the experiment. Any other
/// deserializer is refused: a service can only be read knowing the protocols it may name.
#[doc(hidden)]
pub const SERVICE_TOKEN: &str = "$p2psim::ServiceSpec";

/// A service a reader kept under this number, until it puts it in place.
#[derive(Debug)]
struct Placeholder(usize);

impl ErasedConfig for Placeholder {
    fn role(&self) -> Role {
        unreachable!("a service read without its protocols was used (the reader replaces it at once)")
    }
    fn check(&self, _: &CheckCx<'_>) -> Result<(), ConfigError> {
        unreachable!("a service read without its protocols was used (the reader replaces it at once)")
    }
    fn estimate(&self, _: &EstimateCx) -> Load {
        unreachable!("a service read without its protocols was used (the reader replaces it at once)")
    }
    fn attaches_validation(&self) -> bool {
        unreachable!("a service read without its protocols was used (the reader replaces it at once)")
    }
    fn build(&self, _: &mut BuildCx<'_>, _: u16, _: &mut Kinds) -> (AnyInstance, ServiceState) {
        unreachable!("a service read without its protocols was used (the reader replaces it at once)")
    }
    fn as_serialize(&self) -> &dyn erased_serde::Serialize {
        unreachable!("a service read without its protocols was used (the reader replaces it at once)")
    }
    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

impl ServiceSpec {
    /// The number a reader kept this service under, if it is a placeholder (see
    /// [`SERVICE_TOKEN`]).
    #[doc(hidden)]
    pub fn placeholder_index(&self) -> Option<usize> {
        self.config.as_any().downcast_ref::<Placeholder>().map(|p| p.0)
    }
}

/// Through a reader that knows the protocols only (see [`SERVICE_TOKEN`]).
impl<'de> Deserialize<'de> for ServiceSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ServiceSpec, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = ServiceSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a service, read by a reader that knows the protocols")
            }
            fn visit_u64<E: serde::de::Error>(self, k: u64) -> Result<ServiceSpec, E> {
                Ok(ServiceSpec { name: "", config: Arc::new(Placeholder(k as usize)) })
            }
            fn visit_newtype_struct<D: Deserializer<'de>>(self, _: D) -> Result<ServiceSpec, D::Error> {
                Err(serde::de::Error::custom(
                    "a service can only be read with the protocols it may name: read experiments with \
                     p2psim's reader (Experiment::from_ron)",
                ))
            }
        }
        d.deserialize_newtype_struct(SERVICE_TOKEN, V)
    }
}

/// Registered names live as long as the program: serde names variants with `&'static str`. A
/// program registers a few names once, so this is a few bytes, once.
fn intern(name: &str) -> &'static str {
    static NAMES: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());
    let mut names = NAMES.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(n) = names.iter().find(|n| **n == name) {
        return n;
    }
    let n: &'static str = Box::leak(name.to_owned().into_boxed_str());
    names.push(n);
    n
}

type Reader = Arc<
    dyn Fn(&mut dyn erased_serde::Deserializer<'_>) -> Result<Arc<dyn ErasedConfig>, erased_serde::Error> + Send + Sync,
>;

/// The protocols experiment files may name: the built-in ones, and your own under the names you
/// give them.
///
/// ```ignore
/// let mut protocols = Protocols::new();
/// protocols.register::<MyGossipConfig>("MyGossip");
/// // experiment files may now hold ("gossip", MyGossip(fanout: 3, ttl: 3))
/// ```
#[derive(Clone)]
pub struct Protocols {
    readers: BTreeMap<&'static str, Reader>,
}

impl fmt::Debug for Protocols {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Default for Protocols {
    fn default() -> Self {
        Protocols::new()
    }
}

impl Protocols {
    /// The built-in protocols.
    pub fn new() -> Protocols {
        let mut p = Protocols { readers: BTreeMap::new() };
        crate::builtin::register(&mut p);
        p
    }

    /// Registers the protocol configured by `C` under `name`: an experiment's service written
    /// `name(...)` is read as a `C`.
    ///
    /// # Panics
    /// If `name` is a built-in service's name or was registered already: a programming mistake,
    /// found the first time the program runs.
    pub fn register<C: ServiceConfig>(&mut self, name: &str) -> &mut Protocols {
        self.register_with(name, |d| erased_serde::deserialize::<C>(d))
    }

    /// Registers the protocol configured by `C` under `name`, its configuration read by `read`
    /// instead of `C`'s own `Deserialize`: for a configuration that holds something no file can
    /// name (the Python package registers each Python protocol class this way, with the class in
    /// the closure). Unknown fields are still refused where the file has them.
    ///
    /// # Panics
    /// As [`Protocols::register`].
    pub fn register_with<C: ServiceConfig>(
        &mut self,
        name: &str,
        read: impl Fn(&mut dyn erased_serde::Deserializer<'_>) -> Result<C, erased_serde::Error> + Send + Sync + 'static,
    ) -> &mut Protocols {
        assert!(
            !BUILT_IN.contains(&name),
            "`{name}` is the name of a built-in service; register your protocol under another name"
        );
        self.insert(name, read)
    }

    /// Registers a built-in protocol (the table in `builtin` calls this for each).
    pub(crate) fn insert<C: ServiceConfig>(
        &mut self,
        name: &str,
        read: impl Fn(&mut dyn erased_serde::Deserializer<'_>) -> Result<C, erased_serde::Error> + Send + Sync + 'static,
    ) -> &mut Protocols {
        let name = intern(name);
        let reader: Reader = Arc::new(move |d| Ok(Arc::new(read(d)?) as Arc<dyn ErasedConfig>));
        assert!(self.readers.insert(name, reader).is_none(), "a protocol is already registered as `{name}`");
        self
    }

    /// Every name files may use: the built-in protocols in their order, then the registered ones
    /// in alphabetical order.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        BUILT_IN.iter().copied().chain(self.readers.keys().copied().filter(|n| !BUILT_IN.contains(n)))
    }

    /// The names of the protocols registered beyond the built-in ones, in alphabetical order.
    pub fn registered(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.readers.keys().copied().filter(|n| !BUILT_IN.contains(n))
    }

    /// Reads the service written `name(...)`, its configuration from `content`; an unknown name
    /// is an error listing the names there are.
    pub fn read<'de, D: Deserializer<'de>>(&self, name: &str, content: D) -> Result<ServiceSpec, D::Error> {
        use serde::de::Error as _;
        let Some((&registered, reader)) = self.readers.get_key_value(name) else {
            let known: Vec<&str> = self.names().collect();
            return Err(D::Error::custom(format!(
                "unknown service `{name}`; the services are {} (a protocol of your own is known to the \
                 program that registers it, which runs the file: see docs/protocols.md)",
                known.join(", ")
            )));
        };
        let mut erased = <dyn erased_serde::Deserializer<'_>>::erase(content);
        let config = reader(&mut erased).map_err(D::Error::custom)?;
        Ok(ServiceSpec { name: registered, config })
    }
}
