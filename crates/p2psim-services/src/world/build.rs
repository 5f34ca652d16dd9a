//! Building a world: peer types checked once ([`CheckedTypes`]), then built without a way to fail.

use p2psim_kernel::{ConfigError, Seed, SimTime, Timers};
use p2psim_net::{Locations, NetConfig, Network, Topology};

use super::known_copies::{COUNTED, KnownCopies};
use super::physical::{PeerTypeSpec, draw_peers};
use super::{Bootstrap, RunningService, ServiceId, World};
use crate::config::{BuildCx, CheckCx};
use crate::kinds::{KindId, Kinds};
use crate::peers::PeerTable;
use crate::registry::Messages;
use crate::validation::Validator;

/// Peer types whose every name resolves and every parameter is in range: what a world is built
/// from. Errors name the field, inside the list of types (`[1].services[0].msg_rate`).
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedTypes(Vec<PeerTypeSpec>);

impl CheckedTypes {
    /// Checks the types against the location table.
    pub fn new(types: Vec<PeerTypeSpec>, locations: &Locations) -> Result<CheckedTypes, ConfigError> {
        if types.is_empty() {
            return Err(ConfigError::here("at least one peer type is needed"));
        }
        if types.len() > usize::from(u16::MAX) {
            return Err(ConfigError::here(format!("{} peer types; at most 65535", types.len())));
        }
        let names: Vec<String> = types.iter().map(|t| t.name.clone()).collect();
        let mut validations = 0usize;
        for (i, t) in types.iter().enumerate() {
            let at = |e: ConfigError| e.at_index(i);
            if names[..i].contains(&t.name) {
                return Err(at(ConfigError::field("name", format!("type `{}` is defined twice", t.name))));
            }
            t.physical.check(locations).map_err(|e| at(e.at("physical")))?;
            let cx = CheckCx::new(&names, &t.name);
            for (j, (name, service)) in t.services.iter().enumerate() {
                let at_service = |e: ConfigError| at(e.at_index(j).at("services"));
                if t.services[..j].iter().any(|(n, _)| n == name) {
                    return Err(at_service(
                        ConfigError::here(format!("two services of type `{}` are named `{name}`", t.name)).at_index(0),
                    ));
                }
                // The configuration is the second element of the `(name, service)` pair.
                service.check(&cx).map_err(|e| at_service(e.at_index(1)))?;
                validations += usize::from(service.attaches_validation());
            }
        }
        let services: usize = types.iter().map(|t| t.services.len()).sum();
        if services > usize::from(u16::MAX) {
            return Err(ConfigError::here(format!("{services} services in all; at most 65535")));
        }
        if validations > 255 {
            return Err(ConfigError::here(format!("{validations} producers attach a validation; at most 255 may")));
        }
        Ok(CheckedTypes(types))
    }

    /// The types.
    pub fn types(&self) -> &[PeerTypeSpec] {
        &self.0
    }
}

impl World {
    /// Builds the world: peer `p` has the type `types[peer_type[p]]`; `topology` gives the initial
    /// links. Each peer's location and bandwidths are drawn from its type's description, from a
    /// stream of its own.
    ///
    /// # Panics
    /// If a peer's type index is not a type, or the topology is for another number of peers:
    /// the caller built them, from the same experiment, and they must agree.
    pub fn new(
        seed: Seed,
        locations: Locations,
        net_config: NetConfig,
        types: &CheckedTypes,
        peer_type: &[u16],
        topology: Topology,
        bootstrap: Bootstrap,
    ) -> World {
        let types = types.types();
        assert!(peer_type.iter().all(|&t| (t as usize) < types.len()), "every peer's type is one of the types");
        assert_eq!(topology.peer_count(), peer_type.len(), "the topology is over the peers");
        let specs = draw_peers(seed, &locations, types, peer_type);
        let peers = PeerTable::new(types.iter().map(|t| t.name.clone()).collect(), peer_type);
        let mut kinds = Kinds::new();
        let mut validations = Vec::new();
        let mut services = Vec::new();
        for (t, spec) in types.iter().enumerate() {
            let members = peers.members(t as u16).to_vec();
            for (name, service) in &spec.services {
                let mut cx = BuildCx {
                    peers: &peers,
                    type_name: &spec.name,
                    service: name,
                    members: &members,
                    seed,
                    validations: &mut validations,
                };
                let role = service.role();
                let (instance, state) = service.build(&mut cx, t as u16, &mut kinds);
                services.push(RunningService { state, instance, role });
            }
        }
        let mut routes = vec![Vec::new(); types.len() * kinds.len()];
        for (i, s) in services.iter().enumerate() {
            for k in &s.state.kinds {
                routes[usize::from(s.state.type_id) * kinds.len() + k.index()].push(i as u16);
            }
        }
        // Connection managers read when each link was last heard from; nothing else does.
        let link_times = services.iter().any(|s| s.instance.erased().may_change_links());
        let mut net = Network::new(seed, locations, &specs, NetConfig { link_times, ..net_config })
            .expect("checked: locations exist and bandwidths are positive");
        if bootstrap == Bootstrap::Instant {
            net.connect_topology(&topology, SimTime::ZERO).expect("the topology is over the peers");
        }
        let mut known = KnownCopies::default();
        if services.iter().any(|s| s.instance.erased().may_change_links()) {
            known.forbid("a service makes and breaks links");
        }
        if !validations.is_empty() {
            known.forbid("messages are validated on arrival");
        }
        let n = peer_type.len();
        World {
            seed,
            net,
            peers,
            messages: Messages::new(),
            kinds,
            services,
            routes,
            validator: Validator::new(seed, validations, n),
            effects: Vec::new(),
            timers: Timers::new(),
            scratch: Vec::new(),
            unhandled: 0,
            // Kept only until the peers greet each other at start.
            topology: if bootstrap == Bootstrap::Hello { topology } else { Topology::empty(0) },
            bootstrap,
            known,
            counted_kinds: Vec::new(),
        }
    }

    /// Counts copies of gossip messages to peers that have them when they are sent, without an
    /// arrival event, for copies arriving before `until` (see the invariant of `KnownCopies`):
    /// results are identical, events fewer. Returns false, and does nothing, if something in the
    /// world forbade it (a service that manages links, validation, faults).
    pub fn account_known_copies(&mut self, until: SimTime) -> bool {
        let stride = self.kinds.len();
        let counters = (0..self.peers.type_names().len())
            .map(|t| match self.routes[t * stride + COUNTED.id().index()][..] {
                [slot] if self.services[slot as usize].instance.erased().counts_known_copies_only() => Some(slot),
                _ => None,
            })
            .collect();
        self.known.enable(until, counters)
    }

    /// Forbids accounting known copies in this run: whatever can change a peer, its links or the
    /// partitions during the run calls it before the run (the fault layer does).
    pub fn forbid_known_copies(&mut self, reason: &str) {
        self.known.forbid(reason);
    }

    /// Why known copies may not be accounted in this run, if something forbade it.
    pub fn known_copies_forbidden(&self) -> Option<&str> {
        self.known.forbidden()
    }

    /// Also counts, per peer, the messages of `kind` sent (beyond the kinds the services handle).
    /// Call before [`World::start`].
    pub fn count_kind(&mut self, kind: KindId) {
        if !self.counted_kinds.contains(&kind) {
            self.counted_kinds.push(kind);
        }
    }

    /// The service `id`'s position among the world's services.
    pub(crate) fn slot(&self, id: ServiceId) -> &RunningService {
        &self.services[usize::from(id.0)]
    }
}
