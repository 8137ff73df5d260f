"""The metrics measured at the end of a run and the objectives judged on them.

What is measured is :func:`sim.scenario.metrics.metric_registry`: every spec's
:class:`~sim.scenario.metrics.Family` says where its value is read (a run-wide quantity, a
force's times, an event, an axis, a checkpoint's snapshot) and its subject fields say of
what. A metric whose event did not happen within the run is ``None`` (and an objective on
it is not met).

Every run of a scenario measures the same names, so the readers are worked out once per
scenario object (:class:`_Plan`, a part of the scenario's compiled plan); a run only looks the
values up.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, TypeVar

from ..scenario.conditions import FORCE_STATES
from ..scenario.metrics import Family, MetricSpec, metric_registry
from ..scenario.model import Scenario
from .lift_metrics import echelon_plan, measure_echelons
from .trace import Outcome, r6
from .world import World

if TYPE_CHECKING:
    from .escalation import Tension


def _tension(w: World) -> Tension:
    assert w.tension is not None  # set before the run starts
    return w.tension


# how each run-wide quantity is read at the horizon (the registry's RUN lists them)
_RUN: dict[str, Callable[[World], float | None]] = {
    "encounters": lambda w: w.encounters,
    "incidents": lambda w: w.incidents,
    "incident_share": lambda w: r6(w.incidents / w.encounters) if w.encounters else None,
    "peak_tension": lambda w: r6(_tension(w).peak),
    "final_tension": lambda w: r6(_tension(w).value()),
    "peak_rung": lambda w: _tension(w).peak_rung,
    "final_rung": lambda w: _tension(w).rung,
    "committed_troops": lambda w: w.committed_troops,
    "committed_share": lambda w: (r6(w.committed_troops / w.s.adversary.massed_troops)
                                  if w.s.adversary and w.s.adversary.massed_troops else None),
}


def _id(v: str | None) -> str:
    assert v is not None  # the registry sets the subject fields of each family
    return v


K = TypeVar("K")
V = TypeVar("V")


def _grouped(pairs: Iterable[tuple[K, V]]) -> list[tuple[K, list[V]]]:
    """(key, value) pairs as (key, [values]) in the order keys first come."""
    out: dict[K, list[V]] = {}
    for k, v in pairs:
        out.setdefault(k, []).append(v)
    return list(out.items())


class _Plan:
    """The metric names of one scenario, grouped by where each value is read."""

    def __init__(self, s: Scenario):
        reg = metric_registry(s)
        self.names = list(reg)
        by: dict[Family, list[MetricSpec]] = {f: [] for f in Family}
        for spec in reg.values():
            by[spec.family].append(spec)
        if unread := [m.quantity for m in by[Family.RUN] if m.quantity not in _RUN]:
            raise NotImplementedError(f"the engine cannot measure the run quantities {unread}")
        self.run = [(m.name, _RUN[_id(m.quantity)]) for m in by.pop(Family.RUN)]
        self.force_times = _grouped((_id(m.force), (m.name, _id(m.state))) for m in by.pop(Family.FORCE_TIME))
        self.after_activation = _grouped((_id(m.force), (m.name, _id(m.state)))
                                         for m in by.pop(Family.FORCE_AFTER_ACTIVATION))
        self.events = [(m.name, _id(m.event)) for m in by.pop(Family.EVENT)]
        self.axis_start = [(m.name, _id(m.axis)) for m in by.pop(Family.AXIS_START)]
        self.axis_arrival = [(m.name, _id(m.axis)) for m in by.pop(Family.AXIS_ARRIVAL)]
        # a checkpoint's quantities are read from the snapshot's key of the same name
        values = dict(_grouped((_id(m.checkpoint), (m.name, _id(m.quantity))) for m in by.pop(Family.CHECKPOINT)))
        stages = dict(_grouped((_id(m.checkpoint), (m.name, _id(m.force))) for m in by.pop(Family.CHECKPOINT_STAGE)))
        units = dict(_grouped((_id(m.checkpoint), (m.name, _id(m.side), _id(m.element)))
                              for m in by.pop(Family.CHECKPOINT_ON_STATION)))
        self.checkpoints = [(cid, values.get(cid, []), stages.get(cid, []), units.get(cid, []))
                            for cid in dict.fromkeys([*values, *stages, *units])]
        # on a severity ladder: counts by domain and class, measures' opening hours and uses
        self.encounter_domain = [(m.name, _id(m.domain)) for m in by.pop(Family.ENCOUNTER_DOMAIN)]
        self.encounter_class = [(m.name, _id(m.domain), _id(m.severity)) for m in by.pop(Family.ENCOUNTER_CLASS)]
        self.severity = [(m.name, _id(m.severity)) for m in by.pop(Family.SEVERITY)]
        self.measure_opened = [(m.name, _id(m.measure)) for m in by.pop(Family.MEASURE_OPENED)]
        self.measure_uses = [(m.name, _id(m.measure)) for m in by.pop(Family.MEASURE_USES)]
        self.echelons = echelon_plan(by)  # forces that move by echelons: read by sim.engine.lift_metrics
        if left := [f.value for f in by]:  # a family added to the registry without its reader here
            raise NotImplementedError(f"the engine cannot measure the metric families {left}")
        self.targets = {oid: o.target.describe() for oid, o in s.objectives.items()}


_STAGE = {st: i for i, st in enumerate(FORCE_STATES)}


def measure(w: World) -> tuple[dict[str, float | None], dict[str, Outcome]]:
    s = w.s
    plan = w.plan.part(_Plan)  # computed at a scenario's first run, not per run
    m: dict[str, float | None] = dict.fromkeys(plan.names)  # the registry's order; None until measured
    for name, read in plan.run:
        m[name] = read(w)
    forces = w.forces
    for fid, names in plan.force_times:
        ft = forces[fid].times
        for name, st in names:
            v = ft.get(st)
            if v is not None:
                m[name] = r6(v)
    for fid, names in plan.after_activation:
        ft = forces[fid].times
        act = ft.get("activated")
        if act is not None:
            for name, st in names:
                v = ft.get(st)
                if v is not None:
                    m[name] = r6(v - act)
    happened = w.happened_at
    for name, e in plan.events:
        v = happened.get(e)
        if v is not None:
            m[name] = r6(v)
    for name, aid in plan.axis_start:
        v = w.axis_start.get(aid)
        if v is not None:
            m[name] = r6(v)
    for name, aid in plan.axis_arrival:
        v = w.axis_arrival.get(aid)
        if v is not None:
            m[name] = r6(v)
    for cid, values, stages, units in plan.checkpoints:
        snap = w.checkpoints.get(cid)
        if snap is None:  # a checkpoint after the horizon has no snapshot: its metrics stay None
            continue
        for name, key in values:
            v = snap[key]
            m[name] = None if v is None else r6(v)
        states = snap["forces"]
        for name, fid in stages:
            m[name] = _STAGE[states[fid]]
        on_station = snap["on_station"]
        for name, side, u in units:
            m[name] = on_station.get(side, {}).get(u, 0)
    clock = w.encounter_clock
    if clock is not None:
        for name, dom in plan.encounter_domain:
            m[name] = clock.by_domain[dom]
        by_class = clock.by_class
        for name, cdom, cid in plan.encounter_class:
            m[name] = by_class[cdom, cid]
        for name, cid in plan.severity:
            m[name] = sum(n for (_, c), n in by_class.items() if c == cid)
        for name, mid in plan.measure_uses:
            m[name] = clock.uses[mid]
    for name, mid in plan.measure_opened:
        v = w.measure_opened.get(mid)
        if v is not None:
            m[name] = r6(v)
    if plan.echelons:
        measure_echelons(w, plan.echelons, m)
    outcomes = {}
    for oid, o in s.objectives.items():
        v = m.get(o.metric)
        outcomes[oid] = Outcome(oid, o.title, o.metric, plan.targets[oid], v, o.target.met(v))
    return m, outcomes
