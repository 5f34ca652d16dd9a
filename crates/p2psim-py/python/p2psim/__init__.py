"""p2psim for Python: a fast, deterministic simulator of peer-to-peer networks.

Build or load an experiment, run it, and read its results as pandas tables::

    import p2psim
    result = p2psim.run(p2psim.tutorial("faults-push"), seed=3)
    result.summary["delivery_ratio"]
    result.delay_table()          # one row per message, one column per peer, NaN: never received

The engine is p2psim's Rust one: the same experiment and seed give the numbers of the command line
(``cargo xtask experiment``), byte for byte. Runs release the GIL.

Write a protocol in Python by subclassing ``Protocol`` and registering it under a name; experiment
files (and dicts) then use it like a built-in service.
"""

import io
import json

import pandas as pd

from . import _p2psim
from ._context import Context

__all__ = [
    "Context",
    "Experiment",
    "Protocol",
    "Result",
    "protocol",
    "register",
    "registered",
    "run",
    "sweep",
    "tutorial",
    "tutorials",
]


class Protocol:
    """A protocol written in Python: one instance per peer, made with the fields the experiment
    gives the service as keyword arguments. Override the handlers you need; each gets a
    ``Context`` (``ctx.now``, ``ctx.peer``, ``ctx.neighbours``, ``ctx.rng``, and ``ctx.send``,
    ``ctx.set_timer``, ``ctx.store``, ``ctx.produce``, ...).

    A class attribute ``role`` says what it does: ``"dissemination"`` (the default: the analysis
    follows its messages), ``"source"`` (it produces them) or ``"links"`` (it manages links).
    """

    role = "dissemination"

    def on_start(self, ctx):
        """At time 0: set the first timers."""

    def on_message(self, ctx, sender, message):
        """A message sent by peer ``sender`` reached this peer."""

    def on_timer(self, ctx, tag):
        """A timer this peer set fired."""

    def on_inject(self, ctx, message_id, ttl):
        """The experiment's workload made message ``message_id`` appear here: store it."""
        ctx.store(message_id, 0)


_PROTOCOLS = {}


def register(name, cls):
    """Registers the protocol class ``cls`` under ``name``: experiments then use ``name(...)``."""
    if not isinstance(cls, type):
        raise TypeError(f"register({name!r}, ...) needs a class, got {cls!r}")
    _PROTOCOLS[name] = cls
    return cls


def protocol(name):
    """Class decorator: ``@p2psim.protocol("PyGossip")`` registers the class under that name."""
    return lambda cls: register(name, cls)


def registered():
    """The registered Python protocols, by name."""
    return dict(_PROTOCOLS)


def _protocols():
    return _PROTOCOLS or None


def _ron_value(value):
    """A Python value as the RON text ``--set`` reads."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    return str(value)


class Experiment:
    """An experiment: peers, locations, links, protocols, faults, a workload, a seed.

    ``load``, ``from_ron`` and ``from_dict`` check it as the command line does; a bad one raises
    ``ValueError`` naming the file, line:col and field.
    """

    __slots__ = ("_inner",)

    def __init__(self, inner):
        self._inner = inner

    @staticmethod
    def load(path):
        """Reads an experiment file (RON)."""
        return Experiment(_p2psim.Experiment.load(str(path), _protocols()))

    @staticmethod
    def from_ron(text, file="<string>"):
        """Reads RON text."""
        return Experiment(_p2psim.Experiment.from_ron(text, file, _protocols()))

    @staticmethod
    def from_dict(d):
        """Reads the dict form (the structure of the files, as ``to_dict`` gives it)."""
        return Experiment(_p2psim.Experiment.from_json(json.dumps(d, ensure_ascii=False), _protocols()))

    def to_ron(self):
        """The experiment as RON text, which ``from_ron`` reads back."""
        return self._inner.to_ron()

    def to_dict(self):
        """The experiment as plain Python data: edit it, then ``Experiment.from_dict``."""
        return json.loads(self._inner.to_json())

    def set(self, name, value):
        """A copy with one field changed, named as ``--set`` names it (``"peer.gossip.fanout"``)."""
        return Experiment(self._inner.set(name, _ron_value(value), _protocols()))

    @property
    def name(self):
        return self._inner.name

    @property
    def seed(self):
        return self._inner.seed

    @property
    def until_ms(self):
        return self._inner.until_ms

    def __repr__(self):
        return repr(self._inner)


def tutorial(name):
    """An experiment shipped with p2psim, by name (``tutorials()`` lists them)."""
    return Experiment(_p2psim.tutorial(name))


def tutorials():
    """The names of the experiments shipped with p2psim."""
    return list(_p2psim.tutorials())


def _table(text):
    return pd.read_csv(io.StringIO(text)) if text is not None else None


class Result:
    """A run's results: ``summary`` (the dict of ``summary.json``) and the tables of the CSV files
    of the same names as pandas DataFrames (``None`` where the run left a per-peer table out)."""

    def __init__(self, files):
        #: Every result file's text, by file name.
        self.files = dict(files)
        self.summary = json.loads(self.files["summary.json"])
        self.delays = _table(self.files.get("delays.csv"))
        self.copies = _table(self.files.get("copies.csv"))
        self.traffic = _table(self.files.get("traffic.csv"))
        self.traffic_per_second = _table(self.files["traffic-per-second.csv"])
        self.convergence = _table(self.files["convergence.csv"])
        self.messages = _table(self.files["messages.csv"])

    def delay_table(self):
        """The tutorial's ``get_gossip_table``: one row per message (in production order), one
        column per peer, the first-receipt delay in ms, NaN where the peer never got it."""
        d = self.delays
        order = list(dict.fromkeys(d["message"]))
        wide = d.pivot(index="message", columns="peer", values="delay_ms")
        return wide.reindex(order)

    def copies_table(self):
        """The tutorial's ``get_overhead_table``: copies received per message and peer."""
        c = self.copies
        order = list(dict.fromkeys(c["message"]))
        return c.pivot(index="message", columns="peer", values="copies").reindex(order)

    def traffic_table(self, what="bytes_in"):
        """The tutorial's ``get_monitor_time_table``: one row per second, one column per peer,
        bytes (``"bytes_in"``) or messages (``"msgs_in"``) received that second."""
        return self.traffic.pivot(index="second", columns="peer", values=what)

    def __repr__(self):
        s = self.summary
        return (
            f"Result({s['experiment']!r}, seed={s['seed']}, delivery_ratio={s['delivery_ratio']}, "
            f"delay_ms.mean={s['delay_ms']['mean']})"
        )


def _experiment(e):
    return e._inner if isinstance(e, Experiment) else str(e)


def run(experiment, seed=None, until_ms=None):
    """Runs ``experiment`` (an ``Experiment`` or the path of a file), with ``seed`` and
    ``until_ms`` overriding its own, and returns its ``Result``."""
    return Result(_p2psim.run(_experiment(experiment), seed, until_ms, _protocols()))


def sweep(base, parameters, seeds, jobs=None, metrics=(), first_seed=0, name="sweep"):
    """Runs ``base`` for every combination of ``parameters`` (a dict from field names, as
    ``Experiment.set`` names them, to lists of values or ranges such as ``"1..=8"``), ``seeds``
    runs per point, on ``jobs`` threads (all cores by default). Returns the DataFrames of
    ``runs.csv`` (one row per run: parameters, seed, every figure of its summary) and
    ``points.csv`` (per point and figure: mean, sd, 95 % confidence half-width, count)."""
    params = []
    for path, values in dict(parameters).items():
        column = path.split(".")[-1].split("/")[-1]
        params.append((column, path, json.dumps(values if isinstance(values, str) else list(values))))
    runs, points = _p2psim.sweep(
        _experiment(base), params, seeds, jobs, list(metrics), first_seed, name, _protocols()
    )
    return pd.read_csv(io.StringIO(runs)), pd.read_csv(io.StringIO(points))
