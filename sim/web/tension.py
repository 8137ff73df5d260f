"""Tension so far, for the board's escalation chart: the curve and each jump with its cause.

Read from the session's replayed trace with the report's tension analysis (the web layer may
use the report; the workshop layer may not).
"""
from __future__ import annotations

from typing import Any

from ..report.tension import curve, jumps
from ..workshop.session import EPS, Session

POINTS = 96   # points of the curve drawn on the board


def tension_curve(s: Session) -> list[list[float]]:
    """(hour, tension) points from H-hour to the clock: decay between the recorded changes."""
    end = max(s.clock, 1e-6)
    xs, ys = curve(s.scenario, s.view().trace, end, step_h=max(end / (POINTS - 1), 1e-3))
    return [[round(t, 3), round(v, 2)] for t, v in zip(xs, ys, strict=True) if t <= end + EPS]


def tension_jumps(s: Session) -> list[dict[str, Any]]:
    """Each jump of tension up to the clock with what caused it (the inject, decision or incident)."""
    out = []
    for j in jumps(s.scenario, s.view().trace):
        if j.t_h > s.clock + EPS:
            continue
        rec = j.record
        cause = rec.actor
        if rec.kind == "incident":
            cause = "incident"
        elif rec.actor in s.scenario.injects:
            cause = s.scenario.injects[rec.actor].title
        elif rec.actor.startswith("decision.") and rec.actor[9:] in s.scenario.decisions:
            cause = s.scenario.decisions[rec.actor[9:]].title
        out.append({"h": round(j.t_h, 3), "before": round(j.before, 2), "after": round(j.after, 2), "cause": cause})
    return out


__all__ = ["tension_curve", "tension_jumps"]
