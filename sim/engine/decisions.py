"""Decision points and the pluggable sources that resolve them.

A :class:`DecisionSource` is asked for a :class:`Choice` when a decision point
opens. Three ship here: the scenario's default policy, weighted random for
exploration, and a scripted source (fixed choices, falling back to another
source). A source that answers ``None`` pauses the run there: the workshop
uses this to hand the choice to a person and replay with the answer.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, cast

import numpy as np

from ..scenario.conditions import StateView
from ..scenario.model import DecisionPoint
from ..scenario.tempo import tempo_factor
from .effects import apply_effects
from .plan import Due
from .timing import wait_timing, when_due
from .trace import DecisionRecord, PendingRecord, Source, SourceKind
from .world import Process, World


@dataclass(frozen=True)
class Choice:
    option: str
    team: str = ""
    rationale: str = ""
    source: str = "default"


class DecisionSource(Protocol):
    def choose(self, did: str, point: DecisionPoint, view: StateView, rng: np.random.Generator) -> Choice | None: ...


class DefaultPolicy:
    """The option the scenario marks as default."""

    def choose(self, did: str, point: DecisionPoint, view: StateView, rng: np.random.Generator) -> Choice:
        return Choice(point.default, point.team, "scenario default", "default")


class WeightedRandom:
    """Options drawn at random in proportion to their weights (for exploring outcomes)."""

    def choose(self, did: str, point: DecisionPoint, view: StateView, rng: np.random.Generator) -> Choice:
        ids = list(point.options)
        w = np.array([point.options[o].weight for o in ids], dtype=float)
        if w.sum() <= 0:
            return Choice(point.default, point.team, "all weights zero: default", "random")
        return Choice(ids[int(rng.choice(len(ids), p=w / w.sum()))], point.team, "weighted random", "random")


class Scripted:
    """Fixed choices by decision id; anything else goes to ``fallback`` (None: pause the run)."""

    def __init__(self, choices: Mapping[str, Choice | str], fallback: DecisionSource | None = None) -> None:
        self.choices = {k: (v if isinstance(v, Choice) else Choice(v, source="given")) for k, v in choices.items()}
        self.fallback = fallback

    def choose(self, did: str, point: DecisionPoint, view: StateView, rng: np.random.Generator) -> Choice | None:
        if did in self.choices:
            c = self.choices[did]
            return c if c.team else Choice(c.option, point.team, c.rationale, c.source)
        return self.fallback.choose(did, point, view, rng) if self.fallback else None


class _LazyRng:
    """The run's ``decisions`` Generator, made only if a source draws from it (defaults never do)."""

    __slots__ = ("_w",)

    def __init__(self, w: World) -> None:
        self._w = w

    def __getattr__(self, name: str) -> Any:
        return getattr(self._w.rng("decisions"), name)


Decisions = DecisionSource | Mapping[str, Choice | str] | None


def as_source(decisions: Decisions) -> DecisionSource:
    if decisions is None:
        return DefaultPolicy()
    if isinstance(decisions, Mapping):
        return Scripted(decisions, DefaultPolicy())
    return decisions


def decision_process(w: World, did: str, point: DecisionPoint, source: DecisionSource) -> Process:
    """Process body: open decision point ``did`` when it is due."""
    yield from wait_timing(w, point, f"decisions.{did}.at_h", scale=tempo_factor(w.s, "decision_delay"))
    open_decision(w, did, point, source)


def start_decision(w: World, did: str, point: DecisionPoint, source: DecisionSource, due: Due) -> None:
    """The callback form of :func:`decision_process` (what the run's timetable starts)."""
    when_due(w, point, due, lambda: open_decision(w, did, point, source))


def open_decision(w: World, did: str, point: DecisionPoint, source: DecisionSource) -> None:
    """Decision point ``did`` is due: ask ``source`` and take its choice (or pause the run there).
    Random decision sources draw from the run's ``decisions`` stream."""
    # the lazy stream stands in for the Generator: it hands on every attribute of the real one
    choice = source.choose(did, point, w, cast(np.random.Generator, _LazyRng(w)))
    if choice is None:
        w.record(PendingRecord(actor=point.team, facts=list(point.facts), decision=did, title=point.title,
                               team=point.team, options=list(point.options)))
        w.pause({"decision": did, "t_h": round(w.env.now, 6), "title": point.title, "team": point.team,
                 "prompt": point.prompt, "options": {k: {"label": o.label, "description": o.description}
                                                     for k, o in point.options.items()},
                 "default": point.default})
        return
    if choice.option not in point.options:
        raise ValueError(f"decision {did}: unknown option {choice.option!r}; options: {', '.join(point.options)}")
    opt = point.options[choice.option]
    team = choice.team or point.team
    entry = {"decision": did, "option": choice.option, "label": opt.label, "team": team,
             "rationale": choice.rationale, "source": choice.source, "t_h": round(w.env.now, 6)}
    w.take_decision(did, choice.option, entry)
    if w.keep_trace:
        w.record(DecisionRecord(actor=team, facts=list(point.facts), decision=did, title=point.title,
                                option=choice.option, label=opt.label, team=team,
                                rationale=choice.rationale, source=choice.source))
    if opt.effects:
        cause = Source(SourceKind.DECISION, did, point.title, choice.option, opt.label)
        apply_effects(w, opt.effects, f"decision.{did}", w.effects_rng, point.facts, cause)
    w.notify("decision", "event")
