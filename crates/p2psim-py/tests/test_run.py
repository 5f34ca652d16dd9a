"""Runs, results as tables, experiments as files, text and dicts, and errors."""

import json
import os
import pathlib
import subprocess

import pandas as pd
import pytest

import p2psim
from conftest import ROOT

GOLDEN = ROOT / "crates" / "p2psim" / "test_data"


@pytest.mark.parametrize("name", ["perfect-world", "gossip", "faults-push", "faults-pull", "byzantine", "emergent"])
def test_a_tutorial_gives_the_command_lines_summary_byte_for_byte(name):
    # The golden files are what the command line writes (the facade's golden test holds them to it).
    result = p2psim.run(p2psim.tutorial(name))
    assert result.files["summary.json"] == (GOLDEN / f"{name}.summary.json").read_text()


def test_the_installed_command_and_the_package_write_the_same_files(tmp_path):
    cli = os.environ.get("P2PSIM_CLI")
    if not cli:
        pytest.skip("P2PSIM_CLI (the p2psim binary) is not set")
    exp = ROOT / "examples" / "experiments" / "gossip.ron"
    subprocess.run([cli, "experiment", str(exp), "--seed", "5", "--out", str(tmp_path / "out")], check=True)
    result = p2psim.run(str(exp), seed=5)
    for name in ["summary.json", "delays.csv", "copies.csv", "traffic.csv", "messages.csv", "convergence.csv"]:
        assert result.files[name] == (tmp_path / "out" / name).read_text(), name


def test_tables_have_the_csv_columns_and_the_wide_delay_table_has_nan_for_misses():
    result = p2psim.run(p2psim.tutorial("faults-push"), seed=3)
    assert list(result.delays.columns) == ["message", "producer", "seq", "produced_ms", "peer", "delay_ms"]
    assert list(result.copies.columns) == ["message", "peer", "copies"]
    assert {"second", "peer", "bytes_in", "msgs_in"} <= set(result.traffic.columns)
    wide = result.delay_table()
    s = result.summary
    assert wide.shape == (s["messages_produced"], s["peers"]["peer"])
    # Every cell is a delay or NaN, and the share of NaN is the residue.
    assert abs(wide.isna().to_numpy().mean() - s["residue"]) < 1e-6
    assert abs(wide.stack().mean() - s["delay_ms"]["mean"]) < 1e-6
    assert result.delays["delay_ms"].quantile(0.99) == pytest.approx(s["delay_ms"]["p99"], abs=1e-6)


def test_seed_and_until_override_and_the_same_seed_repeats():
    a = p2psim.run(p2psim.tutorial("gossip"), seed=11, until_ms=3000)
    b = p2psim.run(p2psim.tutorial("gossip"), seed=11, until_ms=3000)
    c = p2psim.run(p2psim.tutorial("gossip"), seed=12, until_ms=3000)
    assert a.summary["seed"] == 11 and a.summary["until_ms"] == 3000
    assert a.files == b.files
    assert a.files["summary.json"] != c.files["summary.json"]


def test_experiments_round_trip_through_ron_and_dicts_and_fields_can_be_set():
    exp = p2psim.tutorial("gossip")
    assert p2psim.Experiment.from_ron(exp.to_ron()).to_dict() == exp.to_dict()
    d = exp.to_dict()
    d["peers"][0]["count"] = 30
    assert p2psim.run(p2psim.Experiment.from_dict(d)).summary["peers"]["peer"] == 30
    five = exp.set("peer.gossip.fanout", 5)
    assert five.to_dict()["peer_types"][0]["services"][1][1]["PushGossip"]["fanout"] == 5
    assert p2psim.run(five).summary["copies"]["mean"] > p2psim.run(exp).summary["copies"]["mean"]


def test_bad_input_raises_value_error_naming_the_place():
    with pytest.raises(ValueError, match=r"bad\.ron:1:\d+: bogus: unknown field `bogus`"):
        p2psim.Experiment.from_ron('Experiment(name: "x", until_ms: 1, peer_types: [], peers: [], bogus: 3)', "bad.ron")
    with pytest.raises(ValueError, match=r"peer_types\[0\]\.services\[1\]\[1\]\.fanout"):
        p2psim.tutorial("gossip").set("peer.gossip.fanout", -1)
    with pytest.raises(ValueError, match="no tutorial named"):
        p2psim.tutorial("nope")
    with pytest.raises(ValueError, match="no such file"):
        p2psim.Experiment.load("/nonexistent/x.ron")
    d = p2psim.tutorial("gossip").to_dict()
    d["network"]["loss"] = 2
    with pytest.raises(ValueError, match=r"network\.loss: a probability must be in \[0, 1\], got 2"):
        p2psim.Experiment.from_dict(d)
