"""What caused a change: an inject, a decision option, an incident, decay.

Defined in the scenario layer because effects carry their cause to the state they change (the
engine's world records it in each typed trace record, :mod:`sim.engine.trace`, which re-exports
these names); nothing here reads the engine.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class SourceKind(StrEnum):
    """What moved tension or applied an effect."""

    INJECT = "inject"              # a scenario inject (scheduled, library, or brought forward)
    ADHOC_INJECT = "adhoc_inject"  # an inject written at a workshop's table
    DECISION = "decision"          # a decision option taken
    INCIDENT = "incident"          # an encounter that turned into an incident
    DECAY = "decay"                # tension decaying with its half-life
    MEASURE = "measure"            # a deconfliction measure opening or closing at its own time or condition


@dataclass(slots=True, frozen=True)
class Source:
    """Who or what caused a change: its kind and id (inject id, decision id, incident domain)."""

    kind: SourceKind
    id: str = ""
    title: str = ""    # the inject's or decision's title
    option: str = ""   # a decision's option id
    label: str = ""    # a decision option's label

    @property
    def text(self) -> str:
        if self.kind is SourceKind.DECISION:
            return f"{self.title}: {self.label}"
        if self.kind is SourceKind.INCIDENT:  # title: the severity class's name, on a graded ladder
            return f"{self.id} incident: {self.title}" if self.title else f"{self.id} incident"
        if self.kind is SourceKind.DECAY:
            return "decay"
        return self.title or self.id


DECAY = Source(SourceKind.DECAY)
