"""P2PSimpy side by side with p2psim (see BENCHMARKS.md, "Against P2PSimpy"). Not part of the tests:
it needs P2PSimpy 0.1.0 from PyPI, which declares Python < 3.11 but runs on 3.11:

    python3 -m venv /tmp/pyenv
    /tmp/pyenv/bin/pip install "simpy>=4.0.1,<5" "networkx>=2.6.3,<3" "scipy>=1.7.3,<2" "PyYAML>=6,<7"
    /tmp/pyenv/bin/pip install --no-deps --ignore-requires-python p2psimpy==0.1.0

Commands:

    python compare.py gossip FIRST_SEED N [MAX_SILENCE_MS]
        The tutorial's push-gossip scenario (examples/experiments/gossip.ron) for N seeds; per seed:
        seed, delivery ratio, mean first-receipt delay (ms), mean copies per delivery (over the 25
        peers), messages produced: the quantities of p2psim's summary.json.
    python compare.py reach N
        No simulator: the same TTL-4, fanout-3 relay tree drawn N times on G(25, 0.4) graphs; the
        mean number of peers one message reaches. Timing cannot change it (every copy is relayed).
    python compare.py scale1000
        P2PSimpy's scale scenario (examples/experiments/scale-1000.ron): build and run wall times.

P2PSimpy 0.1.0 keeps only the last time a message was stored, so its gossip service's store is
wrapped here to record the first time and count the copies."""
import random
import sys

import networkx as nx
import numpy as np
from p2psimpy.config import Config, Dist, PeerType
from p2psimpy.consts import MBit
from p2psimpy.services.connection_manager import BaseConnectionManager
from p2psimpy.services.gossip import GossipService
from p2psimpy.services.message_producer import MessageProducer
from p2psimpy.simulation import Simulation

FIRST, COPIES = {}, {}


def store(self, msg, msg_id=None):
    key = (self.peer.peer_id, msg_id or msg.id)
    FIRST.setdefault(key, self.env.now)
    COPIES[key] = COPIES.get(key, 0) + 1


GossipService._store_message = store


class Locations(Config):
    locations = ['Ohio', 'Ireland', 'Tokyo']
    latencies = {
        'Ohio': {'Ohio': Dist('invgamma', (5.5409, 0.3333, 0.9872)), 'Ireland': Dist('norm', (73.70, 1.196)),
                 'Tokyo': Dist('norm', (156.01, 0.0947))},
        'Ireland': {'Ireland': Dist('invgamma', (6.436, 0.8313, 1.0862)), 'Tokyo': Dist('norm', (131.03, 0.2583))},
        'Tokyo': {'Tokyo': Dist('invgamma', (11.1045, 0.3372, 2.0259))},
    }


class PeerConfig(Config):
    location = Dist('sample', Locations.locations)
    bandwidth_ul = Dist('norm', (50 * MBit, 10 * MBit))
    bandwidth_dl = Dist('norm', (50 * MBit, 10 * MBit))


class CmConfig(Config):
    max_silence = 5000  # P2PSimpy 0.1.0's default


class GossipConfig(Config):
    fanout = 3
    exclude_types = {'client'}


def run(seed, peers=25, p=0.4, until=5200):
    random.seed(seed)
    np.random.seed(seed)
    FIRST.clear()
    COPIES.clear()
    g = nx.erdos_renyi_graph(peers, p, seed=seed)
    while not nx.is_connected(g):
        g = nx.erdos_renyi_graph(peers, p)
    nx.set_node_attributes(g, 'peer', 'type')
    g.add_node(peers, type='client')
    g.add_edge(peers, random.randrange(peers))
    types = {
        'peer': PeerType(PeerConfig, {BaseConnectionManager: CmConfig, GossipService: GossipConfig}),
        'client': PeerType(PeerConfig, {BaseConnectionManager: CmConfig, MessageProducer: None}),
    }
    sim = Simulation(Locations, g, types, random_seed=seed)
    sim.run(until)
    produced = sim.peers[str(peers)].get_value('msg_time') if str(peers) in sim.peers else sim.peers[peers].get_value('msg_time')
    delays, copies = [], []
    for m, t0 in produced.items():
        for q in range(peers):
            if (str(q), m) in FIRST:
                delays.append(FIRST[(str(q), m)] - t0)
                copies.append(COPIES[(str(q), m)])
    ratio = len(delays) / (len(produced) * peers)
    return ratio, sum(delays) / len(delays), sum(copies) / len(copies), len(produced)




def scale_1000(seed=1, until=5000):
    """P2PSimpy's scale scenario (examples/experiments/scale-1000.ron): wall time and events."""
    import time
    random.seed(seed)
    np.random.seed(seed)
    g = nx.random_regular_graph(8, 1000, seed=seed)
    nx.set_node_attributes(g, 'peer', 'type')
    for c in range(1000, 1040):
        g.add_node(c, type='client')
        for q in random.sample(range(1000), 5):
            g.add_edge(c, q)

    class Cm(Config):
        ping_interval = 500
        max_silence = 3000

    class Producer(Config):
        init_timeout = 1000
        msg_rate = 5
        init_fanout = 5
        init_ttl = 4

    types = {
        'peer': PeerType(PeerConfig, {BaseConnectionManager: Cm, GossipService: GossipConfig}),
        'client': PeerType(PeerConfig, {BaseConnectionManager: Cm, MessageProducer: Producer}),
    }
    start = time.time()
    sim = Simulation(Locations, g, types, random_seed=seed)
    built = time.time()
    sim.run(until)
    return built - start, time.time() - built


def reach(n):
    total = 0
    for s in range(n):
        rnd = random.Random(s)
        g = nx.erdos_renyi_graph(25, 0.4, seed=s)
        while not nx.is_connected(g):
            g = nx.erdos_renyi_graph(25, 0.4, seed=rnd.random())
        first = rnd.randrange(25)
        got, frontier = {first}, [(first, None, 4)]
        while frontier:
            nxt = []
            for p, sender, ttl in frontier:
                if ttl > 0:
                    cand = [q for q in g.neighbors(p) if q != sender]
                    for q in rnd.sample(cand, min(3, len(cand))):
                        got.add(q)
                        nxt.append((q, p, ttl - 1))
            frontier = nxt
        total += len(got)
    return total / n


if __name__ == '__main__':
    cmd = sys.argv[1]
    if cmd == 'gossip':
        first, n = int(sys.argv[2]), int(sys.argv[3])
        if len(sys.argv) > 4:
            CmConfig.max_silence = float(sys.argv[4])
        for s in range(first, first + n):
            r, d, c, m = run(s)
            print(f'{s} {r:.6f} {d:.6f} {c:.6f} {m}')
    elif cmd == 'reach':
        print(f'{reach(int(sys.argv[2])):.3f}')
    elif cmd == 'scale1000':
        build, wall = scale_1000()
        print(f'build {build:.1f} s, run {wall:.1f} s')
    else:
        sys.exit(__doc__)
