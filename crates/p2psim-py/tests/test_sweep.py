"""Sweeps: the tables of the command line's sweep."""

import p2psim
from conftest import ROOT


def test_the_example_sweep_gives_its_shipped_points_table():
    runs, points = p2psim.sweep(
        p2psim.tutorial("faults-push"),
        {"peer.gossip.fanout": "1..=8"},
        seeds=20,
        metrics=["delivery_ratio", "copies.mean", "delay_ms.mean", "bytes_per_s_per_peer.mean"],
    )
    shipped = (ROOT / "examples" / "sweeps" / "fanout-downtime" / "points.csv").read_text()
    assert points.to_csv(index=False, float_format="%.6f") == shipped
    assert len(runs) == 160 and sorted(runs["fanout"].unique()) == list(range(1, 9))


def test_two_parameters_give_every_combination_on_any_number_of_threads():
    base = p2psim.tutorial("gossip")
    one = p2psim.sweep(base, {"peer.gossip.fanout": [1, 3], "network.loss": [0.0, 0.2]}, seeds=3, jobs=1)
    two = p2psim.sweep(base, {"peer.gossip.fanout": [1, 3], "network.loss": [0.0, 0.2]}, seeds=3, jobs=2)
    assert one[0].equals(two[0]) and one[1].equals(two[1])
    assert len(one[0]) == 12
    delivery = one[1][one[1].metric == "delivery_ratio"].set_index(["fanout", "loss"])["mean"]
    assert delivery[(3, 0.0)] > delivery[(3, 0.2)] and delivery[(3, 0.0)] > delivery[(1, 0.0)]
