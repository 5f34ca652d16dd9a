//! The simulation built from an experiment.

use p2psim_disruption::{Event, Faulty, GraphSnapshot};
use p2psim_kernel::{Kernel, Seed, SimTime, StreamKey};
use p2psim_net::{Locations, NetConfig, PeerId, Topology};
use p2psim_services::{Bootstrap, Kind, PeerTypeSpec, ServiceSpec, World};

use crate::error::Error;
use crate::experiment::{Experiment, Graph, LocationsSpec};

/// A run: built from an [`Experiment`], advanced with [`Simulation::run_until`] (which can be
/// called again with a later time; chunked runs equal one run).
pub struct Simulation {
    experiment: Experiment,
    kernel: Kernel<Event>,
    model: Faulty,
    gossip: Option<u16>,
    snapshots: Vec<GraphSnapshot>,
    next_snapshot: Option<SimTime>,
}

fn topology(exp: &Experiment, kinds: &[u16], type_ids: &[String]) -> Result<Topology, Error> {
    let n = kinds.len() as u32;
    let mut rng = Seed(exp.seed).stream(StreamKey::new("topology"));
    let ids_of = |names: &[String]| -> Vec<PeerId> {
        (0..n)
            .filter(|&p| names.is_empty() || names.contains(&type_ids[kinds[p as usize] as usize]))
            .map(PeerId)
            .collect()
    };
    let among = ids_of(&exp.topology.among);
    let m = among.len() as u32;
    let field = "topology.graph";
    let sub = match exp.topology.graph {
        Graph::None => Topology::empty(m),
        Graph::Complete => Topology::complete(m),
        Graph::ErdosRenyi { p } => Topology::erdos_renyi(m, p, &mut rng).map_err(|e| Error::build(field, e))?,
        Graph::RandomRegular { degree } => {
            Topology::random_regular(m, degree, &mut rng).map_err(|e| Error::build(field, e))?
        }
        Graph::BarabasiAlbert { m: k } => {
            Topology::barabasi_albert(m, k, &mut rng).map_err(|e| Error::build(field, e))?
        }
        Graph::WattsStrogatz { k, p } => {
            Topology::watts_strogatz(m, k, p, &mut rng).map_err(|e| Error::build(field, e))?
        }
    };
    let mut edges: Vec<(u32, u32)> =
        sub.edges().iter().map(|&(a, b)| (among[a.index()].0, among[b.index()].0)).collect();
    let mut t = Topology::from_edges(n, &edges).map_err(|e| Error::build(field, e))?;
    for (i, a) in exp.topology.attach.iter().enumerate() {
        let who = ids_of(std::slice::from_ref(&a.peer_type));
        let to = ids_of(&a.to);
        t.add_random_links(&who, a.links, &to, &mut rng)
            .map_err(|e| Error::build(&format!("topology.attach[{i}]"), e))?;
    }
    edges = t.edges().iter().map(|&(a, b)| (a.0, b.0)).collect();
    edges.extend(exp.topology.edges.iter().copied());
    Topology::from_edges(n, &edges).map_err(|e| Error::build("topology.edges", e))
}

impl Simulation {
    /// Builds the run.
    pub fn new(exp: &Experiment) -> Result<Simulation, Error> {
        exp.check()?;
        let locations = match &exp.locations {
            LocationsSpec::Aws => Locations::aws(),
            LocationsSpec::Custom { names, latencies } => {
                Locations::new(names.clone(), latencies.clone()).map_err(|e| Error::build("locations", e))?
            }
        };
        let type_names: Vec<String> = exp.peer_types.iter().map(|t| t.name.clone()).collect();
        let mut kinds = Vec::new();
        for g in &exp.peers {
            let t = type_names.iter().position(|n| *n == g.peer_type).expect("checked") as u16;
            kinds.extend(std::iter::repeat_n(t, g.count as usize));
        }
        let topology = topology(exp, &kinds, &type_names)?;
        let types: Vec<PeerTypeSpec> = exp
            .peer_types
            .iter()
            .map(|t| PeerTypeSpec { name: t.name.clone(), physical: t.physical.clone(), services: t.services.clone() })
            .collect();
        let net =
            NetConfig {
                latency: exp.network.latency,
                transmission: exp.network.transmission,
                monitors: exp.network.monitors,
                // When each link was last heard from matters only to connection managers.
                link_times: exp.peer_types.iter().flat_map(|t| &t.services).any(|(_, s)| {
                    matches!(s, ServiceSpec::ConnectionManager(_) | ServiceSpec::P2pConnectionManager(_))
                }),
                loss: exp.network.loss,
            };
        let bootstrap = if exp.topology.hello { Bootstrap::Hello } else { Bootstrap::Instant };
        let mut world = World::new(Seed(exp.seed), locations, net, &types, &kinds, topology, bootstrap)
            .map_err(|e| Error::build("peer_types", e))?;
        if exp.network.account_known_copies && exp.faults.is_empty() {
            world.account_known_copies(SimTime::from_millis(exp.until_ms));
        }
        let gossip = match &exp.analysis.gossip {
            Some(g) => Some(world.service(&g.peer_type, &g.service).ok_or_else(|| {
                Error::build("analysis.gossip", format!("type `{}` has no service named `{}`", g.peer_type, g.service))
            })?),
            None => (0..world.service_count() as u16).find(|&slot| {
                let name = exp
                    .peer_types
                    .iter()
                    .flat_map(|t| t.services.iter())
                    .find(|(n, _)| n == world.service_name(slot))
                    .map(|(_, s)| s.kind_name());
                !matches!(name, Some("connection-manager" | "p2p-connection-manager" | "producer") | None)
            }),
        };
        let mut model = Faulty::new(world, &exp.faults).map_err(|e| Error::build("faults", e))?;
        let mut kernel = Kernel::new();
        model.start(&mut kernel);
        let next_snapshot = exp.analysis.snapshot_every_ms.map(|_| SimTime::ZERO);
        Ok(Simulation { experiment: exp.clone(), kernel, model, gossip, snapshots: Vec::new(), next_snapshot })
    }

    /// Runs every event strictly before `t` (snapshots of the live graph taken on the way).
    pub fn run_until(&mut self, t: SimTime) -> Result<(), Error> {
        self.run_until_at_most(t, u64::MAX).map(|_| ())
    }

    /// Runs like [`Simulation::run_until`], but handles at most `max_events` events; returns
    /// whether `t` was reached.
    ///
    /// A guard for experiments whose size is not known in advance (generated or user-supplied
    /// files): a producer at a million messages a second stops at the budget instead of filling
    /// memory. A run that stopped at the budget continues exactly where it stopped when called
    /// again, so chunks of any size give the same results as one call.
    pub fn run_until_at_most(&mut self, t: SimTime, max_events: u64) -> Result<bool, Error> {
        if t < self.kernel.now() {
            return Err(Error::build("until", format!("cannot run back to {t} from {}", self.kernel.now())));
        }
        let mut budget = max_events;
        loop {
            // Events strictly before the next snapshot come first; the snapshot shows the graph
            // as they left it.
            let stop = self.next_snapshot.filter(|&at| at <= t);
            let segment_end = stop.unwrap_or(t);
            let handled = self.kernel.run_until_at_most(segment_end, budget, &mut self.model).expect("checked above");
            budget -= handled;
            if self.kernel.now() < segment_end {
                return Ok(false);
            }
            let Some(at) = stop else { return Ok(true) };
            self.snapshots.push(self.model.snapshot(at));
            let every = self.experiment.analysis.snapshot_every_ms.expect("set when snapshots are on");
            self.next_snapshot = Some(at + p2psim_kernel::SimDuration::from_millis_f64(every));
        }
    }

    /// Runs to the experiment's `until_ms`.
    pub fn run(&mut self) -> Result<(), Error> {
        self.run_until(SimTime::from_millis(self.experiment.until_ms))
    }

    /// The experiment.
    pub fn experiment(&self) -> &Experiment {
        &self.experiment
    }

    /// The current time.
    pub fn now(&self) -> SimTime {
        self.kernel.now()
    }

    /// Events handled so far.
    pub fn events(&self) -> u64 {
        self.kernel.events_processed()
    }

    /// The protocol layer: network, peers, services and their storages.
    pub fn world(&self) -> &World {
        &self.model.world
    }

    /// The fault layer.
    pub fn faults(&self) -> &Faulty {
        &self.model
    }

    /// The peers of a type.
    pub fn peers_of_type(&self, name: &str) -> &[PeerId] {
        let w = self.world();
        w.peers().type_id(name).map_or(&[], |t| w.peers().members(t))
    }

    /// The service the analysis reads (see the experiment's `analysis.gossip`).
    pub fn gossip_service(&self) -> Option<u16> {
        self.gossip
    }

    /// The live graph now.
    pub fn graph(&self) -> GraphSnapshot {
        self.model.snapshot(self.kernel.now())
    }

    /// The snapshots taken so far.
    pub fn snapshots(&self) -> &[GraphSnapshot] {
        &self.snapshots
    }

    /// Messages of `kind` sent by all peers.
    pub fn sent(&self, kind: Kind) -> u64 {
        let w = self.world();
        w.net().peers().map(|p| u64::from(w.traffic(p).msgs[kind.index()])).sum()
    }
}
