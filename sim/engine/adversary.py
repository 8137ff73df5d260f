"""The adversary: forces massed, committed along axes, advancing against opposition.

An axis is committed at its time or condition (or by a ``commit`` effect); its
troops then count as committed, and it advances ``distance_km`` at
``speed_kmh`` slowed by ``opposition`` (the share of speed lost to resistance).
"""
from __future__ import annotations

from ..scenario.model import Axis
from .timing import wait_timing
from .trace import AxisRecord
from .world import Process, World


def axis_process(w: World, aid: str, axis: Axis) -> Process:
    adversary = w.s.adversary
    assert adversary is not None  # an axis belongs to the adversary
    path = f"adversary.axes.{aid}"
    speed = axis.speed_kmh.sample(w.draws(f"{path}.speed_kmh"))
    opposition = min(max(axis.opposition.sample(w.draws(f"{path}.opposition")), 0.0), 1.0)
    ordered = f"axis.{aid}.ordered"
    yield from wait_timing(w, axis, w.draws(f"{path}.at_h"), also=lambda: w.happened(ordered), also_on=frozenset({"event"}))
    w.axis_committed(aid, axis.troops)
    if w.keep_trace:
        w.record(AxisRecord(actor=adversary.side, facts=list(axis.facts), axis=aid, name=axis.name,
                            event="committed", troops=axis.troops, committed_troops=w.committed_troops,
                            objective=axis.objective or ""))
    w.mark(f"axis.{aid}.committed", record=False)
    w.notify("troops")
    effective = speed * (1.0 - opposition)
    if effective <= 0:
        return
    yield w.env.timeout(axis.distance_km / effective)
    w.axis_arrived(aid)
    if w.keep_trace:
        w.record(AxisRecord(actor=adversary.side, facts=list(axis.facts), axis=aid, name=axis.name,
                            event="arrived", troops=axis.troops, committed_troops=w.committed_troops,
                            objective=axis.objective or ""))
    w.mark(f"axis.{aid}.arrived", record=False)
