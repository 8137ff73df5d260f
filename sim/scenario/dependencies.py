"""Which parts of a scenario a metric can depend on, read from the scenario alone.

A force's times depend on its own readiness parameters, the conditions it waits for and the
effects aimed at it (alert, activate, deploy, hold, release, delay), and so on back through
the events, injects, decision points and axes those name. Anything that reads tension, the
rung, encounters or incidents depends on the whole run (every force's presence, every
incident, every tension effect), and so does a delay of sampled length (it draws from the
effects stream, whose order any inject may shift). :func:`parameter_prefixes` gives the
scenario paths under which a metric's parameters lie, or None for "any parameter".

Used by sensitivity analysis: a parameter outside those paths cannot move the metric (every
parameter draws its own number, so changing one leaves the others' draws alone), so it need
not be run. ``tests/test_sensitivity_pruning.py`` checks this against full runs.
"""
from __future__ import annotations

from .conditions import Condition, DecisionCond, EventCond, ForceCond, MetricCond, walk
from .effects import Moved, Moves
from .metrics import Family, metric_registry
from .model import Scenario
from .movement import pool_sharers
from .references import effects


class _Everything(Exception):
    """The metric can depend on any parameter."""


class _Walk:
    def __init__(self, s: Scenario):
        self.s = s
        self.prefixes: set[str] = set()
        self.seen: set[tuple[str, str]] = set()

    def _first(self, kind: str, key: str) -> bool:
        if (kind, key) in self.seen:
            return False
        self.seen.add((kind, key))
        return True

    def _sources(self, what: Moved, key: str) -> None:
        """Every inject and decision point with an effect that can move ``what`` (``key``: its id).
        An effect that moves it by a drawn amount makes it depend on the whole run: the amount
        depends on every earlier draw of the effects stream, whose order any inject may shift."""
        target = Moves(what, key)
        for path, e in effects(self.s):
            if target in e.moves():
                if e.random_amount():
                    raise _Everything
                (self.inject if path[0] == "injects" else self.decision)(str(path[1]))

    def condition(self, cond: Condition | None) -> None:
        if cond is None:
            return
        for leaf in walk(cond):
            if isinstance(leaf, EventCond):
                self.event(leaf.event)
            elif isinstance(leaf, ForceCond):
                self.force(leaf.force)
            elif isinstance(leaf, DecisionCond):
                self.decision(leaf.decision)
            elif isinstance(leaf, MetricCond):
                if leaf.metric == "committed_troops":
                    for aid in (self.s.adversary.axes if self.s.adversary else {}):
                        self.axis(aid)
                elif leaf.metric != "time_h":
                    raise _Everything

    def force(self, fid: str) -> None:
        if not self._first("force", fid):
            return
        f = self.s.forces[fid]
        self.prefixes.add(f"forces.{fid}.")
        for cond in (f.alert_when, f.activate_when, f.deploy_when, *(e.ready_when for e in f.echelons.values())):
            self.condition(cond)
        self._sources("force", fid)
        for other in pool_sharers(self.s, fid):  # a shared lift pool: their demands can delay its lift
            self.force(other)

    def event(self, name: str) -> None:
        if not self._first("event", name):
            return
        if name in self.s.injects:
            self.inject(name)
        if name.startswith("decision.") and name[9:] in self.s.decisions:
            self.decision(name[9:])
        parts = name.split(".")
        if len(parts) == 3 and parts[0] == "axis" and self.s.adversary and parts[1] in self.s.adversary.axes:
            self.axis(parts[1])
        self._sources("event", name)

    def inject(self, iid: str) -> None:
        if self._first("inject", iid):
            self.prefixes.add(f"injects.{iid}.")
            self.condition(self.s.injects[iid].when)

    def decision(self, did: str) -> None:
        if self._first("decision", did):
            self.prefixes.add(f"decisions.{did}.")
            self.condition(self.s.decisions[did].when)

    def axis(self, aid: str) -> None:
        if self._first("axis", aid):
            adversary = self.s.adversary
            assert adversary is not None  # only an axis of the adversary is walked
            self.prefixes.add(f"adversary.axes.{aid}.")
            a = adversary.axes[aid]
            self.condition(a.when)
            self._sources("axis", aid)
            if a.ramped:  # its ramp shares the massed force with every axis, its route meets the forces on it
                for other in adversary.axes:
                    self.axis(other)
                from .axes import defenders
                for p in a.route[1:]:
                    for fid in defenders(self.s, p):
                        self.force(fid)


def parameter_prefixes(s: Scenario, metric: str) -> set[str] | None:
    """The scenario paths (ending in ".") under which every parameter that can change ``metric``
    lies; None when any parameter can (the metric reads, or waits on, the run as a whole)."""
    w = _Walk(s)
    spec = metric_registry(s).get(metric)
    try:
        if spec is None or spec.checkpoint is not None or spec.family is Family.RUN:
            return None
        if spec.family is Family.EVENT and spec.event is not None:
            w.event(spec.event)
        elif spec.force is not None:
            w.force(spec.force)
        elif spec.axis is not None:
            w.axis(spec.axis)
        else:
            return None
    except _Everything:
        return None
    return w.prefixes


def can_depend_on(prefixes: set[str] | None, parameter: str) -> bool:
    """Whether ``parameter`` (a dotted scenario path) lies under one of ``prefixes``."""
    return prefixes is None or any(parameter.startswith(p) for p in prefixes)
