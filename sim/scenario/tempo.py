"""Tempo: a scenario-wide readiness posture that scales the times a scenario gives.

A scenario names its posture (``tempo: {posture: exercise}``); a posture is data, a factor per kind
of time (:data:`TempoKind`): notice to move, staging, decision delays. The defaults, each factor
with its basis (cited fact ids, or a modelling assumption), are package data
(``sim/data/tempo.yaml``); a scenario may add postures of its own or replace a default one whole
(``tempo.postures``). A factor is relative to the posture the scenario's figures were written for
(``tempo.basis``, by default the package's: ``crisis``), so a peacetime exercise is a variant of a
few lines of the crisis baseline. Without ``tempo:`` every factor is 1.

:func:`tempo_factor` is the one function the engine asks; it multiplies the time drawn (the draw
itself is unchanged, so a tempo variant is a same-draws comparison).
"""
from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Literal, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from ..memo import per_object
from .places import PLACE_ID, package_data
from .suggest import did_you_mean

if TYPE_CHECKING:
    from .model import Scenario

TempoKind = Literal["notice_to_move", "staging", "decision_delay"]
TEMPO_KINDS: tuple[TempoKind, ...] = get_args(TempoKind)
MAX_TEMPO = 20.0   # a posture that makes a time more than 20 times longer (or shorter) is no posture


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class Factor(_M):
    """One default factor with its basis (package data)."""

    factor: float = Field(ge=1 / MAX_TEMPO, le=MAX_TEMPO)
    basis: Literal["source", "assumption"]
    facts: list[str] = Field(default_factory=list)
    note: str = Field(min_length=1)

    @model_validator(mode="after")
    def _cited(self) -> Self:
        if self.basis == "source" and not self.facts:
            raise ValueError("a factor with basis: source cites the fact ids it rests on")
        return self


class DefaultPosture(_M):
    description: str = Field(min_length=1)
    notice_to_move: Factor
    staging: Factor
    decision_delay: Factor

    def factor(self, kind: TempoKind) -> float:
        f: Factor = getattr(self, kind)
        return f.factor


class DefaultPostures(_M):
    """``sim/data/tempo.yaml``."""

    basis: str = Field(description="the posture the shipped scenarios' figures describe")
    postures: dict[str, DefaultPosture] = Field(min_length=1)

    @model_validator(mode="after")
    def _basis_known(self) -> Self:
        if self.basis not in self.postures:
            raise ValueError(f"basis {self.basis!r} is not one of the postures {', '.join(self.postures)}")
        return self

    def cited_facts(self) -> list[str]:
        return sorted({f for p in self.postures.values() for k in TEMPO_KINDS for f in getattr(p, k).facts})


@lru_cache(maxsize=1)
def default_postures() -> DefaultPostures:
    """The shipped postures (``sim/data/tempo.yaml``)."""
    return package_data("tempo.yaml", DefaultPostures)


class Posture(_M):
    """A scenario's own posture: a factor per kind of time (1: as the scenario writes it)."""

    description: str = ""
    notice_to_move: float = Field(1.0, ge=1 / MAX_TEMPO, le=MAX_TEMPO, description="scales notice to move")
    staging: float = Field(1.0, ge=1 / MAX_TEMPO, le=MAX_TEMPO, description="scales staging before a movement")
    decision_delay: float = Field(1.0, ge=1 / MAX_TEMPO, le=MAX_TEMPO,
                                  description="scales the hour a decision point comes up (its at_h)")
    facts: list[str] = Field(default_factory=list)

    def factor(self, kind: TempoKind) -> float:
        value: float = getattr(self, kind)
        return value


class Tempo(_M):
    # postures first, so that the posture named is checked against them at its own field
    postures: dict[str, Posture] = Field(default_factory=dict, description="postures of the scenario's own "
                                         "(one named as a default replaces it whole)")
    posture: str = Field(pattern=PLACE_ID, description="crisis, heightened, exercise (sim/data/tempo.yaml) or "
                         "one of postures:")
    basis: str | None = Field(None, pattern=PLACE_ID, description="the posture the scenario's figures were "
                              "written for (default: the package's, crisis)")
    facts: list[str] = Field(default_factory=list)

    @field_validator("posture", "basis")
    @classmethod
    def _known(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "postures" not in info.data:   # the scenario's postures are wrong themselves: said there
            return value
        known = {*default_postures().postures, *info.data["postures"]}
        if value is not None and value not in known:
            raise ValueError(f"unknown posture {value!r}; one of {', '.join(sorted(known))}"
                             f"{did_you_mean(value, known)}")
        return value

    def factor_of(self, posture: str, kind: TempoKind) -> float:
        own = self.postures.get(posture)
        if own is not None:
            return own.factor(kind)
        return default_postures().postures[posture].factor(kind)

    def factor(self, kind: TempoKind) -> float:
        basis = self.basis if self.basis is not None else default_postures().basis
        return self.factor_of(self.posture, kind) / self.factor_of(basis, kind)


@per_object(limit=256)
def _factors(scenario: Scenario) -> dict[TempoKind, float]:
    t = scenario.tempo
    return {k: (1.0 if t is None else t.factor(k)) for k in TEMPO_KINDS}


def tempo_factor(scenario: Scenario, kind: TempoKind) -> float:
    """The factor the scenario's tempo puts on times of ``kind`` (1 without ``tempo:``)."""
    return _factors(scenario)[kind]
