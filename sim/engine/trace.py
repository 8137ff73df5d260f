"""Trace records and the run result: the only things consumers of the engine read.

A trace is an ordered list of :class:`Record`: simulated hour, calendar time,
kind, actor, text, the state it changed and the fact ids behind it. JSON from
here is deterministic: sorted keys, no wall-clock fields.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from math import floor
from typing import Any

KINDS = ("start", "inject", "signal", "force", "decision", "pending", "axis", "encounter", "incident",
         "rung", "effect", "checkpoint", "end")


def r6(x: float) -> float:
    """``x`` to 6 decimal places (halves rounded up), as metrics and states report hours and levels.

    ``round(x, 6)`` gives the same for all but exact halves, at five times the cost (it goes
    through a decimal conversion), and a run rounds over a hundred values.
    """
    return floor(x * 1e6 + 0.5) / 1e6


@dataclass(slots=True)
class Record:
    seq: int
    t_h: float
    time: str
    kind: str
    actor: str
    text: str
    state: dict[str, Any] = field(default_factory=dict)
    facts: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Outcome:
    """One objective measured on one run."""

    id: str
    title: str
    metric: str
    target: str
    value: float | None
    met: bool


@dataclass
class Result:
    scenario: str
    scenario_hash: str
    seed: Any
    horizon_h: float
    metrics: dict[str, float | None]
    objectives: dict[str, Outcome]
    decisions: list[dict]
    trace: list[Record]
    state: dict[str, Any]
    pending: dict | None = None

    def to_dict(self, trace: bool = True) -> dict:
        d = {
            "scenario": self.scenario,
            "scenario_hash": self.scenario_hash,
            "seed": self.seed,
            "horizon_h": self.horizon_h,
            "metrics": self.metrics,
            "objectives": {k: asdict(v) for k, v in self.objectives.items()},
            "decisions": self.decisions,
            "state": self.state,
            "pending": self.pending,
        }
        if trace:
            d["trace"] = [r.to_dict() for r in self.trace]
        return d

    def to_json(self, trace: bool = True, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(trace), sort_keys=True, indent=indent, ensure_ascii=False)

    def trace_jsonl(self) -> str:
        return "".join(json.dumps(r.to_dict(), sort_keys=True, ensure_ascii=False) + "\n" for r in self.trace)

    def events(self, kind: str) -> list[Record]:
        return [r for r in self.trace if r.kind == kind]
