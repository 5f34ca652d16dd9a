"""Protocols written in Python, run as services."""

import pytest

import p2psim
from conftest import ROOT

NB02 = (ROOT / "examples" / "experiments" / "nb02.ron").read_text()


class Gossip:
    size = 1024

    def __init__(self, msg_id, ttl, hops):
        self.msg_id, self.ttl, self.hops = msg_id, ttl, hops


class GossipService(p2psim.Protocol):
    def __init__(self, fanout=3, exclude_types=()):
        self.fanout, self.exclude = fanout, set(exclude_types)

    def on_message(self, ctx, sender, m):
        ctx.store(m.msg_id, m.hops)
        if m.ttl > 0:
            others = [q for q in ctx.neighbours if q != sender and ctx.type_of(q) not in self.exclude]
            for q in ctx.rng.sample(others, min(self.fanout, len(others))):
                ctx.send(q, Gossip(m.msg_id, m.ttl - 1, m.hops + 1))


class MessageProducer(p2psim.Protocol):
    role = "source"

    def __init__(self, init_timeout=1000, msg_rate=5, init_ttl=3, init_fanout=10):
        self.first, self.every, self.ttl, self.fanout = init_timeout, 1000 / msg_rate, init_ttl, init_fanout

    def on_start(self, ctx):
        ctx.set_timer(self.first)

    def on_timer(self, ctx, tag):
        m = ctx.produce(1024)
        ctx.store(m, 0)
        for q in ctx.rng.sample(ctx.neighbours, min(self.fanout, len(ctx.neighbours))):
            ctx.send(q, Gossip(m, self.ttl, 1))
        ctx.set_timer(self.every)


@pytest.fixture(autouse=True)
def registered():
    p2psim.register("GossipService", GossipService)
    p2psim.register("MessageProducer", MessageProducer)
    yield
    p2psim._PROTOCOLS.clear()


def test_notebook_02_in_python_relays_1_3_9_27_and_repeats_with_its_seed():
    exp = p2psim.Experiment.from_ron(NB02, "nb02.ron")
    a, b = p2psim.run(exp, seed=4), p2psim.run(exp, seed=4)
    assert a.files == b.files
    s = a.summary
    # 21 messages, at 1000, 1200, ..., 5000 ms.
    assert s["messages_produced"] == 21
    assert list(a.messages["produced_ms"]) == [1000.0 + 200 * i for i in range(21)]
    # Each message: 1 copy from the client, then at most 3 relays per copy for 3 more hops.
    assert (a.messages["received"] <= 40).all()
    assert (a.messages["hops_last"].dropna() <= 4).all()
    assert s["sent_by_kind"]["PythonMessage"]["messages"] <= 21 * 40
    assert 0.5 < s["delivery_ratio"] < 1
    # The client is excluded: no gossip is relayed back to it.
    assert a.traffic[a.traffic.peer == 25]["msgs_in"].sum() < a.traffic[a.traffic.peer == 0]["msgs_in"].sum()


def test_the_workload_injects_into_a_python_protocol():
    class Flood(p2psim.Protocol):
        def on_inject(self, ctx, message_id, ttl):
            ctx.store(message_id, 0)
            for q in ctx.neighbours:
                ctx.send(q, (message_id, 1))

        def on_message(self, ctx, sender, m):
            if ctx.store(m[0], m[1]):
                for q in ctx.neighbours:
                    if q != sender:
                        ctx.send(q, (m[0], m[1] + 1))

    p2psim.register("PyFlood", Flood)
    exp = p2psim.tutorial("gossip").to_dict()
    exp["peer_types"] = [exp["peer_types"][0]]
    exp["peer_types"][0]["services"] = [["flood", {"PyFlood": {}}]]
    exp["peers"] = [{"peer_type": "peer", "count": 40}]
    exp["topology"] = {"graph": {"RandomRegular": {"degree": 4}}}
    exp["workload"] = [{"peers": {"Peers": [0]}, "messages": 5, "at": 100, "every": 50}]
    s = p2psim.run(p2psim.Experiment.from_dict(exp)).summary
    # A flood of a connected 4-regular graph reaches everyone; the source sends 4 copies and every
    # other peer 3, so 4 + 39 * 3 copies reach 39 receivers.
    assert s["delivery_ratio"] == 1.0
    assert s["relative_message_redundancy"] == pytest.approx((4 + 39 * 3) / 39 - 1, abs=1e-6)


def test_a_python_exception_is_raised_by_run():
    class Broken(p2psim.Protocol):
        def on_start(self, ctx):
            raise KeyError("broken on purpose")

    p2psim.register("Broken", Broken)
    text = NB02.replace('("gossip", GossipService(fanout: 3, exclude_types: ["client"]))', '("gossip", Broken())')
    with pytest.raises(KeyError, match="broken on purpose"):
        p2psim.run(p2psim.Experiment.from_ron(text, "broken.ron"))
    # And the next run is not affected.
    assert p2psim.run(p2psim.Experiment.from_ron(NB02, "nb02.ron")).summary["messages_produced"] == 21


def test_fields_the_class_does_not_take_and_impossible_actions_are_errors():
    with pytest.raises(ValueError, match=r"services\[1\]\[1\]: GossipService\(…\) does not accept these fields.*colour"):
        p2psim.Experiment.from_ron(NB02.replace("GossipService(fanout: 3,", "GossipService(colour: 3, fanout: 3,"), "x.ron")

    class Wild(p2psim.Protocol):
        def on_start(self, ctx):
            ctx.send(10**6, "hello")

    p2psim.register("Wild", Wild)
    text = NB02.replace('("gossip", GossipService(fanout: 3, exclude_types: ["client"]))', '("gossip", Wild())')
    with pytest.raises(ValueError, match="peer 1000000 does not exist"):
        p2psim.run(p2psim.Experiment.from_ron(text, "wild.ron"))
