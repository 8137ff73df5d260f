"""A scenario compiled for the engine: everything a run needs that depends on the scenario alone.

Every replication of a batch runs the same scenario object many times, so what follows from
the scenario alone (the hours and tension levels at which a condition can change value, the
forces counting towards each presence, the timed items and their hours when those are fixed,
calendar conversions, the parameter paths draws are made at, the metric plan) is worked out
once per scenario object, by :func:`compiled`, and read by each run from ``World.plan``.

Adding a precomputation (for a new process, say): write a function of the scenario alone and
read it in the run through :meth:`Plan.part`::

    def _echelon_table(s: Scenario) -> dict[str, tuple[float, ...]]: ...

    table = w.plan.part(_echelon_table)   # computed at the first run of the scenario, then reused

The function must read the scenario only (never a run's state or draws), and its value must not
be changed by the run (return tuples, frozensets, or lists and dicts the run never writes to).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from ..scenario.conditions import STAGE_OF, ForceStage, metric_marks, time_marks
from ..scenario.distributions import Fixed
from ..scenario.model import Checkpoint, DecisionPoint, Inject, Scenario, Timing
from ..scenario.references import conditions
from ..scenario.tempo import tempo_factor
from .memo import per_object

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Due:
    """When a timed item (an inject or a decision point) is due, as far as the scenario says it.

    ``hour``: the hour, when it is the same in every run (a calendar time, or a fixed ``at_h``:
    neither draws a number); None when it is drawn (``at_h`` a distribution, drawn at ``path``)
    or waits on the item's condition (``at_h`` and ``at_time`` both None).
    """

    path: str
    hour: float | None
    scale: float = 1.0   # multiplies an ``at_h`` (the tempo's decision delay for a decision point)


def due_of(s: Scenario, item: Timing, path: str, scale: float = 1.0) -> Due:
    """The :class:`Due` of ``item`` whose ``at_h`` is drawn at ``path`` and multiplied by ``scale``
    (never before H-hour, as :func:`sim.engine.timing.due_hour` gives it)."""
    if isinstance(item.at_h, Fixed):
        return Due(path, max(item.at_h.value * scale, 0.0), scale)
    if item.at_h is None and item.at_time is not None:
        return Due(path, max(s.clock.hours(item.at_time), 0.0))
    return Due(path, None, scale)


def checkpoint_hour(s: Scenario, cp: Checkpoint) -> float:
    if cp.at_h is not None:
        return cp.at_h
    assert cp.at_time is not None  # validation gives a checkpoint exactly one of at_h, at_time
    return s.clock.hours(cp.at_time)


class Plan:
    """The compiled scenario (see the module's docstring); one per scenario object."""

    def __init__(self, s: Scenario) -> None:
        self.scenario = s
        self.content_hash = s.content_hash  # a pydantic private attribute: slow to read, so read once
        conds = [c for _, c in conditions(s)]
        # the hours at which a time comparison in a condition can change value, and the tension
        # levels whose downward crossing by decay can (each once, in order)
        self.time_marks: tuple[float, ...] = tuple(sorted({t for c in conds for t in time_marks(c)}))
        self.tension_marks: tuple[float, ...] = tuple(sorted({v for c in conds for v in metric_marks(c, "tension")}))
        self.tz = ZoneInfo(s.clock.display_tz)
        # the forces' initial stages and the states they have passed by H-hour
        self.initial_stage: dict[str, ForceStage] = {fid: STAGE_OF[f.initial_state] for fid, f in s.forces.items()}
        # the forces counting towards each (side, domain) presence, in scenario order
        presence: dict[tuple[str, str], list[str]] = {}
        for fid, f in s.forces.items():
            if f.encounters:
                presence.setdefault((f.side, f.kind), []).append(fid)
        self.presence_forces: dict[tuple[str, str], tuple[str, ...]] = {k: tuple(v) for k, v in presence.items()}
        self.measures: dict[str, bool] = ({m: spec.active_at_start for m, spec in s.deconfliction.measures.items()}
                                          if s.deconfliction else {})
        # the items of the timetable (run.py starts them as callbacks), in the order they start
        self.injects: tuple[tuple[str, Inject, Due], ...] = tuple(
            (iid, inj, due_of(s, inj, f"injects.{iid}.at_h")) for iid, inj in s.injects.items() if not inj.library)
        self.decisions: tuple[tuple[str, DecisionPoint, Due], ...] = tuple(
            (did, p, due_of(s, p, f"decisions.{did}.at_h", tempo_factor(s, "decision_delay")))
            for did, p in s.decisions.items())
        self.checkpoints: tuple[tuple[str, Checkpoint, float], ...] = tuple(
            (cid, cp, checkpoint_hour(s, cp)) for cid, cp in s.checkpoints.items())
        self._parts: dict[Callable[[Scenario], Any], Any] = {}

    def part(self, compute: Callable[[Scenario], T]) -> T:
        """``compute(scenario)``, worked out at the first call for this scenario and reused after."""
        parts = self._parts
        if compute in parts:
            value: T = parts[compute]
            return value
        value = parts[compute] = compute(self.scenario)
        return value


compiled: Callable[[Scenario], Plan] = per_object()(Plan)
"""The plan of a scenario: compiled at the first run of a scenario object, reused by every later one."""
