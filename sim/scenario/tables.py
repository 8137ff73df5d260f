"""Default data tables for the model to come: the force-ratio table and the encounter severity ladder.

Both are package data (``sim/data/force_ratios.yaml``, ``sim/data/severity_ladder.yaml``), each
row citing fact ids or marked as a modelling assumption; this module validates them with
pydantic (problems located as ``FILE:LINE: field: message``). The engine's encounter clock
(:mod:`sim.engine.deconfliction`) grades encounters on the severity ladder (a scenario's own or
this default, ``deconfliction.severity: default``).
"""
from __future__ import annotations

import bisect
import math
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import Problem, ScenarioError
from .places import PLACE_ID, load_data_file

Basis = Literal["source", "assumption"]


class _M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class PlanningRatio(_M):
    mission: str = Field(pattern=PLACE_ID)
    friendly: float = Field(gt=0)
    enemy: float = Field(gt=0)
    facts: list[str] = Field(min_length=1, description="fact ids of the doctrine it comes from")


class CombatValue(_M):
    value: float = Field(gt=0, description="battalion equivalents")
    basis: Basis
    note: str = Field(min_length=1)


class RateStep(_M):
    min_ratio: float = Field(ge=0, description="attacker:defender combat-value ratio from which this step applies")
    share: float = Field(ge=0, le=1, description="share of the unopposed advance rate")
    basis: Basis
    note: str = ""


class ForceRatioTable(_M):
    facts: list[str] = Field(default_factory=list, description="fact ids about the table as a whole")
    planning_ratios: list[PlanningRatio] = Field(min_length=1)
    combat_values: dict[str, CombatValue] = Field(min_length=1)
    advance_rate: list[RateStep] = Field(min_length=1)

    @field_validator("advance_rate")
    @classmethod
    def _steps(cls, v: list[RateStep]) -> list[RateStep]:
        if v[0].min_ratio != 0:
            raise ValueError("the first step must start at min_ratio 0 (every ratio needs a rate)")
        for a, b in zip(v, v[1:]):
            if b.min_ratio <= a.min_ratio:
                raise ValueError(f"min_ratio must increase: {b.min_ratio} follows {a.min_ratio}")
            if b.share < a.share:
                raise ValueError(f"share must not fall as the ratio rises: {b.share} at {b.min_ratio} "
                                 f"after {a.share} at {a.min_ratio}")
        return v

    @field_validator("planning_ratios")
    @classmethod
    def _missions_unique(cls, v: list[PlanningRatio]) -> list[PlanningRatio]:
        names = [p.mission for p in v]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"duplicate missions: {', '.join(dup)}")
        return v

    def rate_share(self, attacker: float, defender: float) -> float:
        """Share of the unopposed advance rate for these combat values (no defender: full rate)."""
        if attacker < 0 or defender < 0:
            raise ValueError("combat values are not negative")
        if defender == 0:
            return 1.0 if attacker > 0 else 0.0
        ratio = attacker / defender
        i = bisect.bisect_right([s.min_ratio for s in self.advance_rate], ratio) - 1
        return self.advance_rate[i].share

    def cited_facts(self) -> list[str]:
        return sorted({*self.facts, *(f for p in self.planning_ratios for f in p.facts)})


Domain = Literal["air", "sea", "land"]


class SeverityClass(_M):
    id: str = Field(pattern=PLACE_ID)
    name: str = Field(min_length=1)
    share: float = Field(ge=0, le=1, description="share of encounters that reach this class")
    domain_share: dict[Domain, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="the share in one domain, where the data give one (else share)")
    tension: float = Field(ge=0, description="tension it adds")
    measure_factor: float = Field(ge=0, le=1, description="multiplies the share while a deconfliction measure "
                                  "that names no factor of its own for this class is active")
    basis: Basis
    facts: list[str] = Field(default_factory=list)
    note: str = ""


class SeverityLadder(_M):
    classes: list[SeverityClass] = Field(min_length=2)

    @field_validator("classes")
    @classmethod
    def _ladder(cls, v: list[SeverityClass]) -> list[SeverityClass]:
        ids = [c.id for c in v]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate class ids: {', '.join(dup)}")
        total = math.fsum(c.share for c in v)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"shares must sum to 1, not {total:g}")
        for dom in sorted({d for c in v for d in c.domain_share}):
            total = math.fsum(c.domain_share.get(dom, c.share) for c in v)
            if abs(total - 1.0) > 1e-9:
                raise ValueError(f"the {dom} shares (domain_share, else share) must sum to 1, not {total:g}")
        for a, b in zip(v, v[1:]):
            if b.tension < a.tension:
                raise ValueError(f"classes go from least to most severe: {b.id} adds less tension than {a.id}")
        return v

    def shares(self, measures_active: bool) -> dict[str, float]:
        """Each class's share of encounters; with measures active the severe classes shrink by their
        factor and the first (least severe) class takes up what they lose."""
        if not measures_active:
            return {c.id: c.share for c in self.classes}
        out = {c.id: c.share * c.measure_factor for c in self.classes[1:]}
        return {self.classes[0].id: 1.0 - math.fsum(out.values()), **out}

    def domain_shares(self, domain: str) -> list[float]:
        """Each class's share of encounters in ``domain``, least severe first (before measures and tension)."""
        return [c.domain_share.get(domain, c.share) for c in self.classes]  # type: ignore[call-overload]

    def cited_facts(self) -> list[str]:
        return sorted({f for c in self.classes for f in c.facts})


def shipped_table_facts() -> set[str]:
    """Every fact id the shipped data tables cite (force ratios, severity ladder, route factors, tempo)."""
    from .places import route_factors
    from .tempo import default_postures
    routes = {f for m in route_factors().modes.values() for f in m.facts}
    return {*load_force_ratios().cited_facts(), *load_severity_ladder().cited_facts(), *routes,
            *default_postures().cited_facts()}


def _read(name: str, label: str | None = None) -> tuple[str, str]:
    text = resources.files("sim.data").joinpath(name).read_text(encoding="utf-8")
    return text, label or f"sim/data/{name}"


def load_force_ratios(path: str | Path | None = None) -> ForceRatioTable:
    """The force-ratio table: the shipped default, or the file at ``path``."""
    if path is None:
        return _default_force_ratios()
    return _load(Path(path), ForceRatioTable)  # type: ignore[return-value]


def load_severity_ladder(path: str | Path | None = None) -> SeverityLadder:
    """The severity ladder: the shipped default, or the file at ``path``."""
    if path is None:
        return _default_ladder()
    return _load(Path(path), SeverityLadder)  # type: ignore[return-value]


def _load(path: Path, model: type[BaseModel]) -> BaseModel:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError([Problem(str(path), None, "", f"cannot read: {exc.strerror}")]) from None
    return load_data_file(text, str(path), model)


@lru_cache(maxsize=1)
def _default_force_ratios() -> ForceRatioTable:
    t = load_data_file(*_read("force_ratios.yaml"), ForceRatioTable)
    assert isinstance(t, ForceRatioTable)
    return t


@lru_cache(maxsize=1)
def _default_ladder() -> SeverityLadder:
    t = load_data_file(*_read("severity_ladder.yaml"), SeverityLadder)
    assert isinstance(t, SeverityLadder)
    return t
