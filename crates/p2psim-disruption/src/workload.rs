//! The workload: messages the experiment makes appear at chosen peers at chosen times, without a
//! client peer, a producer or a link to carry them.
//!
//! An injected message is produced at its peer and handed to each of that peer's services
//! ([`Protocol::on_inject`](p2psim_services::Protocol::on_inject)): every service stores it (the
//! peer is its source, hops 0), a push service sends it on with the injection's TTL, a rumor
//! monger becomes hot, a protocol of your own does what its `on_inject` says.
//!
//! What it is not: the faults (peers and links changing), or producers, which are services that
//! run on peers and send their messages over links.

use p2psim_kernel::{ConfigError, Param, Seed, SimDuration, SimRng, StreamKey, check_duration_ms};
use p2psim_net::PeerId;
use p2psim_services::World;
use rand::RngExt;
use serde::{Deserialize, Serialize};

use crate::spec::{FaultCheckCx, Selector};

/// Which of the selected peers injects each message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Pick {
    /// Every selected peer that is online injects a message of its own.
    #[default]
    Each,
    /// One peer drawn uniformly among the selected peers online at that time.
    Random,
}

/// Messages injected at peers: `messages` times, from `at` ms, `every` ms apart.
///
/// ```text
/// workload: [Inject(peers: Type("source"), messages: 50, at: 100, every: 20)]
/// workload: [Inject(peers: All, pick: Random, messages: 100, at: 0, every: Dist(Expon(loc: 0, scale: 10)))]
/// ```
///
/// A selected peer that is not online when its turn comes injects nothing (as a producer on a
/// peer that is down sends nothing).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inject {
    /// The peers that inject.
    pub peers: Selector,
    /// Each of them, or one drawn at random for each message.
    #[serde(default)]
    pub pick: Pick,
    /// How many times a message is injected (with `Each`, each selected peer injects that many).
    #[serde(default = "one")]
    pub messages: u32,
    /// The first injection, ms.
    #[serde(default)]
    pub at: f64,
    /// Time between injections, ms: a constant, a distribution drawn once (`Dist`), or drawn for
    /// every gap (`DistAttr`: `DistAttr(Expon(loc: 0, scale: 10))` is a Poisson process of rate
    /// 0.1 a ms).
    #[serde(default = "one_ms")]
    pub every: Param,
    /// The time to live the injected messages start with, for protocols that use one.
    #[serde(default)]
    pub ttl: u8,
}

fn one() -> u32 {
    1
}

fn one_ms() -> Param {
    Param::Const(1.0)
}

/// The largest number of injections of one entry: each is an event, and the run's memory grows
/// with the messages.
pub const MAX_INJECTIONS: u32 = 100_000_000;

impl Inject {
    /// The checks of one injection; errors name the field inside it.
    pub fn check(&self, cx: &FaultCheckCx<'_>) -> Result<(), ConfigError> {
        self.peers.check(cx).map_err(|e| e.at("peers"))?;
        if self.messages > MAX_INJECTIONS {
            return Err(ConfigError::field("messages", format!("at most {MAX_INJECTIONS}, got {}", self.messages)));
        }
        check_duration_ms("at", self.at)?;
        if self.messages > 1 {
            self.every.check_period("every")?;
        }
        Ok(())
    }

    /// Messages injected over the run, at most: for estimating its size.
    pub fn messages_at_most(&self, selected: u64) -> u64 {
        match self.pick {
            Pick::Each => u64::from(self.messages) * selected,
            Pick::Random => u64::from(self.messages),
        }
    }
}

/// One injection at run time.
#[derive(Debug)]
struct Running {
    spec: Inject,
    members: Vec<PeerId>,
    rng: SimRng,
    /// The value of `every` drawn once, for a `Dist`.
    every: f64,
}

/// The workload at run time.
#[derive(Debug, Default)]
pub(crate) struct Workload {
    running: Vec<Running>,
}

impl Workload {
    pub(crate) fn new(world: &World, seed: Seed, specs: &[Inject]) -> Workload {
        let running = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                let mut rng = seed.stream(StreamKey::new("workload").with(i as u64));
                let every = spec.every.per_instance(&mut rng);
                Running { spec: spec.clone(), members: crate::fault::selected(world, &spec.peers), rng, every }
            })
            .collect();
        Workload { running }
    }

    /// How many entries the workload has.
    pub(crate) fn entries(&self) -> usize {
        self.running.len()
    }

    /// The entries and when each first injects.
    pub(crate) fn first(&self) -> impl Iterator<Item = (u16, SimDuration)> + '_ {
        self.running
            .iter()
            .enumerate()
            .filter(|(_, r)| r.spec.messages > 0)
            .map(|(i, r)| (i as u16, SimDuration::from_millis_f64(r.spec.at)))
    }

    /// Injection number `index` of entry `entry`: the peers that inject now, the TTL, and the
    /// wait until the next injection, if there is one.
    pub(crate) fn step(&mut self, world: &World, entry: u16, index: u32) -> (Vec<PeerId>, u8, Option<SimDuration>) {
        let r = &mut self.running[entry as usize];
        let online = |p: &&PeerId| world.net().is_online(**p);
        let peers: Vec<PeerId> = match r.spec.pick {
            Pick::Each => r.members.iter().filter(online).copied().collect(),
            Pick::Random => {
                let candidates: Vec<PeerId> = r.members.iter().filter(online).copied().collect();
                if candidates.is_empty() {
                    Vec::new()
                } else {
                    vec![candidates[r.rng.random_range(0..candidates.len())]]
                }
            }
        };
        let next = (index + 1 < r.spec.messages)
            .then(|| SimDuration::from_millis_abs(r.spec.every.value(r.every, &mut r.rng)));
        (peers, r.spec.ttl, next)
    }
}
