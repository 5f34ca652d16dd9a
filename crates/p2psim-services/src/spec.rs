//! A service as experiment files write it ([`ServiceSpec`]: a built-in protocol's name and
//! configuration, or a protocol registered in a [`Catalog`]), and the service it builds.
//!
//! The world holds the built services in one enum, [`Service`]: the built-in protocols by their
//! concrete types (calls are static and inline), protocols registered from outside boxed behind
//! one vtable.

use std::fmt;

use p2psim_kernel::ConfigError;
use p2psim_net::PeerId;
use serde::de::{DeserializeSeed, EnumAccess, Error as _, VariantAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::builtin::anti_entropy::{AntiEntropy, AntiEntropyConfig};
use crate::builtin::cm::{
    ConnectionManager, ConnectionManagerConfig, P2pConnectionManager, P2pConnectionManagerConfig,
};
use crate::builtin::infect_and_die::{InfectAndDie, InfectAndDieConfig};
use crate::builtin::producer::{Producer, ProducerConfig};
use crate::builtin::pull::{PullGossip, PullGossipConfig};
use crate::builtin::push::{PushGossip, PushGossipConfig};
use crate::builtin::push_pull::{PushPull, PushPullGossipConfig};
use crate::builtin::rumor::{RumorMongering, RumorMongeringConfig};
use crate::catalog::{BuildCx, Catalog, CheckCx, CustomService, Role, ServiceConfig};
use crate::context::Env;
use crate::kinds::Kinds;
use crate::protocol::Protocol;
use crate::slot::{Action, Common, ErasedSlot, Slot};

/// One service of a peer type, as experiment files write it.
#[derive(Clone, Debug, PartialEq)]
pub enum ServiceSpec {
    /// `BaseConnectionManager`.
    ConnectionManager(ConnectionManagerConfig),
    /// `P2PConnectionManager`.
    P2pConnectionManager(P2pConnectionManagerConfig),
    /// `MessageProducer` / `LimitedMessageProducer`.
    Producer(ProducerConfig),
    /// `GossipService`.
    PushGossip(PushGossipConfig),
    /// `MaliciousGossipService` (notebook 04): the original to half the fanout, altered data to the
    /// other half.
    MaliciousGossip(PushGossipConfig),
    /// `PullGossipService`.
    PullGossip(PullGossipConfig),
    /// `RangedPullGossipService`.
    RangedPullGossip(PullGossipConfig),
    /// `PushPullGossipService`, with separate push and pull parameters (oddity X3 fixed).
    PushPullGossip(PushPullGossipConfig),
    /// Demers' anti-entropy.
    AntiEntropy(AntiEntropyConfig),
    /// Demers' rumor mongering.
    RumorMongering(RumorMongeringConfig),
    /// Infect-and-die.
    InfectAndDie(InfectAndDieConfig),
    /// A protocol registered in a [`Catalog`], written in files under its registered name.
    Custom(CustomService),
}

/// The built-in services' names, as files write them.
pub const BUILT_IN: [&str; 11] = [
    "ConnectionManager",
    "P2pConnectionManager",
    "Producer",
    "PushGossip",
    "MaliciousGossip",
    "PullGossip",
    "RangedPullGossip",
    "PushPullGossip",
    "AntiEntropy",
    "RumorMongering",
    "InfectAndDie",
];

impl ServiceSpec {
    /// The name files write it under.
    pub fn name(&self) -> &str {
        match self {
            ServiceSpec::Custom(c) => c.name(),
            other => BUILT_IN[other.index()],
        }
    }

    fn index(&self) -> usize {
        match self {
            ServiceSpec::ConnectionManager(_) => 0,
            ServiceSpec::P2pConnectionManager(_) => 1,
            ServiceSpec::Producer(_) => 2,
            ServiceSpec::PushGossip(_) => 3,
            ServiceSpec::MaliciousGossip(_) => 4,
            ServiceSpec::PullGossip(_) => 5,
            ServiceSpec::RangedPullGossip(_) => 6,
            ServiceSpec::PushPullGossip(_) => 7,
            ServiceSpec::AntiEntropy(_) => 8,
            ServiceSpec::RumorMongering(_) => 9,
            ServiceSpec::InfectAndDie(_) => 10,
            ServiceSpec::Custom(_) => BUILT_IN.len(),
        }
    }

    /// What the service does in a run.
    pub fn role(&self) -> Role {
        match self {
            ServiceSpec::ConnectionManager(c) => c.role(),
            ServiceSpec::P2pConnectionManager(c) => c.role(),
            ServiceSpec::Producer(c) => c.role(),
            ServiceSpec::Custom(c) => c.config.role(),
            _ => Role::Dissemination,
        }
    }

    /// The checks of its configuration; errors name the field inside it.
    pub fn check(&self, cx: &CheckCx<'_>) -> Result<(), ConfigError> {
        match self {
            ServiceSpec::ConnectionManager(c) => c.check(cx),
            ServiceSpec::P2pConnectionManager(c) => c.check(cx),
            ServiceSpec::Producer(c) => c.check(cx),
            ServiceSpec::PushGossip(c) | ServiceSpec::MaliciousGossip(c) => c.check_fields(cx),
            ServiceSpec::PullGossip(c) | ServiceSpec::RangedPullGossip(c) => c.check_fields(cx),
            ServiceSpec::PushPullGossip(c) => c.check(cx),
            ServiceSpec::AntiEntropy(c) => c.check(cx),
            ServiceSpec::RumorMongering(c) => c.check(cx),
            ServiceSpec::InfectAndDie(c) => c.check(cx),
            ServiceSpec::Custom(c) => c.config.check(cx),
        }
    }

    /// True if it attaches a validation to its messages (at most 255 in a run).
    pub(crate) fn validates(&self) -> bool {
        matches!(self, ServiceSpec::Producer(c) if c.validation.is_some())
    }

    /// Builds the service for the peers of one type.
    pub(crate) fn build(&self, cx: &mut BuildCx<'_>, type_id: u16, kinds: &mut Kinds) -> (Service, Common) {
        fn slot<P: Protocol>(p: P, cx: &BuildCx<'_>, type_id: u16, kinds: &mut Kinds) -> (Slot<P>, Common) {
            Slot::build(p, cx.seed, cx.type_name, type_id, cx.service, cx.members.to_vec(), kinds)
        }
        macro_rules! built {
            ($variant:ident, $protocol:expr) => {{
                let (s, c) = slot($protocol, cx, type_id, kinds);
                (Service::$variant(s), c)
            }};
        }
        match self {
            ServiceSpec::ConnectionManager(c) => built!(ConnectionManager, c.build(cx)),
            ServiceSpec::P2pConnectionManager(c) => built!(P2pConnectionManager, c.build(cx)),
            ServiceSpec::Producer(c) => built!(Producer, c.build(cx)),
            ServiceSpec::PushGossip(c) => built!(Push, c.protocol(cx, false)),
            ServiceSpec::MaliciousGossip(c) => built!(Push, c.protocol(cx, true)),
            ServiceSpec::PullGossip(c) => built!(Pull, c.protocol(cx, false)),
            ServiceSpec::RangedPullGossip(c) => built!(Pull, c.protocol(cx, true)),
            ServiceSpec::PushPullGossip(c) => built!(PushPull, c.build(cx)),
            ServiceSpec::AntiEntropy(c) => built!(AntiEntropy, c.build(cx)),
            ServiceSpec::RumorMongering(c) => built!(Rumor, c.build(cx)),
            ServiceSpec::InfectAndDie(c) => built!(InfectAndDie, c.build(cx)),
            ServiceSpec::Custom(c) => {
                let (s, common) = c.config.build(cx, type_id, kinds);
                (Service::Custom(s), common)
            }
        }
    }
}

impl Serialize for ServiceSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let i = self.index() as u32;
        let name = "ServiceSpec";
        match self {
            ServiceSpec::ConnectionManager(c) => s.serialize_newtype_variant(name, i, BUILT_IN[0], c),
            ServiceSpec::P2pConnectionManager(c) => s.serialize_newtype_variant(name, i, BUILT_IN[1], c),
            ServiceSpec::Producer(c) => s.serialize_newtype_variant(name, i, BUILT_IN[2], c),
            ServiceSpec::PushGossip(c) => s.serialize_newtype_variant(name, i, BUILT_IN[3], c),
            ServiceSpec::MaliciousGossip(c) => s.serialize_newtype_variant(name, i, BUILT_IN[4], c),
            ServiceSpec::PullGossip(c) => s.serialize_newtype_variant(name, i, BUILT_IN[5], c),
            ServiceSpec::RangedPullGossip(c) => s.serialize_newtype_variant(name, i, BUILT_IN[6], c),
            ServiceSpec::PushPullGossip(c) => s.serialize_newtype_variant(name, i, BUILT_IN[7], c),
            ServiceSpec::AntiEntropy(c) => s.serialize_newtype_variant(name, i, BUILT_IN[8], c),
            ServiceSpec::RumorMongering(c) => s.serialize_newtype_variant(name, i, BUILT_IN[9], c),
            ServiceSpec::InfectAndDie(c) => s.serialize_newtype_variant(name, i, BUILT_IN[10], c),
            ServiceSpec::Custom(c) => s.serialize_newtype_variant(name, i, c.name, c.config.as_serialize()),
        }
    }
}

/// Reads a built-in service by its name, or a protocol of the [`Catalog`] in force.
impl<'de> Deserialize<'de> for ServiceSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<ServiceSpec, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ServiceSpec;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a service, such as PushGossip(fanout: 3)")
            }
            fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<ServiceSpec, A::Error> {
                let (name, v): (String, A::Variant) = data.variant()?;
                Ok(match name.as_str() {
                    "ConnectionManager" => ServiceSpec::ConnectionManager(v.newtype_variant()?),
                    "P2pConnectionManager" => ServiceSpec::P2pConnectionManager(v.newtype_variant()?),
                    "Producer" => ServiceSpec::Producer(v.newtype_variant()?),
                    "PushGossip" => ServiceSpec::PushGossip(v.newtype_variant()?),
                    "MaliciousGossip" => ServiceSpec::MaliciousGossip(v.newtype_variant()?),
                    "PullGossip" => ServiceSpec::PullGossip(v.newtype_variant()?),
                    "RangedPullGossip" => ServiceSpec::RangedPullGossip(v.newtype_variant()?),
                    "PushPullGossip" => ServiceSpec::PushPullGossip(v.newtype_variant()?),
                    "AntiEntropy" => ServiceSpec::AntiEntropy(v.newtype_variant()?),
                    "RumorMongering" => ServiceSpec::RumorMongering(v.newtype_variant()?),
                    "InfectAndDie" => ServiceSpec::InfectAndDie(v.newtype_variant()?),
                    other => match Catalog::reader_in_force(other) {
                        Some((registered, reader)) => {
                            let config = v.newtype_variant_seed(Custom(reader))?;
                            ServiceSpec::Custom(CustomService { name: registered, config })
                        }
                        None => {
                            let known: Vec<&str> = BUILT_IN.iter().copied().chain(Catalog::names_in_force()).collect();
                            return Err(A::Error::custom(format!(
                                "unknown service `{other}`; the services are {}",
                                known.join(", ")
                            )));
                        }
                    },
                })
            }
        }
        d.deserialize_enum("ServiceSpec", &BUILT_IN, V)
    }
}

/// Reads a registered protocol's configuration through the catalog's type-erased reader.
struct Custom(crate::catalog::Reader);

impl<'de> DeserializeSeed<'de> for Custom {
    type Value = std::sync::Arc<dyn crate::catalog::ErasedConfig>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        let mut erased = <dyn erased_serde::Deserializer<'_>>::erase(d);
        (self.0)(&mut erased).map_err(D::Error::custom)
    }
}

/// A built service: the built-in protocols by type, the others boxed.
pub(crate) enum Service {
    ConnectionManager(Slot<ConnectionManager>),
    P2pConnectionManager(Slot<P2pConnectionManager>),
    Producer(Slot<Producer>),
    Push(Slot<PushGossip>),
    Pull(Slot<PullGossip>),
    PushPull(Slot<PushPull>),
    AntiEntropy(Slot<AntiEntropy>),
    Rumor(Slot<RumorMongering>),
    InfectAndDie(Slot<InfectAndDie>),
    Custom(Box<dyn ErasedSlot>),
}

impl Service {
    /// Runs one action of one peer.
    #[inline]
    pub(crate) fn act(&mut self, env: Env<'_>, common: &mut Common, peer: PeerId, local: u32, action: Action<'_>) {
        match self {
            Service::ConnectionManager(s) => s.act(env, common, peer, local, action),
            Service::P2pConnectionManager(s) => s.act(env, common, peer, local, action),
            Service::Producer(s) => s.act(env, common, peer, local, action),
            Service::Push(s) => s.act(env, common, peer, local, action),
            Service::Pull(s) => s.act(env, common, peer, local, action),
            Service::PushPull(s) => s.act(env, common, peer, local, action),
            Service::AntiEntropy(s) => s.act(env, common, peer, local, action),
            Service::Rumor(s) => s.act(env, common, peer, local, action),
            Service::InfectAndDie(s) => s.act(env, common, peer, local, action),
            Service::Custom(s) => s.act(env, common, peer, local, action),
        }
    }

    /// True if a copy of a gossip message the peer already has does nothing here but count: the
    /// condition for accounting such copies when they are sent (see `KnownCopies`).
    pub(crate) fn counts_known_copies_only(&self) -> bool {
        matches!(self, Service::Push(s) if s.protocol.counts_known_copies_only())
    }

    /// True if the service may make or break links, or read when a link was last heard from: the
    /// connection managers, and (for all the world can tell) every protocol registered from
    /// outside.
    pub(crate) fn manages_links(&self) -> bool {
        matches!(self, Service::ConnectionManager(_) | Service::P2pConnectionManager(_) | Service::Custom(_))
    }

    /// Peers still spreading a rumor, for rumor mongering.
    pub(crate) fn hot_peers(&self) -> Option<usize> {
        match self {
            Service::Rumor(s) => Some(RumorMongering::hot_peers(&s.states)),
            _ => None,
        }
    }
}
