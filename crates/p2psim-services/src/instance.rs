//! One service running in the world: a protocol and the state of each of its peers
//! ([`Instance`]), and what every service has besides, whatever its protocol ([`ServiceState`]:
//! name, peers, storage, random streams, kinds, rounds).
//!
//! [`Instance<P>`] runs any [`Protocol`]: it takes the world's call for one peer ([`Action`]),
//! makes the [`Context`], and calls the protocol's handler. The world holds the built-in
//! protocols' instances by type and calls them directly (static dispatch,
//! [`AnyInstance`](crate::builtin::AnyInstance)); protocols registered from outside are boxed as
//! [`ErasedInstance`], the one place where a call goes through a vtable.

use p2psim_kernel::{Param, PeerRng, Seed, StreamKey, Streams};
use p2psim_net::PeerId;

use crate::context::{Context, Env};
use crate::kinds::{KindId, Kinds, Wire};
use crate::message::Message;
use crate::protocol::{Injected, PeerInit, Protocol};
use crate::rounds::RoundSchedule;
use crate::storage::Storage;

/// What every service has besides its protocol and its peers' states.
#[derive(Debug)]
pub(crate) struct ServiceState {
    /// The service's name within its type.
    pub(crate) name: String,
    /// The peer type it runs on.
    pub(crate) type_id: u16,
    /// Its peers, in id order.
    pub(crate) members: Vec<PeerId>,
    /// What its peers stored.
    pub(crate) storage: Storage,
    rngs: Streams,
    seed: Seed,
    key: StreamKey,
    /// The first kind of its message type.
    pub(crate) kind_base: KindId,
    /// The kinds it handles.
    pub(crate) kinds: Vec<KindId>,
    /// Its rounds, if it acts in rounds.
    pub(crate) rounds: Option<RoundSchedule>,
    /// With rounds whose period is drawn per peer (`Dist`): each peer's period, ms.
    pub(crate) period_own: Vec<f64>,
    /// The stream of the service's synchronous rounds (their times, when drawn): `"service" /
    /// type / name / "rounds"`, the round's own, since the round acts for every member and
    /// belongs to none of them.
    pub(crate) round_rng: PeerRng,
}

impl ServiceState {
    /// The stream of `peer`, member number `local`, for this service: `"service" / type / name /
    /// peer`. (The caller knows both; looking the peer up would cost a memory access per call.)
    #[inline]
    pub(crate) fn rng(&mut self, local: u32, peer: PeerId) -> &mut PeerRng {
        debug_assert_eq!(self.members[local as usize], peer);
        self.rngs.get(local as usize, peer.0, self.key.with(peer.0.into()))
    }

    /// Asks the CPU to bring what a message's arrival at member `local` reads (its storage cell,
    /// the handle of its generator) into the cache.
    #[inline]
    pub(crate) fn prefetch(&self, local: u32, m: crate::MsgIdx) {
        self.storage.prefetch(local, m);
        self.rngs.prefetch(local as usize);
    }

    /// Asks the CPU to bring what any message's arrival at member `local` reads first (its lists
    /// of known messages and counters, the handle of its generator) into the cache.
    #[inline]
    pub(crate) fn prefetch_peer(&self, local: u32) {
        self.storage.prefetch_peer(local);
        self.rngs.prefetch(local as usize);
    }

    /// The peer's own value of the first-round wait of a P2PSimpy-style round (`init_timeout`).
    pub(crate) fn init_param(&self, type_name: &str, local: u32, init: &Param) -> f64 {
        PeerInit { peer: self.members[local as usize], seed: self.seed, type_name, service: &self.name }
            .param("init_timeout", init)
    }

    /// The peer's own round period, for a period drawn per peer.
    #[inline]
    pub(crate) fn period_own(&self, local: u32) -> f64 {
        self.period_own.get(local as usize).copied().unwrap_or(f64::NAN)
    }
}

/// What the world asks of a service for one peer.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Action<'m> {
    /// The peer starts.
    Start,
    /// A message arrived.
    Message { from: PeerId, msg: &'m Message },
    /// A timer fired.
    Timer { tag: u32 },
    /// A round.
    Round,
    /// A message appears at the peer.
    Inject(Injected),
}

/// A protocol and the states of its peers.
pub(crate) struct Instance<P: Protocol> {
    pub(crate) protocol: P,
    pub(crate) states: Vec<P::State>,
}

impl<P: Protocol> Instance<P> {
    /// Builds the instance and the service's state: every peer's state, its storage and streams,
    /// its kinds registered.
    pub(crate) fn build(
        protocol: P,
        seed: Seed,
        type_name: &str,
        type_id: u16,
        name: &str,
        members: Vec<PeerId>,
        kinds: &mut Kinds,
    ) -> (Instance<P>, ServiceState) {
        let states =
            members.iter().map(|&peer| protocol.init(&mut PeerInit { peer, seed, type_name, service: name })).collect();
        let needs = protocol.storage();
        let rounds = protocol.rounds();
        let period_own = match &rounds {
            Some(r) if matches!(r.period, Param::Dist(_)) => members
                .iter()
                .map(|&peer| PeerInit { peer, seed, type_name, service: name }.param("round_time", &r.period))
                .collect(),
            _ => Vec::new(),
        };
        let kind_base = P::Message::register(kinds);
        let handled = match protocol.kinds() {
            Some(list) => list.iter().map(|k| k.id()).collect(),
            None => P::Message::all_kinds(kind_base),
        };
        let key = StreamKey::new("service").with_label(type_name).with_label(name);
        let common = ServiceState {
            name: name.to_owned(),
            type_id,
            storage: Storage::new(members.len(), needs.known, needs.ranged),
            rngs: Streams::new(seed, members.len()),
            members,
            seed,
            key,
            kind_base,
            kinds: handled,
            rounds,
            period_own,
            round_rng: seed.peer_stream(key.with_label("rounds")),
        };
        (Instance { protocol, states }, common)
    }

    /// Runs one action of one peer.
    #[inline]
    pub(crate) fn act(
        &mut self,
        env: Env<'_>,
        common: &mut ServiceState,
        peer: PeerId,
        local: u32,
        action: Action<'_>,
    ) {
        let state = &mut self.states[local as usize];
        let mut cx = Context::<P::Message>::new(env, common, peer, local);
        match action {
            Action::Start => self.protocol.on_start(state, &mut cx),
            Action::Message { from, msg } => {
                if let Some(m) = P::Message::unwrap(msg) {
                    self.protocol.on_message(state, &mut cx, from, m);
                }
            }
            Action::Timer { tag } => self.protocol.on_timer(state, &mut cx, tag),
            Action::Round => self.protocol.on_round(state, &mut cx),
            Action::Inject(i) => self.protocol.on_inject(state, &mut cx, i),
        }
    }
}

/// An instance whose protocol type is not known to the world: how protocols registered from
/// outside this crate run, and how the world asks any instance what only its protocol knows.
pub(crate) trait ErasedInstance: Send {
    fn act(&mut self, env: Env<'_>, common: &mut ServiceState, peer: PeerId, local: u32, action: Action<'_>);

    /// See [`Protocol::may_change_links`].
    fn may_change_links(&self) -> bool;

    /// See [`Protocol::counts_known_copies_only`].
    fn counts_known_copies_only(&self) -> bool;

    /// The peers' states, as `&[P::State]`.
    fn states(&self) -> &dyn std::any::Any;
}

impl<P: Protocol> ErasedInstance for Instance<P> {
    fn act(&mut self, env: Env<'_>, common: &mut ServiceState, peer: PeerId, local: u32, action: Action<'_>) {
        Instance::act(self, env, common, peer, local, action);
    }

    fn may_change_links(&self) -> bool {
        self.protocol.may_change_links()
    }

    fn counts_known_copies_only(&self) -> bool {
        self.protocol.counts_known_copies_only()
    }

    fn states(&self) -> &dyn std::any::Any {
        &self.states
    }
}
