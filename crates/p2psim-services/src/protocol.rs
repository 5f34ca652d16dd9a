//! The protocol API: what a protocol is.
//!
//! A protocol is a sans-IO state machine. For each peer it runs on it keeps a
//! [`Protocol::State`]; the world calls it when the peer starts, when a message of its type
//! arrives, when one of its timers fires, and on each of its rounds, always through a
//! [`Context`] that gives it the time, its peer, its neighbours, its peer's own random stream and
//! storage, and takes its effects (send, set or cancel a timer, connect, disconnect). The
//! configuration it was built from is `&self`, shared by all its peers: a peer's state is its own,
//! and peers influence each other only by messages.
//!
//! The built-in protocols (push, pull and ranged-pull gossip, the epidemic family, connection
//! managers, producers) are written against this same trait.
//!
//! What it is not: how a protocol is named in experiment files and built from its configuration
//! ([`ServiceConfig`](crate::ServiceConfig)), or how the world runs it.

use p2psim_kernel::{Param, Seed, SimRng, StreamKey};
use p2psim_net::PeerId;

use crate::context::Context;
use crate::kinds::Wire;
use crate::message::{Kind, MsgIdx};
use crate::rounds::RoundSchedule;

/// A message that appears at a peer without being received: the experiment's workload injected
/// it there (the peer is its source).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Injected {
    /// The message.
    pub msg: MsgIdx,
    /// The time to live the workload gives it, for protocols that use one.
    pub ttl: u8,
}

/// What a protocol's storage keeps beyond first-seen times, copies and hops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StorageNeeds {
    /// A per-peer list of the messages stored, in order ([`Context::known`]): pull gossip's index.
    pub known: bool,
    /// Per-producer counters and holes (ranged pull gossip's index).
    pub ranged: bool,
}

/// A protocol: a state machine for each peer it runs on.
///
/// ```
/// use p2psim_net::PeerId;
/// use p2psim_services::{Context, MsgIdx, PeerInit, Protocol, UserMessage};
///
/// #[derive(Debug)]
/// struct Flood(MsgIdx);
///
/// impl UserMessage for Flood {
///     const KINDS: &'static [&'static str] = &["Flood"];
///     fn size(&self) -> u32 { 100 }
///     fn updates(&self) -> u32 { 1 }
/// }
///
/// /// Relays every message to every neighbour, the first time it sees it.
/// struct Flooding;
///
/// impl Protocol for Flooding {
///     type Message = Flood;
///     type State = ();
///
///     fn init(&self, _: &mut PeerInit<'_>) {}
///
///     fn on_message(&self, _: &mut (), cx: &mut Context<'_, Flood>, from: PeerId, msg: &Flood) {
///         if cx.store(msg.0, 0) {
///             for q in cx.neighbours().to_vec() {
///                 if q != from {
///                     cx.send(q, Flood(msg.0));
///                 }
///             }
///         }
///     }
/// }
/// ```
pub trait Protocol: Send + 'static {
    /// The messages it sends and receives: the built-in [`Message`](crate::Message), or a type of
    /// your own that implements [`UserMessage`](crate::UserMessage).
    type Message: Wire;
    /// What it keeps for each peer it runs on.
    type State: Send + 'static;

    /// The state of one peer, made when the world is built.
    fn init(&self, peer: &mut PeerInit<'_>) -> Self::State;

    /// The peer starts (at time 0, before anything else of the run; P2PSimpy starts its runners
    /// then): set timers here.
    fn on_start(&self, state: &mut Self::State, cx: &mut Context<'_, Self::Message>) {
        let _ = (state, cx);
    }

    /// A message of its type reached the peer.
    fn on_message(
        &self,
        state: &mut Self::State,
        cx: &mut Context<'_, Self::Message>,
        from: PeerId,
        msg: &Self::Message,
    );

    /// A timer the peer set fired; `tag` is what it was set with.
    fn on_timer(&self, state: &mut Self::State, cx: &mut Context<'_, Self::Message>, tag: u32) {
        let _ = (state, cx, tag);
    }

    /// If the protocol acts in rounds: when (see [`Rounds`](crate::Rounds)). The world then calls
    /// [`Protocol::on_round`] for each peer at each of its rounds.
    fn rounds(&self) -> Option<RoundSchedule> {
        None
    }

    /// One round of the peer.
    fn on_round(&self, state: &mut Self::State, cx: &mut Context<'_, Self::Message>) {
        let _ = (state, cx);
    }

    /// The experiment's workload made a message appear at the peer. By default it is stored, as
    /// its source stores it (hops 0).
    fn on_inject(&self, state: &mut Self::State, cx: &mut Context<'_, Self::Message>, injected: Injected) {
        let _ = state;
        cx.store(injected.msg, 0);
    }

    /// For a protocol over the built-in [`Message`](crate::Message): the kinds it handles. `None`
    /// (the default) is every kind of its message type.
    fn kinds(&self) -> Option<&'static [Kind]> {
        None
    }

    /// What its storage keeps beyond first-seen times, copies and hops.
    fn storage(&self) -> StorageNeeds {
        StorageNeeds::default()
    }

    /// True if the protocol may connect or disconnect peers, or reads when a link was last heard
    /// from (the default, since the world cannot tell). Say false if it does neither: the world
    /// then keeps no link times for it and may count copies whose outcome is known when they are
    /// sent (the results are the same; the events fewer).
    fn may_change_links(&self) -> bool {
        true
    }

    /// True if a copy of a built-in gossip message the peer already holds does nothing here but
    /// count (push gossip relaying first copies only): the condition for counting such copies when
    /// they are sent. Only the built-in push gossip can say so.
    #[doc(hidden)]
    fn counts_known_copies_only(&self) -> bool {
        false
    }
}

/// What a protocol may use to make a peer's initial state.
pub struct PeerInit<'a> {
    pub(crate) peer: PeerId,
    pub(crate) seed: Seed,
    pub(crate) type_name: &'a str,
    pub(crate) service: &'a str,
}

impl PeerInit<'_> {
    /// The peer.
    pub fn peer(&self) -> PeerId {
        self.peer
    }

    /// The peer's own value of a parameter, for [`Param::value`]: for `Dist(…)` one draw, from a
    /// stream of its own for this type, service, field and peer (so that adding a parameter or a
    /// peer changes no other draw); for the others nothing is drawn.
    pub fn param(&self, field: &str, p: &Param) -> f64 {
        if !matches!(p, Param::Dist(_)) {
            return f64::NAN;
        }
        let key = StreamKey::new("param")
            .with_label(self.type_name)
            .with_label(self.service)
            .with_label(field)
            .with(self.peer.0.into());
        p.per_instance(&mut self.seed.stream(key))
    }

    /// A random stream for making the initial state, of its own for this type, service and peer
    /// (the peer's stream while running is [`Context::rng`]).
    pub fn rng(&self) -> SimRng {
        let key = StreamKey::new("init").with_label(self.type_name).with_label(self.service).with(self.peer.0.into());
        self.seed.stream(key)
    }
}

/// A numeric parameter as a protocol holds it for its peers: the constant, each peer's own value
/// (`Dist`: drawn once per peer when the world is built), or the distribution itself (`DistAttr`:
/// a fresh draw from the peer's stream at every use). Made by
/// [`BuildCx::param`](crate::BuildCx::param); costs 8 bytes per peer only for `Dist`.
#[derive(Clone, Debug, PartialEq)]
pub struct PeerParam {
    param: Param,
    own: Vec<f64>,
}

impl PeerParam {
    pub(crate) fn new(param: Param, own: Vec<f64>) -> PeerParam {
        PeerParam { param, own }
    }

    /// The same value for every peer.
    pub fn constant(v: f64) -> PeerParam {
        PeerParam { param: Param::Const(v), own: Vec::new() }
    }

    /// The value for this use at the context's peer.
    #[inline]
    pub fn get<M: Wire>(&self, cx: &mut Context<'_, M>) -> f64 {
        match &self.param {
            Param::Const(v) => *v,
            Param::Dist(_) => self.own[cx.local() as usize],
            Param::DistAttr(d) => d.draw(cx.rng()),
        }
    }

    /// The value for this use, rounded to a whole number, at least 0 (a fanout, a count).
    #[inline]
    pub fn count<M: Wire>(&self, cx: &mut Context<'_, M>) -> usize {
        let v = self.get(cx);
        if v > 0.0 { v.round().min(u32::MAX as f64) as usize } else { 0 }
    }

    /// The constant, if it is one.
    pub fn as_const(&self) -> Option<f64> {
        match self.param {
            Param::Const(v) => Some(v),
            _ => None,
        }
    }
}
