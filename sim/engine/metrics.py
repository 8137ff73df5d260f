"""The metrics measured at the end of a run and the objectives judged on them.

Names match :func:`sim.scenario.metrics.metric_names`; a metric whose event did
not happen within the run is ``None`` (and an objective on it is not met).
"""
from __future__ import annotations

from ..scenario.conditions import FORCE_STATES
from ..scenario.metrics import CHECKPOINT, FORCE_TIMES, event_names, units_on_station
from .trace import Outcome
from .world import World


_STATIC: dict[int, tuple] = {}


def _static(s) -> tuple[list[str], list[tuple[str, str]]]:
    """Event names and (side, unit) pairs of a scenario: computed once per scenario object, not per run."""
    hit = _STATIC.get(id(s))
    if hit is None or hit[0] is not s:
        if len(_STATIC) >= 32:
            _STATIC.clear()
        hit = _STATIC[id(s)] = (s, sorted(event_names(s)), sorted(units_on_station(s)))
    return hit[1], hit[2]


def _r(x):
    return None if x is None else round(float(x), 6)


def measure(w: World) -> tuple[dict[str, float | None], dict[str, Outcome]]:
    s, t = w.s, w.tension
    m: dict[str, float | None] = {
        "encounters": w.encounters,
        "incidents": w.incidents,
        "incident_share": _r(w.incidents / w.encounters) if w.encounters else None,
        "peak_tension": _r(t.peak),
        "final_tension": _r(t.value()),
        "peak_rung": t.peak_rung,
        "final_rung": t.rung,
        "committed_troops": w.committed_troops,
    }
    for fid, fs in w.forces.items():
        for name in FORCE_TIMES:
            m[f"force.{fid}.{name}"] = _r(fs.times.get(name.removesuffix("_h")))
        act = fs.times.get("activated")
        for name, st in (("ready_after_activation_h", "ready"), ("in_place_after_activation_h", "in_place")):
            m[f"force.{fid}.{name}"] = _r(fs.times[st] - act) if act is not None and st in fs.times else None
    events, units = _static(s)
    for e in events:
        m[f"event.{e}.h"] = _r(w.happened_at.get(e))
    if s.adversary:
        for aid in s.adversary.axes:
            m[f"axis.{aid}.start_h"] = _r(w.axis_start.get(aid))
            m[f"axis.{aid}.arrival_h"] = _r(w.axis_arrival.get(aid))
    for cid in s.checkpoints:
        snap = w.checkpoints.get(cid)
        for k in CHECKPOINT:
            m[f"checkpoint.{cid}.{k}"] = _r(snap[k]) if snap else None
        for fid in s.forces:
            m[f"checkpoint.{cid}.force.{fid}.stage"] = FORCE_STATES.index(snap["forces"][fid]) if snap else None
        for side, u in units:
            m[f"checkpoint.{cid}.on_station.{side}.{u}"] = (snap["on_station"].get(side, {}).get(u, 0)
                                                            if snap else None)
    outcomes = {}
    for oid, o in s.objectives.items():
        v = m.get(o.metric)
        outcomes[oid] = Outcome(oid, o.title, o.metric, o.target.describe(), v, o.target.met(v))
    return m, outcomes
