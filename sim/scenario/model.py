"""Pydantic models of a scenario file.

A scenario is data: forces and their readiness chains, the adversary's axes of
advance, the encounter/incident model with its deconfliction measures, the
escalation ladder, injects, decision points, objectives and checkpoints. Every
number may cite the fact ids (``facts: [...]``) it was taken from.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from .conditions import Condition, ForceState
from .distributions import Dist, Fixed
from .effects import HASH_CONTEXT, Delay, Effect, MeasureSwitch, Scale  # noqa: F401 - Effect's parts, used by name
from .movement import Echelon, LiftPool, Movement
from .places import GivenDistance, Place
from .suggest import did_you_mean
from .tables import ForceRatioTable, SeverityLadder, load_severity_ladder
from .tempo import Tempo

ID = r"^[A-Za-z][A-Za-z0-9_\-]*$"
Facts = list[str]
YEARS = (1000, 8999)   # calendar arithmetic (offsets, time zones, + the horizon) stays inside datetime's range
MAX_RATE = 1.0         # encounters per hour per unit of one side per unit of the other (the baseline: 7.5e-5)
MAX_STRENGTH = 1e8     # troops, aircraft or ships in one force


def _in_years(v: datetime | None) -> datetime | None:
    if v is not None and not YEARS[0] <= v.year <= YEARS[1]:
        raise ValueError(f"give a date in the years {YEARS[0]} to {YEARS[1]}, got {v.isoformat()}")
    return v


class M(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)  # .inf or .nan is never a real figure


def _ids(d: dict[str, Any]) -> dict[str, Any]:
    for k in d:
        if not re.match(ID, k):
            raise ValueError(f"id {k!r} must start with a letter and hold only letters, digits, - and _")
    return d


class Clock(M):
    start: datetime = Field(description="H-hour: the calendar time of simulated hour 0, with its UTC offset")
    horizon_h: float = Field(gt=0, le=24 * 90, description="how many hours to simulate")
    display_tz: str = Field("UTC", description="IANA time zone for calendar times shown to people")

    @field_validator("start")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            raise ValueError("give the start with a UTC offset, e.g. 2022-02-24T03:00:00+00:00")
        _in_years(v)
        return v

    @field_validator("display_tz")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {v!r}") from None
        return v

    def hours(self, t: datetime) -> float:
        if t.tzinfo is None:
            raise ValueError("times need a UTC offset")
        return (t - self.start) / timedelta(hours=1)

    def calendar(self, h: float) -> datetime:
        return (self.start + timedelta(hours=h)).astimezone(ZoneInfo(self.display_tz))


class Side(M):
    name: str
    role: Literal["blue", "red", "white", "green"] = "blue"
    description: str = ""


class Timing(M):
    """Mixin: when something happens: at an hour (a distribution), a calendar time, or a condition."""

    at_h: Dist | None = Field(None, description="hours after H-hour (a number or a distribution)")
    at_time: datetime | None = Field(None, description="calendar time with UTC offset")
    when: Condition | None = Field(None, description="a structured condition")

    def _timing_count(self) -> int:
        return sum(x is not None for x in (self.at_h, self.at_time, self.when))

    @field_validator("at_time")
    @classmethod
    def _aware(cls, v: datetime | None) -> datetime | None:
        if v is not None and v.tzinfo is None:
            raise ValueError("give the time with a UTC offset")
        return _in_years(v)


class Force(M):
    name: str
    side: str
    kind: Literal["land", "air", "sea"]
    strength: float = Field(ge=0, le=MAX_STRENGTH)
    unit: Literal["troops", "aircraft", "ships"]
    includes: dict[str, float] = Field(default_factory=dict, description="counted sub-elements, e.g. carrier_strike_groups: 3")
    origin: str = ""
    destination: str = ""
    origin_place: str | None = Field(None, description="place id it starts from (places: or the gazetteer)")
    destination_place: str | None = Field(None, description="place id it deploys to (places: or the gazetteer)")
    description: str = ""
    initial_state: ForceState = "standby"
    alert_when: Condition | None = None
    activate_when: Condition | None = None
    deploy_when: Condition | None = Field(None, description="deploy once ready and this holds; none = at once")
    notice_to_move_h: Dist = Field(default_factory=lambda: Fixed(value=0), description="activation -> ready")
    transit_h: Dist = Field(default_factory=lambda: Fixed(value=0), description="departure -> in place")
    encounters: bool = Field(True, description="counts towards encounters when in place (air and sea)")
    echelons: dict[str, Echelon] = Field(default_factory=dict, description="parts that get ready and move on "
                                         "their own (sim/scenario/movement.py); none = the force moves as one")
    movement: Movement | None = Field(None, description="how the force (or its echelons) moves; replaces transit_h")
    unit_type: str | None = Field(None, description="a unit type of the force-ratio table's combat_values "
                                  "(e.g. light_brigade): its combat value when it stands on an axis")
    units: float = Field(1, gt=0, le=1000, description="how many units of unit_type the force holds")
    combat_value: float | None = Field(None, gt=0, le=1e6, description="combat value in battalion equivalents "
                                       "(instead of unit_type x units)")
    facts: Facts = Field(default_factory=list)

    _ids = field_validator("echelons")(classmethod(lambda cls, v: _ids(v)))

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        return _without_defaults(self, handler(self), info, _FORCE_COMBAT)


# fields added after content hashes were first stored: hashed only when given, so the hash of a
# scenario that does not use them is what it was
_FORCE_COMBAT: dict[str, Any] = {"unit_type": None, "units": 1, "combat_value": None}
_AXIS_ROUTE: dict[str, Any] = {"start": None, "waypoints": [], "objective_place": None, "distance_factor": None,
               "commitment": None, "unit_type": None, "troops_per_unit": None}


def _without_defaults(m: BaseModel, out: dict[str, Any], info: SerializationInfo,
                      fields: dict[str, Any]) -> dict[str, Any]:
    from .effects import HASH_CONTEXT
    if info.context == HASH_CONTEXT:
        for k, default in fields.items():
            if k in out and getattr(m, k) == default:
                del out[k]
    return out


class CommitmentStep(M):
    after_h: float = Field(gt=0, le=24 * 90, description="hours after the axis is committed")
    troops_per_day: Dist = Field(description="the rate of commitment from then on")
    facts: Facts = Field(default_factory=list)


class Commitment(M):
    """How an axis commits its troops over time: a piecewise-linear ramp up to the axis's troops."""

    initial: float = Field(0, ge=0, description="troops committed at once when the axis is committed")
    troops_per_day: Dist = Field(description="troops committed a day from the start (a number or a distribution)")
    steps: list[CommitmentStep] = Field(default_factory=list, description="later changes of the rate")
    facts: Facts = Field(default_factory=list)

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        hours = [s.after_h for s in self.steps]
        if any(b <= a for a, b in zip(hours, hours[1:], strict=False)):
            raise ValueError(f"steps' after_h must rise strictly, got {hours}")
        return self


class Axis(Timing):
    name: str
    troops: float = Field(ge=0, description="the troops the axis commits (the cap of its commitment ramp)")
    distance_km: float | Dist | None = Field(None, description="length of the axis; default: the sum of its legs "
                                             "between places")
    start: str | None = Field(None, description="place id it sets off from (places: or the gazetteer)")
    waypoints: list[str] = Field(default_factory=list, description="place ids it passes, in order")
    objective_place: str | None = Field(None, description="place id of its objective")
    distance_factor: Dist | None = Field(None, description="multiplies the legs' distances from places "
                                         "(their uncertainty)")
    speed_kmh: Dist
    opposition: Dist = Field(default_factory=lambda: Fixed(value=0), description="share of speed lost to resistance, 0..1")
    objective: str = ""
    commitment: Commitment | None = Field(None, description="commit the troops over time (default: all at once)")
    unit_type: str | None = Field(None, description="the force-ratio table's unit type its troops are organised in")
    troops_per_unit: float | None = Field(None, gt=0, description="troops in one unit of unit_type")
    facts: Facts = Field(default_factory=list)

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        return _without_defaults(self, handler(self), info, _AXIS_ROUTE)

    @model_validator(mode="after")
    def _route(self) -> Self:
        if self.start is None and (self.waypoints or self.objective_place is not None):
            raise ValueError("give start: the place the axis sets off from, with its waypoints and objective_place")
        if self.start is not None and self.objective_place is None:
            raise ValueError("give objective_place: the place id the axis advances to")
        if self.start is None and self.distance_km is None:
            raise ValueError("give distance_km, or start and objective_place (the distance is then the sum of legs)")
        if self.distance_factor is not None and self.start is None:
            raise ValueError("distance_factor scales the legs between places: give start and objective_place")
        if (self.unit_type is None) != (self.troops_per_unit is None):
            raise ValueError("give unit_type and troops_per_unit together")
        return self

    @property
    def route(self) -> list[str]:
        """The places it passes, from start to objective (empty without places)."""
        if self.start is None or self.objective_place is None:
            return []
        return [self.start, *self.waypoints, self.objective_place]

    @property
    def ramped(self) -> bool:
        """Whether it commits over time or meets forces on a route (the engine's own path for it)."""
        return self.commitment is not None or self.start is not None


class Adversary(M):
    side: str
    massed_troops: float = Field(ge=0)
    axes: dict[str, Axis] = Field(default_factory=dict)
    facts: Facts = Field(default_factory=list)

    _ids = field_validator("axes")(classmethod(lambda cls, v: _ids(v)))

    @model_validator(mode="after")
    def _within_mass(self) -> Self:
        # axes committed at once cannot together exceed the massed force; ramps may (their caps are
        # what each could take): the run never commits more than massed_troops
        total = sum(a.troops for a in self.axes.values() if a.commitment is None)
        if total > self.massed_troops:
            raise ValueError(f"axes commit {total:g} troops, more than the {self.massed_troops:g} massed")
        return self


class MeasureTime(Timing):
    """When a deconfliction measure opens or closes: exactly one of ``at_h``, ``at_time``, ``when``."""

    @model_validator(mode="after")
    def _one(self) -> Self:
        if self._timing_count() != 1:
            raise ValueError("give exactly one of at_h, at_time, when")
        return self


class Measure(M):
    """A deconfliction measure (a hotline, a code of conduct): while active it lowers the chance
    that an encounter is graver than routine. Active from H-hour (``active``, default true), or
    from when it ``opens``; it may ``close``, and an inject can make it fail (``measure_fail``)."""

    name: str
    factor: float | None = Field(None, gt=0, le=1, description="multiplies the chance an encounter becomes an "
                                 "incident (p_incident), or with a severity ladder every graver class's share")
    lowers: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=dict, description="severity class id -> factor on its share (classes not named: unchanged)")
    active: bool | None = Field(None, description="active from H-hour (default: true, unless it opens later; "
                                "true with opens: open from H-hour already, as in a variant that asks 'what if')")
    opens: MeasureTime | None = Field(None, description="when it opens (at_h, at_time or when)")
    closes: MeasureTime | None = Field(None, description="when it closes (at_h, at_time or when)")
    description: str = ""
    facts: Facts = Field(default_factory=list)

    @model_validator(mode="after")
    def _timed(self) -> Self:
        if self.factor is not None and self.lowers:
            raise ValueError("give factor (every graver class) or lowers (class by class), not both")
        return self

    @property
    def active_at_start(self) -> bool:
        return self.opens is None if self.active is None else self.active

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        if info.context == HASH_CONTEXT:  # a measure with none of the timed fields hashes as it did before them
            _drop_unset(out, ("lowers", "opens", "closes"))
            if out.get("active") is None and self.opens is None:
                out["active"] = True
        return out


def _drop_unset(out: dict[str, Any], keys: tuple[str, ...]) -> None:
    for k in keys:
        if k in out and out[k] in (None, {}, []):
            del out[k]


Domain = Literal["air", "sea", "land"]


class Deconfliction(M):
    between: tuple[str, str]
    encounter_rate: dict[Domain, Annotated[float, Field(ge=0, le=MAX_RATE)]] = Field(
        description="encounters per hour per unit of one side per unit of the other, by domain")
    areas: dict[Domain, str] = Field(default_factory=dict, description="place id where each domain's encounters "
                                     "happen (a sea area, an airspace): put on encounter records, for maps")
    severity: SeverityLadder | None = Field(
        None, description="grade encounters on a severity ladder: `default` (sim/data/severity_ladder.yaml) or "
        "classes: [...]; without one, the p_incident model")
    p_incident: float | None = Field(None, ge=0, le=1, description="chance an encounter becomes an incident, "
                                     "before measures; with a severity ladder (optional) the graver classes' share "
                                     "together, keeping their proportions")
    tension_sensitivity: float = Field(0, ge=0, description="p grows by this share per 100 tension (spiral); with "
                                       "a ladder, the k-th graver class's share by (1 + this x tension/100)^k")
    incident_tension: Dist | None = Field(None, description="tension added by an incident (without a severity "
                                          "ladder: each class adds its own)")
    measures: dict[str, Measure] = Field(default_factory=dict)
    facts: Facts = Field(default_factory=list)

    _ids = field_validator("measures")(classmethod(lambda cls, v: _ids(v)))

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        out: dict[str, Any] = handler(self)
        if info.context == HASH_CONTEXT:  # without a ladder or areas: hashed as before they existed
            _drop_unset(out, ("areas", "severity"))
        return out

    @field_validator("severity", mode="before", json_schema_input_type=SeverityLadder | Literal["default"] | None)
    @classmethod
    def _default_ladder(cls, v: Any) -> Any:
        if isinstance(v, str):
            if v != "default":
                raise ValueError(f"give `default` (the shipped ladder) or classes: [...], not {v!r}")
            return load_severity_ladder()
        return v

    @model_validator(mode="after")
    def _model(self) -> Self:
        if self.severity is None:
            missing = [k for k in ("p_incident", "incident_tension") if getattr(self, k) is None]
            if missing:
                raise ValueError(f"give {' and '.join(missing)}, or a severity ladder (severity: default)")
            if unfactored := [m for m, spec in self.measures.items() if spec.factor is None]:
                raise ValueError(f"without a severity ladder every measure needs a factor: {', '.join(unfactored)}")
            if lowering := [m for m, spec in self.measures.items() if spec.lowers]:
                raise ValueError(f"lowers names severity classes, and there is no severity ladder: "
                                 f"{', '.join(lowering)}")
        else:
            if self.incident_tension is not None:
                raise ValueError("with a severity ladder each class gives its tension: drop incident_tension")
            if self.p_incident and not any(s for c in self.severity.classes[1:]
                                           for s in (c.share, *c.domain_share.values())):
                raise ValueError("p_incident shares out the ladder's graver classes, and they all have share 0")
        return self



class Rung(M):
    name: str
    threshold: float = Field(ge=0)
    description: str = ""


class Escalation(M):
    initial_tension: float = Field(ge=0)
    floor: float = Field(0, ge=0, description="the level tension decays towards")
    half_life_h: float = Field(gt=0)
    rungs: list[Rung] = Field(min_length=1)

    @model_validator(mode="after")
    def _ladder(self) -> Self:
        th = [r.threshold for r in self.rungs]
        if th[0] != 0:
            raise ValueError("the first rung starts at threshold 0")
        if any(b <= a for a, b in zip(th, th[1:], strict=False)):
            raise ValueError(f"rung thresholds must rise strictly, got {th}")
        return self


class Inject(Timing):
    title: str
    text: str = Field(description="what the players are told")
    sender: str = ""
    recipient: str = ""
    expected_action: str = ""
    effects: list[Effect] = Field(default_factory=list)
    library: bool = Field(False, description="only fired by a facilitator, never on its own")
    facts: Facts = Field(default_factory=list)

    @model_validator(mode="after")
    def _timed(self) -> Self:
        n = self._timing_count()
        if self.library and n:
            raise ValueError("a library inject has no at_h, at_time or when")
        if not self.library and n != 1:
            raise ValueError("give exactly one of at_h, at_time, when (or library: true)")
        return self


class Option(M):
    label: str
    description: str = ""
    effects: list[Effect] = Field(default_factory=list)
    weight: float = Field(1.0, ge=0, description="weight when decisions are explored at random")


class DecisionPoint(Timing):
    title: str
    prompt: str = ""
    team: str = Field(description="the side or team that decides")
    options: dict[str, Option] = Field(min_length=1)
    default: str
    facts: Facts = Field(default_factory=list)

    _ids = field_validator("options")(classmethod(lambda cls, v: _ids(v)))

    @model_validator(mode="after")
    def _check(self) -> Self:
        if self._timing_count() != 1:
            raise ValueError("give exactly one of at_h, at_time, when")
        if self.default not in self.options:
            raise ValueError(f"default {self.default!r} is not one of the options {sorted(self.options)}"
                             f"{did_you_mean(self.default, self.options)}")
        return self


class Target(M):
    gte: float | None = None
    lte: float | None = None

    @model_validator(mode="after")
    def _some(self) -> Self:
        if self.gte is None and self.lte is None:
            raise ValueError("give gte, lte or both")
        return self

    def met(self, value: float | None) -> bool:
        if value is None:
            return False
        return (self.gte is None or value >= self.gte) and (self.lte is None or value <= self.lte)

    def describe(self) -> str:
        if self.gte is not None and self.lte is not None:
            return f"between {self.gte:g} and {self.lte:g}"
        return f">= {self.gte:g}" if self.gte is not None else f"<= {self.lte:g}"


class Objective(M):
    title: str
    metric: str = Field(description="the metric measured on every run")
    target: Target
    capability: str = ""
    owner: str = Field("", description="organisation responsible")
    description: str = ""
    facts: Facts = Field(default_factory=list)


class Checkpoint(M):
    title: str
    at_h: float | None = Field(None, ge=-1e6, le=1e6)
    at_time: datetime | None = None
    facts: Facts = Field(default_factory=list)

    @model_validator(mode="after")
    def _one(self) -> Self:
        if (self.at_h is None) == (self.at_time is None):
            raise ValueError("give exactly one of at_h, at_time")
        if self.at_time is not None and self.at_time.tzinfo is None:
            raise ValueError("give at_time with a UTC offset")
        _in_years(self.at_time)
        return self


class Team(M):
    """A team at the table: which sides it plays and which inject recipients it stands for."""

    name: str
    sides: list[str] = Field(default_factory=list, description="side ids whose decision points this team takes")
    recipients: list[str] = Field(default_factory=list,
                                  description="inject recipients this team plays (their injects go to it alone)")
    description: str = ""


class Exercise(M):
    """The exercise as the report's cover gives it (none of it is simulated)."""

    name: str = ""
    dates: str = ""
    location: str = ""
    participants: list[str] = Field(default_factory=list)
    classification: str = Field("", description="marking printed in every page's header and footer")
    analyst: str = ""
    version: str = ""


class Scenario(M):
    schema_version: Literal[1] = 1
    name: str = Field(pattern=ID)
    title: str
    description: str = Field(description="one line, shown by `crisis-sim list`")
    purpose: str = ""
    extends: str | None = Field(None, description="path of a scenario this one overrides")
    remove: list[str] = Field(default_factory=list, description="entries of the scenario extended to take out, "
                              "by path (injects.x, decisions.y, forces.z); the loader applies them")
    fact_register: str | None = Field(None, description="path of the fact register (default: seeds/facts.yaml above)")
    gazetteer: str | None = Field(None, description="path of a shared gazetteer (default: seeds/gazetteer.yaml "
                                  "above, when a place it does not define is named)")
    places: dict[str, Place] = Field(default_factory=dict, description="named places (override the gazetteer's)")
    distances: list[GivenDistance] = Field(default_factory=list, description="distances known better than "
                                           "great circle times the mode's route factor")
    lift_pools: dict[str, LiftPool] = Field(default_factory=dict, description="lift capacities forces share")
    clock: Clock
    sides: dict[str, Side] = Field(min_length=1)
    forces: dict[str, Force] = Field(default_factory=dict)
    adversary: Adversary | None = None
    force_ratios: ForceRatioTable | None = Field(None, description="the force-ratio table axes meet forces "
                                                 "through (default: sim/data/force_ratios.yaml)")
    deconfliction: Deconfliction | None = None
    escalation: Escalation
    injects: dict[str, Inject] = Field(default_factory=dict)
    decisions: dict[str, DecisionPoint] = Field(default_factory=dict)
    objectives: dict[str, Objective] = Field(default_factory=dict)
    checkpoints: dict[str, Checkpoint] = Field(default_factory=dict)
    teams: dict[str, Team] = Field(default_factory=dict, description="teams at a workshop table (default: one "
                                   "per side)")
    exercise: Exercise | None = Field(None, description="the report's cover block; not part of the content hash")
    tempo: Tempo | None = Field(None, description="readiness posture scaling notice to move, staging and decision "
                                "delays (sim/data/tempo.yaml)")

    _source: str = PrivateAttr("")
    _hash: str = PrivateAttr("")

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        return _without_defaults(self, handler(self), info, {"force_ratios": None})

    _ids = field_validator("sides", "places", "forces", "lift_pools", "injects", "decisions", "objectives", "checkpoints", "teams")(
        classmethod(lambda cls, v: _ids(v)))

    @property
    def source(self) -> str:
        return self._source

    @property
    def content_hash(self) -> str:
        return self._hash

    def hours(self, t: datetime) -> float:
        return self.clock.hours(t)
