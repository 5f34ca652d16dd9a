//! The built-in protocols, each in a file of its own (its configuration, checks, estimate, message
//! kinds and reference entry), written against the public [`Protocol`](crate::Protocol) trait and
//! configured by a [`ServiceConfig`], and registered by one line of the table below.
//!
//! P2PSimpy's services (connection managers, producers, push, pull and ranged-pull gossip,
//! push-pull, the malicious relay) and the epidemic family of Demers et al. (anti-entropy, rumor
//! mongering, infect-and-die).
//!
//! Adding one: write its file (see `push.rs` for a short one), add its line to the table. The
//! world then calls it directly, with no vtable, as it calls the others; a protocol registered
//! from outside the crate takes the same path but is called through one.

use std::any::{Any, TypeId};

use p2psim_kernel::{ConfigError, Param};
use p2psim_net::PeerId;

use crate::config::{BuildCx, ServiceConfig};
use crate::context::{Context, Env};
use crate::instance::{Action, ErasedInstance, Instance, ServiceState};
use crate::message::Message;
use crate::protocol::{PeerParam, Protocol};
use crate::protocols::Protocols;
use crate::rounds::Rounds;
use crate::select::Selection;

pub(crate) mod liveness;

/// The table of built-in protocols: `Name in module: Config`, the name as files write it (and the
/// variant of [`AnyInstance`] that runs it), the file that holds it, its configuration type.
macro_rules! builtin_protocols {
    ($($name:ident in $module:ident: $config:ident),* $(,)?) => {
        $(pub(crate) mod $module;)*
        // Each protocol's public types (its configuration, its protocol, their parts), exported
        // by the crate from here.
        $(pub use $module::*;)*

        /// The built-in services' names, as files write them, in the order of the table.
        pub const BUILT_IN: &[&str] = &[$(stringify!($name)),*];

        /// Registers every built-in protocol (what [`Protocols::new`] starts with).
        pub(crate) fn register(protocols: &mut Protocols) {
            $(protocols.insert(stringify!($name), |d| erased_serde::deserialize::<$module::$config>(d));)*
        }

        $(
            /// A service of this built-in protocol, under its name.
            impl From<$module::$config> for crate::ServiceSpec {
                fn from(config: $module::$config) -> crate::ServiceSpec {
                    crate::ServiceSpec::new(stringify!($name), config)
                }
            }
        )*

        /// The reference entries of the built-in protocols, in the order of the table.
        pub(crate) const REFERENCE: &[&str] = &[$(<$module::$config as ServiceConfig>::REFERENCE),*];

        /// A running service, whichever protocol it runs: the built-in protocols by their types
        /// (calls are static and inline), the others boxed behind one vtable.
        #[allow(clippy::large_enum_variant, reason = "one per service of a run")]
        pub(crate) enum AnyInstance {
            $($name(Instance<<$module::$config as ServiceConfig>::Protocol>),)*
            Registered(Box<dyn ErasedInstance>),
        }

        impl AnyInstance {
            /// The instance, held by its type if its protocol is built in.
            pub(crate) fn new<P: Protocol>(instance: Instance<P>) -> AnyInstance {
                $(
                    if TypeId::of::<P>() == TypeId::of::<<$module::$config as ServiceConfig>::Protocol>() {
                        let any: Box<dyn Any> = Box::new(instance);
                        return AnyInstance::$name(*any.downcast().expect("the type was just compared"));
                    }
                )*
                AnyInstance::Registered(Box::new(instance))
            }

            /// Runs one action of one peer.
            #[inline]
            pub(crate) fn act(
                &mut self,
                env: Env<'_>,
                state: &mut ServiceState,
                peer: PeerId,
                local: u32,
                action: Action<'_>,
            ) {
                match self {
                    $(AnyInstance::$name(s) => s.act(env, state, peer, local, action),)*
                    AnyInstance::Registered(s) => s.act(env, state, peer, local, action),
                }
            }

            /// The instance behind its protocol-independent face, for what is asked once a run.
            pub(crate) fn erased(&self) -> &dyn ErasedInstance {
                match self {
                    $(AnyInstance::$name(s) => s,)*
                    AnyInstance::Registered(s) => &**s,
                }
            }
        }
    };
}

builtin_protocols! {
    ConnectionManager in connection_manager: ConnectionManagerConfig,
    P2pConnectionManager in p2p_connection_manager: P2pConnectionManagerConfig,
    Producer in producer: ProducerConfig,
    PushGossip in push: PushGossipConfig,
    MaliciousGossip in malicious: MaliciousGossipConfig,
    PullGossip in pull: PullGossipConfig,
    RangedPullGossip in ranged_pull: RangedPullGossipConfig,
    PushPullGossip in push_pull: PushPullGossipConfig,
    AntiEntropy in anti_entropy: AntiEntropyConfig,
    RumorMongering in rumor: RumorMongeringConfig,
    InfectAndDie in infect_and_die: InfectAndDieConfig,
    CounterBroadcast in counter: CounterBroadcastConfig,
}

/// The services part of the reference of experiment files (`docs/experiments.md`, "Services"):
/// how a service is written, each built-in protocol's entry in the order of the table, then the
/// timings and selections the round-based ones share.
pub fn reference() -> String {
    let mut text = String::from(
        "### `ServiceSpec`

A service is written `Name(field: value, …)` with the name of a built-in protocol below, or the
name a program gave a protocol of its own (`docs/protocols.md`).

Each service of a peer handles the message kinds it knows; a message no service of its receiver
handles is counted as `unhandled` (P2PSimpy raises). Peers influence each other only by messages.
",
    );
    let names: Vec<String> = BUILT_IN.iter().map(|n| format!("`{n}`")).collect();
    text.push_str(&format!("\nThe built-in protocols: {}.\n", names.join(", ")));
    for entry in REFERENCE.iter().chain([&crate::rounds::REFERENCE, &crate::select::REFERENCE]) {
        text.push('\n');
        text.push_str(entry);
    }
    text
}

/// A count (a fanout, a number of peers): whole and at least 0 once rounded.
pub(crate) fn check_count(field: &'static str, p: &Param) -> Result<(), ConfigError> {
    p.check(field, "a whole number, at least 0", |x| x.round() >= 0.0 && x.is_finite())
}

/// A rate or a size: more than 0.
pub(crate) fn check_positive(field: &'static str, p: &Param) -> Result<(), ConfigError> {
    p.check(field, "more than 0", |x| x > 0.0 && x.is_finite())
}

/// A round-based protocol's period and timing.
pub(crate) fn check_rounds(round_time: &Param, rounds: &Rounds) -> Result<(), ConfigError> {
    round_time.check_period("round_time")?;
    if let Rounds::Synchronous { offset } = rounds {
        if !round_time.is_const() {
            return Err(ConfigError::field(
                "round_time",
                "synchronous rounds share one clock: the period must be a constant",
            ));
        }
        p2psim_kernel::check_duration_ms("offset", *offset).map_err(|e| e.at("rounds"))?;
    }
    Ok(())
}

/// A parameter for every peer of the service being built.
pub(crate) fn param(cx: &BuildCx<'_>, field: &str, p: &Param) -> PeerParam {
    cx.param(field, p)
}

/// Sends over the link, or without one when partners are picked uniformly.
#[inline]
pub(crate) fn send_via(cx: &mut Context<'_, Message>, selection: Selection, to: PeerId, msg: Message) {
    match selection {
        Selection::Neighbours => cx.send(to, msg),
        Selection::Uniform => cx.send_connectionless(to, msg),
    }
}
