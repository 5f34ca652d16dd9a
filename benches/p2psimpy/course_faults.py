"""Notebook 03, "Faults", on the course variant of P2PSimpy (the one the tutorials were written
against): push gossip under random downtime for 6000 ms, then ranged pull gossip with 5 more
client links for 5000 ms, on notebook 02's setting. Prints one line per seed: seed, then the
tutorial's `mean(axis=1).mean()` of messages and of bytes received per peer per second, push
then pull (the figures p2psim's summary.json calls msgs_per_s_per_peer.mean and
bytes_per_s_per_peer.mean). Not part of the tests; see BENCHMARKS.md, "Against P2PSimpy".

The course variant is the `p2psimpy` folder of the public repository
grimadas/BlockchainEngineering at the commit before "Remove p2psimpy" (10f5cd9^):

    git clone https://github.com/grimadas/BlockchainEngineering && cd BlockchainEngineering
    git archive 10f5cd9^ p2psimpy | tar -x -C /tmp/course
    python3 -m venv /tmp/cenv
    /tmp/cenv/bin/pip install "simpy>=4.0.1,<5" "networkx>=2.6.3,<3" "scipy>=1.7.3,<2" "PyYAML>=6,<7" numpy pandas
    cd /tmp/course && /tmp/cenv/bin/python course_faults.py FIRST_SEED N
"""
import random, sys
import numpy as np
import networkx as nx
import pandas as pd
from p2psimpy.config import Config, Dist, DistAttr, PeerType
from p2psimpy.consts import MBit
from p2psimpy.services.connection_manager import BaseConnectionManager
from p2psimpy.services.gossip import GossipService, RangedPullGossipService
from p2psimpy.services.message_producer import MessageProducer
from p2psimpy.services.disruption import RandomDowntime
from p2psimpy.simulation import BaseSimulation

class Locations(Config):
    locations = ['Ohio', 'Ireland', 'Tokyo']
    latencies = {
        'Ohio': {'Ohio': Dist('invgamma', (5.54090, 0.333305, 0.987249)),
                 'Ireland': Dist('norm', (73.6995, 1.19583092197097127)),
                 'Tokyo': Dist('norm', (156.00904977375566, 0.09469886668079797))},
        'Ireland': {'Ireland': Dist('invgamma', (6.4360455224301525, 0.8312748033308526, 1.086191852963273)),
                    'Tokyo': Dist('norm', (131.0275, 0.25834811785650774))},
        'Tokyo': {'Tokyo': Dist('invgamma', (11.104508341331055, 0.3371934865734555, 2.0258998705983737))}}

class PeerConfig(Config):
    location = Dist('sample', Locations.locations)
    bandwidth_ul = Dist('norm', (50 * MBit, 10 * MBit))
    bandwidth_dl = Dist('norm', (50 * MBit, 10 * MBit))

class GossipConfig(Config):
    exclude_types = {'client', }

class DowntimeConfig(Config):
    start_time = DistAttr('norm', (1500, 200))
    disruption_time = DistAttr('norm', (800, 200))
    disruption_intervals = DistAttr('norm', (200, 100))

def topology():
    G = nx.erdos_renyi_graph(25, 0.4)
    nx.relabel_nodes(G, {k: k + 1 for k in G.nodes()}, copy=False)
    G.add_node(26)
    G.add_edge(26, random.choice(list(range(1, 26))))
    nx.set_node_attributes(G, {k: 'peer' for k in range(1, 26)}, 'type')
    nx.set_node_attributes(G, {26: 'client'}, 'type')
    return G

def table(sim, data):
    f = (lambda x: x.bytes_load) if data == 'bytes' else (lambda x: x.msg_count_load)
    return pd.DataFrame({k: f(sim.peers[k]) for k in sim.types_peers['peer']}).sort_index()

seed0, n = int(sys.argv[1]), int(sys.argv[2])
for seed in range(seed0, seed0 + n):
    random.seed(seed); np.random.seed(seed)
    G = topology()
    types = {'peer': PeerType(PeerConfig, {BaseConnectionManager: None, GossipService: GossipConfig,
                                           RandomDowntime: DowntimeConfig}),
             'client': PeerType(PeerConfig, (BaseConnectionManager, MessageProducer))}
    sim = BaseSimulation(Locations, G, types)
    sim.run(6000)
    mc, bw = table(sim, 'msg'), table(sim, 'bytes')
    for c in sim.types_peers['client']:
        for p in random.sample(list(sim.types_peers['peer']), 5):
            G.add_edge(c, p)
    impl = {'GossipService': RangedPullGossipService}
    types['peer'] = PeerType(PeerConfig, {BaseConnectionManager: None, RangedPullGossipService: GossipConfig,
                                          RandomDowntime: DowntimeConfig})
    sim_pull = BaseSimulation(Locations, G, types)
    sim_pull.run(5000)
    mcp, bwp = table(sim_pull, 'msg'), table(sim_pull, 'bytes')
    print(seed, mc.mean(axis=1).mean(), bw.mean(axis=1).mean(), mcp.mean(axis=1).mean(), bwp.mean(axis=1).mean(), flush=True)
