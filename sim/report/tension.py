"""Tension over time, rebuilt from a trace.

The trace records every change to tension (effects and incidents with ``tension_delta``,
``tension_floor`` effects) and the rung changes with the tension they reached; between
changes tension decays exponentially towards the floor with the scenario's half-life.
This module replays those records into a curve and the list of jumps the "why" analysis reads.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..engine.trace import Record
from ..scenario.model import Scenario


@dataclass
class Jump:
    t_h: float
    before: float
    after: float
    record: Record


def _decay(v: float, floor: float, dt: float, half_life: float) -> float:
    return floor + (v - floor) * 2.0 ** (-dt / half_life)


def jumps(s: Scenario, trace: list[Record]) -> list[Jump]:
    """Every change to tension in order: (time, before, after, the record that caused it)."""
    esc = s.escalation
    floor = esc.floor
    v, t0 = max(esc.initial_tension, floor), 0.0
    start = next((r for r in trace if r.kind == "start"), None)
    if start is not None and "tension" in start.state:
        v = float(start.state["tension"])
    out: list[Jump] = []
    for r in trace:
        if r.kind in ("effect", "incident") and "tension_delta" in r.state:
            cur = _decay(v, floor, r.t_h - t0, esc.half_life_h)
            new = max(cur + float(r.state["tension_delta"]), floor, 0.0)
        elif r.kind == "effect" and "tension_floor" in r.state:
            cur = _decay(v, floor, r.t_h - t0, esc.half_life_h)
            floor = float(r.state["tension_floor"])
            new = max(cur, floor)
        else:
            continue
        out.append(Jump(r.t_h, cur, new, r))
        v, t0 = new, r.t_h
    return out


def curve(s: Scenario, trace: list[Record], horizon_h: float, step_h: float = 0.5) -> tuple[list[float], list[float]]:
    """(hours, tension) sampled every ``step_h`` plus both sides of every jump."""
    esc = s.escalation
    js = jumps(s, trace)
    start = next((r for r in trace if r.kind == "start"), None)
    v = float(start.state["tension"]) if start is not None and "tension" in start.state else esc.initial_tension
    floor, t0 = esc.floor, 0.0
    xs: list[float] = []
    ys: list[float] = []
    k = 0
    t = 0.0
    grid = [i * step_h for i in range(int(horizon_h / step_h) + 1)]
    events = sorted(set(grid) | {j.t_h for j in js})
    for t in events:
        while k < len(js) and js[k].t_h <= t:
            j = js[k]
            xs.append(j.t_h)
            ys.append(j.before)
            v, t0 = j.after, j.t_h
            if j.record.kind == "effect" and "tension_floor" in j.record.state:
                floor = float(j.record.state["tension_floor"])
            xs.append(j.t_h)
            ys.append(v)
            k += 1
        xs.append(t)
        ys.append(_decay(v, floor, t - t0, esc.half_life_h))
    return xs, ys


def value_at(s: Scenario, trace: list[Record], t_h: float) -> float:
    """Tension at hour ``t_h`` (after any jump at that hour)."""
    esc = s.escalation
    start = next((r for r in trace if r.kind == "start"), None)
    v = float(start.state["tension"]) if start is not None and "tension" in start.state else esc.initial_tension
    floor, t0 = esc.floor, 0.0
    for j in jumps(s, trace):
        if j.t_h > t_h:
            break
        v, t0 = j.after, j.t_h
        if j.record.kind == "effect" and "tension_floor" in j.record.state:
            floor = float(j.record.state["tension_floor"])
    return _decay(v, floor, t_h - t0, esc.half_life_h)
