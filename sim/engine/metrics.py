"""The metrics measured at the end of a run and the objectives judged on them.

Names match :func:`sim.scenario.metrics.metric_names`; a metric whose event did
not happen within the run is ``None`` (and an objective on it is not met).

Every run of a scenario measures the same names, so they (and what each one
reads) are worked out once per scenario object (:class:`_Plan`); a run only
looks the values up.
"""
from __future__ import annotations

from ..scenario.conditions import FORCE_STATES
from ..scenario.metrics import CHECKPOINT, FORCE_TIMES, event_names, units_on_station
from .memo import per_object
from .trace import Outcome, r6
from .world import World


class _Plan:
    """The metric names of one scenario, each paired with the key its value is read from."""

    def __init__(self, s):
        self.forces = [(fid, [(f"force.{fid}.{name}", name.removesuffix("_h")) for name in FORCE_TIMES],
                        f"force.{fid}.ready_after_activation_h", f"force.{fid}.in_place_after_activation_h")
                       for fid in s.forces]
        self.events = [(f"event.{e}.h", e) for e in sorted(event_names(s))]
        self.axes = ([(aid, f"axis.{aid}.start_h", f"axis.{aid}.arrival_h") for aid in s.adversary.axes]
                     if s.adversary else [])
        units = sorted(units_on_station(s))
        self.checkpoints = [(cid,
                             [(f"checkpoint.{cid}.{k}", k) for k in CHECKPOINT],
                             [(f"checkpoint.{cid}.force.{fid}.stage", fid) for fid in s.forces],
                             [(f"checkpoint.{cid}.on_station.{side}.{u}", side, u) for side, u in units])
                            for cid in s.checkpoints]
        self.targets = {oid: o.target.describe() for oid, o in s.objectives.items()}


_plan = per_object()(_Plan)  # the plan of a scenario: computed once per scenario object, not per run


def _r(x):
    return None if x is None else r6(x)


_STAGE = {st: i for i, st in enumerate(FORCE_STATES)}


def measure(w: World) -> tuple[dict[str, float | None], dict[str, Outcome]]:
    s, t = w.s, w.tension
    plan = _plan(s)
    m: dict[str, float | None] = {
        "encounters": w.encounters,
        "incidents": w.incidents,
        "incident_share": r6(w.incidents / w.encounters) if w.encounters else None,
        "peak_tension": r6(t.peak),
        "final_tension": r6(t.value()),
        "peak_rung": t.peak_rung,
        "final_rung": t.rung,
        "committed_troops": w.committed_troops,
    }
    forces = w.forces
    for fid, times, ready_name, in_place_name in plan.forces:
        ft = forces[fid].times
        for name, st in times:
            v = ft.get(st)
            m[name] = None if v is None else r6(v)
        act = ft.get("activated")
        if act is None:
            m[ready_name] = m[in_place_name] = None
        else:
            v = ft.get("ready")
            m[ready_name] = None if v is None else r6(v - act)
            v = ft.get("in_place")
            m[in_place_name] = None if v is None else r6(v - act)
    happened = w.happened_at
    for name, e in plan.events:
        v = happened.get(e)
        m[name] = None if v is None else r6(v)
    for aid, start, arrival in plan.axes:
        m[start] = _r(w.axis_start.get(aid))
        m[arrival] = _r(w.axis_arrival.get(aid))
    for cp in plan.checkpoints:
        _checkpoint(m, w.checkpoints.get(cp[0]), *cp[1:])
    outcomes = {}
    for oid, o in s.objectives.items():
        v = m.get(o.metric)
        outcomes[oid] = Outcome(oid, o.title, o.metric, plan.targets[oid], v, o.target.met(v))
    return m, outcomes


def _checkpoint(m: dict, snap: dict | None, values, stages, units) -> None:
    if snap is None:
        for names in (values, stages, units):
            for name, *_ in names:
                m[name] = None
        return
    for name, k in values:
        m[name] = r6(snap[k])
    forces = snap["forces"]
    for name, fid in stages:
        m[name] = _STAGE[forces[fid]]
    on_station = snap["on_station"]
    for name, side, u in units:
        m[name] = on_station.get(side, {}).get(u, 0)
