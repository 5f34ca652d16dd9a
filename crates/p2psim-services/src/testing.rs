//! Testing a protocol as a state machine, without a simulation.
//!
//! A [`Harness`] holds one protocol running on a few peers of one type, linked as you say, and
//! calls its handlers directly with a hand-built [`Context`](crate::Context): deliver a message,
//! fire a timer, run a round, and look at the effects it emitted and the state and storage it left.
//! Nothing is scheduled and no time passes unless you set the clock ([`Harness::at`]); effects are
//! returned, not applied (the links do not change, sends go nowhere).
//!
//! ```
//! use p2psim_net::PeerId;
//! use p2psim_services::testing::Harness;
//! use p2psim_services::{Context, MsgIdx, PeerInit, Protocol, UserMessage};
//!
//! #[derive(Debug, PartialEq)]
//! struct Flood(MsgIdx);
//! impl UserMessage for Flood {
//!     const KINDS: &'static [&'static str] = &["Flood"];
//!     fn size(&self) -> u32 { 100 }
//! }
//!
//! struct Flooding;
//! impl Protocol for Flooding {
//!     type Message = Flood;
//!     type State = ();
//!     fn init(&self, _: &mut PeerInit<'_>) {}
//!     fn on_message(&self, _: &mut (), cx: &mut Context<'_, Flood>, from: PeerId, m: &Flood) {
//!         if cx.store(m.0, 0) {
//!             for q in cx.neighbours().to_vec() {
//!                 if q != from { cx.send(q, Flood(m.0)) }
//!             }
//!         }
//!     }
//! }
//!
//! let mut h = Harness::new(Flooding, 3, &[(0, 1), (1, 2)]);
//! let m = h.produce(PeerId(0));
//! let effects = h.deliver(PeerId(1), PeerId(0), Flood(m));
//! let sent = Harness::<Flooding>::sends(&effects);
//! assert_eq!(sent, vec![(PeerId(1), PeerId(2), &Flood(m))]);
//! assert!(h.deliver(PeerId(1), PeerId(2), Flood(m)).is_empty(), "a second copy is not relayed");
//! assert_eq!(h.record(PeerId(1), m).unwrap().copies, 2);
//! ```

use p2psim_kernel::{Seed, SimTime, Timers};
use p2psim_net::{Delay, Locations, NetConfig, Network, PeerId, PeerSpec, Topology};

use crate::config::{BuildCx, CheckCx, ServiceConfig};
use crate::context::{Effect, Env};
use crate::instance::{Action, Instance, ServiceState};
use crate::kinds::{Kinds, Wire};
use crate::message::{Message, MsgIdx};
use crate::peers::PeerTable;
use crate::protocol::{Injected, Protocol};
use crate::registry::Messages;
use crate::storage::Record;

/// One protocol on a few peers, called by hand.
pub struct Harness<P: Protocol> {
    instance: Instance<P>,
    common: ServiceState,
    net: Network<Message>,
    peers: PeerTable,
    messages: Messages,
    timers: Timers,
    scratch: Vec<PeerId>,
    now: SimTime,
}

impl<P: Protocol> Harness<P> {
    /// `protocol` running on peers `0..peers` (all of one type, `peer`), linked by `links`.
    pub fn new(protocol: P, peers: u32, links: &[(u32, u32)]) -> Harness<P> {
        Harness::make(peers, links, Seed(1), |_| protocol)
    }

    /// The protocol a configuration builds (after its check), on peers `0..peers` of type `peer`,
    /// linked by `links`, with the random streams of `seed`.
    ///
    /// # Panics
    /// If the configuration's check refuses it.
    pub fn from_config<C: ServiceConfig<Protocol = P>>(
        config: &C,
        peers: u32,
        links: &[(u32, u32)],
        seed: Seed,
    ) -> Harness<P> {
        let names = vec!["peer".to_owned()];
        if let Err(e) = config.check(&CheckCx::new(&names, "peer")) {
            panic!("the configuration is refused: {e}");
        }
        Harness::make(peers, links, seed, |cx| config.build(cx))
    }

    fn make(peers: u32, links: &[(u32, u32)], seed: Seed, protocol: impl FnOnce(&mut BuildCx<'_>) -> P) -> Harness<P> {
        let locations =
            Locations::new(vec!["L".into()], vec![("L".into(), "L".into(), Delay::Const(2.0))]).expect("one location");
        let specs: Vec<PeerSpec> = (0..peers)
            .map(|_| PeerSpec { location: p2psim_net::LocationId(0), upload: f64::INFINITY, download: f64::INFINITY })
            .collect();
        let mut net = Network::new(seed, locations, &specs, NetConfig::default()).expect("valid peers");
        let topology = Topology::from_edges(peers, links).expect("links between the harness's peers");
        net.connect_topology(&topology, SimTime::ZERO).expect("same peer count");
        let table = PeerTable::new(vec!["peer".into()], &vec![0; peers as usize]);
        let members: Vec<PeerId> = (0..peers).map(PeerId).collect();
        let mut validations = Vec::new();
        let mut cx = BuildCx {
            peers: &table,
            type_name: "peer",
            service: "protocol",
            members: &members,
            seed,
            validations: &mut validations,
        };
        let protocol = protocol(&mut cx);
        let (instance, common) = Instance::build(protocol, seed, "peer", 0, "protocol", members, &mut Kinds::new());
        Harness {
            instance,
            common,
            net,
            peers: table,
            messages: Messages::new(),
            timers: Timers::new(),
            scratch: Vec::new(),
            now: SimTime::ZERO,
        }
    }

    /// Sets the clock for the calls that follow.
    pub fn at(&mut self, t: SimTime) -> &mut Self {
        self.now = t;
        self
    }

    fn act(&mut self, peer: PeerId, action: Action<'_>) -> Vec<Effect> {
        let mut effects = Vec::new();
        let env = Env {
            now: self.now,
            net: &self.net,
            peers: &self.peers,
            messages: &mut self.messages,
            effects: &mut effects,
            timers: &mut self.timers,
            scratch: &mut self.scratch,
        };
        self.instance.act(env, &mut self.common, peer, self.peers.local(peer), action);
        effects
    }

    /// The peer starts.
    pub fn start(&mut self, peer: PeerId) -> Vec<Effect> {
        self.act(peer, Action::Start)
    }

    /// `msg` from `from` reaches `to`.
    pub fn deliver(&mut self, to: PeerId, from: PeerId, msg: P::Message) -> Vec<Effect> {
        let wire = msg.wrap(self.common.kind_base);
        self.act(to, Action::Message { from, msg: &wire })
    }

    /// A timer of the peer set with `tag` fires.
    pub fn timer(&mut self, peer: PeerId, tag: u32) -> Vec<Effect> {
        self.act(peer, Action::Timer { tag })
    }

    /// A round of the peer.
    pub fn round(&mut self, peer: PeerId) -> Vec<Effect> {
        self.act(peer, Action::Round)
    }

    /// The workload makes `msg` appear at the peer.
    pub fn inject(&mut self, peer: PeerId, msg: MsgIdx, ttl: u8) -> Vec<Effect> {
        self.act(peer, Action::Inject(Injected { msg, ttl }))
    }

    /// Registers a new message produced at `peer` now (not stored anywhere).
    pub fn produce(&mut self, peer: PeerId) -> MsgIdx {
        self.messages.produce(peer, self.now, 310, 0).0
    }

    /// The peer's state.
    pub fn state(&self, peer: PeerId) -> &P::State {
        &self.instance.states[self.peers.local(peer) as usize]
    }

    /// What the peer stored of `msg`.
    pub fn record(&self, peer: PeerId, msg: MsgIdx) -> Option<Record> {
        self.common.storage.get(self.peers.local(peer), msg)
    }

    /// The sends among `effects`: sender, receiver, message.
    pub fn sends(effects: &[Effect]) -> Vec<(PeerId, PeerId, &P::Message)> {
        effects
            .iter()
            .filter_map(|e| match e {
                Effect::Send { from, to, msg, .. } => P::Message::unwrap(msg).map(|m| (*from, *to, m)),
                _ => None,
            })
            .collect()
    }
}
