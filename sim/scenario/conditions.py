"""Structured conditions: when an inject fires, a decision point opens or a force moves.

Conditions are data, never code. The forms are::

    {event: nrf-activation-agreed}                 # a named event has happened
    {force: vjtf, state: ready}                    # a force has reached (at least) a state
    {decision: nrf-posture, option: deploy}        # a decision was taken (with that option)
    {metric: tension, gte: 60}                     # a state variable compared to a number
    {all: [...]}, {any: [...]}, {not: {...}}       # combinations

Metrics a condition can read: ``tension``, ``rung``, ``encounters``, ``incidents``,
``committed_troops`` and ``time_h`` (hours since H-hour).
"""
from __future__ import annotations

from enum import IntEnum
from typing import Annotated, Any, Literal, Protocol, get_args

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator


class ForceStage(IntEnum):
    """A force's readiness stages, in order: a force at a stage has passed every earlier one."""

    STANDBY = 0
    ALERTED = 1
    ACTIVATED = 2
    READY = 3
    DEPLOYING = 4
    IN_PLACE = 5

    @property
    def state(self) -> str:
        """The stage's name as scenarios and traces write it (``in_place``)."""
        return self.name.lower()


FORCE_STATES = tuple(st.state for st in ForceStage)
STAGE_OF = {st.state: st for st in ForceStage}  # state name -> stage
ForceState = Literal["standby", "alerted", "activated", "ready", "deploying", "in_place"]
if get_args(ForceState) != FORCE_STATES:  # pragma: no cover - the Literal (for pydantic) spells the stages out
    raise AssertionError(f"ForceState {get_args(ForceState)} is out of step with ForceStage {FORCE_STATES}")
METRICS = ("tension", "rung", "encounters", "incidents", "committed_troops", "time_h")


class StateView(Protocol):
    """What a condition may read of the simulation state."""

    def happened(self, event: str) -> bool: ...
    def force_stage(self, force: str) -> int: ...
    def decision_taken(self, decision: str) -> str | None: ...
    def metric(self, name: str) -> float: ...


class _C(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class EventCond(_C):
    event: str

    def test(self, s: StateView) -> bool:
        return s.happened(self.event)


class ForceCond(_C):
    force: str
    state: ForceState = "in_place"

    def test(self, s: StateView) -> bool:
        return s.force_stage(self.force) >= STAGE_OF[self.state]


class DecisionCond(_C):
    decision: str
    option: str | None = None

    def test(self, s: StateView) -> bool:
        taken = s.decision_taken(self.decision)
        return taken is not None and (self.option is None or taken == self.option)


class MetricCond(_C):
    metric: Literal["tension", "rung", "encounters", "incidents", "committed_troops", "time_h"]
    gte: float | None = None
    gt: float | None = None
    lte: float | None = None
    lt: float | None = None
    eq: float | None = None

    @model_validator(mode="after")
    def _one_comparison(self) -> MetricCond:
        if all(getattr(self, k) is None for k in ("gte", "gt", "lte", "lt", "eq")):
            raise ValueError("give at least one of gte, gt, lte, lt, eq")
        return self

    def test(self, s: StateView) -> bool:
        v = s.metric(self.metric)
        return (
            (self.gte is None or v >= self.gte)
            and (self.gt is None or v > self.gt)
            and (self.lte is None or v <= self.lte)
            and (self.lt is None or v < self.lt)
            and (self.eq is None or v == self.eq)
        )


class AllCond(_C):
    all: list[Condition] = Field(min_length=1)

    def test(self, s: StateView) -> bool:
        return all(c.test(s) for c in self.all)


class AnyCond(_C):
    any: list[Condition] = Field(min_length=1)

    def test(self, s: StateView) -> bool:
        return any(c.test(s) for c in self.any)


class NotCond(_C):
    not_: Condition = Field(alias="not")
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    def test(self, s: StateView) -> bool:
        return not self.not_.test(s)


_KEYS = {"event": "event", "force": "force", "decision": "decision", "metric": "metric",
         "all": "all", "any": "any", "not": "not", "not_": "not"}


def _which(v: Any) -> str | None:
    if isinstance(v, BaseModel):
        return {EventCond: "event", ForceCond: "force", DecisionCond: "decision", MetricCond: "metric",
                AllCond: "all", AnyCond: "any", NotCond: "not"}[type(v)]
    if isinstance(v, dict):
        for k in v:
            if k in _KEYS:
                return _KEYS[k]
    return None


Condition = Annotated[
    Annotated[EventCond, Tag("event")] | Annotated[ForceCond, Tag("force")] | Annotated[DecisionCond, Tag("decision")] | Annotated[MetricCond, Tag("metric")] | Annotated[AllCond, Tag("all")] | Annotated[AnyCond, Tag("any")] | Annotated[NotCond, Tag("not")],
    Discriminator(
        _which,
        custom_error_type="condition",
        custom_error_message="a condition needs one of the keys event, force, decision, metric, all, any, not",
    ),
]

AllCond.model_rebuild()
AnyCond.model_rebuild()
NotCond.model_rebuild()


Leaf = EventCond | ForceCond | DecisionCond | MetricCond


def walk(cond: Condition) -> list[Leaf]:
    """Every leaf condition inside ``cond``."""
    if isinstance(cond, AllCond):
        return [x for c in cond.all for x in walk(c)]
    if isinstance(cond, AnyCond):
        return [x for c in cond.any for x in walk(c)]
    if isinstance(cond, NotCond):
        return walk(cond.not_)
    return [cond]


def metric_marks(cond: Condition, metric: str) -> list[float]:
    """The values of ``metric`` at which a comparison inside ``cond`` can change its value."""
    out: list[float] = []
    for leaf in walk(cond):
        if isinstance(leaf, MetricCond) and leaf.metric == metric:
            out += [v for v in (leaf.gte, leaf.gt, leaf.lte, leaf.lt, leaf.eq) if v is not None]
    return out


def time_marks(cond: Condition) -> list[float]:
    """Hours at which a time comparison inside ``cond`` can change its value."""
    return metric_marks(cond, "time_h")
