//! The build phase's second half and the run phase: a checked [`Scenario`] becomes a
//! [`Simulation`] (topology drawn, world and faults built, every service started), which then runs
//! in chunks of simulated time.

use p2psim_disruption::{Event, GraphSnapshot, RunModel};
use p2psim_kernel::{Kernel, Seed, SimDuration, SimTime, StreamKey};
use p2psim_net::{NetConfig, PeerId, Topology};
use p2psim_services::{Bootstrap, Role, ServiceId, World};

use crate::error::Error;
use crate::experiment::{Experiment, Graph};
use crate::scenario::Scenario;

/// A run: built from a checked [`Scenario`], advanced with [`Simulation::run_until`] (which can
/// be called again with a later time; chunked runs equal one run).
pub struct Simulation {
    experiment: Experiment,
    kernel: Kernel<Event>,
    model: RunModel,
    gossip: Option<ServiceId>,
    snapshots: Vec<GraphSnapshot>,
    next_snapshot: Option<SimTime>,
}

/// Draws the initial topology. The scenario's checks made every step possible.
fn topology(exp: &Experiment, kinds: &[u16], type_names: &[String], explicit: &[(u32, u32)]) -> Topology {
    let n = kinds.len() as u32;
    let mut rng = Seed(exp.seed).stream(StreamKey::new("topology"));
    let ids_of = |names: &[String]| -> Vec<PeerId> {
        (0..n)
            .filter(|&p| names.is_empty() || names.contains(&type_names[kinds[p as usize] as usize]))
            .map(PeerId)
            .collect()
    };
    let among = ids_of(&exp.topology.among);
    let m = among.len() as u32;
    let checked = "the scenario checked the graph's parameters";
    let sub = match exp.topology.graph {
        Graph::None => Topology::empty(m),
        Graph::Complete => Topology::complete(m),
        Graph::ErdosRenyi { p } => Topology::erdos_renyi(m, p, &mut rng).expect(checked),
        Graph::RandomRegular { degree } => Topology::random_regular(m, degree, &mut rng).expect(checked),
        Graph::BarabasiAlbert { m: k } => Topology::barabasi_albert(m, k, &mut rng).expect(checked),
        Graph::WattsStrogatz { k, p } => Topology::watts_strogatz(m, k, p, &mut rng).expect(checked),
    };
    let edges: Vec<(u32, u32)> = sub.edges().iter().map(|&(a, b)| (among[a.index()].0, among[b.index()].0)).collect();
    let mut t = Topology::from_edges(n, &edges).expect("edges between existing peers");
    for a in &exp.topology.attach {
        let who = ids_of(std::slice::from_ref(&a.peer_type));
        let to = ids_of(&a.to);
        t.add_random_links(&who, a.links, &to, &mut rng).expect("the scenario checked there are enough peers");
    }
    let mut edges: Vec<(u32, u32)> = t.edges().iter().map(|&(a, b)| (a.0, b.0)).collect();
    edges.extend(explicit.iter().copied());
    Topology::from_edges(n, &edges).expect("the scenario checked the explicit edges")
}

impl Simulation {
    /// Builds the run of a checked scenario: draws the topology, builds the world and its faults,
    /// and starts every service. Cannot fail: the scenario's checks made every step possible.
    pub fn new(scenario: Scenario) -> Simulation {
        let kinds = scenario.kinds();
        let Scenario { experiment: exp, locations, types, edges, .. } = scenario;
        let type_names: Vec<String> = exp.peer_types.iter().map(|t| t.name.clone()).collect();
        let topology = topology(&exp, &kinds, &type_names, &edges);
        let net = NetConfig {
            latency: exp.network.latency,
            transmission: exp.network.transmission,
            monitors: exp.network.monitors,
            link_times: true,
            loss: exp.network.loss,
        };
        let bootstrap = if exp.topology.hello { Bootstrap::Hello } else { Bootstrap::Instant };
        let world = World::new(Seed(exp.seed), locations, net, &types, &kinds, topology, bootstrap);
        let gossip = match &exp.analysis.gossip {
            Some(g) => world.service(&g.peer_type, &g.service),
            None => world.services().find(|&s| world.service_role(s) == Role::Dissemination),
        };
        let mut model = RunModel::new(world, &exp.faults);
        model.set_workload(&exp.workload);
        if exp.network.account_known_copies {
            model.world.account_known_copies(SimTime::from_millis(exp.until_ms));
        }
        let mut kernel = Kernel::new();
        for (a, b, p) in &exp.network.loss_between {
            let net = model.world.net();
            let (a, b) = (net.locations().id(a), net.locations().id(b));
            let (a, b) = (a.expect("checked"), b.expect("checked"));
            model.world.control(&mut kernel).set_loss_between(a, b, *p).expect("checked");
        }
        model.start(&mut kernel);
        let next_snapshot = exp.analysis.snapshot_every_ms.map(|_| SimTime::ZERO);
        Simulation { experiment: exp, kernel, model, gossip, snapshots: Vec::new(), next_snapshot }
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
            return Err(Error::input("until", format!("cannot run back to {t} from {}", self.kernel.now())));
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
            self.next_snapshot = Some(at + SimDuration::from_millis_f64(every));
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
    pub fn faults(&self) -> &RunModel {
        &self.model
    }

    /// The peers of a type.
    pub fn peers_of_type(&self, name: &str) -> &[PeerId] {
        let w = self.world();
        w.peers().type_id(name).map_or(&[], |t| w.peers().members(t))
    }

    /// The service the analysis reads (see the experiment's `analysis.gossip`).
    pub fn gossip_service(&self) -> Option<ServiceId> {
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

    /// Messages of a built-in `kind` sent by all peers.
    pub fn sent(&self, kind: p2psim_services::Kind) -> u64 {
        let w = self.world();
        w.net().peers().map(|p| u64::from(w.sent_by_kind(p, kind.id()).msgs)).sum()
    }
}
