"""Tension so far, for the board's escalation chart: the curve and each jump with its cause,
read from the tension records of the session's replayed trace (the engine records each change
with what caused it; the curve between them is the report's)."""
from __future__ import annotations

from typing import Any

from ..report.tension import curve, jumps
from ..workshop.session import EPS, Session

POINTS = 96   # points of the curve drawn on the board


def tension_curve(s: Session) -> list[list[float]]:
    """(hour, tension) points from H-hour to the clock: decay between the recorded changes."""
    end = max(s.clock, 1e-6)
    xs, ys = curve(s.view().trace, end, step_h=max(end / (POINTS - 1), 1e-3))
    return [[round(t, 3), round(v, 2)] for t, v in zip(xs, ys, strict=True) if t <= end + EPS]


def tension_jumps(s: Session) -> list[dict[str, Any]]:
    """Each jump of tension up to the clock with what caused it (the inject, decision or incident)."""
    out = []
    for j in jumps(s.view().trace):
        if j.t_h > s.clock + EPS:
            continue
        cause = j.record.cause
        what = cause.text              # the inject's title, "decision: option", "sea incident"
        out.append({"h": round(j.t_h, 3), "before": round(j.before, 2), "after": round(j.after, 2), "cause": what,
                    "cause_kind": cause.kind.value})
    return out


__all__ = ["tension_curve", "tension_jumps"]
