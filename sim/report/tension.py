"""Tension over time, read from a trace.

The engine records every change of tension as a :class:`~sim.engine.trace.TensionRecord`
(the value just before and just after, the floor, and its cause); the start record gives the
initial tension, floor and half-life. Between two changes tension decays towards the floor by
the engine's own :func:`~sim.engine.trace.decayed`, so nothing is replayed here.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..engine.trace import Record, StartRecord, TensionRecord, decayed


@dataclass
class Jump:
    t_h: float
    before: float
    after: float
    record: TensionRecord


def jumps(trace: list[Record]) -> list[Jump]:
    """Every change to tension in order: (time, before, after, the record of it)."""
    return [Jump(r.t_h, r.before, r.after, r) for r in trace if isinstance(r, TensionRecord)]


def _start(trace: list[Record]) -> StartRecord:
    start = next((r for r in trace if isinstance(r, StartRecord)), None)
    if start is None:
        raise ValueError("the trace has no start record")
    return start


def curve(trace: list[Record], horizon_h: float, step_h: float = 0.5) -> tuple[list[float], list[float]]:
    """(hours, tension) sampled every ``step_h`` plus both sides of every jump."""
    start = _start(trace)
    js = jumps(trace)
    v, floor, t0, half_life = start.tension, start.floor, 0.0, start.half_life_h
    xs: list[float] = []
    ys: list[float] = []
    k = 0
    grid = [i * step_h for i in range(int(horizon_h / step_h) + 1)]
    for t in sorted(set(grid) | {j.t_h for j in js}):
        while k < len(js) and js[k].t_h <= t:
            j = js[k]
            xs += [j.t_h, j.t_h]
            ys += [j.before, j.after]
            v, floor, t0 = j.after, j.record.floor, j.t_h
            k += 1
        xs.append(t)
        ys.append(decayed(v, floor, half_life, t - t0))
    return xs, ys


def value_at(trace: list[Record], t_h: float) -> float:
    """Tension at hour ``t_h`` (after any change at that hour)."""
    start = _start(trace)
    v, floor, t0 = start.tension, start.floor, 0.0
    for j in jumps(trace):
        if j.t_h > t_h:
            break
        v, floor, t0 = j.after, j.record.floor, j.t_h
    return decayed(v, floor, start.half_life_h, t_h - t0)
